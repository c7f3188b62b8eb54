/**
 * fit's sampleWeight and classWeight (Keras semantics: each sample's loss scaled by its weight, the batch
 * loss divided by the number of samples, "sum over batch size"). classWeight is checked against
 * TensorFlow.js' own fit (which has classWeight but not sampleWeight); sampleWeight against a hand
 * computation from per-sample losses and gradients; both split over workers against one thread; and a
 * weight of 1 everywhere changes nothing, bit for bit.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import * as nl from '../src/index.js';
import { cloneModel } from '../src/models/clone.js';
import { Random } from '../src/random.js';
import { assertClose } from './helpers.js';
import { paddedIds, perturbWeights, randomFloats } from './modelHelpers.js';

/** float32 on both sides, different summation orders and TensorFlow.js' ε-clipped log: O(1) values. */
const PEER_TOLERANCE = 1e-5;
const N = 11;
const D = 5;
const C = 3;

before(async () => {
  await tf.setBackend('cpu');
});

function denseModel(seed: number): nl.Sequential {
  const m = nl.sequential({
    layers: [nl.layers.dense({ units: C, activation: 'softmax', inputShape: [D] })],
    seed,
  });
  perturbWeights(m, seed + 1, 0.5);
  m.markWeightsChanged();
  return m;
}

function sparseLabels(seed: number, n = N): nl.Tensor {
  const rng = new Random(seed);
  return nl.tensor(
    Array.from({ length: n }, () => rng.int(C)),
    undefined,
    'int32',
  );
}

describe('classWeight, against TensorFlow.js fit', () => {
  for (const [what, loss, batchSize] of [
    ['sparse labels, one batch', 'sparseCategoricalCrossentropy', N],
    ['one-hot labels, batches of 4', 'categoricalCrossentropy', 4],
  ] as const) {
    it(`${what}: the same weights after two epochs and the same epoch losses`, async () => {
      const x = randomFloats(new Random(1), [N, D]);
      const labels = [...sparseLabels(2).data];
      const y =
        loss === 'sparseCategoricalCrossentropy'
          ? nl.tensor(labels, undefined, 'int32')
          : nl.tensor(labels.map((k) => Array.from({ length: C }, (_, c) => (c === k ? 1 : 0))));
      const classWeight = { 0: 2.5, 1: 0.25, 2: 1.5 };
      const ours = denseModel(3);
      ours.compile({ optimizer: nl.optimizers.sgd({ learningRate: 0.5 }), loss });
      const theirs = tf.sequential({
        layers: [tf.layers.dense({ units: C, activation: 'softmax', inputShape: [D] })],
      });
      theirs.setWeights(ours.getWeights().map((w) => tf.tensor(w.data, [...w.shape])));
      theirs.compile({ optimizer: tf.train.sgd(0.5), loss });
      const yTf =
        loss === 'sparseCategoricalCrossentropy' ? tf.tensor(labels, [N, 1]) : tf.tensor(y.data, [N, C]);
      const expected = await theirs.fit(tf.tensor(x.data, [N, D]), yTf, {
        epochs: 2,
        batchSize,
        shuffle: false,
        classWeight,
        verbose: 0,
      });
      const history = await ours.fit(x, y, { epochs: 2, batchSize, shuffle: false, classWeight, verbose: 0 });
      assertClose(
        'loss',
        Float32Array.from(history.history.loss),
        Float32Array.from(expected.history.loss as number[]),
        PEER_TOLERANCE,
      );
      const theirWeights = theirs.getWeights();
      ours.getWeights().forEach((w, i) => {
        assertClose(
          `weight ${i}`,
          w.data as Float32Array,
          theirWeights[i].dataSync() as Float32Array,
          PEER_TOLERANCE,
        );
      });
      // The weights matter: unweighted training ends elsewhere.
      const plain = denseModel(3);
      plain.compile({ optimizer: nl.optimizers.sgd({ learningRate: 0.5 }), loss });
      await plain.fit(x, y, { epochs: 2, batchSize, shuffle: false, verbose: 0 });
      assert.notDeepEqual(plain.values, ours.values);
    });
  }
});

