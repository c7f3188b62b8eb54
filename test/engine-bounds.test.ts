/**
 * The fused engine touches only the buffers of the cell it runs, for every cell option, and a plan per
 * batch shape is right whatever shapes came before (issue #18: NovoLSTM inputGate 'softmax' threw
 * "RuntimeError: memory access out of bounds" on embedded-reber after 15,008 training sequences).
 *
 * That fault: the 'softmax' gate has no input-gate layer norm, so its plan has an empty rstd buffer, yet
 * backward read rstd at step k, 4·k·B bytes past where that buffer lies (the plan's last bytes then).
 * WebAssembly memory grows in 64 KiB pages, so the read stayed in bounds unless the plan happened to end
 * close to the end of its memory — at units 16, 7 inputs and batch 16, of T = 1 … 60 only T = 37 did. Two
 * ways to see it without that luck:
 *   - a plan placed so that its last byte is the last byte of memory: a read of any buffer the cell does
 *     not have (all empty, at the plan's end: FastRecurrent.allocate) traps, from T = 1, B = 1 (forward,
 *     backward and the tape-free `infer`);
 *   - through the layers' kept plans, a batch with (T − 1)·B > 16,384 after shorter ones: the read at
 *     4·(T − 1)·B bytes past the plan's end then passes the end of memory however much of its last page
 *     is free.
 * Both compare every output and gradient with the reference kernels on the same float32 values.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { gruCell, lstmCell, novoLstmCell } from '../src/cells.js';
import {
  availableBuilds,
  loadEngine,
  WASM_BUILDS,
  type Engine,
  type WasmBuild,
} from '../src/engine/loader.js';
import { recurrentPlan, type RecurrentPlan } from '../src/engine/plan.js';
import type { CellKernel } from '../src/kernels/contract.js';
import { zeroGradients } from '../src/kernels/reference/recurrence.js';
import { useFastKernels, useReferenceKernels } from '../src/layers/backend.js';
import { sequenceBackward, sequenceForward } from '../src/layers/recurrentKernels.js';
import { Random } from '../src/random.js';
import { assertClose, lengthsMask, randomArray, randomCellWeights } from './helpers.js';

/** WebAssembly's page: memory grows by whole pages. */
const PAGE_BYTES = 65536;

/**
 * Engine against the float32 reference kernels on the same values, relative to each array's largest
 * magnitude below FLOOR_FRACTION of it. Measured: up to 2.4e-5 (NovoLSTM 'reference' with layerNorm 'all'
 * on the batch of 1,031 steps), under 1e-5 elsewhere. A wrong index or a value read from another buffer
 * is off by order 1.
 */
const MAX_RELATIVE_ERROR = 1e-4;
/**
 * NovoLSTM's 'readme' and 'lnSigmoid' input gates with layerNorm 'all': five norms a step, the input
 * gate's over σ values that may lie close together, so both sides' float32 rounding is amplified (as in
 * engine-lstm.test.ts). Measured 1.7e-4 on the batch of 1,031 steps, 1.6e-5 on the short ones.
 */
const SIGMOID_NORM_ALL_ERROR = 5e-4;
/** As in engine-lstm.test.ts: below 10% of the largest magnitude an element is compared at that scale. */
const FLOOR_FRACTION = 0.1;

interface CellOption {
  readonly name: string;
  readonly make: (units: number, inputDim: number) => CellKernel;
  readonly tolerance: number;
}

