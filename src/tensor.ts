/**
 * Tensors as users pass them in and get them back: a flat row-major array with a shape.
 *
 * Two kinds, as in TensorFlow.js: 'float32' (a Float32Array: features, targets, predictions) and 'int32'
 * (an Int32Array: token ids for an embedding layer, class indices for sparse targets). A tensor is an
 * immutable value: the library never writes into a tensor it was given, and every tensor it returns owns
 * its data.
 */
import { ShapeError, ValueError } from './errors.js';

export type DType = 'float32' | 'int32';
export type TensorData = Float32Array | Int32Array;
/** Nested arrays of numbers, e.g. [[1, 2], [3, 4]]. */
export type NestedArray = number | readonly NestedArray[];

export class Tensor {
  readonly shape: readonly number[];
  readonly dtype: DType;
  /** Row-major values: element [i, j] of a [R, C] tensor is data[i * C + j]. */
  readonly data: TensorData;

  /** Wraps `data` (not copied) with a shape; `tensor()` also checks and converts values. */
  constructor(data: TensorData, shape: readonly number[]) {
    if (!(data instanceof Float32Array || data instanceof Int32Array)) {
      throw new ShapeError(
        'Tensor',
        'data must be a Float32Array or an Int32Array',
        'a typed array',
        String(data),
      );
    }
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new ShapeError('Tensor', 'shape must hold non-negative integers', 'integers ≥ 0', String(shape));
    }
    const size = shape.reduce((a, b) => a * b, 1);
    if (size !== data.length) {
      throw new ShapeError('Tensor', `shape [${shape.join(', ')}] does not fit the data`, size, data.length);
    }
    this.data = data;
    this.shape = Object.freeze([...shape]);
    this.dtype = data instanceof Int32Array ? 'int32' : 'float32';
  }

  /** Number of elements. */
  get size(): number {
    return this.data.length;
  }

  get rank(): number {
    return this.shape.length;
  }

  /** The values as nested arrays of numbers (a plain number for a scalar). */
  arraySync(): NestedArray {
    if (this.shape.length === 0) return this.data[0];
    const build = (axis: number, offset: number): NestedArray[] => {
      const n = this.shape[axis];
      const stride = this.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
      const out: NestedArray[] = [];
      for (let i = 0; i < n; i++) {
        out.push(
          axis === this.shape.length - 1 ? this.data[offset + i] : build(axis + 1, offset + i * stride),
        );
      }
      return out;
    };
    return build(0, 0);
  }

  toString(): string {
    return `Tensor ${this.dtype} [${this.shape.join(', ')}]`;
  }
}

/**
 * A tensor from nested arrays (`tensor([[1, 2], [3, 4]])`) or from a flat array and a shape
 * (`tensor(new Float32Array(6), [2, 3])`). dtype 'int32' requires integers; 'float32' requires finite
 * numbers.
 */
export function tensor(
  values: NestedArray | ArrayLike<number>,
  shape?: readonly number[],
  dtype: DType = 'float32',
): Tensor {
  const subject = 'tensor';
  if (dtype !== 'float32' && dtype !== 'int32') {
    throw new ValueError(subject, 'dtype is not supported', "'float32' or 'int32'", String(dtype));
  }
  let flat: ArrayLike<number>;
  let inferred: number[];
  if (typeof values === 'number') {
    flat = [values];
    inferred = [];
  } else if (ArrayBuffer.isView(values) || !Array.isArray(values)) {
    // A typed array (or array-like): flat values; the shape defaults to [length].
    flat = values as ArrayLike<number>;
    inferred = [flat.length];
  } else {
    inferred = inferShape(values as readonly NestedArray[]);
    flat = flatten(values as readonly NestedArray[], inferred);
  }
  const finalShape = shape ? [...shape] : inferred;
  for (const d of finalShape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new ShapeError(subject, 'shape must hold non-negative integers', 'integers ≥ 0', finalShape);
    }
  }
  const size = finalShape.reduce((a, b) => a * b, 1);
  if (size !== flat.length) {
    throw new ShapeError(
      subject,
      `shape [${finalShape.join(', ')}] does not fit the values`,
      size,
      flat.length,
    );
  }
  const data = dtype === 'int32' ? new Int32Array(size) : new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const v = flat[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new ValueError(subject, `value ${i} is not a finite number`, 'a finite number', v);
    }
    if (dtype === 'int32' && (!Number.isInteger(v) || v < -2147483648 || v > 2147483647)) {
      throw new ValueError(subject, `value ${i} is not a 32-bit integer (dtype 'int32')`, 'an integer', v);
    }
    data[i] = v;
  }
  return new Tensor(data, finalShape);
}

