/**
 * The reference kernels' contract beyond gradients: float32 agrees with float64, masks and direction
 * mean what the docs say, extreme inputs stay finite, inputs are left untouched, bad input is rejected
 * with a typed error that names the cell, the expected and the actual value.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gruCell, initialWeights, lstmCell, novoLstmCell } from '../src/cells.js';
import { ConfigError, ShapeError, ValueError } from '../src/errors.js';
import type { CellKernel, Params } from '../src/kernels/contract.js';
import type { Float } from '../src/kernels/reference/floats.js';
import { recurrentBackward, recurrentForward, zeroGradients } from '../src/kernels/reference/recurrence.js';
import { Random } from '../src/random.js';
import { CELL_CASES } from './cases.js';
import { allFinite, assertClose, randomArray } from './helpers.js';

const B = 3;
const T = 7;
const D = 5;
const U = 4;
/** float32 keeps ~7 digits; errors compound over T steps and the LN divisions. */
const FLOAT32_TOLERANCE = 2e-5;
const EXACT = 1e-12;

function randomParams(cell: CellKernel, rng: Random, scale: number, like: Float): Params {
  const p: Params = {};
  for (const w of cell.weights)
    p[w.name] = randomArray(
      rng,
      w.shape.reduce((a, b) => a * b, 1),
      scale,
      like,
    );
  return p;
}

function toFloat32(p: Params): Params {
  return Object.fromEntries(Object.entries(p).map(([k, v]) => [k, Float32Array.from(v)]));
}

function run(
  cell: CellKernel,
  p: Params,
  x: Float,
  dh: Float,
  opts: { mask?: Uint8Array; reverse?: boolean } = {},
) {
  const out = recurrentForward(cell, p, x, { T, B, ...opts });
  const g = zeroGradients(cell, x);
  const grads = recurrentBackward(g, out.saved, p, { dh });
  return { out, g, grads };
}

describe('float32 agrees with float64', () => {
  for (const c of CELL_CASES) {
    it(c.name, () => {
      const rng = new Random(11);
      const cell = c.make(U, D);
      const p64 = randomParams(cell, rng, 0.7, new Float64Array(0));
      const x64 = randomArray(rng, T * B * D);
      const dh64 = randomArray(rng, T * B * U);
      const a = run(cell, p64, x64, dh64);
      const b = run(cell, toFloat32(p64), Float32Array.from(x64), Float32Array.from(dh64));
      assert.ok(b.out.h instanceof Float32Array, 'float32 in gives float32 out');
      assertClose('h', b.out.h, a.out.h, FLOAT32_TOLERANCE);
      assertClose('dx', b.grads.dx, a.grads.dx, FLOAT32_TOLERANCE);
      for (const w of cell.weights) assertClose(`d${w.name}`, b.g[w.name], a.g[w.name], FLOAT32_TOLERANCE);
    });
  }
});

describe('masks and direction', () => {
  for (const c of CELL_CASES) {
    it(`${c.name}: masked steps output zero and carry the state; trailing padding = a shorter sequence`, () => {
      const rng = new Random(12);
      const cell = c.make(U, D);
      const p = randomParams(cell, rng, 0.7, new Float64Array(0));
      const x = randomArray(rng, T * B * D);
      const mask = new Uint8Array(T * B).fill(1);
      const realSteps = 4;
      for (let t = realSteps; t < T; t++) mask.fill(0, t * B, (t + 1) * B);
      const full = recurrentForward(cell, p, x, { T, B, mask });
      const short = recurrentForward(cell, p, x.subarray(0, realSteps * B * D), { T: realSteps, B });
      assertClose('final h', full.hT, short.hT, EXACT);
      if (cell.hasCellState) assertClose('final c', full.cT!, short.cT!, EXACT);
      assertClose('outputs of real steps', full.h.subarray(0, realSteps * B * U), short.h, EXACT);
      assert.ok(
        full.h.subarray(realSteps * B * U).every((v) => v === 0),
        'padded outputs are zero',
      );
    });

    it(`${c.name}: reverse = forward on the time-flipped sequence`, () => {
      const rng = new Random(13);
      const cell = c.make(U, D);
      const p = randomParams(cell, rng, 0.7, new Float64Array(0));
      const x = randomArray(rng, T * B * D);
      const flipped = flipTime(x, D);
      const rev = recurrentForward(cell, p, x, { T, B, reverse: true });
      const fwd = recurrentForward(cell, p, flipped, { T, B });
      assertClose('outputs', rev.h, flipTime(fwd.h, U), EXACT);
      assertClose('final h', rev.hT, fwd.hT, EXACT);
    });
  }
});

