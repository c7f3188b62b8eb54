/**
 * Stepping the fused sequences one time step at a time (FastLstm.step, FastGru.step — what generation
 * runs): T calls of `step` (or of `stepProjected` with the input projections made by `project`, or of
 * `step` with the recurrent product run first by `stepRecurrentFirst` every other step, or at batch 1 of
 * `stepSharedProjected` after it, the projection added after the product) give bit for bit
 * the outputs of one `forward` over the T steps, for every cell
 * the engine runs, on sizes that divide neither the tile nor the vector width (B=2, D=13, u=19) and at
 * batch 1; and a backward after stepping is an error, not a gradient of the wrong pass.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gruCell, lstmCell, novoLstmCell } from '../src/cells.js';
import { FastGru } from '../src/engine/gru.js';
import { loadEngine, type Engine } from '../src/engine/loader.js';
import { FastLstm } from '../src/engine/lstm.js';
import type { StepShare } from '../src/engine/share.js';
import type { CellKernel } from '../src/kernels/contract.js';
import { zeroGradients } from '../src/kernels/reference/recurrence.js';
import { Random } from '../src/random.js';
import { randomArray, randomCellWeights } from './helpers.js';

const CELLS: readonly [string, (units: number, inputDim: number) => CellKernel][] = [
  ['LSTM', (units, inputDim) => lstmCell({ units, inputDim })],
  ['NovoLSTM', (units, inputDim) => novoLstmCell({ units, inputDim })],
  [
    "NovoLSTM inputGate 'reference'",
    (units, inputDim) => novoLstmCell({ units, inputDim, inputGate: 'reference' }),
  ],
  ["NovoLSTM layerNorm 'all'", (units, inputDim) => novoLstmCell({ units, inputDim, layerNorm: 'all' })],
  [
    "NovoLSTM inputGate 'softmax'",
    (units, inputDim) => novoLstmCell({ units, inputDim, inputGate: 'softmax' }),
  ],
  [
    "NovoLSTM inputGate 'lnSigmoid'",
    (units, inputDim) => novoLstmCell({ units, inputDim, inputGate: 'lnSigmoid' }),
  ],
  ["LSTM layerNorm 'all'", (units, inputDim) => lstmCell({ units, inputDim, layerNorm: 'all' })],
  ['GRU', (units, inputDim) => gruCell({ units, inputDim })],
  ['GRU resetAfter: false', (units, inputDim) => gruCell({ units, inputDim, resetAfter: false })],
];

/** One thread with every column, as `stepShared` sees a share; nothing to exchange. */
const ALL_COLUMNS: StepShare = { columns: (N) => [0, N], exchange: () => {} };

function fastSequence(engine: Engine, cell: CellKernel, T: number, B: number): FastLstm | FastGru {
  return cell.hasCellState ? new FastLstm(engine, cell, T, B) : new FastGru(engine, cell, T, B);
}