describe('sampleWeight, against a hand computation', () => {
  it('loss = Σ s_n ℓ_n / N and one SGD step moves by −η Σ s_n g_n / N (per-sample losses and gradients)', async () => {
    const x = randomFloats(new Random(4), [N, D]);
    const y = sparseLabels(5);
    const rng = new Random(6);
    const s = Array.from({ length: N }, (_, n) => (n === 3 ? 0 : 2 * rng.uniform()));
    const model = denseModel(7);
    model.compile({
      optimizer: nl.optimizers.sgd({ learningRate: 0.3 }),
      loss: 'sparseCategoricalCrossentropy',
    });
    // By hand, from each sample alone.
    const probe = cloneModel(model);
    probe.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    let loss = 0;
    const grad = new Float64Array(model.values.length);
    for (let n = 0; n < N; n++) {
      const xn = new nl.Tensor(x.data.slice(n * D, (n + 1) * D) as Float32Array, [1, D]);
      const yn = new nl.Tensor(Int32Array.of(y.data[n]), [1]);
      loss += (s[n] * probe.computeGradients(xn, yn)) / N;
      for (let i = 0; i < grad.length; i++) grad[i] += (s[n] * probe.grads[i]) / N;
    }
    const expected = Float32Array.from(model.values, (v, i) => v - 0.3 * grad[i]);
    const history = await model.fit(x, y, { batchSize: N, shuffle: false, sampleWeight: s, verbose: 0 });
    assert.ok(Math.abs(history.history.loss[0] - loss) < 1e-6, `loss ${history.history.loss[0]} vs ${loss}`);
    assertClose('weights after one step', model.values, expected, 1e-6);
  });

  it('per-step weights [N, T] on a masked sequence output: Σ m s ℓ / Σ m, padding still uncounted', async () => {
    const T = 6;
    const V = 9;
    const rng = new Random(8);
    const x = nl.tensor(paddedIds(rng, N, T, V), undefined, 'int32');
    const y = nl.tensor(
      Array.from({ length: N }, () => Array.from({ length: T }, () => rng.int(C))),
      undefined,
      'int32',
    );
    const s = Array.from({ length: N }, () => Array.from({ length: T }, () => rng.uniform()));
    const make = (): nl.Sequential => {
      const m = nl.sequential({
        layers: [
          nl.layers.embedding({ inputDim: V, outputDim: 3, maskZero: true, inputShape: [T] }),
          nl.layers.lstm({ units: 4, returnSequences: true }),
          nl.layers.dense({ units: C, activation: 'softmax' }),
        ],
        seed: 9,
      });
      m.compile({
        optimizer: nl.optimizers.sgd({ learningRate: 0.1 }),
        loss: 'sparseCategoricalCrossentropy',
      });
      return m;
    };
    const model = make();
    // By hand: each step's loss from the probabilities, masked where x is padding.
    const p = model.predict(x).data;
    let sum = 0;
    let count = 0;
    for (let n = 0; n < N; n++) {
      for (let t = 0; t < T; t++) {
        if (x.data[n * T + t] === 0) continue;
        const k = y.data[n * T + t];
        sum += s[n][t] * -Math.log(p[(n * T + t) * C + k]);
        count += 1;
      }
    }
    const history = await model.fit(x, y, { batchSize: N, shuffle: false, sampleWeight: s, verbose: 0 });
    assert.ok(
      Math.abs(history.history.loss[0] - sum / count) < 1e-5,
      `${history.history.loss[0]} vs ${sum / count}`,
    );
  });

  it('a weight of 1 everywhere trains bit for bit as no weights; with validationSplit val_loss is weighted', async () => {
    const x = randomFloats(new Random(10), [N, D]);
    const y = sparseLabels(11);
    const a = denseModel(12);
    const b = cloneModel(a);
    for (const m of [a, b]) m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    await a.fit(x, y, { epochs: 2, batchSize: 4, verbose: 0 });
    await b.fit(x, y, { epochs: 2, batchSize: 4, verbose: 0, sampleWeight: new Array(N).fill(1) });
    assert.deepEqual(a.values, b.values);
    // The last 3 samples are held out; doubling their weights doubles val_loss.
    const c = denseModel(12);
    c.compile({
      optimizer: nl.optimizers.sgd({ learningRate: 1e-9 }),
      loss: 'sparseCategoricalCrossentropy',
    });
    const one = await c.fit(x, y, { verbose: 0, validationSplit: 0.25, sampleWeight: new Array(N).fill(1) });
    const two = await c.fit(x, y, { verbose: 0, validationSplit: 0.25, sampleWeight: new Array(N).fill(2) });
    assert.ok(Math.abs(two.history.val_loss[0] - 2 * one.history.val_loss[0]) < 1e-5);
  });
});

