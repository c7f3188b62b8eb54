/**
 * The WebAssembly engine's entry: everything the JavaScript side (src/engine/) calls.
 * Memory is managed from JavaScript: it lays out buffers above heapBase() and grows the memory itself.
 */
export {
  gemm,
  gemmColumnSums,
  gemmColumnSumsStacked,
  gemmPacked,
  packB,
  gemmScratchFloats,
  packedBFloats,
  gemmDepthBlock,
  rowTimesPacked,
} from './gemm';
export { lstmGatesForward, lstmGatesBackward, tanhRows } from './lstm';
export { copyRows, copyRealRows, addRow, columnSums, batchToSteps, stepsToBatch, firstNonFinite, flushSubnormals } from './rows';
export {
  gruGatesForward,
  gruGatesBackward,
  gruResetBeforeGatesForward,
  gruResetBeforeCandidateForward,
  gruResetBeforeBackward1,
  gruResetBeforeBackward2,
} from './gru';
export { novoGatesForward, novoGatesBackward, tanhNormedCells } from './novolstm';
export { embeddingGather, embeddingScatter } from './embedding';

/** First free byte after static data; JavaScript allocates from here. */
export function heapBase(): usize {
  return __heap_base;
}
