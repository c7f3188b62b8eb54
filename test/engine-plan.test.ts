/**
 * recurrentPlan: the same layer computation on each WebAssembly build and on the reference fallback (no
 * engine — what runs where SIMD is missing), for an LSTM, a NovoLSTM and a GRU, against the float64
 * reference; masked and reversed, odd sizes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gruCell, lstmCell, novoLstmCell } from '../src/cells.js';
import { availableBuilds, loadEngine, type Engine } from '../src/engine/loader.js';
import { recurrentPlan } from '../src/engine/plan.js';
import type { CellKernel, Params } from '../src/kernels/contract.js';
import { recurrentBackward, recurrentForward, zeroGradients } from '../src/kernels/reference/recurrence.js';
import { Random } from '../src/random.js';
import { assertClose, randomArray } from './helpers.js';

/** As in engine-lstm.test.ts. */
const MAX_RELATIVE_ERROR = 1e-5;
const FLOOR_FRACTION = 0.1;

const [T, B, D, H] = [7, 5, 13, 19];
const CELLS: readonly (() => CellKernel)[] = [
  () => lstmCell({ units: H, inputDim: D }),
  () => novoLstmCell({ units: H, inputDim: D }),
  () => gruCell({ units: H, inputDim: D }),
];

function close(what: string, actual: ArrayLike<number>, expected: ArrayLike<number>): void {
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  assertClose(what, actual, expected, MAX_RELATIVE_ERROR, FLOOR_FRACTION * scale);
}

function check(engine: Engine | null, cell: CellKernel): void {
  const rng = new Random(41);
  const r = (n: number, scale: number) => Float32Array.from(randomArray(rng, n, scale));
  const p: Params = {};
  for (const w of cell.weights) {
    const n = w.shape.reduce((a, b) => a * b, 1);
    p[w.name] = r(n, 0.5);
    if (w.name.endsWith('amma')) for (let i = 0; i < n; i++) p[w.name][i] += 1;
  }
  const x = r(T * B * D, 1);
  const mask = new Uint8Array(T * B).fill(1);
  for (let t = 0; t < T; t++) if (t % 3 === 1) mask[t * B + 2] = 0;
  const dh = r(T * B * H, 1);
  const dhT = r(B * H, 1);
  const dcT = cell.hasCellState ? r(B * H, 1) : null;

  const p64: Params = {};
  for (const k of Object.keys(p)) p64[k] = Float64Array.from(p[k]);
  const ref = recurrentForward(cell, p64, Float64Array.from(x), { T, B, mask, reverse: true });
  const g64 = zeroGradients(cell, new Float64Array(0));
  const upstream64 = {
    dh: Float64Array.from(dh),
    dhT: Float64Array.from(dhT),
    dcT: dcT && Float64Array.from(dcT),
  };
  const refGrad = recurrentBackward(g64, ref.saved, p64, upstream64);

  const plan = recurrentPlan(engine, cell, T, B);
  assert.equal(plan.runsOn, engine?.build ?? 'reference');
  plan.setWeights(p);
  const out = plan.forward(x, { mask, reverse: true });
  const g = zeroGradients(cell, new Float32Array(0));
  const grad = plan.backward(g, { dh, dhT, dcT });
  const name = `${plan.runsOn} ${cell.label}`;
  close(`${name} h`, out.h, ref.h);
  close(`${name} hT`, out.hT, ref.hT);
  close(`${name} dx`, grad.dx, refGrad.dx);
  close(`${name} dh0`, grad.dh0, refGrad.dh0);
  assert.equal(out.cT === null, !cell.hasCellState);
  if (out.cT) close(`${name} cT`, out.cT, ref.cT!);
  if (grad.dc0) close(`${name} dc0`, grad.dc0, refGrad.dc0!);
  for (const { name: k } of cell.weights) close(`${name} d${k}`, g[k], g64[k]);
}

describe('recurrentPlan on every engine and on the reference fallback', async () => {
  const builds = await availableBuilds();
  const engines: (Engine | null)[] = [null];
  for (const build of builds) engines.push(await loadEngine({ build }));
  for (const engine of engines) {
    it(`${engine?.build ?? 'no engine (reference)'}: LSTM, NovoLSTM, GRU, masked, reverse`, () => {
      for (const make of CELLS) check(engine, make());
    });
  }
});

/**
 * [B, T, N] from [T, B, N]: row (b, j) ← row (t, b), j = T−1−t when `flip` (processing order of a reversed
 * run), else t. Written here rather than taken from engine/steps.ts, so a transposition bug there shows.
 */
function batchMajorOf(a: ArrayLike<number>, N: number, flip: boolean): Float32Array {
  const out = new Float32Array(T * B * N);
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      const j = flip ? T - 1 - t : t;
      for (let n = 0; n < N; n++) out[(b * T + j) * N + n] = a[(t * B + b) * N + n];
    }
  }
  return out;
}

