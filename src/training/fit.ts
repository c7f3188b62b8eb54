/**
 * `fit(model, x, y, options)`, which `model.fit` delegates to: epochs of shuffled mini-batches, each one
 * `Trainer.step` (trainer.ts: on this thread, or split over workers), validation, callbacks, and a History.
 *
 * Keras' conventions: `validationSplit` holds out the LAST fraction of the samples (taken before any
 * shuffling); `shuffle` reorders the training samples every epoch, drawing from the model's training
 * generator (so a seeded model repeats, and a saved model resumes the same sequence); epoch logs hold
 * 'loss', each metric, and 'val_'-prefixed validation values.
 *
 * Output (progress.ts): verbose 1 (default) draws a live progress bar with loss, metrics, throughput and
 * ETA on a terminal, and prints one plain line per epoch elsewhere; verbose 2 always prints plain lines;
 * verbose 0 prints nothing.
 */
import { ConfigError, ShapeError } from '../errors.js';
import { range } from '../models/batches.js';
import { checkMicrobatchSize } from '../models/microbatches.js';
import type { Sequential } from '../models/sequential.js';
import type { SpawnWorker } from '../parallel/protocol.js';
import { checkOptionKeys } from '../options.js';
import { asTensor, type Tensor } from '../tensor.js';
import type { Callback } from './callbacks.js';
import { runEpochs, type TrainBatch } from './epochs.js';
import type { History } from './epochs.js';
import { defaultSink, type ProgressSink } from './progress.js';
import { sampleWeightsOf, withClassWeights } from './sampleWeights.js';
import { openTrainer } from './trainer.js';

export interface FitOptions {
  readonly batchSize?: number;
  readonly epochs?: number;
  readonly shuffle?: boolean;
  /** Fraction in [0, 1) of the samples, taken from the end, used only for validation. */
  readonly validationSplit?: number;
  /** [x, y] to validate on instead of a split. */
  readonly validationData?: readonly [unknown, unknown];
  readonly callbacks?: readonly Callback[];
  readonly verbose?: 0 | 1 | 2;
  /** Where progress goes (default process.stdout, or console.log in a browser). */
  readonly progressSink?: ProgressSink;
  /**
   * Split each batch over this many workers (threads with their own engine; parallel/pool.ts), or 'auto'
   * for one per core. Default 1: this thread, no workers.
   */
  readonly workers?: number | 'auto';
  /**
   * Rows per micro-batch: each batch's gradient is the weighted sum, in order, of its micro-batches' (this
   * many rows each, the last the rest), each computed whole by one thread — so the trained weights are the
   * same bit for bit whatever `workers` is; no more workers start than a batch has micro-batches. Default:
   * none (one share of each batch per worker: the weights differ in the last bits between worker counts).
   */
  readonly microbatchSize?: number;
  /** Starts one worker (needed in browsers, where the page's bundler decides the worker's URL). */
  readonly spawnWorker?: SpawnWorker;
  /**
   * Keras' sample_weight: a weight ≥ 0 per sample [N] (or per step [N, T] for a sequence output) that
   * scales the sample's loss. With validationSplit the held-out samples keep theirs for val_loss.
   */
  readonly sampleWeight?: unknown;
  /**
   * Keras' class_weight: `{ [classIndex]: weight ≥ 0 }`, each sample's loss scaled by its class's weight
   * (classes not listed: 1), on training samples only. Per-sample targets only (one class per sample).
   */
  readonly classWeight?: Readonly<Record<number, number>>;
}

export type { History } from './epochs.js';

// `model.fit` (installed by the package entry: see installModelMethods in models/sequential.ts) is typed
// here, beside its options, because the model's floor cannot import them.
declare module '../models/sequential.js' {
  interface Sequential {
    /** Trains over epochs: `fit(this, x, y, options)`. */
    fit(x: unknown, y: unknown, options?: FitOptions): Promise<History>;
  }
}

const FIT_OPTIONS = [
  'batchSize',
  'epochs',
  'shuffle',
  'validationSplit',
  'validationData',
  'sampleWeight',
  'classWeight',
  'callbacks',
  'verbose',
  'progressSink',
  'workers',
  'microbatchSize',
  'spawnWorker',
];

/** Keras' fit options that novolstm does not support yet: rejected as such, not as unknown. */
const FIT_NOT_YET = ['initialEpoch', 'stepsPerEpoch', 'validationSteps'];

/** Trains `model` on (x, y); the model must be compiled. Data errors throw at once, option errors reject. */
export function fit(model: Sequential, x: unknown, y: unknown, options: FitOptions = {}): Promise<History> {
  const xy = model.checkXY(x, y, 'fit');
  model.requireCompiled('fit');
  model.checkTargets(xy.x, xy.y);
  return fitTensors(model, xy.x, xy.y, options);
}

