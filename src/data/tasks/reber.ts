/**
 * The embedded Reber grammar (Hochreiter & Schmidhuber 1997, experiment 1; Cleeremans et al. 1989).
 *
 * Symbols B T P S X V E (one-hot, 7 inputs). The Reber grammar, state → symbol → state, each branch
 * with probability 0.5:
 *   0: B→1;  1: T→2 | P→3;  2: S→2 | X→4;  3: T→3 | V→5;  4: X→3 | S→6;  5: P→4 | V→6;  6: E→end
 * An embedded string is B, then T or P, then a Reber string, then the same T or P, then E: the
 * second-to-last symbol depends on the second, across the whole inner string.
 *
 * Input at step t is symbol t; the target is the set of symbols that may legally come next (multi-hot,
 * 7 outputs) — the last symbol E is not an input. Solved when, on every step of every string, the legal
 * next symbols are exactly the most active outputs (the k largest, k = how many are legal).
 */
import type { Random } from '../../random.js';
import { allocTaskData, type TaskData } from './taskData.js';

export const REBER_SYMBOLS = ['B', 'T', 'P', 'S', 'X', 'V', 'E'] as const;
export type ReberSymbol = (typeof REBER_SYMBOLS)[number];

/** state → [symbol, next state][]; the end is state −1. */
export const REBER_GRAMMAR: readonly (readonly [ReberSymbol, number][])[] = [
  [['B', 1]],
  [
    ['T', 2],
    ['P', 3],
  ],
  [
    ['S', 2],
    ['X', 4],
  ],
  [
    ['T', 3],
    ['V', 5],
  ],
  [
    ['X', 3],
    ['S', 6],
  ],
  [
    ['P', 4],
    ['V', 6],
  ],
  [['E', -1]],
];

/** One embedded Reber string, and after each symbol the set of legal next symbols. */
export function embeddedReberString(rng: Random): { symbols: ReberSymbol[]; legalNext: ReberSymbol[][] } {
  const outer: ReberSymbol = rng.uniform() < 0.5 ? 'T' : 'P';
  const symbols: ReberSymbol[] = ['B', outer];
  const legalNext: ReberSymbol[][] = [['T', 'P'], ['B']];
  let state = 0;
  while (state !== -1) {
    const branches = REBER_GRAMMAR[state];
    const [symbol, next] = branches.length === 1 ? branches[0] : branches[rng.int(2)];
    symbols.push(symbol);
    legalNext.push(next === -1 ? [outer] : REBER_GRAMMAR[next].map(([s]) => s));
    state = next;
  }
  symbols.push(outer, 'E');
  legalNext.push(['E'], []);
  return { symbols, legalNext };
}

/** N embedded strings as one-hot inputs (all but the final E) and multi-hot legal-next targets. */
export function embeddedReber(count: number, rng: Random): TaskData & { strings: string[] } {
  const strings = Array.from({ length: count }, () => embeddedReberString(rng));
  const lengths = Int32Array.from(strings, (s) => s.symbols.length - 1);
  const data = allocTaskData(lengths, 7, 7, 'every-step');
  strings.forEach(({ symbols, legalNext }, n) => {
    for (let t = 0; t < lengths[n]; t++) {
      const row = (n * data.T + t) * 7;
      data.x[row + REBER_SYMBOLS.indexOf(symbols[t])] = 1;
      for (const s of legalNext[t]) data.y[row + REBER_SYMBOLS.indexOf(s)] = 1;
    }
  });
  return { ...data, strings: strings.map((s) => s.symbols.join('')) };
}

/**
 * The paper's criterion on one dataset: at every real step, the outputs of the legal next symbols are
 * all larger than every other output. outputs: [N, T, 7] like data.y.
 */
export function reberSolved(outputs: ArrayLike<number>, data: TaskData): boolean {
  for (let n = 0; n < data.N; n++) {
    for (let t = 0; t < data.lengths[n]; t++) {
      const row = (n * data.T + t) * 7;
      let lowestLegal = Infinity;
      let highestIllegal = -Infinity;
      for (let k = 0; k < 7; k++) {
        if (data.y[row + k] === 1) lowestLegal = Math.min(lowestLegal, outputs[row + k]);
        else highestIllegal = Math.max(highestIllegal, outputs[row + k]);
      }
      if (!(lowestLegal > highestIllegal)) return false;
    }
  }
  return true;
}
