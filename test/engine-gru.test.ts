/**
 * The fused WebAssembly GRU (float32, both conventions) against the reference driver with gruCell
 * (float64 on the same float32 values): outputs, final state and every gradient, with masks and in
 * reverse, on sizes that divide neither the tile nor the vector width, with saturated gates, on sizes with
 * full tiles, and in both builds.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gruCell, lstmCell } from '../src/cells.js';
import { FastGru } from '../src/engine/gru.js';
import { availableBuilds, loadEngine, WASM_BUILDS } from '../src/engine/loader.js';
import type { RecurrentActivation } from '../src/kernels/contract.js';
import type { Params } from '../src/kernels/contract.js';
import { recurrentBackward, recurrentForward, zeroGradients } from '../src/kernels/reference/recurrence.js';
import { Random } from '../src/random.js';
import { assertClose, randomArray } from './helpers.js';

/** Float32 against float64 through T steps of exp/tanh and the multiplies. */
const MAX_RELATIVE_ERROR = 1e-5;
/** As in engine-lstm.test.ts: elements below this fraction of the array's scale compare absolutely. */
const FLOOR_FRACTION = 0.1;
/**
 * With x ±100 the input projection sums float32 terms of ±50: its rounding (~1e-5 absolute, where the
 * reference accumulates in float64) passes unattenuated through a candidate ĥ whose argument happens to
 * cancel to a non-saturated value. Measured 2.5e-5 (plain SIMD build; 8e-6 with fused multiply-add).
 */
const SATURATED_ERROR = 1e-4;

interface Problem {
  readonly T: number;
  readonly B: number;
  readonly D: number;
  readonly H: number;
  readonly masked: boolean;
  readonly reverse: boolean;
  readonly resetAfter: boolean;
  /** Default 'sigmoid'. */
  readonly recurrentActivation?: RecurrentActivation;
  readonly xScale?: number;
  /** Default MAX_RELATIVE_ERROR. */
  readonly tolerance?: number;
}

function close(
  what: string,
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tolerance: number,
): void {
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  assertClose(what, actual, expected, tolerance, FLOOR_FRACTION * scale);
}

function compare(build: string, pr: Problem, seed: number, fast: FastGru): void {
  const { T, B, D, H, reverse } = pr;
  const cell = gruCell({
    units: H,
    inputDim: D,
    resetAfter: pr.resetAfter,
    recurrentActivation: pr.recurrentActivation,
  });
  const rng = new Random(seed);
  const r = (n: number, scale: number) => Float32Array.from(randomArray(rng, n, scale));
  const p: Params = {};
  const g0: Params = {};
  for (const w of cell.weights) {
    const n = w.shape.reduce((a, b) => a * b, 1);
    // Spread shrinking with the fan-in as real initialisations do, so that at H = 128 the recurrence is
    // not chaotic (which would amplify any rounding, the reference's included, step after step).
    p[w.name] = r(n, Math.min(0.5, 2 / Math.sqrt(w.shape[0])));
    g0[w.name] = r(n, 1); // non-zero: backward must add into it
  }
  let mask: Uint8Array | null = null;
  if (pr.masked) {
    mask = new Uint8Array(T * B).fill(1);
    for (let t = 0; t < T; t++) {
      if (t >= T - 2) mask[t * B + 0] = 0; // trailing padding
      if (t < 2) mask[t * B + 1] = 0; // leading padding
      if (t % 3 === 1) mask[t * B + 2] = 0; // holes
    }
  }
  const x = r(T * B * D, pr.xScale ?? 1);
  const h0 = r(B * H, 0.5);
  const dh = r(T * B * H, 1);
  const dhT = r(B * H, 1);
  const name = `${build} resetAfter=${pr.resetAfter}${pr.recurrentActivation === 'hardSigmoid' ? ' hardSigmoid' : ''} T=${T} B=${B} D=${D} H=${H}${pr.masked ? ' masked' : ''}${reverse ? ' reverse' : ''}`;

  const f64 = (a: ArrayLike<number>) => Float64Array.from(a);
  const p64: Params = {};
  for (const k of Object.keys(p)) p64[k] = f64(p[k]);
  const ref = recurrentForward(cell, p64, f64(x), { T, B, h0: f64(h0), mask, reverse });
  const g64 = zeroGradients(cell, new Float64Array(0));
  for (const k of Object.keys(g0)) g64[k].set(g0[k]);
  const refGrad = recurrentBackward(g64, ref.saved, p64, { dh: f64(dh), dhT: f64(dhT) });

  const inputs = structuredClone({ p, x, h0, mask, dh, dhT });
  fast.setWeights(p);
  const out = fast.forward(x, { h0, mask, reverse });
  const g: Params = {};
  for (const k of Object.keys(g0)) g[k] = g0[k].slice();
  const grad = fast.backward(g, { dh, dhT });

  const tolerance = pr.tolerance ?? MAX_RELATIVE_ERROR;
  close(`${name} h`, out.h, ref.h, tolerance);
  close(`${name} hT`, out.hT, ref.hT, tolerance);
  close(`${name} dx`, grad.dx, refGrad.dx, tolerance);
  close(`${name} dh0`, grad.dh0, refGrad.dh0, tolerance);
  for (const { name: k } of cell.weights) close(`${name} d${k}`, g[k], g64[k], tolerance);
  assert.deepEqual({ p, x, h0, mask, dh, dhT }, inputs, `${name}: an input was modified`);
}

