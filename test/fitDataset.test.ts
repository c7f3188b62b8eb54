/**
 * fitDataset: training on batches that arrive one at a time. Over `tensorBatches` without shuffling it is
 * fit itself, bit for bit; a seeded shuffle repeats run to run; an async generator function that makes its
 * batches on the fly trains; batchesPerEpoch continues one pass; workers give the one-thread result; a
 * used-up generator, a dataset that runs short and a bad label name where they happened.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as nl from '../src/index.js';
import { cloneModel } from '../src/models/clone.js';
import { Random } from '../src/random.js';
import { assertClose } from './helpers.js';
import { perturbWeights, randomFloats } from './modelHelpers.js';

const N = 13;
const T = 4;
const D = 3;
const C = 3;

function model(seed = 1): nl.Sequential {
  const m = nl.sequential({
    layers: [
      nl.layers.lstm({ units: 5, inputShape: [T, D], dropout: 0.2 }),
      nl.layers.dense({ units: C, activation: 'softmax' }),
    ],
    seed,
  });
  perturbWeights(m, seed + 1);
  m.markWeightsChanged();
  m.compile({
    optimizer: nl.optimizers.adam({ learningRate: 0.02 }),
    loss: 'sparseCategoricalCrossentropy',
    metrics: ['accuracy'],
  });
  return m;
}

/** A learnable task: the class is which third of [-1, 1) the first feature's mean over time falls in. */
function task(rng: Random, n: number): { x: nl.Tensor; y: nl.Tensor } {
  const x = randomFloats(rng, [n, T, D]);
  const y = Array.from({ length: n }, (_, i) => {
    let mean = 0;
    for (let t = 0; t < T; t++) mean += x.data[(i * T + t) * D] / T;
    return mean < -0.15 ? 0 : mean < 0.15 ? 1 : 2;
  });
  return { x, y: nl.tensor(y, undefined, 'int32') };
}

