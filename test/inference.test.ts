/**
 * Inference through the model API runs the tape-free forward (ForwardContext.gradient false) and gives
 * the training forward's results bit for bit: `predict` the layers' outputs with a tape, `evaluate` the
 * loss `computeGradients` reports; `DataParallel.predict` over 1, 2 and 3 worker threads gives bit for
 * bit `model.predict`, and one worker's `evaluate` gives `model.evaluate`. A model with every recurrent
 * kind, padding masks, a reversed layer and odd sizes; on the engine and on the reference kernels.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { ConfigError } from '../src/errors.js';
import * as layers from '../src/layers/index.js';
import type { Batch } from '../src/layers/layer.js';
import { useFastKernels, useReferenceKernels } from '../src/layers/backend.js';
import { sequential, type Sequential } from '../src/index.js';
import { DataParallel } from '../src/parallel/pool.js';
import { Random } from '../src/random.js';
import { tensor, type Tensor } from '../src/tensor.js';
import { adam } from '../src/training/optimizers.js';
import { perturbWeights } from './modelHelpers.js';
import { assertSameBits } from './helpers.js';

const [B, T, V] = [13, 9, 11];

after(() => useReferenceKernels());

function model(): Sequential {
  const m = sequential({
    seed: 6,
    layers: [
      layers.embedding({ inputDim: V, outputDim: 7, maskZero: true, inputShape: [null] }),
      layers.novoLSTM({ units: 9, returnSequences: true, layerNorm: 'all' }),
      layers.lstm({ units: 7, returnSequences: true, goBackwards: true }),
      layers.gru({ units: 5, returnSequences: true, resetAfter: false }),
      layers.dense({ units: V, activation: 'softmax' }),
    ],
  });
  perturbWeights(m, 2, 0.2);
  m.markWeightsChanged();
  m.compile({ optimizer: adam({ learningRate: 1e-2 }), loss: 'sparseCategoricalCrossentropy' });
  return m;
}

/** Rows with different numbers of real steps (id 0 pads). */
function batch(): { x: Tensor; y: Tensor } {
  const rng = new Random(8);
  const x = Int32Array.from({ length: B * T }, (_, i) =>
    i % T > 2 + ((i / T) % 6) ? 0 : 1 + rng.int(V - 1),
  );
  const y = Int32Array.from({ length: B * T }, () => rng.int(V));
  return { x: tensor(x, [B, T], 'int32'), y: tensor(y, [B, T], 'int32') };
}

/** The layers' outputs through the training forward (a tape kept for a backward that does not come). */
function tapedForward(m: Sequential, x: Tensor): Float32Array {
  const ctx = { training: false, rng: new Random(0), gradient: true };
  let a: Batch = { data: x.data as Int32Array, shape: x.shape, mask: null };
  for (const layer of m.layers) a = layer.forward(a, ctx).output;
  return a.data as Float32Array;
}

for (const kernels of ['engine', 'reference'] as const) {
  describe(`inference on the ${kernels} kernels`, () => {
    const setUp = async () => {
      if (kernels === 'engine') assert.notEqual(await useFastKernels(), 'reference');
      else useReferenceKernels();
    };

    it("predict gives the training forward's outputs and evaluate computeGradients' loss, bit for bit", async () => {
      await setUp();
      const m = model();
      const { x, y } = batch();
      const taped = tapedForward(m, x);
      assertSameBits('predict', m.predict(x, { batchSize: B }).data as Float32Array, taped);
      const loss = m.evaluate(x, y, { batchSize: B }) as number;
      assert.ok(Number.isFinite(loss) && loss > 0);
      assert.equal(loss, m.computeGradients(x, y));
      // A gradient after inference still comes from a fresh forward with its tape.
      assert.ok(m.grads.some((g) => g !== 0));
    });

    it('a recurrent layer run without a gradient keeps nothing: its backward refuses with a ConfigError', async () => {
      await setUp();
      const m = model();
      const { x } = batch();
      const embedded = m.layers[0].forward(
        { data: x.data, shape: x.shape, mask: null },
        { training: false, rng: new Random(0) },
      );
      const ctx = { training: false, rng: new Random(0), gradient: false };
      const step = m.layers[1].forward(embedded.output, ctx);
      assert.throws(() => step.backward(new Float32Array(B * T * 9)), ConfigError);
    });

    it('predict split over 1, 2 and 3 workers is bit for bit predict on this thread', async () => {
      await setUp();
      const m = model();
      const { x, y } = batch();
      const here = m.predict(x, { batchSize: B });
      for (const workers of [1, 2, 3]) {
        const pool = await DataParallel.create(m, { workers });
        try {
          const split = await pool.predict(x);
          assert.deepEqual(split.shape, here.shape);
          assertSameBits(`${workers} workers`, split.data as Float32Array, here.data as Float32Array);
          if (workers === 1) {
            const totals = await pool.evaluate(x, y);
            assert.equal(m.report(totals), m.evaluate(x, y, { batchSize: B }));
          }
        } finally {
          await pool.close();
        }
      }
    });
  });
}