function checkBatchMajor(engine: Engine | null, cell: CellKernel, reverse: boolean): void {
  const rng = new Random(47);
  const r = (n: number, scale: number) => Float32Array.from(randomArray(rng, n, scale));
  const p: Params = {};
  for (const w of cell.weights) {
    const n = w.shape.reduce((a, b) => a * b, 1);
    p[w.name] = r(n, 0.5);
    if (w.name.endsWith('amma')) for (let i = 0; i < n; i++) p[w.name][i] += 1;
  }
  const x = r(T * B * D, 1); // [T, B, D]
  const mask = new Uint8Array(T * B).fill(1); // [T, B]
  for (let t = 0; t < T; t++) if (t % 3 === 1) mask[t * B + 2] = 0;
  const dh = r(T * B * H, 1); // [T, B, u] at the time index
  const dhT = r(B * H, 1);

  const p64: Params = {};
  for (const k of Object.keys(p)) p64[k] = Float64Array.from(p[k]);
  const ref = recurrentForward(cell, p64, Float64Array.from(x), { T, B, mask, reverse });
  const g64 = zeroGradients(cell, new Float64Array(0));
  const refGrad = recurrentBackward(g64, ref.saved, p64, {
    dh: Float64Array.from(dh),
    dhT: Float64Array.from(dhT),
  });

  const plan = recurrentPlan(engine, cell, T, B);
  plan.setWeights(p);
  const xb = batchMajorOf(x, D, false);
  const xbCopy = xb.slice();
  const out = plan.forward(xb, { mask, reverse, batchMajor: true });
  assert.deepEqual(xb, xbCopy, 'x is left untouched');
  const g = zeroGradients(cell, new Float32Array(0));
  const grad = plan.backward(g, { dh: batchMajorOf(dh, H, reverse), dhT });
  const name = `${plan.runsOn} ${cell.label} batch-major${reverse ? ' reverse' : ''}`;
  close(`${name} h`, out.h, batchMajorOf(ref.h, H, reverse));
  close(`${name} hT`, out.hT, ref.hT);
  close(`${name} dx`, grad.dx, batchMajorOf(refGrad.dx, D, false));
  close(`${name} dh0`, grad.dh0, refGrad.dh0);
  for (const { name: k } of cell.weights) close(`${name} d${k}`, g[k], g64[k]);

  const final = plan.forward(xb, { mask, reverse, batchMajor: true, sequence: false });
  assert.equal(final.h.length, 0, `${name}: no sequence asked for`);
  close(`${name} hT without the sequence`, final.hT, ref.hT);
}

describe('recurrentPlan with batch-major sequences (what the layers pass)', async () => {
  const builds = await availableBuilds();
  const engines: (Engine | null)[] = [null];
  for (const build of builds) engines.push(await loadEngine({ build }));
  for (const engine of engines) {
    it(`${engine?.build ?? 'no engine (reference)'}: LSTM, NovoLSTM, GRU, masked, forward and reverse`, () => {
      for (const make of CELLS) for (const reverse of [false, true]) checkBatchMajor(engine, make(), reverse);
    });
  }
});

describe('the engine checks values in WebAssembly memory', async () => {
  const engine = await loadEngine();
  it('a NaN or ±∞ in x or in a weight is named with its index (LSTM, NovoLSTM, GRU)', () => {
    for (const make of CELLS) {
      const cell = make();
      const rng = new Random(53);
      const r = (n: number) => Float32Array.from(randomArray(rng, n, 0.5));
      const p: Params = {};
      for (const w of cell.weights) p[w.name] = r(w.shape.reduce((a, b) => a * b, 1));
      const plan = recurrentPlan(engine, cell, T, B);
      plan.setWeights(p);
      for (const [i, bad] of [
        [T * B * D - 1, NaN],
        [T * B * D - 2, Infinity], // the last values are outside the vector loop
        [17, -Infinity],
      ] as const) {
        const x = r(T * B * D);
        x[i] = bad;
        assert.throws(() => plan.forward(x, { batchMajor: true }), new RegExp(`x\\[${i}\\] is not finite`));
      }
      const kernel = p.kernel.slice();
      p.kernel[D + 2] = NaN;
      assert.throws(() => plan.setWeights(p), new RegExp(`'kernel'\\[${D + 2}\\] is not finite`));
      p.kernel.set(kernel);
      p.recurrentKernel[5] = Infinity;
      assert.throws(() => plan.setWeights(p), new RegExp(`'recurrentKernel'\\[5\\] is not finite`));
    }
  });
});

describe('recurrentPlan backward adds into the gradients', async () => {
  const engine = await loadEngine();
  it('two forward–backward pairs give exactly twice the gradient; a second backward refuses (LSTM, NovoLSTM, GRU)', () => {
    for (const make of CELLS) {
      const cell = make();
      const rng = new Random(43);
      const r = (n: number) => Float32Array.from(randomArray(rng, n, 0.5));
      const p: Params = {};
      for (const w of cell.weights) p[w.name] = r(w.shape.reduce((a, b) => a * b, 1));
      const plan = recurrentPlan(engine, cell, T, B);
      plan.setWeights(p);
      const x = r(T * B * D);
      plan.forward(x);
      const upstream = { dh: r(T * B * H), dhT: r(B * H) };
      const once = zeroGradients(cell, new Float32Array(0));
      plan.backward(once, upstream);
      // The gradients went over the forward's tape: backward again needs a forward again.
      assert.throws(() => plan.backward(once, upstream), /backward before forward/);
      const twice = zeroGradients(cell, new Float32Array(0));
      plan.forward(x);
      plan.backward(twice, upstream);
      plan.forward(x);
      plan.backward(twice, upstream);
      for (const { name } of cell.weights) {
        // x + x = 2x exactly in floating point, so any difference means the second call saw other state.
        assert.deepEqual(
          twice[name],
          once[name].map((v) => 2 * v),
          `${cell.label} d${name}`,
        );
      }
    }
  });
});