/** Every cell option the engine runs, each kernel variant once. */
const CELL_OPTIONS: readonly CellOption[] = [
  { name: 'LSTM', make: (units, inputDim) => lstmCell({ units, inputDim }), tolerance: MAX_RELATIVE_ERROR },
  {
    name: "LSTM recurrentActivation 'hardSigmoid'",
    make: (units, inputDim) => lstmCell({ units, inputDim, recurrentActivation: 'hardSigmoid' }),
    tolerance: MAX_RELATIVE_ERROR,
  },
  {
    name: "LSTM layerNorm 'all'",
    make: (units, inputDim) => lstmCell({ units, inputDim, layerNorm: 'all' }),
    tolerance: MAX_RELATIVE_ERROR,
  },
  { name: 'GRU', make: (units, inputDim) => gruCell({ units, inputDim }), tolerance: MAX_RELATIVE_ERROR },
  {
    name: 'GRU resetAfter false',
    make: (units, inputDim) => gruCell({ units, inputDim, resetAfter: false }),
    tolerance: MAX_RELATIVE_ERROR,
  },
  ...(['readme', 'reference', 'softmax', 'lnSigmoid'] as const).flatMap((inputGate) =>
    (['inputGate', 'all'] as const).map((layerNorm): CellOption => ({
      name: `NovoLSTM inputGate '${inputGate}', layerNorm '${layerNorm}'`,
      make: (units, inputDim) => novoLstmCell({ units, inputDim, inputGate, layerNorm }),
      tolerance:
        layerNorm === 'all' && (inputGate === 'readme' || inputGate === 'lnSigmoid')
          ? SIGMOID_NORM_ALL_ERROR
          : MAX_RELATIVE_ERROR,
    })),
  ),
];

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

/**
 * A plan whose last byte is the last byte of its engine's memory: its size measured on a scratch engine,
 * then the same plan allocated on a fresh one after just enough padding.
 */
async function planAtMemoryEnd(
  build: WasmBuild,
  cell: CellKernel,
  T: number,
  B: number,
): Promise<RecurrentPlan> {
  const scratch = (await loadEngine({ build }))!;
  const start = scratch.arena.mark();
  recurrentPlan(scratch, cell, T, B);
  const planBytes = scratch.arena.mark() - start;

  const engine: Engine = (await loadEngine({ build }))!;
  const base = engine.arena.mark();
  const memoryBytes = Math.max(
    engine.wasm.memory.buffer.byteLength,
    Math.ceil((base + planBytes) / PAGE_BYTES) * PAGE_BYTES,
  );
  engine.arena.allocBytes(memoryBytes - base - planBytes);
  const plan = recurrentPlan(engine, cell, T, B);
  // Without this the test would pass without seeing anything.
  assert.equal(engine.arena.mark(), engine.wasm.memory.buffer.byteLength, 'the plan ends where memory ends');
  return plan;
}

describe('engine: a plan ending at the last byte of memory, every cell option = reference', async () => {
  const builds = await availableBuilds();
  const [T, B, units, inputDim] = [3, 2, 5, 3];
  for (const build of WASM_BUILDS) {
    for (const { name, make, tolerance } of CELL_OPTIONS) {
      it(
        `${name} (${build} build), T=${T} B=${B} units=${units} inputDim=${inputDim}`,
        {
          skip: !builds.includes(build),
        },
        async () => {
          const cell = make(units, inputDim);
          const plan = await planAtMemoryEnd(build, cell, T, B);
          const reference = recurrentPlan(null, cell, T, B);
          const rng = new Random(18);
          const p = randomCellWeights(cell, rng);
          plan.setWeights(p);
          reference.setWeights(p);
          const runs = [
            { batchMajor: true, mask: lengthsMask([T, 1], T) },
            { batchMajor: false, reverse: true },
          ];
          for (const options of runs) {
            const what = `${name} ${JSON.stringify({ ...options, mask: options.mask ? [...options.mask] : undefined })}`;
            const x = Float32Array.from(randomArray(rng, T * B * inputDim));
            const upstream = {
              dh: Float32Array.from(randomArray(rng, T * B * units)),
              dhT: Float32Array.from(randomArray(rng, B * units)),
              dcT: cell.spec.kind === 'gru' ? null : Float32Array.from(randomArray(rng, B * units)),
            };
            const out = plan.forward(x, options);
            const expected = reference.forward(x, options);
            const g = zeroGradients(cell, new Float32Array(0));
            const gExpected = zeroGradients(cell, new Float32Array(0));
            const grad = plan.backward(g, upstream);
            const gradExpected = reference.backward(gExpected, upstream);
            close(`${what} h`, out.h, expected.h, tolerance);
            close(`${what} hT`, out.hT, expected.hT, tolerance);
            if (expected.cT) close(`${what} cT`, out.cT!, expected.cT, tolerance);
            close(`${what} dx`, grad.dx, gradExpected.dx, tolerance);
            close(`${what} dh0`, grad.dh0, gradExpected.dh0, tolerance);
            if (gradExpected.dc0) close(`${what} dc0`, grad.dc0!, gradExpected.dc0, tolerance);
            for (const w of cell.weights)
              close(`${what} d${w.name}`, g[w.name], gExpected[w.name], tolerance);
            // The tape-free forward writes its step intermediates into the tape's first slots.
            const inferred = plan.infer(x, options);
            close(`${what} infer h`, inferred.h, expected.h, tolerance);
            close(`${what} infer hT`, inferred.hT, expected.hT, tolerance);
            if (expected.cT) close(`${what} infer cT`, inferred.cT!, expected.cT, tolerance);
          }
        },
      );
    }
  }
});

