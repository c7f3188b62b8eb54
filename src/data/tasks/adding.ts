/**
 * The adding problem, in the 1997 form (Hochreiter & Schmidhuber, experiment 4) and the modern form.
 *
 * 1997: each step is a pair (value ∈ U[−1, 1], marker ∈ {−1, 0, 1}); lengths uniform in [T, T + T/10].
 * One of the first 10 pairs is marked (X1), then one of the first T/2 − 1 still-unmarked pairs (X2);
 * the first and last pairs carry the marker −1 unless marked. If the first pair is marked its value is
 * set to zero (the paper's rule). Target at the end: 0.5 + (X1 + X2) / 4.
 * Solved: absolute error < 0.04 on all but at most 1 of the test sequences (2,560 in the paper).
 *
 * Modern form (e.g. Le et al. 2015): length exactly T, values U[0, 1], one marker 1 in each half, target
 * X1 + X2. Always answering 1 gives MSE = Var(X1 + X2) = 1/6 ≈ 0.167, the baseline to beat.
 *
 * The multiplication problem (experiment 5) is the 1997 form with values in U[0, 1] and target X1 · X2.
 */
import type { Random } from '../../random.js';
import { allocTaskData, type TaskData } from './taskData.js';

export const ADDING_TOLERANCE = 0.04;
export const MODERN_ADDING_BASELINE_MSE = 1 / 6;

/** The 1997 sequences shared by adding and multiplication; `combine` makes the target. */
function markedPairs(
  count: number,
  T: number,
  rng: Random,
  valueRange: 'symmetric' | 'unit',
  combine: (x1: number, x2: number) => number,
): TaskData {
  if (!Number.isInteger(T) || T < 20) throw new RangeError(`adding: T must be an integer ≥ 20, got ${T}`);
  const lengths = new Int32Array(count);
  const extra = Math.floor(T / 10);
  for (let n = 0; n < count; n++) lengths[n] = T + rng.int(extra + 1);
  const data = allocTaskData(lengths, 2, 1, 'end');
  const { x, y, T: width } = data;
  for (let n = 0; n < count; n++) {
    const L = lengths[n];
    const row = (t: number) => (n * width + t) * 2;
    for (let t = 0; t < L; t++)
      x[row(t)] = valueRange === 'symmetric' ? 2 * rng.uniform() - 1 : rng.uniform();
    x[row(0) + 1] = -1;
    x[row(L - 1) + 1] = -1;
    const first = rng.int(10);
    // One of the T/2 − 1 still-unmarked pairs among the first T/2.
    let second = rng.int(Math.floor(T / 2) - 1);
    if (second >= first) second += 1;
    for (const t of [first, second]) {
      x[row(t) + 1] = 1;
      if (t === 0) x[row(t)] = 0;
    }
    y[n] = combine(x[row(first)], x[row(second)]);
  }
  return data;
}

export function addingProblem(count: number, T: number, rng: Random): TaskData {
  return markedPairs(count, T, rng, 'symmetric', (a, b) => 0.5 + (a + b) / 4);
}

export function multiplicationProblem(count: number, T: number, rng: Random): TaskData {
  return markedPairs(count, T, rng, 'unit', (a, b) => a * b);
}

export function modernAddingProblem(count: number, T: number, rng: Random): TaskData {
  if (!Number.isInteger(T) || T < 2) throw new RangeError(`adding: T must be an integer ≥ 2, got ${T}`);
  const data = allocTaskData(new Int32Array(count).fill(T), 2, 1, 'end');
  const { x, y } = data;
  const half = Math.floor(T / 2);
  for (let n = 0; n < count; n++) {
    for (let t = 0; t < T; t++) x[(n * T + t) * 2] = rng.uniform();
    const first = rng.int(half);
    const second = half + rng.int(T - half);
    x[(n * T + first) * 2 + 1] = 1;
    x[(n * T + second) * 2 + 1] = 1;
    y[n] = x[(n * T + first) * 2] + x[(n * T + second) * 2];
  }
  return data;
}

/** Sequences whose absolute error is at least the tolerance. predictions, targets: [N] */
export function countWrong(
  predictions: ArrayLike<number>,
  targets: ArrayLike<number>,
  tolerance = ADDING_TOLERANCE,
) {
  let wrong = 0;
  for (let n = 0; n < targets.length; n++) if (!(Math.abs(predictions[n] - targets[n]) < tolerance)) wrong++;
  return wrong;
}

/** The paper's criterion for adding: all but at most one test sequence within 0.04. */
export function addingSolved(predictions: ArrayLike<number>, targets: ArrayLike<number>): boolean {
  return countWrong(predictions, targets) <= 1;
}
