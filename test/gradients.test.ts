/**
 * Float64 finite-difference checks of every backward pass: loss = Σ h⊙R₁ + Σ h_T⊙R₂ + Σ c_T⊙R₃ with random
 * R and random weights, for every parameter, x, h0 and c0, with masks and in reverse — on odd sizes so a
 * transposed or shifted index cannot pass. With a recurrent dropout mask too (zeros and distinct scales).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gruCell, lstmCell } from '../src/cells.js';
import type { CellKernel, Params } from '../src/kernels/contract.js';
import type { Float } from '../src/kernels/reference/floats.js';
import { recurrentBackward, recurrentForward, zeroGradients } from '../src/kernels/reference/recurrence.js';
import { Random } from '../src/random.js';
import { CELL_CASES } from './cases.js';
import { assertClose, randomArray, worstRelative } from './helpers.js';

const B = 3;
const T = 7;
const D = 5;
const U = 4;
/** Central-difference step; with float64 its truncation and rounding errors are both near 1e-10. */
const STEP = 1e-5;
/** Gradients smaller than this are compared absolutely (relative error of a near-zero value is noise). */
const FLOOR = 1e-3;
const MAX_RELATIVE_ERROR = 1e-6;
/** Summing per-step terms twice differs from doubling the sum only by float64 rounding. */
const ACCUMULATION_TOLERANCE = 1e-12;

interface Problem {
  cell: CellKernel;
  p: Params;
  x: Float;
  h0: Float;
  c0: Float | null;
  mask: Uint8Array | null;
  reverse: boolean;
  /** [B, u] recurrent dropout multipliers, or null. */
  recurrentMask: Float | null;
  R: { h: Float; hT: Float; cT: Float };
}

function makeProblem(
  cell: CellKernel,
  seed: number,
  masked: boolean,
  reverse: boolean,
  recurrentDropout = false,
  /** Spread of the weights other than the gains. */
  weightScale = 0.7,
): Problem {
  const rng = new Random(seed);
  const p: Params = {};
  for (const w of cell.weights) {
    const n = w.shape.reduce((a, b) => a * b, 1);
    // Gains around 1 with spread; everything else centred random.
    p[w.name] = randomArray(rng, n, w.name.endsWith('amma') ? 0.5 : weightScale);
    if (w.name.endsWith('amma')) for (let i = 0; i < n; i++) p[w.name][i] += 1;
  }
  let mask: Uint8Array | null = null;
  if (masked) {
    mask = new Uint8Array(T * B).fill(1);
    // Row 0: trailing padding; row 1: leading padding; row 2: holes.
    for (let t = 0; t < T; t++) {
      if (t >= 5) mask[t * B + 0] = 0;
      if (t < 2) mask[t * B + 1] = 0;
      if (t % 3 === 1) mask[t * B + 2] = 0;
    }
  }
  return {
    cell,
    p,
    x: randomArray(rng, T * B * D),
    h0: randomArray(rng, B * U, 0.5),
    c0: cell.hasCellState ? randomArray(rng, B * U, 0.5) : null,
    mask,
    reverse,
    recurrentMask: recurrentDropout ? dropoutMultipliers(rng, B * U) : null,
    R: { h: randomArray(rng, T * B * U), hT: randomArray(rng, B * U), cT: randomArray(rng, B * U) },
  };
}

/**
 * Recurrent dropout multipliers: about a third zeros, the rest distinct values in [1, 2] (not one shared
 * 1/(1 − rate)), so a mask applied to the wrong element or on the wrong path changes the result.
 */
function dropoutMultipliers(rng: Random, n: number): Float64Array {
  const m = new Float64Array(n);
  for (let i = 0; i < n; i++) m[i] = rng.uniform() < 1 / 3 ? 0 : 1 + rng.uniform();
  return m;
}

function loss(pr: Problem): number {
  const out = recurrentForward(pr.cell, pr.p, pr.x, {
    T,
    B,
    h0: pr.h0,
    c0: pr.c0,
    mask: pr.mask,
    reverse: pr.reverse,
    recurrentMask: pr.recurrentMask,
  });
  let sum = 0;
  for (let i = 0; i < out.h.length; i++) sum += out.h[i] * pr.R.h[i];
  for (let i = 0; i < out.hT.length; i++) sum += out.hT[i] * pr.R.hT[i];
  if (out.cT) for (let i = 0; i < out.cT.length; i++) sum += out.cT[i] * pr.R.cT[i];
  return sum;
}

function numericGradient(pr: Problem, array: Float): Float64Array {
  const grad = new Float64Array(array.length);
  for (let i = 0; i < array.length; i++) {
    const saved = array[i];
    array[i] = saved + STEP;
    const plus = loss(pr);
    array[i] = saved - STEP;
    const minus = loss(pr);
    array[i] = saved;
    grad[i] = (plus - minus) / (2 * STEP);
  }
  return grad;
}

