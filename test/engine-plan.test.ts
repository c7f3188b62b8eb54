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
import type { CellKernel, Params } from '../src/kernels/reference/cell.js';
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

describe('recurrentPlan backward adds into the gradients', async () => {
  const engine = await loadEngine();
  it('two backward calls after one forward give exactly twice the gradient (LSTM, NovoLSTM, GRU)', () => {
    for (const make of CELLS) {
      const cell = make();
      const rng = new Random(43);
      const r = (n: number) => Float32Array.from(randomArray(rng, n, 0.5));
      const p: Params = {};
      for (const w of cell.weights) p[w.name] = r(w.shape.reduce((a, b) => a * b, 1));
      const plan = recurrentPlan(engine, cell, T, B);
      plan.setWeights(p);
      plan.forward(r(T * B * D));
      const upstream = { dh: r(T * B * H), dhT: r(B * H) };
      const once = zeroGradients(cell, new Float32Array(0));
      plan.backward(once, upstream);
      const twice = zeroGradients(cell, new Float32Array(0));
      plan.backward(twice, upstream);
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
