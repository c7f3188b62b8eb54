/**
 * Micro-batches (models/microbatches.ts): with a micro-batch size, one thread and 1, 2 or 3 workers train
 * the same weights bit for bit — dropout, a mask, a stateful layer and sample weights included — on the
 * engine and on the reference kernels; the summed gradient is the whole batch's; a micro-batch as large as
 * the batch is the plain step; fit (1 and 2 workers) and fitDataset (1 and 3) train the same weights; a bad
 * size is a typed error.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { ConfigError } from '../src/errors.js';
import * as layers from '../src/layers/index.js';
import { useFastKernels, useReferenceKernels } from '../src/layers/backend.js';
import { sequential, type Sequential } from '../src/index.js';
import { assignMicrobatches, microbatchGradient, microbatchRanges } from '../src/models/microbatches.js';
import { DataParallel } from '../src/parallel/pool.js';
import { Random } from '../src/random.js';
import { tensor, type Tensor } from '../src/tensor.js';
import { adam } from '../src/training/optimizers.js';
import { openTrainer } from '../src/training/trainer.js';
import { assertSameBits } from './helpers.js';
import { perturbWeights } from './modelHelpers.js';
import '../src/index.js';

const B = 11;
const T = 7;
const V = 13;
/** 11 rows in micro-batches of 3: 3, 3, 3, 2; three workers get 1, 1 and 2 of them. */
const SIZE = 3;

after(() => useReferenceKernels());

/** Every recurrent kind, a mask from padding, a stateful layer and (optionally) dropout in two places. */
function model(dropout: boolean): Sequential {
  const m = sequential({
    seed: 4,
    layers: [
      layers.embedding({ inputDim: V, outputDim: 5, maskZero: true, inputShape: [null] }),
      layers.novoLSTM({ units: 9, returnSequences: true, stateful: true, dropout: dropout ? 0.3 : 0 }),
      layers.lstm({ units: 7, returnSequences: true, goBackwards: true }),
      ...(dropout ? [layers.dropout({ rate: 0.25 })] : []),
      layers.gru({ units: 5, returnSequences: true }),
      layers.dense({ units: V, activation: 'softmax' }),
    ],
  });
  perturbWeights(m, 9, 0.2);
  m.markWeightsChanged();
  m.compile({ optimizer: adam({ learningRate: 1e-2 }), loss: 'sparseCategoricalCrossentropy' });
  return m;
}

/** Rows with different numbers of real steps (so the micro-batches weigh differently), and sample weights. */
function batches(count: number): { x: Tensor; y: Tensor; w: Tensor }[] {
  const rng = new Random(21);
  return Array.from({ length: count }, () => {
    const x = Int32Array.from({ length: B * T }, (_, i) =>
      i % T > 2 + ((i / T) % 5) ? 0 : 1 + rng.int(V - 1),
    );
    const y = Int32Array.from({ length: B * T }, () => rng.int(V));
    const w = Float32Array.from({ length: B }, () => 0.5 + rng.uniform());
    return { x: tensor(x, [B, T], 'int32'), y: tensor(y, [B, T], 'int32'), w: tensor(w, [B]) };
  });
}

/** The weights, losses and carried states after three steps with `workers` threads and micro-batches. */
async function train(workers: number, dropout: boolean) {
  const m = model(dropout);
  const trainer = await openTrainer(m, { workers, subject: 'test: workers', microbatchSize: SIZE });
  try {
    const losses: number[] = [];
    for (const { x, y, w } of batches(3)) losses.push(m.report(await trainer.step(x, y, null, w)) as number);
    await trainer.syncStates();
    const states = (m.layers[1] as unknown as { getStates(): Tensor[] }).getStates();
    return { values: m.values, losses, states, rng: m.trainingRng.getState() };
  } finally {
    await trainer.close();
  }
}

describe('micro-batch ranges', () => {
  it('split a batch into fixed-size micro-batches and workers into contiguous runs of them', () => {
    assert.deepEqual(microbatchRanges(11, 3), [
      [0, 3],
      [3, 6],
      [6, 9],
      [9, 11],
    ]);
    assert.deepEqual(microbatchRanges(4, 8), [[0, 4]]);
    assert.deepEqual(assignMicrobatches(4, 3), [
      [0, 1],
      [1, 2],
      [2, 4],
    ]);
    // More workers than micro-batches: the rest get none.
    assert.deepEqual(assignMicrobatches(2, 3), [
      [0, 1],
      [1, 2],
    ]);
  });
});

