/**
 * `fitDataset(model, dataset, options)`, which `model.fitDataset` delegates to: fit over batches that
 * arrive one at a time (training/dataset.ts), so the data need not fit in memory. The same epoch loop as
 * `fit` (epochs.ts) and the same `Trainer.step`, on this thread or split over workers.
 *
 * Differences from `fit`, because the data is a stream: the batches come as the dataset makes them (no
 * shuffling here — a dataset shuffles itself, `tensorBatches({ shuffle, seed })` deterministically); each
 * batch's labels are checked before that batch's step, and an error names the epoch, the batch and the
 * sample inside it; there is no validationSplit.
 */
import { ConfigError, ValueError } from '../errors.js';
import type { Sequential } from '../models/sequential.js';
import type { BatchTotals } from '../models/totals.js';
import { addTotals } from '../models/totals.js';
import { checkMicrobatchSize } from '../models/microbatches.js';
import { checkOptionKeys } from '../options.js';
import type { SpawnWorker } from '../parallel/protocol.js';
import { asTensor } from '../tensor.js';
import type { Callback } from './callbacks.js';
import { batchTensors, startPass, type Dataset, type DatasetBatch } from './dataset.js';
import { runEpochs, type History, type TrainBatch } from './epochs.js';
import { integerOption } from './fit.js';
import { defaultSink, type ProgressSink } from './progress.js';
import { sampleWeightsOf, withClassWeights } from './sampleWeights.js';
import { openTrainer } from './trainer.js';

export interface FitDatasetOptions {
  readonly epochs?: number;
  /**
   * Batches per epoch, taken from one pass that continues across epochs (TensorFlow.js' semantics); the
   * dataset must not run out before epochs × batchesPerEpoch. Absent: each epoch is one whole pass.
   */
  readonly batchesPerEpoch?: number;
  /** [x, y] tensors, or a dataset, to compute val_ values on after each epoch. */
  readonly validationData?: readonly [unknown, unknown] | Dataset;
  readonly classWeight?: Readonly<Record<number, number>>;
  readonly callbacks?: readonly Callback[];
  readonly verbose?: 0 | 1 | 2;
  readonly progressSink?: ProgressSink;
  readonly workers?: number | 'auto';
  /** As fit's: rows per micro-batch, so the weights do not depend on `workers`. Default: none. */
  readonly microbatchSize?: number;
  readonly spawnWorker?: SpawnWorker;
}

declare module '../models/sequential.js' {
  interface Sequential {
    /** Trains over a dataset of batches: `fitDataset(this, dataset, options)`. */
    fitDataset(dataset: Dataset, options?: FitDatasetOptions): Promise<History>;
  }
}

const OPTIONS = [
  'epochs',
  'batchesPerEpoch',
  'validationData',
  'classWeight',
  'callbacks',
  'verbose',
  'progressSink',
  'workers',
  'microbatchSize',
  'spawnWorker',
];

export async function fitDataset(
  model: Sequential,
  dataset: Dataset,
  options: FitDatasetOptions = {},
): Promise<History> {
  const label = 'fitDataset';
  model.requireCompiled(label);
  checkOptionKeys(label, options, OPTIONS, ['initialEpoch', 'validationBatches'], 'verdict first');
  const epochs = integerOption(label, 'epochs', options.epochs, 1, 0);
  const perEpoch =
    options.batchesPerEpoch === undefined
      ? null
      : integerOption(label, 'batchesPerEpoch', options.batchesPerEpoch, 1, 1);
  const verbose = options.verbose ?? 1;
  if (verbose !== 0 && verbose !== 1 && verbose !== 2)
    throw new ConfigError(label, 'verbose must be 0, 1 or 2', '0, 1 or 2', String(verbose));
  const sink = options.progressSink ?? defaultSink();
  if (typeof sink !== 'object' || sink === null || typeof sink.write !== 'function')
    throw new ConfigError(label, 'progressSink must have a write method', '{ write(text) }', String(sink));
  const callbacks = options.callbacks ?? [];
  if (!Array.isArray(callbacks))
    throw new ConfigError(label, 'callbacks must be an array', 'an array', typeof callbacks);
  // Checked now, so that a wrong dataset fails before any worker starts.
  let pass = startPass(dataset, label);

  // The model is built from the first batch when it has no input shape yet; the workers need its weights.
  let first: IteratorResult<DatasetBatch> | null = null;
  if (!model.isBuilt) {
    first = await pass.next();
    const where = `${label}: epoch 1, batch 1`;
    if (!first.done) model.checkXY(...xyOf(first.value, where), where);
  }

  const trainer = await openTrainer(model, {
    workers: options.workers ?? 1,
    spawn: options.spawnWorker,
    subject: `${label}: workers`,
    microbatchSize: checkMicrobatchSize(options.microbatchSize, `${label}: microbatchSize`),
  });
  try {
    const history = await runEpochs(trainer, {
      epochs,
      verbose,
      sink,
      callbacks,
      batchesPerEpoch: perEpoch,
      batchesOf: (epoch) => {
        if (perEpoch === null && epoch > 0) pass = startPass(dataset, label);
        return batchesOfEpoch(model, pass, epoch, perEpoch, options.classWeight, () => {
          const f = first;
          first = null;
          return f;
        });
      },
      validate:
        options.validationData === undefined ? null : () => validationTotals(model, options.validationData!),
    });
    await trainer.syncStates();
    return history;
  } finally {
    await trainer.close();
  }
}

