/**
 * One training step and one TBPTT loop (training/trainer.ts, lm/tbptt.ts): the local trainer's step on
 * some rows is the model's own step on those rows, bit for bit; the pooled trainer with one worker gives the
 * same weights; the window loop gives what the plain loop it replaced gave (states reset at each epoch's
 * first window, carried in between), and stops a diverged run with the caller's error naming the window.
 * And model.fit / model.save are the package entry's: without it they say so, with it they train and save.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { TextStreams } from '../src/data/text/streams.js';
import { ConfigError } from '../src/errors.js';
import * as layers from '../src/layers/index.js';
import { useReferenceKernels } from '../src/layers/backend.js';
import { buildLanguageModel } from '../src/lm/languageModel.js';
import { TbpttLoop } from '../src/lm/tbptt.js';
import { takeRows } from '../src/models/batches.js';
import { sequential, type Sequential } from '../src/models/sequential.js';
import { DataParallel } from '../src/parallel/pool.js';
import { Random } from '../src/random.js';
import { tensor, type Tensor } from '../src/tensor.js';
import { adam } from '../src/training/optimizers.js';
import { LocalTrainer, openTrainer, PooledTrainer } from '../src/training/trainer.js';

const B = 7;
const T = 5;
const V = 11;

after(() => useReferenceKernels());

function classifier(): Sequential {
  const m = sequential({
    seed: 3,
    layers: [
      layers.embedding({ inputDim: V, outputDim: 4, inputShape: [T] }),
      layers.lstm({ units: 5 }),
      layers.dense({ units: 3, activation: 'softmax' }),
    ],
  });
  m.compile({ optimizer: adam({ learningRate: 0.05 }), loss: 'sparseCategoricalCrossentropy' });
  return m;
}

function data(seed: number): { x: Tensor; y: Tensor } {
  const rng = new Random(seed);
  return {
    x: tensor(
      Int32Array.from({ length: B * T }, () => rng.int(V)),
      [B, T],
      'int32',
    ),
    y: tensor(
      Int32Array.from({ length: B }, () => rng.int(3)),
      [B],
      'int32',
    ),
  };
}

/** The first index where a and b differ, with both values; null when they are the same bits. */
function firstDifference(a: Float32Array, b: Float32Array): string | null {
  for (let i = 0; i < a.length; i++) {
    if (!Object.is(a[i], b[i])) return `[${i}]: ${a[i]} vs ${b[i]}`;
  }
  return a.length === b.length ? null : `lengths ${a.length} vs ${b.length}`;
}

describe('Trainer.step', () => {
  it('locally, steps on the given rows exactly as trainOnBatch on those rows', async () => {
    const [viaTrainer, viaModel] = [classifier(), classifier()];
    const trainer = new LocalTrainer(viaTrainer);
    const rows = [5, 0, 3, 6];
    for (const seed of [1, 2, 3]) {
      const { x, y } = data(seed);
      const totals = await trainer.step(x, y, rows);
      const loss = viaModel.trainOnBatch(takeRows(x, rows), takeRows(y, rows));
      assert.equal(viaTrainer.report(totals), loss);
    }
    assert.equal(firstDifference(viaTrainer.values, viaModel.values), null);
    assert.equal(viaTrainer.weightsVersion, viaModel.weightsVersion);
  });

  it('with a pool of one worker, gives the local step bit for bit, and its rows', async () => {
    const [pooled, local] = [classifier(), classifier()];
    const trainer = new PooledTrainer(await DataParallel.create(pooled, { workers: 1 }));
    try {
      const rows = [6, 1, 2];
      for (const seed of [4, 5]) {
        const { x, y } = data(seed);
        const a = await trainer.step(x, y, rows);
        const b = await new LocalTrainer(local).step(x, y, rows);
        assert.deepEqual(a, b);
      }
      assert.equal(firstDifference(pooled.values, local.values), null);
    } finally {
      await trainer.close();
    }
  });

  it('openTrainer: one worker trains here; a bad worker count is a ConfigError naming the option', async () => {
    const m = classifier();
    assert.ok((await openTrainer(m, { workers: 1, subject: 'fit: workers' })) instanceof LocalTrainer);
    assert.ok((await openTrainer(m, { workers: 4, subject: 'w', maxWorkers: 1 })) instanceof LocalTrainer);
    await assert.rejects(openTrainer(m, { workers: 0, subject: 'fit: workers' }), (e: Error) => {
      assert.ok(e instanceof ConfigError);
      assert.match(e.message, /^fit: workers/);
      return true;
    });
  });
});

