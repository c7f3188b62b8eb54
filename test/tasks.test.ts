/**
 * The task generators against their definitions (Hochreiter & Schmidhuber 1997; the copy task of
 * Arjovsky et al. 2016): positions, grammar, targets, label balance, and the success criteria.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  addingProblem,
  addingSolved,
  copyBaselineNats,
  copyTask,
  embeddedReber,
  modernAddingProblem,
  multiplicationProblem,
  REBER_SYMBOLS,
  reberSolved,
  temporalOrder,
  temporalOrderSolved,
  TEMPORAL_SYMBOLS,
} from '../src/data/tasks/index.js';
import type { TaskData } from '../src/data/tasks/taskData.js';
import { TASKS } from '../src/experiments/taskSuite.js';
import { Random } from '../src/random.js';

/** The symbol index at (n, t) of one-hot data. */
function symbolAt(d: TaskData, n: number, t: number): number {
  const row = (n * d.T + t) * d.inputDim;
  let found = -1;
  for (let k = 0; k < d.inputDim; k++) {
    if (d.x[row + k] === 1) {
      assert.equal(found, -1, `two hot inputs at (${n}, ${t})`);
      found = k;
    }
  }
  return found;
}

describe('adding (1997 form) and multiplication', () => {
  const T = 100;
  for (const [name, make, lo, combine] of [
    ['adding', addingProblem, -1, (a: number, b: number) => 0.5 + (a + b) / 4],
    ['multiplication', multiplicationProblem, 0, (a: number, b: number) => a * b],
  ] as const) {
    it(`${name}: lengths, markers, values and target as defined`, () => {
      const d = make(2000, T, new Random(1));
      const firstPositions = new Set<number>();
      let firstMarked = 0;
      for (let n = 0; n < d.N; n++) {
        const L = d.lengths[n];
        assert.ok(L >= T && L <= T + T / 10, `length ${L}`);
        const marked: number[] = [];
        for (let t = 0; t < d.T; t++) {
          const [value, marker] = [d.x[(n * d.T + t) * 2], d.x[(n * d.T + t) * 2 + 1]];
          if (t >= L) {
            assert.ok(value === 0 && marker === 0 && d.mask[n * d.T + t] === 0, 'padding is zero and masked');
            continue;
          }
          assert.equal(d.mask[n * d.T + t], 1);
          assert.ok(value >= lo && value <= 1, `value ${value}`);
          if (marker === 1) marked.push(t);
          else if (t === 0 || t === L - 1) assert.equal(marker, -1, `end marker at ${t}`);
          else assert.equal(marker, 0);
        }
        assert.equal(marked.length, 2, 'exactly two marked pairs');
        assert.ok(marked[0] < 10 || marked[1] < 10, 'one marked pair among the first 10');
        assert.ok(marked[1] < T / 2, 'both before T/2');
        if (marked[0] === 0) {
          firstMarked++;
          assert.equal(d.x[n * d.T * 2], 0, 'a marked first pair has value 0');
        }
        marked.forEach((t) => t < 10 && firstPositions.add(t));
        const [x1, x2] = marked.map((t) => d.x[(n * d.T + t) * 2]);
        assert.ok(Math.abs(d.y[n] - combine(x1, x2)) < 1e-6, 'target');
      }
      assert.equal(firstPositions.size, 10, 'all of the first 10 positions get marked');
      assert.ok(firstMarked > 0 && firstMarked < d.N / 5);
    });
  }
  it('the criterion: all but at most one within 0.04', () => {
    const targets = [0.1, 0.5, 0.9, 0.3];
    assert.ok(addingSolved([0.13, 0.5, 0.9, 0.3], targets));
    assert.ok(addingSolved([0.15, 0.5, 0.9, 0.3], targets), 'one wrong is allowed');
    assert.ok(!addingSolved([0.15, 0.55, 0.9, 0.3], targets), 'two wrong is not');
    assert.ok(!addingSolved([NaN, NaN, 0.9, 0.3], targets), 'NaN is wrong');
  });
});

