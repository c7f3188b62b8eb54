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
export * as tasks from './data/tasks/index.js';
export * as text from './data/text/index.js';
export { sampleToken, checkSamplingOptions, type SamplingOptions } from './generation/sampling.js';
export { lineChartSvg, type CurvePoint, type ChartOptions } from './report/charts.js';