describe('weights with workers, and bad weights', () => {
  it('sampleWeight × classWeight split over two workers: the step of one thread, to float32 rounding', async () => {
    const x = randomFloats(new Random(13), [N + 3, D]);
    const y = sparseLabels(14, N + 3);
    const s = Array.from({ length: N + 3 }, (_, n) => 0.5 + (n % 4));
    const local = denseModel(15);
    const pooled = cloneModel(local);
    for (const m of [local, pooled])
      m.compile({
        optimizer: nl.optimizers.sgd({ learningRate: 0.2 }),
        loss: 'sparseCategoricalCrossentropy',
      });
    const options = { epochs: 2, batchSize: 7, verbose: 0 as const, sampleWeight: s, classWeight: { 1: 3 } };
    const h1 = await local.fit(x, y, options);
    const h2 = await pooled.fit(x, y, { ...options, workers: 2 });
    assertClose('weights', pooled.values, local.values, 1e-6);
    assertClose('loss', Float32Array.from(h2.history.loss), Float32Array.from(h1.history.loss), 1e-6);
  });

  it('wrong shape, negative, NaN, a bad class key, classWeight on per-step classes: typed errors', async () => {
    const x = randomFloats(new Random(16), [N, D]);
    const y = sparseLabels(17);
    const model = denseModel(18);
    model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    const refused = async (
      options: nl.FitOptions,
      type: typeof nl.NovoLstmError,
      pattern: RegExp,
    ): Promise<void> => {
      await assert.rejects(
        model.fit(x, y, { verbose: 0, ...options }),
        (e: Error) => e instanceof type && pattern.test(e.message),
      );
    };
    await refused({ sampleWeight: [1, 2] }, nl.ShapeError, /sampleWeight.*one weight per sample.*\[11\]/);
    const negative = new Array(N).fill(1);
    negative[6] = -1;
    await refused({ sampleWeight: negative }, nl.ValueError, /weight 6 \(sample 6\)/);
    await refused(
      { sampleWeight: new nl.Tensor(new Float32Array(N).fill(NaN), [N]) },
      nl.ValueError,
      /weight 0/,
    );
    await refused({ classWeight: { a: 1 } as never }, nl.ConfigError, /key 'a'/);
    await refused({ classWeight: { 1: -2 } }, nl.ConfigError, /class 1/);
    assert.equal(model.compiled!.optimizer.iterations, 0);
    const seq = nl.sequential({
      layers: [
        nl.layers.gru({ units: 2, returnSequences: true, inputShape: [3, 2] }),
        nl.layers.dense({ units: C, activation: 'softmax' }),
      ],
    });
    seq.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    await assert.rejects(
      seq.fit(
        randomFloats(new Random(19), [2, 3, 2]),
        nl.tensor(
          [
            [0, 1, 2],
            [2, 1, 0],
          ],
          undefined,
          'int32',
        ),
        { verbose: 0, classWeight: { 0: 2 } },
      ),
      (e: Error) => e instanceof nl.ConfigError && /per-step classes give sampleWeight/.test(e.message),
    );
  });
});