describe('adding (modern form)', () => {
  it('one marker in each half, target the sum, baseline MSE 1/6', () => {
    const T = 51;
    const d = modernAddingProblem(20000, T, new Random(2));
    let mse = 0;
    for (let n = 0; n < d.N; n++) {
      const marked: number[] = [];
      for (let t = 0; t < T; t++) if (d.x[(n * T + t) * 2 + 1] === 1) marked.push(t);
      assert.equal(marked.length, 2);
      assert.ok(marked[0] < Math.floor(T / 2) && marked[1] >= Math.floor(T / 2), `markers ${marked}`);
      const sum = d.x[(n * T + marked[0]) * 2] + d.x[(n * T + marked[1]) * 2];
      assert.ok(Math.abs(d.y[n] - sum) < 1e-6);
      mse += (d.y[n] - 1) ** 2 / d.N;
    }
    assert.ok(Math.abs(mse - 1 / 6) < 0.01, `baseline MSE ${mse}`);
  });
});

describe('embedded Reber grammar', () => {
  const GRAMMAR: Record<number, Record<string, number>> = {
    1: { T: 2, P: 3 },
    2: { S: 2, X: 4 },
    3: { T: 3, V: 5 },
    4: { X: 3, S: 6 },
    5: { P: 4, V: 6 },
    6: { E: -1 },
  };
  /** An independent acceptor: B (T|P) B <Reber body> E (same T|P) E. */
  function accepts(s: string): boolean {
    if (s[0] !== 'B' || !'TP'.includes(s[1]) || s[2] !== 'B') return false;
    if (s.at(-1) !== 'E' || s.at(-2) !== s[1]) return false;
    let state = 1;
    for (const c of s.slice(3, -2)) {
      const next = GRAMMAR[state]?.[c];
      if (next === undefined) return false;
      state = next;
    }
    return state === -1;
  }

  it('every string is grammatical; T and P are balanced; targets are the legal next symbols', () => {
    const d = embeddedReber(2000, new Random(3));
    let outerT = 0;
    for (let n = 0; n < d.N; n++) {
      const s = d.strings[n];
      assert.ok(accepts(s), `ungrammatical: ${s}`);
      if (s[1] === 'T') outerT++;
      assert.equal(d.lengths[n], s.length - 1, 'the final E is not an input');
      for (let t = 0; t < d.lengths[n]; t++) {
        assert.equal(REBER_SYMBOLS[symbolAt(d, n, t)], s[t]);
        // The next symbol actually taken is always among the legal ones.
        assert.equal(d.y[(n * d.T + t) * 7 + REBER_SYMBOLS.indexOf(s[t + 1] as 'B')], 1);
      }
      // The long-range dependency: after the inner E, only the outer symbol is legal.
      const afterInnerE = s.length - 3;
      const legal = REBER_SYMBOLS.filter((_, k) => d.y[(n * d.T + afterInnerE) * 7 + k] === 1);
      assert.deepEqual(legal, [s[1]]);
    }
    assert.ok(Math.abs(outerT / d.N - 0.5) < 0.05, `T share ${outerT / d.N}`);
  });
  it('the criterion accepts the true sets and rejects a wrong ranking', () => {
    const d = embeddedReber(20, new Random(4));
    assert.ok(reberSolved(d.y, d));
    const wrong = d.y.slice();
    wrong[(0 * d.T + d.lengths[0] - 2) * 7 + REBER_SYMBOLS.indexOf('T')] = 1;
    wrong[(0 * d.T + d.lengths[0] - 2) * 7 + REBER_SYMBOLS.indexOf('P')] = 1;
    assert.ok(!reberSolved(wrong, d), 'both T and P active where only one is legal');
  });
});

describe('temporal order', () => {
  for (const [variant, ranges] of [
    [
      '6a',
      [
        [10, 20],
        [50, 60],
      ],
    ],
    [
      '6b',
      [
        [10, 20],
        [33, 43],
        [66, 76],
      ],
    ],
  ] as const) {
    it(`${variant}: E first, B last, X/Y only at the relevant positions, balanced classes`, () => {
      const d = temporalOrder(4000, variant, new Random(5));
      const classes = 2 ** ranges.length;
      const counts = new Array<number>(classes).fill(0);
      for (let n = 0; n < d.N; n++) {
        const L = d.lengths[n];
        assert.ok(L >= 100 && L <= 110);
        const symbols = Array.from({ length: L }, (_, t) => TEMPORAL_SYMBOLS[symbolAt(d, n, t)]);
        assert.equal(symbols[0], 'E');
        assert.equal(symbols[L - 1], 'B');
        const relevant = symbols.flatMap((s, t) => (s === 'X' || s === 'Y' ? [[t, s] as const] : []));
        assert.equal(relevant.length, ranges.length);
        relevant.forEach(([t], k) => assert.ok(t >= ranges[k][0] && t <= ranges[k][1], `position ${t}`));
        for (const s of symbols.slice(1, -1)) assert.ok('abcdXY'.includes(s));
        const label = relevant.reduce((acc, [, s]) => 2 * acc + Number(s === 'Y'), 0);
        const hot = [...d.y.subarray(n * classes, (n + 1) * classes)];
        assert.deepEqual(
          hot,
          hot.map((_, k) => (k === label ? 1 : 0)),
        );
        counts[label]++;
      }
      for (const c of counts) assert.ok(Math.abs(c / d.N - 1 / classes) < 0.03, `class share ${c / d.N}`);
    });
  }
  it('the criterion: every output within 0.3', () => {
    const d = temporalOrder(10, '6a', new Random(6));
    const close = d.y.map((v) => (v === 1 ? 0.75 : 0.25));
    assert.ok(temporalOrderSolved(close, d));
    close[3] = close[3] === 0.75 ? 0.69 : 0.31;
    assert.ok(!temporalOrderSolved(close, d));
  });
});

