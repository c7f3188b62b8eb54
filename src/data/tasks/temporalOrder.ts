/**
 * The temporal-order problems (Hochreiter & Schmidhuber 1997, experiments 6a and 6b).
 *
 * Symbols a b c d X Y B E (one-hot, 8 inputs). A sequence starts with E and ends with B; every other
 * position holds a random one of a b c d, except the relevant positions, which hold X or Y:
 *   6a: length 100–110, positions t1 ∈ [10, 20], t2 ∈ [50, 60]            → 4 classes (XX XY YX YY)
 *   6b: length 100–110, positions t1 ∈ [10, 20], t2 ∈ [33, 43], t3 ∈ [66, 76] → 8 classes
 * The class (one-hot) is the target at the end. Solved when every output's final absolute error is below
 * 0.3 on every test sequence.
 */
import type { Random } from '../../random.js';
import { allocTaskData, type TaskData } from './taskData.js';

export const TEMPORAL_SYMBOLS = ['a', 'b', 'c', 'd', 'X', 'Y', 'B', 'E'] as const;
export const TEMPORAL_ORDER_TOLERANCE = 0.3;

/** Where each variant puts its two (6a) or three (6b) relevant symbols: [first, last] time steps. */
export const POSITIONS = {
  '6a': [
    [10, 20],
    [50, 60],
  ],
  '6b': [
    [10, 20],
    [33, 43],
    [66, 76],
  ],
} as const;

export type TemporalOrderVariant = keyof typeof POSITIONS;

export function temporalOrder(count: number, variant: TemporalOrderVariant, rng: Random): TaskData {
  const ranges = POSITIONS[variant];
  const classes = 2 ** ranges.length;
  const lengths = new Int32Array(count);
  for (let n = 0; n < count; n++) lengths[n] = 100 + rng.int(11);
  const data = allocTaskData(lengths, 8, classes, 'end');
  const symbol = (n: number, t: number, s: (typeof TEMPORAL_SYMBOLS)[number]) => {
    data.x[(n * data.T + t) * 8 + TEMPORAL_SYMBOLS.indexOf(s)] = 1;
  };
  for (let n = 0; n < count; n++) {
    const L = lengths[n];
    const relevant = new Map<number, 'X' | 'Y'>();
    let label = 0;
    for (const [lo, hi] of ranges) {
      const isY = rng.uniform() < 0.5;
      relevant.set(lo + rng.int(hi - lo + 1), isY ? 'Y' : 'X');
      label = 2 * label + Number(isY); // X…X = class 0, the first position most significant
    }
    for (let t = 0; t < L; t++) {
      if (t === 0) symbol(n, t, 'E');
      else if (t === L - 1) symbol(n, t, 'B');
      else symbol(n, t, relevant.get(t) ?? TEMPORAL_SYMBOLS[rng.int(4)]);
    }
    data.y[n * classes + label] = 1;
  }
  return data;
}

/** Every output within 0.3 of its target on every sequence. outputs: [N, K] like data.y. */
export function temporalOrderSolved(outputs: ArrayLike<number>, data: TaskData): boolean {
  for (let i = 0; i < data.y.length; i++) {
    if (!(Math.abs(outputs[i] - data.y[i]) < TEMPORAL_ORDER_TOLERANCE)) return false;
  }
  return true;
}