describe('fitDataset', () => {
  it('over tensorBatches without shuffling is fit without shuffling, bit for bit (dropout included)', async () => {
    const { x, y } = task(new Random(3), N);
    const a = model();
    const b = cloneModel(a);
    b.compile({
      optimizer: nl.optimizers.adam({ learningRate: 0.02 }),
      loss: 'sparseCategoricalCrossentropy',
      metrics: ['accuracy'],
    });
    const ha = await a.fit(x, y, {
      epochs: 3,
      batchSize: 5,
      shuffle: false,
      verbose: 0,
      validationData: [x, y],
    });
    const hb = await b.fitDataset(nl.tensorBatches(x, y, { batchSize: 5 }), {
      epochs: 3,
      verbose: 0,
      validationData: [x, y],
    });
    assert.deepEqual(b.values, a.values);
    assert.deepEqual(hb.history.loss, ha.history.loss);
    assert.deepEqual(hb.history.accuracy, ha.history.accuracy);
    assert.deepEqual(hb.history.val_accuracy, ha.history.val_accuracy);
    // fit validates in batches of 5 here, fitDataset's [x, y] in batches of 32: the sums round differently.
    assertClose(
      'val_loss',
      Float32Array.from(hb.history.val_loss),
      Float32Array.from(ha.history.val_loss),
      1e-6,
    );
  });

  it('a seeded shuffle repeats run to run and differs from another seed', async () => {
    const { x, y } = task(new Random(4), N);
    const run = async (seed: number): Promise<Float32Array> => {
      const m = model();
      await m.fitDataset(nl.tensorBatches(x, y, { batchSize: 4, shuffle: true, seed }), {
        epochs: 2,
        verbose: 0,
      });
      return m.values;
    };
    const first = await run(7);
    assert.deepEqual(await run(7), first);
    assert.notDeepEqual(await run(8), first);
  });

  it('an async generator function making batches on the fly trains: the loss falls, accuracy rises', async () => {
    // Never more than one batch in memory: each epoch's generator draws its batches from a seeded stream.
    let pass = 0;
    async function* stream(): AsyncGenerator<{ xs: nl.Tensor; ys: nl.Tensor }> {
      const rng = new Random(100 + pass++);
      for (let b = 0; b < 8; b++) {
        const { x, y } = task(rng, 16);
        yield { xs: x, ys: y };
      }
    }
    const m = model(5);
    const held = task(new Random(999), 64);
    const before = m.evaluate(held.x, held.y) as number[];
    const history = await m.fitDataset(stream, { epochs: 6, verbose: 0, validationData: [held.x, held.y] });
    assert.equal(pass, 6);
    assert.equal(m.compiled!.optimizer.iterations, 48);
    const after = history.history.val_loss.at(-1)!;
    assert.ok(after < before[0] * 0.8, `val_loss ${before[0]} → ${after}`);
    assert.ok(
      history.history.val_accuracy.at(-1)! > before[1],
      `val_accuracy ${before[1]} → ${history.history.val_accuracy.at(-1)}`,
    );
  });

  it('batchesPerEpoch takes that many batches from one endless pass; [xs, ys] pairs and sampleWeight work', async () => {
    const rng = new Random(6);
    function* endless(): Generator<
      readonly [nl.Tensor, nl.Tensor] | { xs: nl.Tensor; ys: nl.Tensor; sampleWeight: number[] }
    > {
      for (let i = 0; ; i++) {
        const { x, y } = task(rng, 5);
        yield i % 2 === 0 ? [x, y] : { xs: x, ys: y, sampleWeight: [1, 2, 0, 1, 1] };
      }
    }
    const m = model();
    const progress: string[] = [];
    await m.fitDataset(endless(), {
      epochs: 3,
      batchesPerEpoch: 4,
      verbose: 2,
      progressSink: { write: (t) => progress.push(t) },
    });
    assert.equal(m.compiled!.optimizer.iterations, 12);
    assert.match(progress.join(''), /Epoch 3\/3 - 4\/4/);
  });

  it('a validation dataset gives the val_ values evaluate gives', async () => {
    const { x, y } = task(new Random(7), N);
    const m = model();
    const history = await m.fitDataset([{ xs: x, ys: y }], {
      epochs: 1,
      verbose: 0,
      validationData: nl.tensorBatches(x, y, { batchSize: 4 }),
    });
    const [loss, accuracy] = m.evaluate(x, y) as number[];
    assert.ok(Math.abs(history.history.val_loss[0] - loss) < 1e-6);
    assert.equal(history.history.val_accuracy[0], accuracy);
  });

  it('split over two workers: the one-thread result to float32 rounding', async () => {
    const { x, y } = task(new Random(8), 2 * N);
    const local = model();
    const pooled = cloneModel(local);
    pooled.compile({
      optimizer: nl.optimizers.adam({ learningRate: 0.02 }),
      loss: 'sparseCategoricalCrossentropy',
      metrics: ['accuracy'],
    });
    const data = nl.tensorBatches(x, y, { batchSize: 9 });
    // Dropout masks differ between one thread and a pool (each worker draws its own): compare without them.
    for (const m of [local, pooled]) (m.layers[0] as unknown as { dropout: number }).dropout = 0;
    await local.fitDataset(data, { epochs: 2, verbose: 0 });
    await pooled.fitDataset(data, { epochs: 2, verbose: 0, workers: 2 });
    assertClose('weights', pooled.values, local.values, 1e-5);
  });

  it('a used-up generator object, a short dataset, a bad label and a bad batch: typed errors saying where', async () => {
    const { x, y } = task(new Random(9), N);
    function* once(): Generator<{ xs: nl.Tensor; ys: nl.Tensor }> {
      yield { xs: x, ys: y };
    }
    await assert.rejects(
      model().fitDataset(once(), { epochs: 2, verbose: 0 }),
      (e: Error) =>
        e instanceof nl.ValueError &&
        /no batches in epoch 2/.test(e.message) &&
        /generator function/.test(e.message),
    );
    await assert.rejects(
      model().fitDataset(once, { epochs: 2, batchesPerEpoch: 1, verbose: 0 }),
      (e: Error) =>
        e instanceof nl.ValueError && /ran out in epoch 2 after 0 of batchesPerEpoch 1/.test(e.message),
    );
    const bad = Array.from(y.data);
    bad[7] = 5;
    const m = model();
    const batches = [
      { xs: x, ys: y },
      { xs: x, ys: nl.tensor(bad, undefined, 'int32') },
    ];
    await assert.rejects(
      m.fitDataset(batches, { verbose: 0 }),
      (e: Error) =>
        e instanceof nl.ValueError &&
        /^fitDataset: epoch 1, batch 2: ys: class index 7 is out of range \(sample 7\)/.test(e.message),
    );
    assert.equal(m.compiled!.optimizer.iterations, 1, 'the first batch trained, the bad one did not');
    await assert.rejects(model().fitDataset([{ xs: x, labels: y } as never], { verbose: 0 }), nl.ConfigError);
    await assert.rejects(
      model().fitDataset(42 as never, { verbose: 0 }),
      (e: Error) => e instanceof nl.ConfigError && /iterable/.test(e.message),
    );
  });
});
