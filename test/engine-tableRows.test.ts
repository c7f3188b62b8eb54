/**
 * x given as rows of a table (`inputRows`, an embedding's output): the engine gathers x·W from the
 * table's product instead of multiplying every row, and sums dz by id for the table's gradient instead of
 * making dx. Forward and infer must be bit for bit the same as on x itself; backward's dh0, dc0, recurrent
 * kernel and bias too (the same sums), and its input kernel and the table's gradient close to xᵀ·dz and
 * to dx scattered by id (the same terms summed in another order). For every cell variant, on each build,
 * with masks, reverse, initial states, both layouts, and on sizes where the blocks of time steps do not
 * divide T and the units divide neither the tile nor the vector width.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gruCell, lstmCell, novoLstmCell } from '../src/cells.js';
import { ShapeError, ValueError } from '../src/errors.js';
import { availableBuilds, loadEngine } from '../src/engine/loader.js';
import { recurrentPlan, type PlanOutput } from '../src/engine/plan.js';
import { INFER_BLOCK_BYTES } from '../src/engine/recurrent.js';
import { INPUT_GATES, type CellKernel } from '../src/kernels/contract.js';
import { zeroGradients } from '../src/kernels/reference/recurrence.js';
import { Random } from '../src/random.js';
import { assertClose, assertSameBits, randomArray, randomCellWeights } from './helpers.js';

/** As engine-infer.test.ts: 7 steps, blocks of 3–5 steps at these sizes; V ids, 2V ≤ T·B. */
const [T, B, D, H, V] = [7, 37, 13, 203, 11];
/**
 * The same float32 terms summed in another order (by id first): each sum of T·B = 259 terms that cancel
 * rounds differently by a few ulps of its largest terms, so the error is relative to the largest value of
 * the array (as engine-infer.test.ts's floor), not to each element.
 */
const REORDERED_SUM = 1e-5;

/** assertClose with a floor of the expected values' largest magnitude. */
function assertReordered(what: string, actual: ArrayLike<number>, expected: ArrayLike<number>): void {
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  assertClose(what, actual, expected, REORDERED_SUM, scale);
}

const CELLS: readonly (readonly [string, () => CellKernel])[] = [
  ['LSTM', () => lstmCell({ units: H, inputDim: D })],
  ["LSTM 'hardSigmoid'", () => lstmCell({ units: H, inputDim: D, recurrentActivation: 'hardSigmoid' })],
  ["LSTM layerNorm 'all'", () => lstmCell({ units: H, inputDim: D, layerNorm: 'all' })],
  ...INPUT_GATES.flatMap((inputGate) =>
    (['inputGate', 'all'] as const).map(
      (layerNorm) =>
        [
          `NovoLSTM '${inputGate}' layerNorm '${layerNorm}'`,
          () => novoLstmCell({ units: H, inputDim: D, inputGate, layerNorm }),
        ] as const,
    ),
  ),
  ['GRU', () => gruCell({ units: H, inputDim: D })],
  ['GRU resetAfter false', () => gruCell({ units: H, inputDim: D, resetAfter: false })],
];

function assertSameOutput(what: string, actual: PlanOutput, expected: PlanOutput): void {
  assertSameBits(`${what} h`, actual.h, expected.h);
  assertSameBits(`${what} hT`, actual.hT, expected.hT);
  assertSameBits(`${what} cT`, actual.cT, expected.cT);
}

/** x [T·B rows, D] = table[ids] row by row, in whichever layout ids has. */
function gather(table: Float32Array, ids: Int32Array): Float32Array {
  const x = new Float32Array(ids.length * D);
  ids.forEach((id, r) => x.set(table.subarray(id * D, (id + 1) * D), r * D));
  return x;
}

/** dx [T·B rows, D] summed by id into [V, D], in float64. */
function scatterById(dx: Float32Array, ids: Int32Array): Float64Array {
  const out = new Float64Array(V * D);
  ids.forEach((id, r) => {
    for (let d = 0; d < D; d++) out[id * D + d] += dx[r * D + d];
  });
  return out;
}

function data(cell: CellKernel, seed: number) {
  const rng = new Random(seed);
  const r = (n: number, scale: number) => Float32Array.from(randomArray(rng, n, scale));
  const mask = new Uint8Array(T * B).fill(1);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) if ((b * 7 + t * 3) % 5 === 0) mask[t * B + b] = 0;
  const table = r(V * D, 1);
  const ids = Int32Array.from({ length: T * B }, () => rng.int(V));
  return {
    p: randomCellWeights(cell, rng, 0.3),
    table,
    ids,
    x: gather(table, ids),
    mask,
    h0: r(B * H, 0.5),
    c0: cell.hasCellState ? r(B * H, 0.5) : undefined,
    dh: r(T * B * H, 1),
    dhT: r(B * H, 1),
    dcT: cell.hasCellState ? r(B * H, 1) : undefined,
  };
}

