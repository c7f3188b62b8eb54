/**
 * What `fitDataset` trains on: batches that arrive one at a time, so the data never has to be in memory at
 * once (TensorFlow.js' `fitDataset`, Keras' `fit(dataset)`).
 *
 * A dataset is an iterable or async iterable of batches (an async generator reading a file, say), or a
 * function returning a fresh one. Each epoch starts a new pass over it: an iterable such as an array or
 * `tensorBatches(...)` starts again by itself, a generator object does not (it is used up after one pass),
 * so pass the generator function instead. With `batchesPerEpoch`, one pass continues across epochs.
 */
import { ConfigError, ShapeError } from '../errors.js';
import { Random } from '../random.js';
import { asTensor, Tensor } from '../tensor.js';

/** One batch: `{ xs, ys }` (TensorFlow.js' spelling, with an optional sampleWeight) or `[xs, ys]`. */
export type DatasetBatch =
  | { readonly xs: unknown; readonly ys: unknown; readonly sampleWeight?: unknown }
  | readonly [unknown, unknown];

export type BatchStream = AsyncIterable<DatasetBatch> | Iterable<DatasetBatch>;
export type Dataset = BatchStream | (() => BatchStream);

/** A fresh pass over the dataset, as an async iterator. */
export function startPass(
  dataset: Dataset,
  subject: string,
): AsyncIterator<DatasetBatch> | Iterator<DatasetBatch> {
  const stream = typeof dataset === 'function' ? dataset() : dataset;
  if (stream && typeof (stream as AsyncIterable<DatasetBatch>)[Symbol.asyncIterator] === 'function')
    return (stream as AsyncIterable<DatasetBatch>)[Symbol.asyncIterator]();
  if (stream && typeof (stream as Iterable<DatasetBatch>)[Symbol.iterator] === 'function')
    return (stream as Iterable<DatasetBatch>)[Symbol.iterator]();
  throw new ConfigError(
    subject,
    'the dataset must be an iterable or async iterable of batches, or a function returning one',
    'e.g. an async generator function yielding { xs, ys }',
    typeof stream,
  );
}

/** A batch's parts as tensors; `where` names it in errors (`fitDataset: epoch 2, batch 5`). */
export function batchTensors(batch: unknown, where: string): { x: Tensor; y: Tensor; sampleWeight: unknown } {
  if (Array.isArray(batch) && batch.length === 2)
    return {
      x: asTensor(batch[0], `${where}: xs`),
      y: asTensor(batch[1], `${where}: ys`),
      sampleWeight: undefined,
    };
  if (typeof batch === 'object' && batch !== null && 'xs' in batch && 'ys' in batch) {
    const b = batch as { xs: unknown; ys: unknown; sampleWeight?: unknown };
    const extra = Object.keys(b).find((k) => !['xs', 'ys', 'sampleWeight'].includes(k));
    if (extra !== undefined)
      throw new ConfigError(where, `unknown batch key '${extra}'`, 'xs, ys, sampleWeight', extra);
    return {
      x: asTensor(b.xs, `${where}: xs`),
      y: asTensor(b.ys, `${where}: ys`),
      sampleWeight: b.sampleWeight,
    };
  }
  throw new ConfigError(where, 'a batch must be { xs, ys } or [xs, ys]', '{ xs, ys }', String(batch));
}

export interface TensorBatchesOptions {
  /** Default 32. */
  readonly batchSize?: number;
  /** Reorder the samples before every pass. Default false. */
  readonly shuffle?: boolean;
  /** Seeds the shuffling: the same seed gives the same order in every run, a new order each pass. Default 0. */
  readonly seed?: number;
}

/**
 * Tensors in memory as a dataset of batches (TensorFlow.js' `tf.data.array(...).shuffle(...).batch(...)`):
 * each pass yields batches of `batchSize` rows, reordered from its own seeded generator when `shuffle`.
 */
export function tensorBatches(
  x: unknown,
  y: unknown,
  options: TensorBatchesOptions = {},
): Iterable<DatasetBatch> {
  const label = 'tensorBatches';
  const xt = asTensor(x, `${label}: x`);
  const yt = asTensor(y, `${label}: y`);
  if (xt.rank < 1 || yt.rank < 1 || xt.shape[0] !== yt.shape[0])
    throw new ShapeError(label, 'x and y must have the same number of samples', xt.shape[0], yt.shape[0]);
  const batchSize = options.batchSize ?? 32;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new ConfigError(label, 'batchSize must be a positive integer', '≥ 1', String(batchSize));
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)
    throw new ConfigError(label, 'seed must be an integer in [0, 2³²)', 'an unsigned 32-bit integer', seed);
  if (options.shuffle !== undefined && typeof options.shuffle !== 'boolean')
    throw new ConfigError(label, 'shuffle must be true or false', 'a boolean', String(options.shuffle));
  const rng = new Random(seed);
  const N = xt.shape[0];
  return {
    *[Symbol.iterator](): Iterator<DatasetBatch> {
      const order = Array.from({ length: N }, (_, i) => i);
      if (options.shuffle) {
        for (let i = N - 1; i > 0; i--) {
          const j = rng.int(i + 1);
          [order[i], order[j]] = [order[j], order[i]];
        }
      }
      for (let start = 0; start < N; start += batchSize) {
        const rows = order.slice(start, start + batchSize);
        yield { xs: rowsOf(xt, rows), ys: rowsOf(yt, rows) };
      }
    },
  };
}

function rowsOf(t: Tensor, rows: readonly number[]): Tensor {
  const size = t.size / t.shape[0];
  const data =
    t.dtype === 'int32' ? new Int32Array(rows.length * size) : new Float32Array(rows.length * size);
  rows.forEach((r, i) => data.set(t.data.subarray(r * size, (r + 1) * size), i * size));
  return new Tensor(data, [rows.length, ...t.shape.slice(1)]);
}
