/**
 * The tape-free forward (`plan.infer`, FastRecurrent's `inferSteps`): bit for bit the training forward's
 * outputs and final states, for the LSTM (both recurrent activations, and layer norm 'all'), every NovoLSTM
 * variant (every input gate × layer norm 'inputGate' / 'all') and the GRU (resetAfter true and false, hard
 * sigmoid), on each WebAssembly build and on the reference fallback; with masks, reverse, initial states,
 * batch-major or time-major, with and without the output sequence; on sizes where the blocks of time
 * steps do not divide T and the units divide neither the tile nor the vector width. Then against the
 * float64 reference kernels, and a backward after it refuses.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gruCell, lstmCell, novoLstmCell } from '../src/cells.js';
import { ConfigError } from '../src/errors.js';
import { availableBuilds, loadEngine, type Engine } from '../src/engine/loader.js';
import { recurrentPlan, type PlanOutput } from '../src/engine/plan.js';
import { INFER_BLOCK_BYTES } from '../src/engine/recurrent.js';
import { INPUT_GATES, type CellKernel, type Params } from '../src/kernels/contract.js';
import { recurrentForward, zeroGradients } from '../src/kernels/reference/recurrence.js';
import { Random } from '../src/random.js';
import { assertClose, assertSameBits, randomArray, randomCellWeights } from './helpers.js';

/**
 * Sizes: T = 7 steps; B = 37 rows and H = 203 units (U = 204) make a step's z 4·B·G bytes large enough
 * that a block holds 4 (LSTM), 3 (NovoLSTM) or 5 (GRU) steps, none of which divides 7.
 */
const [T, B, D, H] = [7, 37, 13, 203];

/** Float32 engine against float64 reference, as in engine-lstm.test.ts and engine-gru.test.ts. */
const MAX_RELATIVE_ERROR = 1e-5;
/**
 * layerNorm 'all' amplifies float32 rounding (engine-lstm.test.ts: LN_ALL_ERROR, 3e-5 at H=19). At these
 * sizes (H=203) the LN-LSTM measured 3.14e-5 on the plain SIMD build, seed 9.
 */
const LN_ALL_ERROR = 6e-5;
/** The ablations' input gates ('softmax', 'lnSigmoid') lose the README gate's damping (engine-lstm.test.ts). */
const ABLATION_GATE_ERROR = 1.5e-4;
const FLOOR_FRACTION = 0.1;

interface Case {
  readonly name: string;
  readonly make: () => CellKernel;
  /** Gate blocks of z: 4 LSTM, 5 NovoLSTM, 3 GRU. */
  readonly blocks: number;
  readonly tolerance: number;
}

const CASES: readonly Case[] = [
  { name: 'LSTM', make: () => lstmCell({ units: H, inputDim: D }), blocks: 4, tolerance: MAX_RELATIVE_ERROR },
  {
    name: "LSTM 'hardSigmoid'",
    make: () => lstmCell({ units: H, inputDim: D, recurrentActivation: 'hardSigmoid' }),
    blocks: 4,
    tolerance: MAX_RELATIVE_ERROR,
  },
  {
    name: "LSTM layerNorm 'all' (LN-LSTM)",
    make: () => lstmCell({ units: H, inputDim: D, layerNorm: 'all' }),
    blocks: 4,
    tolerance: LN_ALL_ERROR,
  },
  ...INPUT_GATES.flatMap((inputGate) =>
    (['inputGate', 'all'] as const).map((layerNorm) => ({
      name: `NovoLSTM inputGate '${inputGate}', layerNorm '${layerNorm}'`,
      make: () => novoLstmCell({ units: H, inputDim: D, inputGate, layerNorm }),
      blocks: 5,
      tolerance:
        inputGate === 'softmax' || inputGate === 'lnSigmoid'
          ? ABLATION_GATE_ERROR
          : layerNorm === 'all'
            ? LN_ALL_ERROR
            : MAX_RELATIVE_ERROR,
    })),
  ),
  { name: 'GRU', make: () => gruCell({ units: H, inputDim: D }), blocks: 3, tolerance: MAX_RELATIVE_ERROR },
  {
    name: 'GRU resetAfter false',
    make: () => gruCell({ units: H, inputDim: D, resetAfter: false }),
    blocks: 3,
    tolerance: MAX_RELATIVE_ERROR,
  },
  {
    name: "GRU 'hardSigmoid'",
    make: () => gruCell({ units: H, inputDim: D, recurrentActivation: 'hardSigmoid' }),
    blocks: 3,
    tolerance: MAX_RELATIVE_ERROR,
  },
];

function assertSameOutput(what: string, actual: PlanOutput, expected: PlanOutput): void {
  assertSameBits(`${what} h`, actual.h, expected.h);
  assertSameBits(`${what} hT`, actual.hT, expected.hT);
  assertSameBits(`${what} cT`, actual.cT, expected.cT);
}