for (const build of WASM_BUILDS) {
  for (const resetAfter of [true, false]) {
    describe(`engine GRU resetAfter: ${resetAfter} (${build} build) = reference`, async () => {
      const available = (await availableBuilds()).includes(build);
      const engine = available ? await loadEngine({ build }) : null;
      const odd = { T: 7, B: 5, D: 13, H: 19, resetAfter };
      const plan = (pr: Problem) =>
        new FastGru(engine!, gruCell({ units: pr.H, inputDim: pr.D, resetAfter }), pr.T, pr.B);

      for (const [masked, reverse] of [
        [false, false],
        [true, false],
        [false, true],
        [true, true],
      ]) {
        const title = `B=5 T=7 D=13 H=19${masked ? ', masked' : ''}${reverse ? ', reverse' : ''}`;
        it(title, { skip: !available }, () => {
          const pr = { ...odd, masked, reverse };
          const fast = plan(pr);
          compare(build, pr, 31, fast);
          compare(build, pr, 32, fast); // the plan reuses its buffers
        });
      }

      it('saturated gates: x spread ±100', { skip: !available }, () => {
        const pr = { ...odd, masked: false, reverse: false, xScale: 100, tolerance: SATURATED_ERROR };
        compare(build, pr, 33, plan(pr));
      });

      it('full tiles: B=32 T=6 D=50 H=128, masked', { skip: !available }, () => {
        const pr = { T: 6, B: 32, D: 50, H: 128, masked: true, reverse: false, resetAfter };
        compare(build, pr, 34, plan(pr));
      });
    });
  }
}

for (const build of WASM_BUILDS) {
  for (const resetAfter of [true, false]) {
    describe(`engine GRU resetAfter: ${resetAfter}, recurrentActivation 'hardSigmoid' (${build} build) = reference`, async () => {
      const available = (await availableBuilds()).includes(build);
      const engine = available ? await loadEngine({ build }) : null;
      const recurrentActivation: RecurrentActivation = 'hardSigmoid';
      const odd = { T: 7, B: 5, D: 13, H: 19, resetAfter, recurrentActivation } as const;
      const plan = (pr: Problem) =>
        new FastGru(
          engine!,
          gruCell({ units: pr.H, inputDim: pr.D, resetAfter, recurrentActivation }),
          pr.T,
          pr.B,
        );

      for (const [masked, reverse] of [
        [false, false],
        [true, true],
      ]) {
        const title = `B=5 T=7 D=13 H=19${masked ? ', masked' : ''}${reverse ? ', reverse' : ''}`;
        it(title, { skip: !available }, () => {
          const pr = { ...odd, masked, reverse };
          const fast = plan(pr);
          compare(build, pr, 35, fast);
          compare(build, pr, 36, fast);
        });
      }

      it('full tiles: B=32 T=6 D=50 H=128, masked', { skip: !available }, () => {
        const pr = {
          T: 6,
          B: 32,
          D: 50,
          H: 128,
          masked: true,
          reverse: false,
          resetAfter,
          recurrentActivation,
        };
        compare(build, pr, 37, plan(pr));
      });
    });
  }
}

describe('engine GRU: a cell it does not run is an error', () => {
  it('rejects an LSTM cell by name', async () => {
    const engine = await loadEngine();
    assert.throws(
      () => new FastGru(engine!, lstmCell({ units: 3, inputDim: 2 }), 2, 2),
      /FastGru runs GRU cells only/,
    );
  });
});
