/**
 * novolstm: NovoLSTM, LSTM and GRU with exact gradients. The one public entry point.
 */
export { NovoLstmError, ShapeError, ValueError, ConfigError } from './errors.js';
export { Random } from './random.js';
export { glorotUniform, orthogonal } from './initializers.js';
export {
  lstmCell,
  novoLstmCell,
  gruCell,
  initialWeights,
  type LstmCellOptions,
  type NovoLstmCellOptions,
  type GruCellOptions,
} from './cells.js';
export type { CellKernel, Params, WeightSpec } from './kernels/reference/cell.js';
export type { Float } from './kernels/reference/floats.js';
export {
  recurrentForward,
  recurrentBackward,
  zeroGradients,
  type SequenceOptions,
  type SequenceOutput,
  type SequenceUpstream,
  type SequenceGradients,
  type SavedSequence,
} from './kernels/reference/recurrence.js';
export { layerNormForward, layerNormBackward, LAYER_NORM_EPSILON } from './kernels/reference/layerNorm.js';
export {
  loadEngine,
  availableBuilds,
  enableRelaxedSimdInNode,
  WASM_BUILDS,
  type Engine,
  type WasmBuild,
  type LoadOptions,
} from './engine/loader.js';
export { FastLstm, type FastSequenceOutput, type FastSequenceGradients } from './engine/lstm.js';
export { FastGru, type FastGruOutput, type FastGruGradients } from './engine/gru.js';
export { recurrentPlan, type RecurrentPlan, type PlanOutput, type PlanGradients } from './engine/plan.js';