for (const kernels of ['engine', 'reference'] as const) {
  describe(`micro-batches on the ${kernels} kernels`, () => {
    const setUp = async () => {
      if (kernels === 'engine') assert.notEqual(await useFastKernels(), 'reference');
      else useReferenceKernels();
    };

    it('one thread and 1, 2 and 3 workers train the same weights bit for bit, with dropout', async () => {
      await setUp();
      const one = await train(1, true);
      for (const workers of [1, 2, 3]) {
        const pooled = await train(workers, true);
        assertSameBits(`weights, ${workers} workers`, pooled.values, one.values);
        assert.deepEqual(pooled.losses, one.losses, `losses, ${workers} workers`);
        assert.equal(pooled.states.length, 2);
        pooled.states.forEach((s, i) =>
          assertSameBits(
            `state ${i}, ${workers} workers`,
            s.data as Float32Array,
            one.states[i].data as Float32Array,
          ),
        );
        // The masks come from their own seeds: the generator that shuffles the data is not drawn from.
        assert.deepEqual(pooled.rng, one.rng);
      }
      // Dropout did something: without it the weights differ.
      const plain = await train(1, false);
      assert.notDeepEqual(plain.values, one.values);
    });

    it("the micro-batches' summed gradient is the whole batch's, within 1e-6 of its largest entry", async () => {
      await setUp();
      const [{ x, y, w }] = batches(1);
      const whole = model(false);
      whole.runBatch(x, y, null, true, true, w);
      const parts = model(false);
      microbatchGradient(parts, x, y, w, SIZE);
      let worst = 0;
      let scale = 0;
      for (let i = 0; i < whole.grads.length; i++) {
        worst = Math.max(worst, Math.abs(parts.grads[i] - whole.grads[i]));
        scale = Math.max(scale, Math.abs(whole.grads[i]));
      }
      assert.ok(scale > 1e-3, 'the gradient is not trivially zero');
      assert.ok(worst <= 1e-6 * scale, `gradients differ by ${worst} (largest ${scale})`);
      // … and not the same bits: the terms were summed in another order, which is the point.
      assert.notDeepEqual(parts.grads, whole.grads);
    });

    it('a micro-batch as large as the batch is the plain step, bit for bit', async () => {
      await setUp();
      const data = batches(2);
      const plain = model(false);
      for (const { x, y, w } of data) plain.trainRows(x, y, null, w);
      const m = model(false);
      const trainer = await openTrainer(m, { workers: 1, subject: 'test: workers', microbatchSize: B });
      for (const { x, y, w } of data) await trainer.step(x, y, null, w);
      assertSameBits('weights', m.values, plain.values);
    });
  });
}

describe('micro-batch options', () => {
  it('a bad size is a ConfigError naming the option, from fit, fitDataset and the pool', async () => {
    const m = model(false);
    const [{ x, y }] = batches(1);
    for (const bad of [0, 2.5, -1, '3', Number.NaN]) {
      await assert.rejects(
        m.fit(x, y, { microbatchSize: bad as number, verbose: 0 }),
        (e: unknown) => e instanceof ConfigError && e.subject === 'fit: microbatchSize',
      );
      await assert.rejects(
        m.fitDataset([{ xs: x, ys: y }], { microbatchSize: bad as number, verbose: 0 }),
        (e: unknown) => e instanceof ConfigError && e.subject === 'fitDataset: microbatchSize',
      );
      await assert.rejects(
        DataParallel.create(m, { workers: 2, microbatchSize: bad as number }),
        (e: unknown) => e instanceof ConfigError && e.subject === 'microbatchSize',
      );
    }
  });

  it('fit with micro-batches: 1 and 2 workers give the same history and weights bit for bit', async () => {
    await useFastKernels();
    const data = batches(2);
    const x = tensor(Int32Array.from([...data[0].x.data, ...data[1].x.data]), [2 * B, T], 'int32');
    const y = tensor(Int32Array.from([...data[0].y.data, ...data[1].y.data]), [2 * B, T], 'int32');
    const runs = [];
    for (const workers of [1, 2]) {
      const m = sequential({
        seed: 5,
        layers: [
          layers.embedding({ inputDim: V, outputDim: 5, maskZero: true, inputShape: [null] }),
          layers.lstm({ units: 7, returnSequences: true, dropout: 0.2 }),
          layers.dense({ units: V, activation: 'softmax' }),
        ],
      });
      m.compile({ optimizer: adam({ learningRate: 1e-2 }), loss: 'sparseCategoricalCrossentropy' });
      const history = await m.fit(x, y, { batchSize: 9, epochs: 2, microbatchSize: 4, workers, verbose: 0 });
      runs.push({ loss: history.history.loss, values: m.values });
    }
    assert.deepEqual(runs[1].loss, runs[0].loss);
    assertSameBits('weights', runs[1].values, runs[0].values);
    useReferenceKernels();
  });

  it('fitDataset with micro-batches: 1 and 3 workers give the same weights bit for bit', async () => {
    await useFastKernels();
    const data = batches(2);
    const runs = [];
    for (const workers of [1, 3]) {
      const m = model(true);
      const dataset = data.map(({ x, y }) => ({ xs: x, ys: y }));
      const history = await m.fitDataset(dataset, { epochs: 2, microbatchSize: SIZE, workers, verbose: 0 });
      runs.push({ loss: history.history.loss, values: m.values });
    }
    assert.deepEqual(runs[1].loss, runs[0].loss);
    assertSameBits('weights', runs[1].values, runs[0].values);
    useReferenceKernels();
  });
});
