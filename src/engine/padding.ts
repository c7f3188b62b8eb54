/**
 * Moving weights and states between the caller's layout (u units) and the engine's (U = u rounded up
 * to the vector width, gate blocks of U columns; the padding is zero and stays zero).
 */
import { ShapeError } from '../errors.js';

/** dst[dOff + q·U + j] = src[sOff + q·u + j] for each gate block q (a row of a [·, blocks·u] matrix). */
export function copyGateRow(
  dst: Float32Array,
  dOff: number,
  src: ArrayLike<number>,
  sOff: number,
  u: number,
  U: number,
  blocks: number,
): void {
  for (let q = 0; q < blocks; q++) {
    for (let j = 0; j < u; j++) dst[dOff + q * U + j] = src[sOff + q * u + j];
  }
}

/** dst[dOff + q·u + j] += src[sOff + q·U + j]: a padded gate row added into an unpadded one. */
export function addGateRow(
  dst: Float32Array | Float64Array,
  dOff: number,
  src: Float32Array,
  sOff: number,
  u: number,
  U: number,
  blocks: number,
): void {
  for (let q = 0; q < blocks; q++) {
    for (let j = 0; j < u; j++) dst[dOff + q * u + j] += src[sOff + q * U + j];
  }
}

/** B rows of u values from a [B, U] block starting at `offset`. */
export function unpadRows(src: Float32Array, offset: number, B: number, u: number, U: number): Float32Array {
  const out = new Float32Array(B * u);
  for (let b = 0; b < B; b++) out.set(src.subarray(offset + b * U, offset + b * U + u), b * u);
  return out;
}

export function checkFloat32(label: string, name: string, array: ArrayLike<number>): void {
  if (!(array instanceof Float32Array)) {
    throw new ShapeError(
      label,
      `${name} must be a Float32Array (the engine computes in float32)`,
      'Float32Array',
      array.constructor.name,
    );
  }
}
