/**
 * Shared test helpers: random data and comparisons that report the worst element.
 */
import assert from 'node:assert/strict';
import { Random } from '../src/random.js';
import type { Float } from '../src/kernels/reference/floats.js';

export function randomArray(rng: Random, n: number, scale = 1, like: Float = new Float64Array(0)): Float {
  const a = like instanceof Float32Array ? new Float32Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = (2 * rng.uniform() - 1) * scale;
  return a;
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