function analyticGradients(pr: Problem): { g: Params; dx: Float; dh0: Float; dc0: Float | null } {
  const out = recurrentForward(pr.cell, pr.p, pr.x, {
    T,
    B,
    h0: pr.h0,
    c0: pr.c0,
    mask: pr.mask,
    reverse: pr.reverse,
    recurrentMask: pr.recurrentMask,
  });
  const g = zeroGradients(pr.cell, pr.x);
  const { dx, dh0, dc0 } = recurrentBackward(g, out.saved, pr.p, { dh: pr.R.h, dhT: pr.R.hT, dcT: pr.R.cT });
  return { g, dx, dh0, dc0 };
}

function check(what: string, analytic: ArrayLike<number>, numeric: ArrayLike<number>): void {
  const w = worstRelative(analytic, numeric, FLOOR);
  assert.ok(
    w.error < MAX_RELATIVE_ERROR,
    `${what}: relative error ${w.error.toExponential(2)} at [${w.index}]: analytic ${w.a}, numeric ${w.b}`,
  );
}

describe('backward = finite differences (float64)', () => {
  for (const c of CELL_CASES) {
    for (const [masked, reverse] of [
      [false, false],
      [true, false],
      [true, true],
    ]) {
      const variant = `${masked ? 'masked' : 'unmasked'}, ${reverse ? 'reverse' : 'forward'}`;
      it(`${c.name} (${variant})`, () => {
        const pr = makeProblem(c.make(U, D), 17 + Number(masked) + 2 * Number(reverse), masked, reverse);
        const a = analyticGradients(pr);
        for (const w of pr.cell.weights) check(`d${w.name}`, a.g[w.name], numericGradient(pr, pr.p[w.name]));
        check('dx', a.dx, numericGradient(pr, pr.x));
        check('dh0', a.dh0, numericGradient(pr, pr.h0));
        if (pr.c0) check('dc0', a.dc0!, numericGradient(pr, pr.c0));
      });
    }
  }

  for (const c of CELL_CASES) {
    it(`${c.name} with a recurrent dropout mask (masked, reverse)`, () => {
      const pr = makeProblem(c.make(U, D), 23, true, true, true);
      const a = analyticGradients(pr);
      for (const w of pr.cell.weights) check(`d${w.name}`, a.g[w.name], numericGradient(pr, pr.p[w.name]));
      check('dx', a.dx, numericGradient(pr, pr.x));
      check('dh0', a.dh0, numericGradient(pr, pr.h0));
      if (pr.c0) check('dc0', a.dc0!, numericGradient(pr, pr.c0));
    });
  }

  it('the check can fail: a wrong gradient is caught', () => {
    const pr = makeProblem(CELL_CASES[1].make(U, D), 3, false, false);
    const a = analyticGradients(pr);
    a.g.gamma[2] *= 1.001;
    assert.throws(() => check('dgamma', a.g.gamma, numericGradient(pr, pr.p.gamma)), /relative error/);
  });
});

describe('backward accumulates into parameter gradients', () => {
  for (const c of CELL_CASES) {
    it(`${c.name}: two backward calls give twice the gradient (to rounding)`, () => {
      const pr = makeProblem(c.make(U, D), 5, true, false);
      const out = recurrentForward(pr.cell, pr.p, pr.x, { T, B, h0: pr.h0, c0: pr.c0, mask: pr.mask });
      const once = zeroGradients(pr.cell, pr.x);
      recurrentBackward(once, out.saved, pr.p, { dh: pr.R.h });
      const twice = zeroGradients(pr.cell, pr.x);
      recurrentBackward(twice, out.saved, pr.p, { dh: pr.R.h });
      recurrentBackward(twice, out.saved, pr.p, { dh: pr.R.h });
      for (const w of pr.cell.weights) {
        const doubled = once[w.name].map((v) => 2 * v);
        assertClose(`d${w.name}`, twice[w.name], doubled, ACCUMULATION_TOLERANCE, 1e-12);
      }
    });
  }
});

/**
 * The hard sigmoid max(0, min(1, 0.2·a + 0.5)) has kinks at a = ±2.5, where the finite difference of a
 * step across one is neither slope. The problems below are checked to have no gate pre-activation within
 * KINK_MARGIN of a kink (a seed that had one would be changed, not the tolerance), and to have enough on
 * both sides of them that the clipped slope 0 and the inner slope 0.2 are both exercised.
 */
const KINK_MARGIN = 1e-3;
const MIN_SHARE_EACH_SIDE = 0.1;
/** Weights spread wide enough that a good share of the gates clip. */
const HARD_WEIGHT_SCALE = 2;

