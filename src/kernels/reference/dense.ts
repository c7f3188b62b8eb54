/**
 * The dense (fully connected) layer's maths, forward and backward, on the last axis.
 *
 * Sizes: R = rows (every leading axis flattened: B, or B·T for a sequence), D = input features,
 * U = units.
 *
 *   z = x·W + b        x [R, D], W [D, U], b [U], z [R, U]
 *
 * The activation that follows is in `activations.ts`, so that a loss can fuse softmax or sigmoid with
 * its cross-entropy and take z directly.
 */
import { gemm, rowMajor, transposed, type Float } from './floats.js';

/** z [R, U] = x [R, D] · kernel [D, U] + bias [U] (no bias when `bias` is null). */
export function denseForward<F extends Float>(
  z: F,
  x: Readonly<Float>,
  kernel: Readonly<Float>,
  bias: Readonly<Float> | null,
  R: number,
  D: number,
  U: number,
): F {
  gemm(rowMajor(z, U), rowMajor(x as Float, D), rowMajor(kernel as Float, U), R, D, U, false);
  if (bias) {
    for (let r = 0; r < R; r++) for (let j = 0; j < U; j++) z[r * U + j] += bias[j];
  }
  return z;
}

/**
 * Given dz [R, U]: writes dx [R, D] = dz·Wᵀ (skipped when dx is null: a first layer needs no input
 * gradient) and ADDS dW [D, U] += xᵀ·dz and db [U] += Σ_rows dz.
 */
export function denseBackward(
  dx: Float | null,
  dKernel: Float,
  dBias: Float | null,
  dz: Readonly<Float>,
  x: Readonly<Float>,
  kernel: Readonly<Float>,
  R: number,
  D: number,
  U: number,
): void {
  gemm(rowMajor(dKernel, U), transposed(rowMajor(x as Float, D)), rowMajor(dz as Float, U), D, R, U, true);
  if (dBias) {
    for (let r = 0; r < R; r++) for (let j = 0; j < U; j++) dBias[j] += dz[r * U + j];
  }
  if (dx)
    gemm(rowMajor(dx, D), rowMajor(dz as Float, U), transposed(rowMajor(kernel as Float, U)), R, U, D, false);
}
