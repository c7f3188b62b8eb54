/**
 * Per-step arrays between the caller's time order and the engine's processing order: the k-th step
 * processed is time t = k, or t = T−1−k with `reverse`. Inside WebAssembly memory everything is in
 * processing order, so the kernels never see the direction; rows there may be padded (row stride ≥ width).
 */
import type { Float } from '../kernels/reference/floats.js';

/** dst (processing order, row stride `stride`) ← src [T, rows, width] (time order). */
export function rowsIn(
  dst: Float32Array,
  src: Readonly<Float>,
  T: number,
  rows: number,
  width: number,
  stride: number,
  reverse: boolean,
): void {
  for (let k = 0; k < T; k++) {
    const t = reverse ? T - 1 - k : k;
    if (stride === width) {
      dst.set(src.subarray(t * rows * width, (t + 1) * rows * width), k * rows * width);
      continue;
    }
    for (let r = 0; r < rows; r++) {
      const s = (t * rows + r) * width;
      dst.set(src.subarray(s, s + width), (k * rows + r) * stride);
    }
  }
}

/**
 * dst [T, rows, width] (time order) ← src from `offset` (processing order, row stride `stride`). Rows the
 * mask ([T, rows], time order) marks as padding are skipped: they keep what dst holds (zeros, fresh).
 */
export function rowsOut(
  dst: Float32Array,
  src: Float32Array,
  offset: number,
  T: number,
  rows: number,
  width: number,
  stride: number,
  reverse: boolean,
  mask: Uint8Array | null,
): void {
  for (let k = 0; k < T; k++) {
    const t = reverse ? T - 1 - k : k;
    if (!mask && stride === width) {
      const s = offset + k * rows * width;
      dst.set(src.subarray(s, s + rows * width), t * rows * width);
      continue;
    }
    for (let r = 0; r < rows; r++) {
      if (mask && mask[t * rows + r] === 0) continue;
      const s = offset + (k * rows + r) * stride;
      dst.set(src.subarray(s, s + width), (t * rows + r) * width);
    }
  }
}

/** dst (processing order) ← mask [T, B] (time order). */
export function maskIn(dst: Uint8Array, mask: Uint8Array, T: number, B: number, reverse: boolean): void {
  for (let k = 0; k < T; k++) {
    const t = reverse ? T - 1 - k : k;
    dst.set(mask.subarray(t * B, (t + 1) * B), k * B);
  }
}