describe('recurrent dropout mask', () => {
  for (const c of CELL_CASES) {
    // (h ⊙ m)·U = h·(diag(m)·U): one mask shared by every row equals scaling row j of U by m_j, wherever
    // h_{t−1} meets U — while the GRU's carry z ⊙ h_{t−1} keeps the unscaled h. m has zeros and 1.5.
    it(`${c.name}: a mask shared by all rows = the recurrent kernel's rows scaled by it`, () => {
      const rng = new Random(14);
      const cell = c.make(U, D);
      const p = randomParams(cell, rng, 0.7, new Float64Array(0));
      const x = randomArray(rng, T * B * D);
      const h0 = randomArray(rng, B * U, 0.5);
      const m = Float64Array.from({ length: U }, (_, j) => (j % 2 === 0 ? 0 : 1.5));
      const recurrentMask = new Float64Array(B * U);
      for (let b = 0; b < B; b++) recurrentMask.set(m, b * U);
      const R = p.recurrentKernel.length / U;
      const scaled = { ...p, recurrentKernel: p.recurrentKernel.map((v, i) => v * m[Math.floor(i / R)]) };
      const dropped = recurrentForward(cell, p, x, { T, B, h0, recurrentMask });
      const reference = recurrentForward(cell, scaled, x, { T, B, h0 });
      assertClose('outputs', dropped.h, reference.h, EXACT);
      if (cell.hasCellState) assertClose('final c', dropped.cT!, reference.cT!, EXACT);
    });
  }

  it('a mask of ones changes nothing, bit for bit; a wrong-length mask is refused', () => {
    const rng = new Random(15);
    const cell = CELL_CASES[0].make(U, D);
    const p = randomParams(cell, rng, 0.7, new Float32Array(0));
    const x = randomArray(rng, T * B * D, 1, new Float32Array(0));
    const ones = new Float32Array(B * U).fill(1);
    const plain = recurrentForward(cell, p, x, { T, B });
    const masked = recurrentForward(cell, p, x, { T, B, recurrentMask: ones });
    assert.deepEqual(masked.h, plain.h);
    assert.throws(
      () => recurrentForward(cell, p, x, { T, B, recurrentMask: new Float32Array(U) }),
      /recurrentMask.*B·units/,
    );
  });
});

function flipTime(a: Float, width: number): Float {
  const out = a.slice();
  for (let t = 0; t < T; t++)
    out.set(a.subarray(t * B * width, (t + 1) * B * width), (T - 1 - t) * B * width);
  return out;
}

describe('extreme inputs', () => {
  for (const c of CELL_CASES) {
    it(`${c.name}: ±100 in x and weights gives finite outputs and gradients`, () => {
      const rng = new Random(14);
      const cell = c.make(U, D);
      for (const like of [new Float32Array(0), new Float64Array(0)]) {
        const p = randomParams(cell, rng, 100, like);
        const x = randomArray(rng, T * B * D, 100, like);
        // Also the exact extremes, not only values drawn inside them.
        x[0] = 100;
        x[1] = -100;
        const { out, g, grads } = run(cell, p, x, randomArray(rng, T * B * U, 1, like));
        assert.ok(allFinite(out.h) && allFinite(out.hT), 'outputs finite');
        assert.ok(allFinite(grads.dx) && allFinite(grads.dh0), 'input gradients finite');
        for (const w of cell.weights) assert.ok(allFinite(g[w.name]), `d${w.name} finite`);
      }
    });
  }
});

describe('inputs are left untouched', () => {
  for (const c of CELL_CASES) {
    it(c.name, () => {
      const rng = new Random(15);
      const cell = c.make(U, D);
      const p = randomParams(cell, rng, 0.7, new Float64Array(0));
      const x = randomArray(rng, T * B * D);
      const dh = randomArray(rng, T * B * U);
      const before = { x: x.slice(), dh: dh.slice(), p: randomParamsCopy(p) };
      run(cell, p, x, dh, { reverse: true });
      assert.deepEqual(x, before.x);
      assert.deepEqual(dh, before.dh);
      for (const k of Object.keys(p)) assert.deepEqual(p[k], before.p[k], k);
    });
  }
});

