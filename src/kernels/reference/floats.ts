/**
 * The array type of the reference kernels and the one matrix multiply they all use.
 *
 * The reference kernels run in float64 (for finite-difference checks) or float32 (what training uses):
 * the precision is that of the arrays passed in, and every buffer a kernel allocates copies it.
 */
import type { Float } from '../contract.js';

export type { Float };

/** A new zeroed array of `length` elements with the same precision as `like`. */
export function allocLike(like: Float, length: number): Float {
  return like instanceof Float64Array ? new Float64Array(length) : new Float32Array(length);
}

/**
 * A matrix view into a flat array: element (r, c) is `data[offset + r * rowStride + c * colStride]`.
 * Transposes and column blocks of a packed weight matrix are views, not copies.
 */
export interface MatrixView {
  readonly data: Float;
  readonly offset: number;
  readonly rowStride: number;
  readonly colStride: number;
}

/** A row-major matrix with `columns` columns starting at `offset`. */
export function rowMajor(data: Float, columns: number, offset = 0): MatrixView {
  return { data, offset, rowStride: columns, colStride: 1 };
}

/** The transpose of a view (no copy). */
export function transposed(m: MatrixView): MatrixView {
  return { data: m.data, offset: m.offset, rowStride: m.colStride, colStride: m.rowStride };
}

/** Columns [first, first + n) of a view (no copy; the caller keeps track of n). */
export function columnBlock(m: MatrixView, first: number): MatrixView {
  return { ...m, offset: m.offset + first * m.colStride };
}

/**
 * out[M, N] = a[M, K] · b[K, N], or out += a · b when `accumulate`.
 * The plain triple loop, accumulating in float64: the algorithmic reference every fast multiply is
 * tested against.
 */
export function gemm(
  out: MatrixView,
  a: MatrixView,
  b: MatrixView,
  M: number,
  K: number,
  N: number,
  accumulate: boolean,
): void {
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let sum = 0;
      for (let k = 0; k < K; k++) {
        sum +=
          a.data[a.offset + m * a.rowStride + k * a.colStride] *
          b.data[b.offset + k * b.rowStride + n * b.colStride];
      }
      const o = out.offset + m * out.rowStride + n * out.colStride;
      out.data[o] = accumulate ? out.data[o] + sum : sum;
    }
  }
}

export function sigmoid(x: number): number {
  // Written so that neither branch overflows: exp of a large positive number is never taken.
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/**
 * TensorFlow.js' (and Keras 2's) hard sigmoid: max(0, min(1, 0.2·x + 0.5)). Not Keras 3's hard_sigmoid,
 * relu6(x + 3)/6, whose slope is 1/6.
 */
export function hardSigmoid(x: number): number {
  return Math.max(0, Math.min(1, 0.2 * x + 0.5));
}

/** A new array h ⊙ m, elementwise (recurrent dropout's view of h_{t−1}). */
export function masked(h: Readonly<Float>, m: Readonly<Float>): Float {
  const out = allocLike(h as Float, h.length);
  for (let n = 0; n < h.length; n++) out[n] = h[n] * m[n];
  return out;
}