describe('copy', () => {
  it('10 symbols, T − 1 blanks, the delimiter, 10 blanks; the targets repeat the symbols at the end', () => {
    const T = 37;
    const d = copyTask(200, T, new Random(7));
    assert.equal(d.T, T + 20);
    for (let n = 0; n < d.N; n++) {
      const input = Array.from({ length: d.T }, (_, t) => symbolAt(d, n, t));
      const target = Array.from({ length: d.T }, (_, t) =>
        d.y.subarray((n * d.T + t) * 9, (n * d.T + t + 1) * 9).indexOf(1),
      );
      const symbols = input.slice(0, 10);
      assert.ok(symbols.every((s) => s >= 1 && s <= 8));
      assert.deepEqual(input.slice(10), [...new Array(T - 1).fill(0), 9, ...new Array(10).fill(0)]);
      assert.deepEqual(target, [...new Array(T + 10).fill(0), ...symbols]);
    }
    assert.ok(Math.abs(copyBaselineNats(100) - (10 * Math.log(8)) / 120) < 1e-12);
  });
});

it('the same seed gives the same data', () => {
  assert.deepEqual(embeddedReber(30, new Random(9)).x, embeddedReber(30, new Random(9)).x);
  assert.deepEqual(addingProblem(30, 50, new Random(9)).x, addingProblem(30, 50, new Random(9)).x);
});

describe("each task's declared lag is the one its generator makes", () => {
  /** Per sequence: the first input the answer depends on, and the step that answers (its own rules). */
  function firstRelevantAndAnswer(name: string, d: TaskData, n: number): [number, number] {
    const L = d.lengths[n];
    const first = (isRelevant: (t: number) => boolean): number => {
      for (let t = 0; t < L; t++) if (isRelevant(t)) return t;
      throw new Error(`${name}: sequence ${n} has no relevant input`);
    };
    if (name.startsWith('adding') || name.startsWith('multiplication')) {
      // The marker (second input) is 1 on the two values to combine; the answer is the last step's.
      return [first((t) => d.x[(n * d.T + t) * 2 + 1] === 1), L - 1];
    }
    if (name.startsWith('temporal-order')) {
      const relevant = [TEMPORAL_SYMBOLS.indexOf('X'), TEMPORAL_SYMBOLS.indexOf('Y')];
      return [first((t) => relevant.includes(symbolAt(d, n, t))), L - 1];
    }
    // Copy: the first symbol, at step 0, is recalled at the first of the last 10 steps.
    if (name.startsWith('copy')) return [0, L - 10];
    // Embedded Reber: the second symbol (T or P) is predicted again at the step whose input is the inner
    // string's E, the second-to-last input (the final E is not an input).
    assert.equal(name, 'embedded-reber');
    return [1, L - 2];
  }

  for (const task of TASKS) {
    it(`${task.name}: ${task.lag.min}–${task.lag.max ?? '∞'} steps`, () => {
      const d = task.generate(4000, new Random(31));
      let min = Infinity;
      let max = -Infinity;
      for (let n = 0; n < d.N; n++) {
        const [from, to] = firstRelevantAndAnswer(task.name, d, n);
        min = Math.min(min, to - from);
        max = Math.max(max, to - from);
      }
      assert.equal(min, task.lag.min, 'the shortest lag');
      if (task.lag.max === null) assert.ok(max > task.lag.min, 'no bound: longer lags occur');
      else assert.equal(max, task.lag.max, 'the longest lag');
    });
  }
});