function randomParamsCopy(p: Params): Params {
  return Object.fromEntries(Object.entries(p).map(([k, v]) => [k, v.slice()]));
}

describe('bad input gives a typed error naming the cell, the expected and the actual value', () => {
  const cell = novoLstmCell({ units: U, inputDim: D, name: 'encoder' });
  const p = initialWeights(cell, 1, new Float64Array(0));
  const x = new Float64Array(T * B * D);

  it('x of the wrong length', () => {
    assert.throws(
      () => recurrentForward(cell, p, new Float64Array(T * B * D + 1), { T, B }),
      (e: unknown) =>
        e instanceof ShapeError &&
        /NovoLSTM 'encoder'.*x.*expected T·B·inputDim = 7·3·5 = 105, got 106/.test(e.message),
    );
  });
  it('a weight of the wrong shape', () => {
    const bad = { ...p, recurrentKernel: new Float64Array(U * 4 * U) };
    assert.throws(
      () => recurrentForward(cell, bad, x, { T, B }),
      (e: unknown) =>
        e instanceof ShapeError &&
        /'recurrentKernel'.*expected \[4, 20\] = 80 values, got 64 values/.test(e.message),
    );
  });
  it('a missing weight', () => {
    const { gamma: _gamma, ...bad } = p;
    assert.throws(() => recurrentForward(cell, bad, x, { T, B }), /weight 'gamma' is missing/);
  });
  it('non-finite values', () => {
    const nan = x.slice();
    nan[42] = NaN;
    assert.throws(
      () => recurrentForward(cell, p, nan, { T, B }),
      (e: unknown) => e instanceof ValueError && /x\[42\] is not finite.*got NaN/.test(e.message),
    );
    const inf = { ...p, bias: p.bias.slice() };
    inf.bias[3] = Infinity;
    assert.throws(() => recurrentForward(cell, inf, x, { T, B }), /weight 'bias'\[3\] is not finite/);
  });
  it('mixed precision', () => {
    assert.throws(() => recurrentForward(cell, p, new Float32Array(T * B * D), { T, B }), ShapeError);
  });
  it('wrong sizes, state and mask', () => {
    assert.throws(() => recurrentForward(cell, p, x, { T: 0, B }), /T must be a positive integer/);
    assert.throws(() => recurrentForward(cell, p, x, { T: 2.5, B }), ShapeError);
    assert.throws(
      () => recurrentForward(cell, p, x, { T, B, h0: new Float64Array(5) }),
      /h0.*expected B·units/,
    );
    assert.throws(() => recurrentForward(cell, p, x, { T, B, mask: new Uint8Array(3) }), /mask/);
    const gru = gruCell({ units: U, inputDim: D });
    const pg = initialWeights(gru, 1, new Float64Array(0));
    assert.throws(() => recurrentForward(gru, pg, x, { T, B, c0: new Float64Array(B * U) }), ConfigError);
  });
  it('bad options', () => {
    assert.throws(() => lstmCell({ units: 0, inputDim: D }), /units must be a positive integer/);
    assert.throws(
      () => novoLstmCell({ units: U, inputDim: D, inputGate: 'sigmoid' as 'readme' }),
      (e: unknown) =>
        e instanceof ConfigError &&
        /inputGate.*expected "readme" or "reference" or "softmax" or "lnSigmoid", got "sigmoid"/.test(
          e.message,
        ),
    );
    assert.throws(
      () => novoLstmCell({ units: U, inputDim: D, inputGate: 'softmax', inputGateGain: 'units' }),
      (e: unknown) =>
        e instanceof ConfigError &&
        /inputGateGain has no effect.*expected 'ones'.*got "units"/.test(e.message),
    );
    assert.throws(
      () => lstmCell({ units: U, inputDim: D, layerNorm: 'inputGate' as 'all' }),
      (e: unknown) => e instanceof ConfigError && /layerNorm.*expected "none" or "all"/.test(e.message),
    );
    assert.throws(
      () => lstmCell({ units: U, inputDim: D, layerNorm: 'all', recurrentActivation: 'hardSigmoid' }),
      (e: unknown) => e instanceof ConfigError && /layerNorm 'all' takes sigmoid gates only/.test(e.message),
    );
    assert.throws(
      () => lstmCell({ units: U, inputDim: D, unroll: true } as never),
      (e: unknown) => e instanceof ConfigError && /unknown option 'unroll'/.test(e.message),
    );
  });
});
