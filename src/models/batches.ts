/**
 * Data plumbing between user tensors and the layers: checking x against the model's input shape, taking
 * rows (a mini-batch) out of x and y, and the batchSize option.
 */
import { ConfigError, ShapeError, ValueError } from '../errors.js';
import type { Batch, Shape } from '../layers/layer.js';
import { checkOptionKeys } from '../options.js';
import { Tensor } from '../tensor.js';

/**
 * Rows of x (all when `rows` is null) as a batch: Int32Array token ids when `wantIds` (float32 ids must be
 * whole numbers), else Float32Array. x's per-sample shape must fit `inputShape` (null = any length).
 */
export function inputBatch(
  x: Tensor,
  rows: readonly number[] | null,
  inputShape: Shape,
  wantIds: boolean,
): Batch {
  const rowShape = x.shape.slice(1);
  const fits =
    rowShape.length === inputShape.length && inputShape.every((d, i) => d === null || d === rowShape[i]);
  if (!fits) {
    throw new ShapeError(
      'x',
      "does not match the model's input",
      `[batch, ${inputShape.map((d) => d ?? 'any').join(', ')}]`,
      `[${x.shape.join(', ')}]`,
    );
  }
  const rowSize = rowShape.reduce((a, b) => a * b, 1);
  const n = rows ? rows.length : x.shape[0];
  const data = wantIds ? new Int32Array(n * rowSize) : new Float32Array(n * rowSize);
  const checkIds = wantIds && x.dtype === 'float32';
  const checkFinite = !wantIds && x.dtype === 'float32';
  for (let i = 0; i < n; i++) {
    const from = (rows ? rows[i] : i) * rowSize;
    if (checkIds) {
      for (let j = from; j < from + rowSize; j++) {
        if (!Number.isInteger(x.data[j]))
          throw new ValueError(
            'x',
            `token id at flat index ${j} is not an integer`,
            'an integer id',
            x.data[j],
          );
      }
    }
    if (checkFinite) {
      // A tensor built with `new Tensor` skips tensor()'s checks; NaN must not reach the layers.
      for (let j = from; j < from + rowSize; j++) {
        if (!Number.isFinite(x.data[j]))
          throw new ValueError('x', `value at flat index ${j} is not finite`, 'a finite number', x.data[j]);
      }
    }
    data.set(x.data.subarray(from, from + rowSize), i * rowSize);
  }
  return { data, shape: [n, ...rowShape], mask: null };
}

/** The given rows of a tensor, as a new tensor [rows.length, …]. */
export function takeRows(t: Tensor, rows: readonly number[]): Tensor {
  const rowSize = t.shape.slice(1).reduce((a, b) => a * b, 1);
  const data =
    t.dtype === 'int32' ? new Int32Array(rows.length * rowSize) : new Float32Array(rows.length * rowSize);
  rows.forEach((r, i) => data.set(t.data.subarray(r * rowSize, (r + 1) * rowSize), i * rowSize));
  return new Tensor(data, [rows.length, ...t.shape.slice(1)]);
}

/** [start, start + 1, …, end − 1] */
export function range(start: number, end: number): number[] {
  const out: number[] = [];
  for (let i = start; i < end; i++) out.push(i);
  return out;
}

/** Checks an options object holding only `allowed` keys and returns its batchSize (default 32). */
export function checkBatchSize(label: string, options: object, allowed: readonly string[]): number {
  const batchSize = checkOptionKeys(label, options, allowed).batchSize ?? 32;
  if (typeof batchSize !== 'number' || !Number.isInteger(batchSize) || batchSize < 1) {
    throw new ConfigError(label, 'batchSize must be a positive integer', '≥ 1', String(batchSize));
  }
  return batchSize;
}
