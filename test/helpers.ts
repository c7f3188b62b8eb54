/**
 * Shared test helpers: random data and comparisons that report the worst element.
 */
import assert from 'node:assert/strict';
import { Random } from '../src/random.js';
import type { CellKernel, Params } from '../src/kernels/contract.js';
import type { Float } from '../src/kernels/reference/floats.js';

export function randomArray(rng: Random, n: number, scale = 1, like: Float = new Float64Array(0)): Float {
  const a = like instanceof Float32Array ? new Float32Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = (2 * rng.uniform() - 1) * scale;
  return a;
}

/**
 * Random float32 weights for every weight of a cell, uniform in ±scale; the layer norms' gains (gamma) around
 * 1, as a trained one's are.
 */
export function randomCellWeights(cell: CellKernel, rng: Random, scale = 0.5): Params {
  const p: Params = {};
  for (const w of cell.weights) {
    const n = w.shape.reduce((a, b) => a * b, 1);
    p[w.name] = Float32Array.from(randomArray(rng, n, scale));
    if (w.name.endsWith('amma')) for (let i = 0; i < n; i++) p[w.name][i] += 1;
  }
  return p;
}

/** The [T, B] mask of rows of these lengths, real steps first (padding at the end, as the layers pad). */
export function lengthsMask(lengths: readonly number[], T: number): Uint8Array {
  const B = lengths.length;
  const mask = new Uint8Array(T * B);
  for (let b = 0; b < B; b++) for (let t = 0; t < lengths[b]; t++) mask[t * B + b] = 1;
  return mask;
}

/** Worst relative difference |a − b| / max(|a|, |b|, floor), and where it is. */
export function worstRelative(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  floor: number,
): { error: number; index: number; a: number; b: number } {
  assert.equal(a.length, b.length, `lengths differ: ${a.length} vs ${b.length}`);
  let worst = { error: 0, index: -1, a: NaN, b: NaN };
  for (let i = 0; i < a.length; i++) {
    const error = Math.abs(a[i] - b[i]) / Math.max(Math.abs(a[i]), Math.abs(b[i]), floor);
    if (!(error <= worst.error)) worst = { error, index: i, a: a[i], b: b[i] };
  }
  return worst;
}

/** Fails with the worst index and both values when any element differs by more than `tolerance`. */
export function assertClose(
  what: string,
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tolerance: number,
  floor = 1,
): void {
  const w = worstRelative(actual, expected, floor);
  assert.ok(
    w.error <= tolerance,
    `${what}: relative error ${w.error.toExponential(2)} > ${tolerance} at [${w.index}]: ${w.a} vs ${w.b}`,
  );
}

export function allFinite(a: ArrayLike<number>): boolean {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return false;
  return true;
}

/** Fails at the first element whose bits differ, with its index and both values. */
export function assertSameBits(
  what: string,
  actual: Float32Array | null,
  expected: Float32Array | null,
): void {
  assert.equal(actual === null, expected === null, `${what}: one is null`);
  if (!actual || !expected) return;
  assert.equal(actual.length, expected.length, `${what}: lengths`);
  const a = new Uint32Array(actual.buffer, actual.byteOffset, actual.length);
  const e = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== e[i]) assert.fail(`${what}: differs at [${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}