function data(cell: CellKernel, seed: number) {
  const rng = new Random(seed);
  const r = (n: number, scale: number) => Float32Array.from(randomArray(rng, n, scale));
  const mask = new Uint8Array(T * B).fill(1);
  // Rows padded at the start, in the middle and at the end; one row all padding.
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) if ((b * 7 + t * 3) % 5 === 0) mask[t * B + b] = 0;
  for (let t = 0; t < T; t++) mask[t * B + 11] = 0;
  return {
    p: randomCellWeights(cell, rng, 0.3),
    x: r(T * B * D, 1),
    mask,
    h0: r(B * H, 0.5),
    c0: cell.hasCellState ? r(B * H, 0.5) : undefined,
  };
}

describe('tape-free forward (plan.infer)', async () => {
  const builds = await availableBuilds();
  // A fresh instance per case (its own memory), so that a kernel fault in one case cannot leak into the next.
  const engines: (() => Promise<Engine | null>)[] = [
    async () => null,
    ...builds.map((build) => async () => loadEngine({ build })),
  ];
  const names = ['reference', ...builds];

  it('the blocks of time steps do not divide T at these sizes (so the last block is a partial one)', () => {
    for (const c of CASES) {
      const G = c.blocks * Math.ceil(H / 4) * 4;
      const blockSteps = Math.floor(INFER_BLOCK_BYTES / (4 * B * G));
      assert.ok(blockSteps > 1 && blockSteps < T && T % blockSteps !== 0, `${c.name}: ${blockSteps} steps`);
    }
  });

  for (const [e, makeEngine] of engines.entries()) {
    const on = names[e];
    for (const c of CASES) {
      it(`${on} ${c.name}: bit for bit forward's outputs, masked, reversed, with initial states, both layouts`, async () => {
        const engine = await makeEngine();
        const cell = c.make();
        const { p, x, mask, h0, c0 } = data(cell, 5);
        const plan = recurrentPlan(engine, cell, T, B);
        plan.setWeights(p);
        const variants = [
          {},
          { mask, reverse: true, h0, c0 },
          { mask, batchMajor: true },
          { mask, reverse: true, batchMajor: true, sequence: false, h0, c0 },
          { reverse: true, sequence: false },
        ];
        for (const options of variants) {
          const what = `${on} ${c.name} ${JSON.stringify(Object.keys(options))}`;
          const trained = plan.forward(x, options);
          const inferred = plan.infer(x, options);
          assertSameOutput(what, inferred, trained);
          // And again after a forward's tape and a second infer: nothing carries over between calls.
          assertSameOutput(`${what} (second call)`, plan.infer(x, options), trained);
        }
      });
    }
  }

  for (const [e, makeEngine] of engines.entries()) {
    if (e === 0) continue; // the reference itself
    for (const c of CASES) {
      it(`${names[e]} ${c.name}: against the float64 reference kernels, masked and reversed`, async () => {
        const engine = await makeEngine();
        const cell = c.make();
        const { p, x, mask, h0, c0 } = data(cell, 9);
        const p64: Params = {};
        for (const k of Object.keys(p)) p64[k] = Float64Array.from(p[k]);
        const ref = recurrentForward(cell, p64, Float64Array.from(x), {
          T,
          B,
          mask,
          reverse: true,
          h0: Float64Array.from(h0),
          c0: c0 && Float64Array.from(c0),
        });
        const plan = recurrentPlan(engine, cell, T, B);
        plan.setWeights(p);
        const out = plan.infer(x, { mask, reverse: true, h0, c0 });
        const close = (what: string, actual: ArrayLike<number>, expected: ArrayLike<number>) => {
          let scale = 0;
          for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
          assertClose(
            `${engine!.build} ${c.name} ${what}`,
            actual,
            expected,
            c.tolerance,
            FLOOR_FRACTION * scale,
          );
        };
        close('h', out.h, ref.h);
        close('hT', out.hT, ref.hT);
        if (cell.hasCellState) close('cT', out.cT!, ref.cT!);
      });
    }
  }

  for (const [e, makeEngine] of engines.entries()) {
    it(`${names[e]}: a backward after infer refuses (nothing was kept), after forward it runs`, async () => {
      const engine = await makeEngine();
      const cell = CASES[3].make();
      const { p, x } = data(cell, 3);
      const plan = recurrentPlan(engine, cell, T, B);
      plan.setWeights(p);
      const g = zeroGradients(cell, new Float32Array(0));
      plan.forward(x);
      plan.infer(x);
      assert.throws(() => plan.backward(g, { dhT: new Float32Array(B * H) }), ConfigError);
      plan.forward(x);
      const grad = plan.backward(g, { dhT: new Float32Array(B * H).fill(1) });
      assert.ok(grad.dx.some((v) => v !== 0));
    });
  }
});