function xyOf(batch: DatasetBatch, where: string): [unknown, unknown] {
  const { x, y } = batchTensors(batch, where);
  return [x, y];
}

/** One epoch's batches from the pass, each checked (shapes, labels, weights) before its step. */
async function* batchesOfEpoch(
  model: Sequential,
  pass: AsyncIterator<DatasetBatch> | Iterator<DatasetBatch>,
  epoch: number,
  perEpoch: number | null,
  classWeight: unknown,
  takeFirst: () => IteratorResult<DatasetBatch> | null,
): AsyncGenerator<TrainBatch> {
  let count = 0;
  while (perEpoch === null || count < perEpoch) {
    const next = takeFirst() ?? (await pass.next());
    if (next.done) break;
    const where = `fitDataset: epoch ${epoch + 1}, batch ${count + 1}`;
    const b = batchTensors(next.value, where);
    const { x, y } = model.checkXY(b.x, b.y, where);
    model.checkTargets(x, y, `${where}: ys`);
    const sampleWeight = sampleWeightsOf(model, x, y, b.sampleWeight, where);
    yield { x, y, rows: null, weights: withClassWeights(model, y, sampleWeight, classWeight, 'fitDataset') };
    count++;
  }
  if (perEpoch !== null && count < perEpoch) {
    throw new ValueError(
      'fitDataset',
      `the dataset ran out in epoch ${epoch + 1} after ${count} of batchesPerEpoch ${perEpoch} batches`,
      `at least epochs × batchesPerEpoch batches in one pass`,
      count,
    );
  }
  if (count === 0) {
    throw new ValueError(
      'fitDataset',
      `the dataset gave no batches in epoch ${epoch + 1}${epoch > 0 ? ' (a generator object is used up after one pass: pass the generator function, which makes a new one per epoch)' : ''}`,
      'at least one batch per epoch',
      0,
    );
  }
}

/** val_ totals: [x, y] tensors in batches of 32, or every batch of a validation dataset. */
async function validationTotals(
  model: Sequential,
  data: readonly [unknown, unknown] | Dataset,
): Promise<BatchTotals> {
  if (Array.isArray(data) && data.length === 2 && !isBatch(data[0])) {
    const xy = model.checkXY(
      asTensor(data[0], 'validationData[0]'),
      asTensor(data[1], 'validationData[1]'),
      'validationData',
    );
    model.checkTargets(xy.x, xy.y, 'validationData[1]');
    return model.evaluateTotals(xy.x, xy.y, 32);
  }
  const totals: BatchTotals = { lossSum: 0, weight: 0, metrics: [] };
  const pass = startPass(data as Dataset, 'fitDataset: validationData');
  for (let i = 1; ; i++) {
    const next = await pass.next();
    if (next.done) break;
    const where = `fitDataset: validationData batch ${i}`;
    const b = batchTensors(next.value, where);
    const { x, y } = model.checkXY(b.x, b.y, where);
    model.checkTargets(x, y, `${where}: ys`);
    addTotals(
      totals,
      model.runBatch(x, y, null, false, false, sampleWeightsOf(model, x, y, b.sampleWeight, where)),
    );
  }
  return totals;
}

/**
 * validationData as [x, y]: a two-element array whose first element is not a batch. (An array of two
 * batches is read as a dataset only when they are `{ xs, ys }` objects.)
 */
function isBatch(value: unknown): boolean {
  return typeof value === 'object' && value !== null && 'xs' in value;
}
