/**
 * What the data-parallel workers are built from (parallel/replicaBundle.ts): the model's weights and
 * layers without the optimizer's moments, compiled with the pool's loss and metrics — so a replica
 * computes the losses, metrics and gradients the model itself does, from logits or not.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { modelFromBytes, modelToBytes } from '../src/io/bundle.js';
import { unpackTar } from '../src/io/tar.js';
import * as layers from '../src/layers/index.js';
import { useFastKernels, useReferenceKernels } from '../src/layers/backend.js';
import { sequential, type Sequential } from '../src/index.js';
import { DataParallel } from '../src/parallel/pool.js';
import { compileReplica, replicaBundle, replicaCompile } from '../src/parallel/replicaBundle.js';
import { Random } from '../src/random.js';
import { tensor } from '../src/tensor.js';
import { sparseCategoricalCrossentropy } from '../src/training/losses.js';
import { adam } from '../src/training/optimizers.js';
import { perturbWeights } from './modelHelpers.js';

const [B, T, V] = [9, 5, 7];

after(() => useReferenceKernels());

/** Logits out (a linear head), a cross-entropy from logits, a metric, Adam with its moments. */
function logitsModel(): Sequential {
  const m = sequential({
    seed: 3,
    layers: [
      layers.embedding({ inputDim: V, outputDim: 3, inputShape: [T] }),
      layers.novoLSTM({ units: 5 }),
      layers.dense({ units: V }),
    ],
  });
  perturbWeights(m, 5, 0.3);
  m.markWeightsChanged();
  m.compile({
    optimizer: adam({ learningRate: 1e-2 }),
    loss: sparseCategoricalCrossentropy({ fromLogits: true }),
    metrics: ['accuracy'],
  });
  return m;
}

function batch(seed: number) {
  const rng = new Random(seed);
  return {
    x: tensor(
      Int32Array.from({ length: B * T }, () => rng.int(V)),
      [B, T],
      'int32',
    ),
    y: tensor(
      Int32Array.from({ length: B }, () => rng.int(V)),
      [B],
      'int32',
    ),
  };
}

describe('the replica bundle', () => {
  it('holds the layers and weights, not the optimizer moments; compiled, it is the model', async () => {
    const model = logitsModel();
    const { x, y } = batch(1);
    model.trainOnBatch(x, y); // Adam's moments are now non-zero and part of a save
    const bytes = await replicaBundle(model);
    const names = unpackTar(bytes).map((f) => f.name);
    assert.equal(names.length, 2, names.join());
    assert.ok(names.includes('model.json'));
    assert.ok(names.some((n) => n.startsWith('weights-')) && !names.some((n) => n.startsWith('optimizer-')));
    // Adam's two moments, 8 bytes a weight, are what the full save has more.
    const saved = await modelToBytes(model);
    assert.ok(saved.length - bytes.length >= 8 * model.values.length, `${saved.length} vs ${bytes.length}`);

    const replica = await modelFromBytes(bytes);
    assert.equal(replica.compiled, null);
    assert.deepEqual(replica.values, model.values);
    compileReplica(replica, replicaCompile(model));
    assert.equal(replica.compiled!.loss, model.compiled!.loss);
    assert.equal(replica.compiled!.fromLogits, true);
    assert.deepEqual(
      replica.compiled!.metrics.map((m) => m.name),
      ['accuracy'],
    );
    assert.equal(replica.compiled!.optimizer.slots.length, 0, 'the replica keeps no moments');
    // The same loss, metric and gradient as the model on the same batch.
    const next = batch(2);
    assert.deepEqual(
      replica.runBatch(next.x, next.y, null, true, true),
      model.runBatch(next.x, next.y, null, true, true),
    );
    assert.deepEqual(replica.grads, model.grads);
  });

  for (const kernels of ['engine', 'reference'] as const) {
    it(`one worker's step is the model's own, from logits with a metric (${kernels})`, async () => {
      if (kernels === 'engine') assert.notEqual(await useFastKernels(), 'reference');
      else useReferenceKernels();
      const [single, pooled] = [logitsModel(), logitsModel()];
      const pool = await DataParallel.create(pooled, { workers: 1 });
      try {
        for (const seed of [3, 4]) {
          const { x, y } = batch(seed);
          const expected = single.runBatch(x, y, null, true, true);
          single.applyGradients();
          assert.deepEqual(await pool.trainStep(x, y), expected);
          assert.deepEqual(pooled.values, single.values);
        }
        const { x, y } = batch(5);
        assert.deepEqual(await pool.evaluate(x, y), single.runBatch(x, y, null, false, false));
      } finally {
        await pool.close();
      }
    });
  }
});