async function fitTensors(model: Sequential, x: Tensor, y: Tensor, options: FitOptions): Promise<History> {
  const label = 'fit';
  checkOptionKeys(label, options, FIT_OPTIONS, FIT_NOT_YET, 'verdict first');
  const batchSize = integerOption(label, 'batchSize', options.batchSize, 32, 1);
  const epochs = integerOption(label, 'epochs', options.epochs, 1, 0);
  const shuffle = options.shuffle ?? true;
  if (typeof shuffle !== 'boolean')
    throw new ConfigError(label, 'shuffle must be true or false', 'a boolean', String(shuffle));
  const verbose = options.verbose ?? 1;
  if (verbose !== 0 && verbose !== 1 && verbose !== 2) {
    throw new ConfigError(label, 'verbose must be 0, 1 or 2', '0, 1 or 2', String(verbose));
  }
  const sink = options.progressSink ?? defaultSink();
  if (typeof sink !== 'object' || sink === null || typeof sink.write !== 'function') {
    throw new ConfigError(label, 'progressSink must have a write method', '{ write(text) }', String(sink));
  }
  const split = options.validationSplit ?? 0;
  if (typeof split !== 'number' || !(split >= 0 && split < 1)) {
    throw new ConfigError(label, 'validationSplit must be in [0, 1)', '0 ≤ split < 1', String(split));
  }
  if (split > 0 && options.validationData) {
    throw new ConfigError(label, 'give validationSplit or validationData, not both', 'one of them', 'both');
  }
  const callbacks = options.callbacks ?? [];
  if (!Array.isArray(callbacks))
    throw new ConfigError(label, 'callbacks must be an array', 'an array', typeof callbacks);

  const N = x.shape[0];
  const trainCount = split > 0 ? Math.floor(N * (1 - split)) : N;
  if (trainCount < 1 || (split > 0 && trainCount === N)) {
    throw new ShapeError(
      label,
      `validationSplit ${split} of ${N} samples leaves an empty part`,
      'both parts non-empty',
      `${trainCount} train, ${N - trainCount} validation`,
    );
  }
  const sampleWeight = sampleWeightsOf(model, x, y, options.sampleWeight);
  const weights = withClassWeights(model, y, sampleWeight, options.classWeight);
  let validation: Validation | null = null;
  if (split > 0) validation = { x, y, rows: range(trainCount, N), sampleWeight };
  else if (options.validationData) {
    if (!Array.isArray(options.validationData) || options.validationData.length !== 2) {
      throw new ConfigError(label, 'validationData must be [x, y]', '[x, y]', String(options.validationData));
    }
    const vx = asTensor(options.validationData[0], 'validationData[0]');
    const vy = asTensor(options.validationData[1], 'validationData[1]');
    if (vx.shape[0] !== vy.shape[0])
      throw new ShapeError(
        label,
        'validationData x and y have different numbers of samples',
        vx.shape[0],
        vy.shape[0],
      );
    model.checkTargets(vx, vy, 'validationData[1]');
    validation = { x: vx, y: vy, rows: null, sampleWeight: null };
  }

  const microbatchSize = checkMicrobatchSize(options.microbatchSize, 'fit: microbatchSize');
  const trainer = await openTrainer(model, {
    workers: options.workers ?? 1,
    spawn: options.spawnWorker,
    subject: 'fit: workers',
    microbatchSize,
    // Workers take whole micro-batches: no more are started than a batch has.
    ...(microbatchSize === undefined
      ? {}
      : { maxWorkers: Math.ceil(Math.min(batchSize, trainCount) / microbatchSize) }),
  });
  try {
    const trainRows = range(0, trainCount);
    const history = await runEpochs(trainer, {
      epochs,
      verbose,
      sink,
      callbacks,
      batchesPerEpoch: Math.ceil(trainCount / batchSize),
      batchesOf: () => shuffledBatches(model, x, y, weights, trainRows, batchSize, shuffle),
      validate: validation
        ? async () =>
            model.evaluateTotals(
              validation.x,
              validation.y,
              batchSize,
              validation.rows,
              validation.sampleWeight,
            )
        : null,
    });
    // Stateful layers continue from where the workers left them.
    await trainer.syncStates();
    return history;
  } finally {
    await trainer.close();
  }
}

/** What val_ values are computed on: rows of (x, y) (all when null), weighted by sampleWeight if any. */
interface Validation {
  readonly x: Tensor;
  readonly y: Tensor;
  readonly rows: number[] | null;
  readonly sampleWeight: Tensor | null;
}

/**
 * One epoch of mini-batches over `trainRows`: reordered first when `shuffle` (Fisher–Yates, from the
 * model's training generator, so a seeded model repeats and a saved one resumes the same sequence).
 */
function shuffledBatches(
  model: Sequential,
  x: Tensor,
  y: Tensor,
  weights: Tensor | null,
  trainRows: readonly number[],
  batchSize: number,
  shuffle: boolean,
): TrainBatch[] {
  const order = trainRows.slice();
  if (shuffle) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = model.trainingRng.int(i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
  }
  const batches: TrainBatch[] = [];
  for (let start = 0; start < order.length; start += batchSize) {
    batches.push({ x, y, rows: order.slice(start, start + batchSize), weights });
  }
  return batches;
}

export function integerOption(
  label: string,
  key: string,
  value: unknown,
  fallback: number,
  min: number,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new ConfigError(label, `${key} must be an integer ≥ ${min}`, `≥ ${min}`, String(value));
  }
  return value;
}