describe('x as rows of a table (inputRows)', async () => {
  const builds = await availableBuilds();
  assert.ok(builds.length > 0, 'this machine has WebAssembly SIMD');

  it('the blocks of the tape-free forward do not divide T here, and the table pays (2V ≤ T·B)', () => {
    // G = blocks · U: 3 (GRU), 4 (LSTM, NovoLSTM's ablation gates), 5 (NovoLSTM 'readme', 'reference').
    for (const blocks of [3, 4, 5]) {
      const blockSteps = Math.floor(INFER_BLOCK_BYTES / (4 * B * blocks * Math.ceil(H / 4) * 4));
      assert.ok(
        blockSteps > 1 && blockSteps < T && T % blockSteps !== 0,
        `${blocks} blocks: ${blockSteps} steps`,
      );
    }
    assert.ok(2 * V <= T * B);
  });

  for (const build of builds) {
    for (const [name, make] of CELLS) {
      it(`${build} ${name}: forward and infer bit for bit x's, backward's gradients x's`, async () => {
        const engine = (await loadEngine({ build }))!;
        const cell = make();
        const { p, table, ids, x, mask, h0, c0, dh, dhT, dcT } = data(cell, 5);
        const plan = recurrentPlan(engine, cell, T, B);
        plan.setWeights(p);
        const plainBytes = engine.arena.allocatedBytes;
        const variants = [
          { options: {}, upstream: { dh } },
          { options: { mask, reverse: true, h0, c0 }, upstream: { dh, dhT, dcT } },
          { options: { mask, batchMajor: true }, upstream: { dh } },
          { options: { mask, reverse: true, batchMajor: true, sequence: false }, upstream: { dhT, dcT } },
        ];
        for (const { options, upstream } of variants) {
          const what = `${build} ${name} ${JSON.stringify(Object.keys(options))}`;
          const plain = plan.forward(x, options);
          const gPlain = zeroGradients(cell, new Float32Array(0)) as Record<string, Float32Array>;
          const plainGrad = plan.backward(gPlain, upstream);

          const gradient = new Float32Array(V * D).fill(0.5); // backward adds into it
          const byRows = plan.forward(x, { ...options, inputRows: { table, ids, gradient } });
          assertSameOutput(`${what} forward`, byRows, plain);
          const gRows = zeroGradients(cell, new Float32Array(0)) as Record<string, Float32Array>;
          const rowsGrad = plan.backward(gRows, upstream);
          assert.equal(rowsGrad.dx.length, 0, `${what}: dx is not made`);
          assertSameBits(`${what} dh0`, rowsGrad.dh0 as Float32Array, plainGrad.dh0 as Float32Array);
          assertSameBits(
            `${what} dc0`,
            rowsGrad.dc0 as Float32Array | null,
            plainGrad.dc0 as Float32Array | null,
          );
          for (const key of Object.keys(gPlain)) {
            if (key === 'kernel') assertReordered(`${what} d${key}`, gRows[key], gPlain[key]);
            else assertSameBits(`${what} d${key}`, gRows[key], gPlain[key]);
          }
          const expected = scatterById(plainGrad.dx as Float32Array, ids).map((v) => v + 0.5);
          assertReordered(`${what} the table's gradient`, gradient, expected);

          assertSameOutput(`${what} infer`, plan.infer(x, { ...options, inputRows: { table, ids } }), plain);

          // Without a gradient to add into, backward returns dx as on x: bit for bit.
          plan.forward(x, { ...options, inputRows: { table, ids } });
          const gNoTable = zeroGradients(cell, new Float32Array(0)) as Record<string, Float32Array>;
          const noTable = plan.backward(gNoTable, upstream);
          assertSameBits(`${what} dx`, noTable.dx as Float32Array, plainGrad.dx as Float32Array);
          for (const key of Object.keys(gPlain))
            assertSameBits(`${what} d${key} (dx made)`, gNoTable[key], gPlain[key]);
        }
        assert.equal(engine.arena.allocatedBytes, plainBytes, "the table's memory is given back");
      });
    }
  }

  it('a table too large to pay (2V > T·B) is not used: dx is returned, bit for bit as on x', async () => {
    const engine = (await loadEngine({ build: builds[0] }))!;
    const cell = lstmCell({ units: 9, inputDim: 3 });
    const [t, b, v] = [3, 5, 8];
    const rng = new Random(2);
    const table = Float32Array.from(randomArray(rng, v * 3, 1));
    const ids = Int32Array.from({ length: t * b }, () => rng.int(v));
    const x = new Float32Array(t * b * 3);
    ids.forEach((id, r) => x.set(table.subarray(id * 3, id * 3 + 3), r * 3));
    const plan = recurrentPlan(engine, cell, t, b);
    plan.setWeights(randomCellWeights(cell, rng));
    const dhT = Float32Array.from(randomArray(rng, b * 9, 1));
    plan.forward(x);
    const plain = plan.backward(zeroGradients(cell, new Float32Array(0)), { dhT });
    const gradient = new Float32Array(v * 3);
    plan.forward(x, { inputRows: { table, ids, gradient } });
    const byRows = plan.backward(zeroGradients(cell, new Float32Array(0)), { dhT });
    assertSameBits('dx', byRows.dx as Float32Array, plain.dx as Float32Array);
    assert.ok(
      gradient.every((g) => g === 0),
      'nothing added to the table gradient',
    );
  });

  it('the reference kernels take inputRows and compute from x, returning dx', () => {
    const cell = gruCell({ units: 5, inputDim: 3 });
    const rng = new Random(3);
    const table = Float32Array.from(randomArray(rng, 2 * 3, 1));
    const ids = Int32Array.from({ length: 4 * 6 }, () => rng.int(2));
    const x = new Float32Array(4 * 6 * 3);
    ids.forEach((id, r) => x.set(table.subarray(id * 3, id * 3 + 3), r * 3));
    const plan = recurrentPlan(null, cell, 4, 6);
    plan.setWeights(randomCellWeights(cell, rng));
    const dhT = Float32Array.from(randomArray(rng, 6 * 5, 1));
    plan.forward(x, { inputRows: { table, ids, gradient: new Float32Array(6) } });
    assert.equal(plan.backward(zeroGradients(cell, new Float32Array(0)), { dhT }).dx.length, 4 * 6 * 3);
  });

  it('bad table rows get a typed error naming them, and leave the plan usable', async () => {
    const engine = (await loadEngine({ build: builds[0] }))!;
    const cell = novoLstmCell({ units: 7, inputDim: 3 });
    const [t, b] = [5, 3];
    const rng = new Random(4);
    const table = Float32Array.from(randomArray(rng, 2 * 3, 1));
    const ids = Int32Array.from({ length: t * b }, () => rng.int(2));
    const x = new Float32Array(t * b * 3);
    ids.forEach((id, r) => x.set(table.subarray(id * 3, id * 3 + 3), r * 3));
    const plan = recurrentPlan(engine, cell, t, b);
    plan.setWeights(randomCellWeights(cell, rng));
    const bytes = engine.arena.allocatedBytes;
    const refuses = (inputRows: object, error: typeof ShapeError | typeof ValueError, names: RegExp) =>
      assert.throws(
        () => plan.forward(x, { inputRows } as never),
        (e: unknown) => e instanceof error && names.test((e as Error).message),
      );
    refuses({ table: table.subarray(0, 5), ids }, ShapeError, /inputRows\.table/);
    refuses({ table, ids: Float32Array.from(ids) }, ShapeError, /inputRows\.ids/);
    refuses({ table, ids: ids.subarray(1) }, ShapeError, /inputRows\.ids/);
    refuses(
      { table, ids: Int32Array.from(ids, (id, r) => (r === 7 ? 2 : id)) },
      ValueError,
      /inputRows\.ids\[7\]/,
    );
    refuses({ table, ids, gradient: new Float32Array(5) }, ShapeError, /inputRows\.gradient/);
    refuses(
      { table: Float32Array.from(table, (v, i) => (i === 4 ? NaN : v)), ids },
      ValueError,
      /inputRows\.table/,
    );
    assert.equal(engine.arena.allocatedBytes, bytes, 'nothing left allocated by a refused forward');
    const dhT = new Float32Array(b * 7).fill(1);
    plan.forward(x, { inputRows: { table, ids, gradient: new Float32Array(6) } });
    assert.equal(plan.backward(zeroGradients(cell, new Float32Array(0)), { dhT }).dx.length, 0);
  });
});
