/**
 * The dense layer's multiplies: on the WebAssembly engine's matrix multiply when it is loaded, else the
 * reference kernels (`kernels/reference/dense.ts`, whose contract this keeps: forward writes z, backward
 * writes dx and ADDS into dW and db). Weights are views into the model's float32 arrays (typed as the
 * kernels' Float, which also admits float64 for gradient checks; the engine path needs float32).
 */
import { denseBackward, denseForward } from '../kernels/reference/dense.js';
import type { Float } from '../kernels/reference/floats.js';
import { gemm } from '../engine/gemm.js';
import { sharedEngine } from './backend.js';

/** z [R, U] = x [R, D] · kernel [D, U] + bias [U]. */
export function denseForwardOn(
  z: Float32Array,
  x: Readonly<Float32Array>,
  kernel: Readonly<Float>,
  bias: Readonly<Float> | null,
  R: number,
  D: number,
  U: number,
): Float32Array {
  const engine = sharedEngine();
  if (!engine || !(kernel instanceof Float32Array)) return denseForward(z, x, kernel, bias, R, D, U);
  gemm(engine, z, x, kernel, R, D, U);
  if (bias) for (let r = 0; r < R; r++) for (let j = 0; j < U; j++) z[r * U + j] += bias[j];
  return z;
}

/** dx [R, D] = dz·Wᵀ (when dx is given); dW [D, U] += xᵀ·dz; db [U] += Σ_rows dz. */
export function denseBackwardOn(
  dx: Float32Array | null,
  dKernel: Float,
  dBias: Float | null,
  dz: Readonly<Float32Array>,
  x: Readonly<Float32Array>,
  kernel: Readonly<Float>,
  R: number,
  D: number,
  U: number,
): void {
  const engine = sharedEngine();
  if (!engine || !(kernel instanceof Float32Array) || !(dKernel instanceof Float32Array)) {
    return denseBackward(dx, dKernel, dBias, dz, x, kernel, R, D, U);
  }
  gemm(engine, dKernel, x, dz, D, R, U, { transA: true, accumulate: true });
  if (dBias) for (let r = 0; r < R; r++) for (let j = 0; j < U; j++) dBias[j] += dz[r * U + j];
  if (dx) gemm(engine, dx, dz, kernel, R, U, D, { transB: true });
}