/**
 * Batch shapes as a training run on variable-length sequences meets them: T grows, shrinks and grows
 * again, B changes, rows padded at their ends; the last is the long one ((T − 1)·B > 16,384) that reaches
 * past any page's free bytes.
 */
const SHAPES: readonly (readonly number[])[] = [
  [4, 3, 2], // lengths of the rows; T = the longest
  [9, 2, 5],
  [2, 1, 2],
  [11, 11, 3, 7, 1],
  [6, 6, 6],
  [1031, 17, 3, 1031, 9, 12, 1, 2, 30, 4, 1031, 5, 8, 6, 3, 1031],
];

describe('layers: changing batch shapes through the kept engine plans, every cell option = reference', () => {
  after(() => useReferenceKernels());
  const [units, inputDim] = [5, 3];
  for (const { name, make, tolerance } of CELL_OPTIONS) {
    it(`${name}: batches of T ${SHAPES.map((s) => Math.max(...s)).join(', ')}`, async () => {
      const cell = make(units, inputDim);
      const rng = new Random(1000);
      const p = randomCellWeights(cell, rng);
      for (const lengths of SHAPES) {
        const B = lengths.length;
        const T = Math.max(...lengths);
        const what = `${name} T=${T} B=${B}`;
        const options = { T, B, mask: lengthsMask(lengths, T), sequence: true };
        const x = Float32Array.from(randomArray(rng, B * T * inputDim)); // [B, T, D], as the layers hold it
        const upstream = {
          dh: Float32Array.from(randomArray(rng, B * T * units)),
          dhT: Float32Array.from(randomArray(rng, B * units)),
          dcT: cell.spec.kind === 'gru' ? null : Float32Array.from(randomArray(rng, B * units)),
        };
        const runs = [];
        for (const fast of [true, false]) {
          if (fast) await useFastKernels();
          else useReferenceKernels();
          const out = sequenceForward(cell, p, x, options);
          const g = zeroGradients(cell, new Float32Array(0));
          const grad = sequenceBackward(g, out.saved, upstream);
          runs.push({ out, grad, g });
        }
        const [engine, reference] = runs;
        close(`${what} h`, engine.out.h, reference.out.h, tolerance);
        close(`${what} hT`, engine.out.hT, reference.out.hT, tolerance);
        if (reference.out.cT) close(`${what} cT`, engine.out.cT!, reference.out.cT, tolerance);
        close(`${what} dx`, engine.grad.dx, reference.grad.dx, tolerance);
        close(`${what} dh0`, engine.grad.dh0, reference.grad.dh0, tolerance);
        if (reference.grad.dc0) close(`${what} dc0`, engine.grad.dc0!, reference.grad.dc0, tolerance);
        for (const w of cell.weights)
          close(`${what} d${w.name}`, engine.g[w.name], reference.g[w.name], tolerance);
      }
    });
  }
});