describe('TbpttLoop', () => {
  const vocabulary = ['a', 'b', 'c', 'd', 'e'];
  const ids = Int32Array.from({ length: 97 }, (_, i) => (i * 7 + (i >> 2)) % vocabulary.length);

  function languageModel(): Sequential {
    const m = buildLanguageModel(
      { cell: 'lstm', units: 7, layers: 2, embeddingDim: 3, dropout: 0, vocabulary },
      9,
    );
    m.compile({ optimizer: adam({ learningRate: 0.02 }), loss: 'sparseCategoricalCrossentropy' });
    return m;
  }

  it('trains the windows as the plain loop does: states reset at each epoch, carried in between', async () => {
    const streams = new TextStreams(ids, 3, 4);
    assert.ok(streams.windowsPerEpoch > 2, 'several windows per epoch');
    const looped = languageModel();
    const loop = new TbpttLoop(
      new LocalTrainer(looped),
      streams,
      vocabulary.length,
      () => new Error('diverged'),
    );
    const losses: number[] = [];
    for (let epoch = 0; epoch < 2; epoch++) {
      while (!loop.epochDone) losses.push((await loop.step()).loss);
      loop.nextEpoch();
    }

    const plain = languageModel();
    const expected: number[] = [];
    for (let epoch = 0; epoch < 2; epoch++) {
      plain.resetStates();
      for (let w = 0; w < streams.windowsPerEpoch; w++) {
        const win = streams.window(w);
        const x = tensor(win.inputs, [win.B, win.S], 'int32');
        const y = tensor(win.targets, [win.B, win.S], 'int32');
        expected.push(plain.trainOnBatch(x, y) as number);
      }
    }
    assert.deepEqual(losses, expected);
    assert.equal(firstDifference(looped.values, plain.values), null);
  });

  it('stops a diverged loss with the caller’s error, naming the window, and stays on that window', async () => {
    const streams = new TextStreams(ids, 3, 4);
    const m = languageModel();
    const loop = new TbpttLoop(
      new LocalTrainer(m),
      streams,
      vocabulary.length,
      (loss, window) => new ConfigError('training', `loss ${loss} at window ${window}`, 'finite', loss),
      1,
    );
    // The output layer sure of character 0: every other target costs ~1000 nats, far above 2 log V + 1.
    const bias = m.entries[m.entries.length - 1];
    assert.equal(bias.size, vocabulary.length);
    m.values[bias.offset] = 1000;
    m.markWeightsChanged();
    await assert.rejects(loop.step(), /loss \d+(\.\d+)? at window 1/);
    assert.equal(loop.window, 1);
  });
});

describe('model.fit and model.save', () => {
  it('without the package entry, say where they come from; with it, train', async () => {
    const m = classifier();
    const { x, y } = data(6);
    assert.throws(() => m.fit(x, y), /model\.fit: is installed by the package entry/);
    assert.throws(() => m.save('unused'), /model\.save: is installed by the package entry/);
    await import('../src/index.js');
    const history = await m.fit(x, y, { epochs: 2, batchSize: 3, verbose: 0 });
    assert.deepEqual(history.epoch, [0, 1]);
    assert.equal(history.history.loss.length, 2);
  });
});
