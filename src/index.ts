/**
 * novolstm: NovoLSTM, LSTM and GRU with exact gradients — everything that runs in Node and in browsers
 * alike, without loading the engine (the repository's tests, examples and web page choose their kernels).
 * The package entries build on it: node.ts (adds the Node-only parts and loads the engine) and browser.ts
 * (loads the engine). Nothing here imports a `node:` module statically; the Node halves reached lazily have
 * browser twins (package.json `browser` field).
 */
import { exportModel, type ExportOptions } from './interop/index.js';
import { saveModel } from './io/index.js';
import { installModelMethods, type Sequential } from './models/sequential.js';
import { fit, type FitOptions } from './training/fit.js';
import { fitDataset, type FitDatasetOptions } from './training/fitDataset.js';
import type { Dataset } from './training/dataset.js';

export { NovoLstmError, ShapeError, ValueError, ConfigError } from './errors.js';
export { Random } from './random.js';
export { glorotUniform, orthogonal } from './initializers.js';
export {
  lstmCell,
  novoLstmCell,
  gruCell,
  initialWeights,
  cellKernel,
  cellKindOf,
  CELL_CLASS_NAMES,
  type CellClassName,
  isGruCell,
  type RecurrentCell,
  type LstmCellOptions,
  type NovoLstmCellOptions,
  type GruCellOptions,
} from './cells.js';
export {
  RECURRENT_ACTIVATIONS,
  CELL_KINDS,
  type CellKernel,
  type CellKind,
  type CellSpec,
  type LstmSpec,
  type NovoLstmSpec,
  type GruSpec,
  type RecurrentActivation,
  type Params,
  type WeightSpec,
  type SequenceOptions,
  type SequenceUpstream,
  type SequenceGradients,
} from './kernels/contract.js';
export type { Float } from './kernels/reference/floats.js';
export type { LstmTape, LstmFamilyKernel } from './kernels/reference/lstm.js';
export type { GruTape, GruKernel } from './kernels/reference/gru.js';
export {
  recurrentForward,
  recurrentBackward,
  zeroGradients,
  type SequenceOutput,
  type SavedSequence,
} from './kernels/reference/recurrence.js';
export { layerNormForward, layerNormBackward, LAYER_NORM_EPSILON } from './kernels/reference/layerNorm.js';
export * as tasks from './data/tasks/index.js';
export * as text from './data/text/portable.js';
export { sampleToken, checkSamplingOptions, type SamplingOptions } from './generation/sampling.js';

// Models and training: the Keras-style API (issue 4).
export { Tensor, tensor, argMax, type DType, type NestedArray, type TensorData } from './tensor.js';
export * as layers from './layers/index.js';
export { Layer, type Batch, type Shape, type LayerConfig } from './layers/layer.js';
export { sequential, Sequential, type SequentialOptions, type CompileOptions } from './models/sequential.js';
export { fit } from './training/fit.js';
export { fitDataset, type FitDatasetOptions } from './training/fitDataset.js';
export {
  tensorBatches,
  type Dataset,
  type DatasetBatch,
  type BatchStream,
  type TensorBatchesOptions,
} from './training/dataset.js';
export {
  openTrainer,
  LocalTrainer,
  PooledTrainer,
  type Trainer,
  type TrainerOptions,
} from './training/trainer.js';
export {
  Optimizer,
  SGD,
  Adam,
  type SgdOptions,
  type AdamOptions,
  type ParameterEntry,
} from './training/optimizers.js';
export * as optimizers from './training/optimizerFactories.js';
export * as callbacks from './training/callbackFactories.js';
export type {
  Callback,
  Logs,
  EarlyStopping,
  EarlyStoppingOptions,
  ModelCheckpoint,
  ModelCheckpointOptions,
  ReduceLROnPlateau,
  ReduceLROnPlateauOptions,
  TerminateOnNaN,
} from './training/callbacks.js';
export type { FitOptions, History } from './training/fit.js';
export { LOSSES, type LossName, type LossConfig } from './training/losses.js';
export * as losses from './training/lossFactories.js';
export { METRICS, type MetricName } from './training/metrics.js';
export { binaryScores, type BinaryScores } from './training/binaryScores.js';
export {
  useFastKernels,
  useFastKernels as ready,
  useReferenceKernels,
  kernelBackend,
  kernelBackend as backend,
} from './layers/backend.js';
export {
  loadEngine,
  availableBuilds,
  enableRelaxedSimdInNode,
  WASM_BUILDS,
  type Engine,
  type WasmBuild,
  type LoadOptions,
  type EngineMemory,
} from './engine/loader.js';
export { FastLstm, type FastSequenceOutput, type FastSequenceGradients } from './engine/lstm.js';
export { FastGru, type FastGruOutput, type FastGruGradients } from './engine/gru.js';
export { recurrentPlan, type RecurrentPlan, type PlanOutput, type PlanGradients } from './engine/plan.js';
export { loadModel, saveModel, modelToBytes, modelFromBytes, modelFromFiles } from './io/index.js';
export {
  importModel,
  exportModel,
  IMPORT_FORMATS,
  type ImportFormat,
  type ImportOptions,
  type ExportOptions,
} from './interop/index.js';
export { EXPORT_FORMATS, type ExportFormat, type ModelFiles } from './interop/formats.js';
export { DataParallel, availableCores, type DataParallelOptions } from './parallel/pool.js';
export { serveReplica, type ReplicaPort } from './parallel/replica.js';
export type { SpawnWorker, WorkerEndpoint, ToWorker, FromWorker } from './parallel/protocol.js';
export type { ThreadMemory } from './parallel/memory.js';
export type { ReplicaCompile } from './parallel/replicaBundle.js';

// The character language model's browser-safe half (the Node trainer with checkpoints is lm/trainer.ts).
export {
  buildLanguageModel,
  cloneLanguageModel,
  languageModelConfig,
  LM_CELLS,
  type LmCell,
  type LanguageModelConfig,
} from './lm/languageModel.js';
export { generateText, type GenerateOptions } from './lm/generate.js';
export { scoreText, type TextScore } from './lm/evaluate.js';
export { TrainingDivergedError, hasDiverged, explosionThreshold } from './lm/divergence.js';
export { traceGates, MAX_TRACE_CHARS, type GateTrace, type LayerGates, type GateMap } from './lm/gates.js';

// Types the API above takes or returns, so that the API reference (`npm run docs`) can show them.
export type { ConfigValue, ForwardContext, LayerStep } from './layers/layer.js';
export type { Compiled } from './models/sequential.js';
export type { BatchTotals } from './models/totals.js';
export type { ProgressSink } from './training/progress.js';
export type { CellSizes } from './cells.js';
export type { Rows } from './kernels/reference/layerNorm.js';
export type { WorkerError } from './parallel/protocol.js';
export type { ForwardInput, InputRows, SequenceLayout } from './engine/steps.js';
export type { StepShare, SharedRow } from './engine/share.js';

// `model.fit`, `model.save` and `model.export`: thin delegates to the free functions above, which live on floors above the
// model (see installModelMethods in models/sequential.ts). Installed here, once, for every model; package.json
// lists this file under sideEffects so that bundlers keep this call.
installModelMethods({
  fit(this: Sequential, x: unknown, y: unknown, options?: FitOptions) {
    return fit(this, x, y, options);
  },
  fitDataset(this: Sequential, dataset: Dataset, options?: FitDatasetOptions) {
    return fitDataset(this, dataset, options);
  },
  save(this: Sequential, dir: string) {
    return saveModel(this, dir);
  },
  export(this: Sequential, path: string, options: ExportOptions) {
    return exportModel(this, path, options);
  },
});