describe('engine: stepping = one forward over the same steps', async () => {
  const engine = await loadEngine();
  for (const [name, make] of CELLS) {
    for (const B of [1, 2]) {
      it(`${name}, B=${B}`, { skip: !engine }, () => {
        const [T, D, u] = [5, 13, 19];
        const U = Math.ceil(u / 4) * 4;
        const cell = make(u, D);
        const rng = new Random(B * 100 + name.length);
        const p = randomCellWeights(cell, rng);
        const x = Float32Array.from(randomArray(rng, T * B * D, 1)); // [T, B, D]
        const whole = fastSequence(engine!, cell, T, B);
        whole.setWeights(p);
        const expected = whole.forward(x).h; // [T, B, u]

        const stepper = fastSequence(engine!, cell, 1, B);
        stepper.setWeights(p);
        const { arena } = engine!;
        const xPtr = arena.allocFloats(B * D);
        // Every step's input projection at once, for stepProjected: [T·B, G].
        const projections = arena.allocFloats(T * B * stepper.G);
        stepper.project(projections, arena.copyIn(x), D, T * B);
        assert.equal(stepper.recurrentFirstExact, true);
        for (let round = 0; round < (B === 1 ? 5 : 4); round++) {
          // The later rounds repeat the first after resetSteps: the state starts from zero again. The third
          // steps from the projections; the fourth runs the recurrent product first at even steps; the
          // fifth (batch 1) runs it first at every step and adds the projection after it.
          if (round > 0) stepper.resetSteps();
          for (let t = 0; t < T; t++) {
            arena.f32(xPtr, B * D).set(x.subarray(t * B * D, (t + 1) * B * D));
            if (round === 3 && t % 2 === 0) stepper.stepRecurrentFirst();
            const projected = projections + 4 * t * B * stepper.G;
            if (round === 4) stepper.stepRecurrentFirst(ALL_COLUMNS);
            const hPtr =
              round === 2
                ? stepper.stepProjected(projected)
                : round === 4
                  ? stepper.stepSharedProjected(() => projected, ALL_COLUMNS)
                  : stepper.step(xPtr, D);
            const h = arena.f32(hPtr, B * U);
            for (let b = 0; b < B; b++) {
              assert.deepEqual(
                h.slice(b * U, b * U + u),
                expected.slice((t * B + b) * u, (t * B + b + 1) * u),
                `round ${round}, step ${t}, row ${b}`,
              );
              // The padded units stay exactly zero, so the next layer may read u of the U values.
              for (let j = u; j < U; j++) assert.equal(h[b * U + j], 0);
            }
          }
        }
      });
    }
  }

  it(
    'backward after stepping is an error; a forward starts the steps from zero again',
    { skip: !engine },
    () => {
      const cell = lstmCell({ units: 3, inputDim: 2 });
      const fast = new FastLstm(engine!, cell, 1, 1);
      const p = randomCellWeights(cell, new Random(3));
      assert.throws(() => fast.step(0, 2), /step before setWeights/);
      fast.setWeights(p);
      const x = Float32Array.of(0.5, -1);
      const first = fast.forward(x).h;
      fast.forward(x);
      const xPtr = engine!.arena.copyIn(x);
      const afterForward = engine!.arena.f32(fast.step(xPtr, 2), 3).slice();
      assert.deepEqual(afterForward, first);
      assert.throws(
        () => fast.backward(zeroGradients(cell, new Float32Array(0)), {}),
        /backward before forward/,
      );
    },
  );

  it(
    'stepRecurrentFirst: only step may follow; where the sums would change it is an error',
    { skip: !engine },
    () => {
      const cell = lstmCell({ units: 3, inputDim: 2 });
      const fast = new FastLstm(engine!, cell, 1, 1);
      fast.setWeights(randomCellWeights(cell, new Random(4)));
      fast.stepRecurrentFirst();
      assert.throws(() => fast.stepProjected(0), /stepProjected after stepRecurrentFirst/);
      assert.throws(() => fast.stepRecurrentFirst(), /stepRecurrentFirst after stepRecurrentFirst/);
      // More inputs than one K block of the multiply: x·W is summed in two blocks, which h·U first would
      // associate differently.
      const KC = engine!.wasm.gemmDepthBlock();
      const deep = lstmCell({ units: 3, inputDim: KC + 3 });
      const wide = new FastLstm(engine!, deep, 1, 1);
      wide.setWeights(randomCellWeights(deep, new Random(5)));
      assert.equal(wide.recurrentFirstExact, false);
      assert.throws(
        () => wide.stepRecurrentFirst(),
        new RegExp(`inputDim and units ≤ ${KC}.*${KC + 3} and 3`),
      );
      // stepSharedProjected only after stepRecurrentFirst, and at batch 1; dropRecurrentFirst forgets the
      // product (the state stays), so stepProjected may follow.
      const z = engine!.arena.copyIn(Float32Array.from(randomArray(new Random(6), fast.G, 1)));
      assert.equal(fast.recurrentPending, true);
      fast.dropRecurrentFirst();
      assert.equal(fast.recurrentPending, false);
      assert.throws(
        () => fast.stepSharedProjected(() => z, ALL_COLUMNS),
        /stepSharedProjected comes after stepRecurrentFirst/,
      );
      const twin = new FastLstm(engine!, cell, 1, 1);
      twin.setWeights(randomCellWeights(cell, new Random(4)));
      const h = engine!.arena.f32(fast.stepProjected(z), 3).slice();
      assert.deepEqual(h, engine!.arena.f32(twin.stepProjected(z), 3));
      const two = new FastLstm(engine!, cell, 1, 2);
      two.setWeights(randomCellWeights(cell, new Random(4)));
      two.stepRecurrentFirst();
      assert.throws(() => two.stepSharedProjected(() => z, ALL_COLUMNS), /batch 1 only/);
      // The GRU keeps the two products apart: any size.
      const gru = new FastGru(engine!, gruCell({ units: 3, inputDim: KC + 3 }), 1, 1);
      assert.equal(gru.recurrentFirstExact, true);
    },
  );
});