function inferShape(values: readonly NestedArray[]): number[] {
  const shape: number[] = [];
  let level: NestedArray = values;
  while (Array.isArray(level)) {
    shape.push(level.length);
    if (level.length === 0) break;
    level = level[0];
  }
  return shape;
}

function flatten(values: readonly NestedArray[], shape: readonly number[]): number[] {
  const out: number[] = [];
  const walk = (v: NestedArray, axis: number, path: string): void => {
    if (axis === shape.length) {
      if (Array.isArray(v)) {
        throw new ShapeError('tensor', `ragged nested array at ${path}`, 'a number', 'an array');
      }
      out.push(v as number);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[axis]) {
      const got = Array.isArray(v) ? `${v.length} elements` : 'a number';
      throw new ShapeError('tensor', `ragged nested array at ${path}`, `${shape[axis]} elements`, got);
    }
    for (let i = 0; i < v.length; i++) walk(v[i], axis + 1, `${path}[${i}]`);
  };
  walk(values, 0, 'values');
  return out;
}

/** Accepts a Tensor or nested arrays (as Keras accepts NumPy arrays or lists); `what` names the argument. */
export function asTensor(value: unknown, what: string, dtype: DType = 'float32'): Tensor {
  if (value instanceof Tensor) return value;
  if (Array.isArray(value)) return tensor(value as NestedArray[], undefined, dtype);
  throw new ValueError(what, 'must be a Tensor (see nl.tensor) or nested arrays', 'a Tensor', typeof value);
}

/**
 * The index of the largest value along `axis` (default −1, the last), as an int32 tensor without that
 * axis (TensorFlow.js' `tf.argMax`): class indices from probabilities or logits. Ties go to the first
 * index; a NaN is an error rather than an index.
 */
export function argMax(x: unknown, axis = -1): Tensor {
  const t = asTensor(x, 'argMax: x');
  if (t.rank < 1) throw new ShapeError('argMax: x', 'must have at least one axis', 'rank ≥ 1', 0);
  if (!Number.isInteger(axis) || axis < -t.rank || axis >= t.rank) {
    throw new ShapeError('argMax: axis', 'is out of range', `an integer in ${-t.rank} … ${t.rank - 1}`, axis);
  }
  const a = axis < 0 ? axis + t.rank : axis;
  const n = t.shape[a];
  if (n === 0) throw new ShapeError('argMax: x', `axis ${a} is empty`, '≥ 1', 0);
  const outer = t.shape.slice(0, a).reduce((p, d) => p * d, 1);
  const inner = t.shape.slice(a + 1).reduce((p, d) => p * d, 1);
  const out = new Int32Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let best = 0;
      let bestValue = -Infinity;
      for (let k = 0; k < n; k++) {
        const v = t.data[(o * n + k) * inner + i];
        if (Number.isNaN(v)) {
          throw new ValueError(
            'argMax: x',
            `value at flat index ${(o * n + k) * inner + i} is NaN`,
            'a number',
            v,
          );
        }
        if (v > bestValue || k === 0) {
          best = k;
          bestValue = v;
        }
      }
      out[o * inner + i] = best;
    }
  }
  return new Tensor(out, [...t.shape.slice(0, a), ...t.shape.slice(a + 1)]);
}
