/**
 * A layer's kept engine plan (src/layers/recurrentKernels.ts) takes a new batch shape in its engine's own
 * memory, from the start: every output and gradient is bit for bit what a fresh engine instance gives,
 * whatever shapes came before (larger, smaller, the same again), with masks and reversed; the plan of the
 * old shape refuses a backward rather than read the new plan's buffers; and the instance's memory is the
 * largest plan's, not the sum of the shapes'.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { gruCell, lstmCell, novoLstmCell } from '../src/cells.js';
import { ConfigError } from '../src/errors.js';
import { liveEngineMemory } from '../src/engine/loader.js';
import type { CellKernel, Params } from '../src/kernels/contract.js';
import { zeroGradients } from '../src/kernels/reference/recurrence.js';
import { useFastKernels, useReferenceKernels } from '../src/layers/backend.js';
import { sequenceBackward, sequenceForward } from '../src/layers/recurrentKernels.js';
import { Random } from '../src/random.js';
import { lengthsMask, randomArray, randomCellWeights } from './helpers.js';

const [UNITS, INPUT_DIM] = [7, 3];

const CELLS: readonly [string, () => CellKernel][] = [
  ['LSTM', () => lstmCell({ units: UNITS, inputDim: INPUT_DIM })],
  ["LSTM layerNorm 'all'", () => lstmCell({ units: UNITS, inputDim: INPUT_DIM, layerNorm: 'all' })],
  ['GRU', () => gruCell({ units: UNITS, inputDim: INPUT_DIM })],
  ...(['readme', 'reference', 'softmax', 'lnSigmoid'] as const).map(
    (inputGate): [string, () => CellKernel] => [
      `NovoLSTM inputGate '${inputGate}'`,
      () => novoLstmCell({ units: UNITS, inputDim: INPUT_DIM, inputGate }),
    ],
  ),
  ["NovoLSTM layerNorm 'all'", () => novoLstmCell({ units: UNITS, inputDim: INPUT_DIM, layerNorm: 'all' })],
];

/** Row lengths of each batch in turn (T = the longest): larger, smaller, the first again, then odd ones. */
const SHAPES: readonly (readonly number[])[] = [
  [9, 2, 5],
  [4, 3],
  [9, 2, 5],
  [13, 1, 13, 6, 11],
  [3],
  [9, 2, 5],
];

interface Batch {
  readonly options: Parameters<typeof sequenceForward>[3];
  readonly x: Float32Array;
  readonly upstream: Parameters<typeof sequenceBackward>[2];
}

function batches(cell: CellKernel, rng: Random): Batch[] {
  return SHAPES.map((lengths, i) => {
    const B = lengths.length;
    const T = Math.max(...lengths);
    return {
      options: { T, B, mask: lengthsMask(lengths, T), reverse: i % 2 === 1, sequence: true },
      x: Float32Array.from(randomArray(rng, B * T * INPUT_DIM)),
      upstream: {
        dh: Float32Array.from(randomArray(rng, B * T * UNITS)),
        dhT: Float32Array.from(randomArray(rng, B * UNITS)),
        dcT: cell.spec.kind === 'gru' ? null : Float32Array.from(randomArray(rng, B * UNITS)),
      },
    };
  });
}

/** Every output and gradient of one batch, forward then backward on the cell's kept plan. */
function run(cell: CellKernel, p: Params, batch: Batch): Record<string, Float32Array | null> {
  const out = sequenceForward(cell, p, batch.x, batch.options);
  const g = zeroGradients(cell, new Float32Array(0));
  const grad = sequenceBackward(g, out.saved, batch.upstream);
  const weights = Object.fromEntries(cell.weights.map((w) => [`d${w.name}`, g[w.name] as Float32Array]));
  return {
    h: out.h,
    hT: out.hT,
    cT: out.cT,
    dx: grad.dx as Float32Array,
    dh0: grad.dh0 as Float32Array,
    dc0: grad.dc0 as Float32Array | null,
    ...weights,
  };
}

describe("a kept plan's new batch shape in its engine's memory", () => {
  before(async () => assert.notEqual(await useFastKernels(), 'reference'));
  after(() => useReferenceKernels());

  for (const [name, make] of CELLS) {
    it(`${name}: bit for bit a fresh instance's, shape after shape`, () => {
      const rng = new Random(77);
      const kept = make();
      const p = randomCellWeights(kept, rng);
      for (const [i, batch] of batches(kept, rng).entries()) {
        const reused = run(kept, p, batch);
        const fresh = run(make(), p, batch); // a new cell: a new kept plan on a new instance
        for (const key of Object.keys(fresh)) {
          assert.deepEqual(reused[key], fresh[key], `${name}, batch ${i} (${SHAPES[i]}): ${key}`);
        }
      }
    });
  }

  it("refuses the old shape's backward once the new shape's plan took the memory", () => {
    const rng = new Random(5);
    const cell = novoLstmCell({ units: UNITS, inputDim: INPUT_DIM });
    const p = randomCellWeights(cell, rng);
    const [first, second] = batches(cell, rng);
    const old = sequenceForward(cell, p, first.x, first.options);
    sequenceForward(cell, p, second.x, second.options);
    assert.throws(
      () => sequenceBackward(zeroGradients(cell, new Float32Array(0)), old.saved, first.upstream),
      (e: unknown) => e instanceof ConfigError && /another batch shape/.test(e.message),
    );
  });

  it("keeps the instance's memory at the largest plan's size", () => {
    const rng = new Random(9);
    const cell = novoLstmCell({ units: 61, inputDim: INPUT_DIM });
    const p = randomCellWeights(cell, rng);
    const memories = () => new Set(liveEngineMemory().map((m) => m.memoryBytes));
    const before = memories();
    const x = (T: number, B: number) => Float32Array.from(randomArray(rng, T * B * INPUT_DIM));
    // The largest shape first, then smaller ones: no instance is made or grown after the first.
    sequenceForward(cell, p, x(97, 33), { T: 97, B: 33, sequence: false });
    const largest = [...memories()].filter((m) => !before.has(m));
    assert.equal(largest.length, 1, 'one new instance for the first shape');
    const count = liveEngineMemory().length;
    for (const [T, B] of [
      [50, 33],
      [97, 9],
      [3, 1],
    ]) {
      sequenceForward(cell, p, x(T, B), { T, B, sequence: false });
      // At most as many (the collector may free some other test's instance meanwhile, never add one).
      assert.ok(liveEngineMemory().length <= count, `no new instance for T = ${T}, B = ${B}`);
      assert.ok(memories().has(largest[0]), 'the instance did not grow');
    }
  });
});