const HARD_SIGMOID_CASES: readonly { name: string; make: (u: number, d: number) => CellKernel }[] = [
  {
    name: 'lstm',
    make: (units, inputDim) => lstmCell({ units, inputDim, recurrentActivation: 'hardSigmoid' }),
  },
  {
    name: 'gru resetAfter',
    make: (units, inputDim) => gruCell({ units, inputDim, recurrentActivation: 'hardSigmoid' }),
  },
  {
    name: 'gru resetBefore',
    make: (units, inputDim) =>
      gruCell({ units, inputDim, resetAfter: false, recurrentActivation: 'hardSigmoid' }),
  },
];

/**
 * Every pre-activation a hard sigmoid gate saw in the forward pass of `pr`, recomputed from what forward
 * saved: a = zx + (h_{t−1} ⊙ m)·U (+ the GRU's recurrent bias with resetAfter), over the gate blocks
 * i, f, o (LSTM, blocks of ifco) or z, r (GRU, blocks of zrh).
 */
function gatePreactivations(pr: Problem): number[] {
  const { cell, p } = pr;
  const out = recurrentForward(cell, p, pr.x, {
    T,
    B,
    h0: pr.h0,
    c0: pr.c0,
    mask: pr.mask,
    reverse: pr.reverse,
    recurrentMask: pr.recurrentMask,
  });
  const { zx, hStates } = out.saved;
  const u = cell.units;
  const P = cell.projectionWidth;
  const R = cell.weights.find((w) => w.name === 'recurrentKernel')!.shape[1];
  const blocks = cell.hasCellState ? [0, 1, 3] : [0, 1];
  const recurrentBias = !cell.hasCellState && p.bias.length === 2 * P;
  const values: number[] = [];
  for (let k = 0; k < T; k++) {
    const t = pr.reverse ? T - 1 - k : k;
    for (let b = 0; b < B; b++) {
      for (const block of blocks) {
        for (let j = 0; j < u; j++) {
          const col = block * u + j;
          let a = zx[(t * B + b) * P + col] + (recurrentBias ? p.bias[P + col] : 0);
          for (let i = 0; i < u; i++) {
            const h = hStates[(k * B + b) * u + i] * (pr.recurrentMask ? pr.recurrentMask[b * u + i] : 1);
            a += h * p.recurrentKernel[i * R + col];
          }
          values.push(a);
        }
      }
    }
  }
  return values;
}

describe("recurrentActivation 'hardSigmoid': backward = finite differences (float64)", () => {
  for (const c of HARD_SIGMOID_CASES) {
    for (const [masked, reverse, dropout] of [
      [false, false, false],
      [true, false, false],
      [true, true, false],
      [true, true, true],
    ]) {
      const variant = `${masked ? 'masked' : 'unmasked'}, ${reverse ? 'reverse' : 'forward'}${dropout ? ', recurrent dropout mask' : ''}`;
      it(`${c.name} (${variant})`, () => {
        const seed = 41 + Number(masked) + 2 * Number(reverse) + 4 * Number(dropout);
        const pr = makeProblem(c.make(U, D), seed, masked, reverse, dropout, HARD_WEIGHT_SCALE);
        const a = gatePreactivations(pr);
        const nearest = Math.min(...a.map((v) => Math.abs(Math.abs(v) - 2.5)));
        assert.ok(
          nearest > KINK_MARGIN,
          `a gate pre-activation is ${nearest} from a kink: pick another seed`,
        );
        const clipped = a.filter((v) => Math.abs(v) > 2.5).length / a.length;
        assert.ok(
          clipped > MIN_SHARE_EACH_SIDE && clipped < 1 - MIN_SHARE_EACH_SIDE,
          `share of clipped gates ${clipped}: both slopes must be exercised`,
        );
        const g = analyticGradients(pr);
        for (const w of pr.cell.weights) check(`d${w.name}`, g.g[w.name], numericGradient(pr, pr.p[w.name]));
        check('dx', g.dx, numericGradient(pr, pr.x));
        check('dh0', g.dh0, numericGradient(pr, pr.h0));
        if (pr.c0) check('dc0', g.dc0!, numericGradient(pr, pr.c0));
      });
    }
  }

  it('the hard sigmoid is not the sigmoid: the same problem gives other outputs', () => {
    const hard = makeProblem(HARD_SIGMOID_CASES[0].make(U, D), 41, false, false, false, HARD_WEIGHT_SCALE);
    const soft = { ...hard, cell: lstmCell({ units: U, inputDim: D }) };
    assert.ok(Math.abs(loss(hard) - loss(soft)) > 0.1, 'the two activations give the same loss');
  });
});
