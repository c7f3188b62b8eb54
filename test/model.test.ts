/**
 * The model API end to end: gradients through every layer (directional finite differences in float32),
 * the exact SGD update, learning a small task, predict/evaluate/getWeights/setWeights/summary, fit with
 * validation and callbacks, and typed errors for bad inputs.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as nl from '../src/index.js';
import { ConfigError, ShapeError, ValueError } from '../src/errors.js';
import { Random } from '../src/random.js';
import { paddedIds, perturbWeights, randomFloats } from './modelHelpers.js';

/**
 * Directional check in float32: (L(w + εd) − L(w − εd)) / 2ε against g·d, with d random on ONE weight
 * at a time. The loss is a float64 sum of float32 outputs, so its rounding noise is ~1e-7 relative; at
 * ε = 1e-3 that is ~1e-4 of the difference, far below this tolerance, while a wrong or transposed
 * gradient is off by O(1).
 */
const EPSILON = 1e-3;
const DIRECTIONAL_TOLERANCE = 1e-2;

interface GradientCase {
  readonly name: string;
  readonly make: () => nl.Sequential;
  readonly loss: nl.LossName;
  readonly data: (rng: Random) => { x: nl.Tensor; y: nl.Tensor };
}

const B = 5;
const T = 6;
const VOCAB = 11;

const CASES: readonly GradientCase[] = [
  {
    name: 'embedding(maskZero) → novoLSTM(returnSequences, goBackwards) → lstm → dense(softmax)',
    make: () =>
      nl.sequential([
        nl.layers.embedding({ inputDim: VOCAB, outputDim: 4, maskZero: true }),
        nl.layers.novoLSTM({ units: 5, returnSequences: true, goBackwards: true }),
        nl.layers.lstm({ units: 3 }),
        nl.layers.dense({ units: 3, activation: 'softmax' }),
      ]),
    loss: 'sparseCategoricalCrossentropy',
    data: (rng) => ({
      x: nl.tensor(paddedIds(rng, B, T, VOCAB), undefined, 'int32'),
      y: nl.tensor(
        Array.from({ length: B }, () => rng.int(3)),
        undefined,
        'int32',
      ),
    }),
  },
  {
    name: 'embedding(maskZero, leading pad) → gru(returnSequences) → dense(tanh) → dense(softmax) per step, masked loss',
    make: () =>
      nl.sequential([
        nl.layers.embedding({ inputDim: VOCAB, outputDim: 4, maskZero: true }),
        nl.layers.gru({ units: 5, returnSequences: true }),
        nl.layers.dense({ units: 4, activation: 'tanh' }),
        nl.layers.dense({ units: 3, activation: 'softmax' }),
      ]),
    loss: 'sparseCategoricalCrossentropy',
    data: (rng) => ({
      x: nl.tensor(paddedIds(rng, B, T, VOCAB, true), undefined, 'int32'),
      y: nl.tensor(
        Array.from({ length: B }, () => Array.from({ length: T }, () => rng.int(3))),
        undefined,
        'int32',
      ),
    }),
  },
  {
    name: 'embedding(maskZero) → novoLSTM(reference, layerNorm all, goBackwards) → dense(relu) → dense(softmax), categorical',
    make: () =>
      nl.sequential([
        nl.layers.embedding({ inputDim: VOCAB, outputDim: 4, maskZero: true }),
        nl.layers.novoLSTM({ units: 5, inputGate: 'reference', layerNorm: 'all', goBackwards: true }),
        nl.layers.dense({ units: 6, activation: 'relu' }),
        nl.layers.dense({ units: 3, activation: 'softmax' }),
      ]),
    loss: 'categoricalCrossentropy',
    data: (rng) => ({
      x: nl.tensor(paddedIds(rng, B, T, VOCAB), undefined, 'int32'),
      y: nl.tensor(
        Array.from({ length: B }, () => {
          const p = [rng.uniform(), rng.uniform(), rng.uniform()];
          const s = p[0] + p[1] + p[2];
          return p.map((v) => v / s);
        }),
      ),
    }),
  },
  {
    name: 'float input → gru(resetAfter false, goBackwards, returnSequences) → lstm → dense(sigmoid), binary',
    make: () =>
      nl.sequential([
        nl.layers.gru({
          units: 4,
          resetAfter: false,
          goBackwards: true,
          returnSequences: true,
          inputShape: [null, 3],
        }),
        nl.layers.lstm({ units: 5 }),
        nl.layers.dense({ units: 2, activation: 'sigmoid' }),
      ]),
    loss: 'binaryCrossentropy',
    data: (rng) => ({
      x: randomFloats(rng, [B, T, 3]),
      y: nl.tensor(Array.from({ length: B }, () => [rng.int(2), rng.int(2)])),
    }),
  },
  {
    name: 'masking → layerNormalization → lstm(goBackwards) → dense(softmax), padded float input',
    make: () =>
      nl.sequential([
        nl.layers.masking({ inputShape: [null, 4] }),
        nl.layers.layerNormalization(),
        nl.layers.lstm({ units: 5, goBackwards: true }),
        nl.layers.dense({ units: 3, activation: 'softmax' }),
      ]),
    loss: 'sparseCategoricalCrossentropy',
    data: (rng) => {
      const x = randomFloats(rng, [B, T, 4]);
      // Trailing padding of random length in each row.
      for (let b = 0; b < B; b++)
        for (let t = 1 + rng.int(T); t < T; t++) x.data.fill(0, (b * T + t) * 4, (b * T + t + 1) * 4);
      return {
        x,
        y: nl.tensor(
          Array.from({ length: B }, () => rng.int(3)),
          undefined,
          'int32',
        ),
      };
    },
  },
  {
    name: 'embedding(maskZero) → bidirectional(lstm, returnSequences, mul) → bidirectional(gru, concat) → dense(softmax)',
    make: () =>
      nl.sequential([
        nl.layers.embedding({ inputDim: VOCAB, outputDim: 4, maskZero: true }),
        nl.layers.bidirectional({
          layer: nl.layers.lstm({ units: 3, returnSequences: true }),
          mergeMode: 'mul',
        }),
        nl.layers.bidirectional({ layer: nl.layers.gru({ units: 4 }) }),
        nl.layers.dense({ units: 3, activation: 'softmax' }),
      ]),
    loss: 'sparseCategoricalCrossentropy',
    data: (rng) => ({
      x: nl.tensor(paddedIds(rng, B, T, VOCAB), undefined, 'int32'),
      y: nl.tensor(
        Array.from({ length: B }, () => rng.int(3)),
        undefined,
        'int32',
      ),
    }),
  },
  {
    name: 'float input → bidirectional(novoLSTM, returnSequences, ave) → bidirectional(lstm, returnSequences, sum) → dense per step, mse',
    make: () =>
      nl.sequential([
        nl.layers.bidirectional({
          layer: nl.layers.novoLSTM({ units: 3, returnSequences: true }),
          mergeMode: 'ave',
          inputShape: [null, 2],
        }),
        nl.layers.bidirectional({
          layer: nl.layers.lstm({ units: 4, returnSequences: true }),
          mergeMode: 'sum',
        }),
        nl.layers.dense({ units: 2 }),
      ]),
    loss: 'meanSquaredError',
    data: (rng) => ({ x: randomFloats(rng, [B, T, 2]), y: randomFloats(rng, [B, T, 2]) }),
  },
  {
    name: 'float input → lstm(returnSequences) → dense(linear) per step, mean squared error',
    make: () =>
      nl.sequential([
        nl.layers.lstm({ units: 4, returnSequences: true, inputShape: [T, 3] }),
        nl.layers.dense({ units: 2 }),
      ]),
    loss: 'meanSquaredError',
    data: (rng) => ({ x: randomFloats(rng, [B, T, 3]), y: randomFloats(rng, [B, T, 2]) }),
  },
];

function flatLoss(model: nl.Sequential, x: nl.Tensor, y: nl.Tensor): number {
  return model.evaluate(x, y, { batchSize: 1000 }) as number;
}

describe('gradients through the model API = directional finite differences (float32)', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const rng = new Random(21);
      const { x, y } = c.data(rng);
      const model = c.make();
      model.compile({ optimizer: nl.optimizers.sgd(), loss: c.loss });
      model.computeGradients(x, y); // builds the model
      perturbWeights(model, 22);
      model.computeGradients(x, y);
      const g = model.grads.slice();
      const w0 = model.values.slice();
      for (const e of model.entries) {
        const d = new Float32Array(e.size);
        for (let i = 0; i < e.size; i++) d[i] = 2 * rng.uniform() - 1;
        let analytic = 0;
        for (let i = 0; i < e.size; i++) analytic += g[e.offset + i] * d[i];
        const at = (sign: number): number => {
          model.values.set(w0);
          for (let i = 0; i < e.size; i++)
            model.values[e.offset + i] = w0[e.offset + i] + sign * EPSILON * d[i];
          return flatLoss(model, x, y);
        };
        const numeric = (at(1) - at(-1)) / (2 * EPSILON);
        model.values.set(w0);
        const error = Math.abs(analytic - numeric) / Math.max(Math.abs(analytic), Math.abs(numeric), 1e-2);
        assert.ok(
          error < DIRECTIONAL_TOLERANCE,
          `${e.name}: analytic ${analytic}, numeric ${numeric} (relative error ${error.toExponential(2)})`,
        );
      }
    });
  }

  it('with dropout active (dropout layer, recurrent input and recurrent dropout): the same masks on every evaluation', () => {
    const rng = new Random(23);
    const model = nl.sequential([
      nl.layers.embedding({ inputDim: VOCAB, outputDim: 4, maskZero: true }),
      nl.layers.dropout({ rate: 0.3 }),
      nl.layers.lstm({ units: 5, dropout: 0.4, recurrentDropout: 0.3, returnSequences: true }),
      nl.layers.novoLSTM({ units: 4, recurrentDropout: 0.4, returnSequences: true }),
      nl.layers.bidirectional({ layer: nl.layers.gru({ units: 3, dropout: 0.2, recurrentDropout: 0.25 }) }),
      nl.layers.dense({ units: 3, activation: 'softmax' }),
    ]);
    model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    const x = nl.tensor(paddedIds(rng, B, T, VOCAB), undefined, 'int32');
    const y = nl.tensor(
      Array.from({ length: B }, () => rng.int(3)),
      undefined,
      'int32',
    );
    model.computeGradients(x, y);
    perturbWeights(model, 24);
    const masks = model.trainingRng.getState();
    // The training loss with the dropout masks drawn from the same generator state each time.
    const trainingLoss = (): number => {
      model.trainingRng.setState(masks);
      return model.computeGradients(x, y);
    };
    trainingLoss();
    const g = model.grads.slice();
    const w0 = model.values.slice();
    for (const e of model.entries) {
      const d = Float32Array.from({ length: e.size }, () => 2 * rng.uniform() - 1);
      let analytic = 0;
      for (let i = 0; i < e.size; i++) analytic += g[e.offset + i] * d[i];
      const at = (sign: number): number => {
        model.values.set(w0);
        for (let i = 0; i < e.size; i++)
          model.values[e.offset + i] = w0[e.offset + i] + sign * EPSILON * d[i];
        return trainingLoss();
      };
      const numeric = (at(1) - at(-1)) / (2 * EPSILON);
      model.values.set(w0);
      const error = Math.abs(analytic - numeric) / Math.max(Math.abs(analytic), Math.abs(numeric), 1e-2);
      assert.ok(error < DIRECTIONAL_TOLERANCE, `${e.name}: analytic ${analytic}, numeric ${numeric}`);
    }
    // And the masks matter: a different draw gives a different loss.
    model.trainingRng.setState(masks);
    model.trainingRng.nextUint32();
    assert.notEqual(model.computeGradients(x, y), trainingLoss());
  });

  it('the check can fail: a gradient off by a transposition is caught', () => {
    const c = CASES[3];
    const rng = new Random(21);
    const { x, y } = c.data(rng);
    const model = c.make();
    model.compile({ optimizer: nl.optimizers.sgd(), loss: c.loss });
    model.computeGradients(x, y);
    perturbWeights(model, 22);
    model.computeGradients(x, y);
    const e = model.entries.find((en) => en.name.endsWith('dense/kernel'))!;
    // Swap the gradient's two columns: a plausible layout bug.
    const [rows, cols] = e.shape;
    const g = model.grads.slice(e.offset, e.offset + e.size);
    const swapped = Float32Array.from(g, (_, i) => g[Math.floor(i / cols) * cols + (cols - 1 - (i % cols))]);
    const d = Float32Array.from({ length: e.size }, () => 2 * rng.uniform() - 1);
    let right = 0;
    let wrong = 0;
    for (let i = 0; i < rows * cols; i++) {
      right += g[i] * d[i];
      wrong += swapped[i] * d[i];
    }
    const w0 = model.values.slice();
    const at = (sign: number): number => {
      for (let i = 0; i < e.size; i++) model.values[e.offset + i] = w0[e.offset + i] + sign * EPSILON * d[i];
      return flatLoss(model, x, y);
    };
    const numeric = (at(1) - at(-1)) / (2 * EPSILON);
    assert.ok(Math.abs(right - numeric) / Math.abs(numeric) < DIRECTIONAL_TOLERANCE);
    assert.ok(Math.abs(wrong - numeric) / Math.abs(numeric) > DIRECTIONAL_TOLERANCE);
  });
});

describe('trainOnBatch', () => {
  it('with sgd at learning rate η changes every weight by exactly −η·gradient (dropout included)', () => {
    const rng = new Random(31);
    const eta = 0.037;
    const model = nl.sequential([
      nl.layers.embedding({ inputDim: VOCAB, outputDim: 5, maskZero: true }),
      nl.layers.dropout({ rate: 0.2 }),
      nl.layers.lstm({ units: 7, returnSequences: true, dropout: 0.25 }),
      nl.layers.novoLSTM({ units: 5, goBackwards: true, returnSequences: true }),
      nl.layers.gru({ units: 4 }),
      nl.layers.dense({ units: 9, activation: 'relu' }),
      nl.layers.dense({ units: 3, activation: 'softmax' }),
    ]);
    model.compile({
      optimizer: nl.optimizers.sgd({ learningRate: eta }),
      loss: 'sparseCategoricalCrossentropy',
    });
    const x = nl.tensor(paddedIds(rng, 9, 7, VOCAB), undefined, 'int32');
    const y = nl.tensor(
      Array.from({ length: 9 }, () => rng.int(3)),
      undefined,
      'int32',
    );
    model.computeGradients(x, y);
    perturbWeights(model, 32);
    // Same dropout masks in both passes: rewind the training generator.
    const rngState = model.trainingRng.getState();
    model.computeGradients(x, y);
    const gradient = model.grads.slice();
    const before = model.values.slice();
    model.trainingRng.setState(rngState);
    model.trainOnBatch(x, y);
    for (let i = 0; i < before.length; i++) {
      const expected = Math.fround(before[i] - eta * gradient[i]);
      if (model.values[i] !== expected) assert.fail(`weight ${i}: ${model.values[i]} !== ${expected}`);
    }
    for (const e of model.entries) {
      const moved = model.values
        .subarray(e.offset, e.offset + e.size)
        .some((v, i) => v !== before[e.offset + i]);
      assert.ok(moved, `${e.name} did not change`);
    }
  });
});

function assertCloseArrays(what: string, a: ArrayLike<number>, b: ArrayLike<number>): void {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++)
    assert.ok(Math.abs(a[i] - b[i]) < 1e-6, `${what} [${i}]: ${a[i]} vs ${b[i]}`);
}

/** Sequences of ids padded at the end; the label is the last real token mod 3 (needs the mask right). */
function lastTokenTask(seed: number, N: number): { x: nl.Tensor; y: nl.Tensor } {
  const rng = new Random(seed);
  const ids = paddedIds(rng, N, 7, 12);
  const labels = ids.map((row) => row.filter((v) => v !== 0).at(-1)! % 3);
  return { x: nl.tensor(ids, undefined, 'int32'), y: nl.tensor(labels, undefined, 'int32') };
}

function classifier(kind: 'lstm' | 'novoLSTM' | 'gru', seed = 7): nl.Sequential {
  return nl.sequential({
    layers: [
      nl.layers.embedding({ inputDim: 12, outputDim: 8, maskZero: true }),
      nl.layers[kind]({ units: 13 }),
      nl.layers.dense({ units: 3, activation: 'softmax' }),
    ],
    seed,
  });
}

describe('fit', () => {
  for (const kind of ['lstm', 'novoLSTM', 'gru'] as const) {
    it(`${kind} learns a small masked sequence task (loss falls, held-out accuracy high)`, async () => {
      const { x, y } = lastTokenTask(41, 160);
      const model = classifier(kind);
      model.compile({
        optimizer: nl.optimizers.adam({ learningRate: 0.02 }),
        loss: 'sparseCategoricalCrossentropy',
        metrics: ['accuracy'],
      });
      const h = await model.fit(x, y, { batchSize: 16, epochs: 12, validationSplit: 0.2, verbose: 0 });
      const loss = h.history.loss;
      assert.ok(loss[0] > 0.9, `starts near log 3: ${loss[0]}`);
      assert.ok(
        loss[loss.length - 1] < 0.2 * loss[0],
        `loss fell from ${loss[0]} to ${loss[loss.length - 1]}`,
      );
      assert.ok(h.history.val_accuracy[h.history.val_accuracy.length - 1] > 0.9, 'held-out accuracy');
      assert.deepEqual(h.epoch, [...Array(12).keys()]);
    });
  }

  it('is repeatable: same seed, same history; callbacks see every batch and epoch', async () => {
    const { x, y } = lastTokenTask(42, 45);
    const run = async (): Promise<{ h: nl.History; batches: number; epochs: number[] }> => {
      const model = classifier('gru', 3);
      model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['acc'] });
      let batches = 0;
      const epochs: number[] = [];
      const h = await model.fit(x, y, {
        batchSize: 8,
        epochs: 3,
        verbose: 0,
        callbacks: [{ onBatchEnd: () => void batches++, onEpochEnd: async (e) => void epochs.push(e) }],
      });
      return { h, batches, epochs };
    };
    const a = await run();
    const b = await run();
    assert.deepEqual(a.h.history, b.h.history);
    assert.equal(a.batches, 3 * Math.ceil(45 / 8));
    assert.deepEqual(a.epochs, [0, 1, 2]);
    assert.deepEqual(Object.keys(a.h.history), ['loss', 'accuracy']);
  });

  it('earlyStopping stops when the monitored value stops improving, and can restore the best weights', async () => {
    const { x, y } = lastTokenTask(43, 40);
    const model = classifier('lstm');
    model.compile({
      optimizer: nl.optimizers.sgd({ learningRate: 0.1 }),
      loss: 'sparseCategoricalCrossentropy',
    });
    // An improvement must beat the best by 1e9: none does after the first epoch.
    const stop = nl.callbacks.earlyStopping({
      monitor: 'val_loss',
      minDelta: 1e9,
      patience: 2,
      restoreBestWeights: true,
    });
    let weightsAfterFirst: Float32Array | null = null;
    const h = await model.fit(x, y, {
      epochs: 10,
      validationData: [x, y],
      verbose: 0,
      callbacks: [{ onEpochEnd: (e) => void (e === 0 && (weightsAfterFirst = model.values.slice())) }, stop],
    });
    assert.deepEqual(h.epoch, [0, 1, 2]);
    assert.equal(stop.stoppedEpoch, 2);
    assert.deepEqual(model.values, weightsAfterFirst);
  });
});

describe('predict, evaluate, weights, summary', () => {
  it('predict is the same in any batch size and matches evaluate; dropout is off', () => {
    const { x, y } = lastTokenTask(44, 23);
    const model = nl.sequential([
      nl.layers.embedding({ inputDim: 12, outputDim: 5, maskZero: true }),
      nl.layers.dropout({ rate: 0.5 }),
      nl.layers.novoLSTM({ units: 6, dropout: 0.3 }),
      nl.layers.dense({ units: 3, activation: 'softmax' }),
    ]);
    model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    const p1 = model.predict(x, { batchSize: 4 });
    const p2 = model.predict(x, { batchSize: 100 });
    assert.deepEqual(p1.shape, [23, 3]);
    assert.deepEqual(p1.data, p2.data);
    let manual = 0;
    for (let n = 0; n < 23; n++) manual -= Math.log(p1.data[n * 3 + y.data[n]]);
    const evaluated = model.evaluate(x, y, { batchSize: 5 }) as number;
    assert.ok(Math.abs(evaluated - manual / 23) < 1e-5, `${evaluated} vs ${manual / 23}`);
    const rowsSum = (p1.arraySync() as number[][]).map((r) => r.reduce((a, b) => a + b, 0));
    for (const s of rowsSum) assert.ok(Math.abs(s - 1) < 1e-5);
  });

  it('recurrentDropout acts in training only; predict equals the same weights without it', () => {
    const { x, y } = lastTokenTask(46, 3);
    const make = (rate: number): nl.Sequential =>
      nl.sequential({
        layers: [
          nl.layers.embedding({ inputDim: 12, outputDim: 5, maskZero: true }),
          nl.layers.gru({ units: 6, recurrentDropout: rate }),
          nl.layers.dense({ units: 3, activation: 'softmax' }),
        ],
        seed: 4,
      });
    const dropped = make(0.5);
    const plain = make(0);
    for (const m of [dropped, plain]) m.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    assert.deepEqual(dropped.predict(x).data, plain.predict(x).data);
    const inference = dropped.evaluate(x, y) as number;
    assert.equal(plain.computeGradients(x, y), plain.evaluate(x, y));
    assert.notEqual(dropped.computeGradients(x, y), inference);
  });

  it('getWeights / setWeights round trip, layer by layer in Keras layout', () => {
    const model = classifier('gru');
    const x = lastTokenTask(45, 3).x;
    model.predict(x);
    const ws = model.getWeights();
    assert.deepEqual(
      ws.map((w) => w.shape),
      [[12, 8], [8, 39], [13, 39], [2, 39], [13, 3], [3]],
    );
    const before = model.predict(x).data;
    const other = classifier('gru', 99);
    other.predict(x);
    assert.notDeepEqual(other.predict(x).data, before);
    other.setWeights(ws);
    assert.deepEqual(other.predict(x).data, before);
  });

  it('a first layer with inputShape builds the model at once; add() rebuilds until it is trained', () => {
    const model = nl.sequential({ layers: [nl.layers.lstm({ units: 3, inputShape: [null, 2] })], seed: 4 });
    assert.equal(model.values.length, 4 * 3 * (2 + 3 + 1));
    const lstmWeights = model.values.slice();
    model.add(nl.layers.dense({ units: 2, activation: 'softmax' }));
    assert.equal(model.values.length, lstmWeights.length + 3 * 2 + 2);
    assert.deepEqual(
      model.values.subarray(0, lstmWeights.length),
      lstmWeights,
      'same seed, same LSTM weights',
    );
    model.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
    model.trainOnBatch(nl.tensor([[[1, 2]]]), nl.tensor([[0, 1]]));
    assert.throws(() => model.add(nl.layers.dense({ units: 2 })), /cannot add a layer to a trained model/);
  });

  it('layers given to the constructor are initialised once each, to what add() one by one gives', () => {
    const counted = () => {
      const made = [
        nl.layers.embedding({ inputDim: 6, outputDim: 3, inputShape: [null] }),
        nl.layers.lstm({ units: 4, returnSequences: true }),
        nl.layers.gru({ units: 5, returnSequences: true }),
        nl.layers.dense({ units: 6, activation: 'softmax' }),
      ];
      const calls = made.map(() => 0);
      made.forEach((layer, i) => {
        const initialize = layer.initialize.bind(layer);
        layer.initialize = (rng) => {
          calls[i]++;
          initialize(rng);
        };
      });
      return { made, calls };
    };
    const atOnce = counted();
    const model = nl.sequential({ layers: atOnce.made, seed: 8 });
    assert.deepEqual(atOnce.calls, [1, 1, 1, 1]);
    const oneByOne = counted();
    const added = nl.sequential({ seed: 8 });
    for (const layer of oneByOne.made) added.add(layer);
    assert.deepEqual(added.values, model.values);

    // initialize: false (for a caller that writes every weight next) draws nothing and leaves zeros.
    const bare = counted();
    const zeros = nl.sequential({ layers: bare.made, seed: 8, initialize: false });
    assert.deepEqual(bare.calls, [0, 0, 0, 0]);
    assert.equal(zeros.values.length, model.values.length);
    assert.ok(zeros.values.every((v) => v === 0));
    assert.throws(() => nl.sequential({ initialize: 'no' as never }), /initialize must be a boolean/);
  });

  it('summary prints a Keras-style table with parameter counts', () => {
    const model = nl.sequential([
      nl.layers.embedding({ inputDim: 100, outputDim: 8, maskZero: true, inputShape: [null] }),
      nl.layers.lstm({ units: 16, returnSequences: true }),
      nl.layers.novoLSTM({ units: 5 }),
      nl.layers.dense({ units: 3, activation: 'softmax' }),
    ]);
    const lines: string[] = [];
    model.summary({ printFn: (l) => lines.push(l) });
    const text = lines.join('\n');
    const lstmParams = 4 * (16 * (8 + 16) + 16);
    const novoParams = 5 * 5 * (16 + 5) + 5 * 5 + 2 * 5;
    const total = 800 + lstmParams + novoParams + (5 * 3 + 3);
    assert.match(text, /embedding \(Embedding\)\s+\(None, None, 8\)\s+800/);
    assert.match(
      text,
      new RegExp(`lstm \\(LSTM\\)\\s+\\(None, None, 16\\)\\s+${lstmParams.toLocaleString('en-US')}`),
    );
    assert.match(text, new RegExp(`novo_lstm \\(NovoLSTM\\)\\s+\\(None, 5\\)\\s+${novoParams}`));
    assert.match(text, /dense \(Dense\)\s+\(None, 3\)\s+18/);
    assert.match(text, new RegExp(`Total params: ${total.toLocaleString('en-US')}`));
  });
});

describe('bad inputs give typed errors naming the argument', () => {
  const throwsTyped = (fn: () => unknown, type: typeof ConfigError, pattern: RegExp): void => {
    assert.throws(fn, (e: unknown) => e instanceof type && pattern.test((e as Error).message));
  };

  it('layer options', () => {
    throwsTyped(() => nl.layers.lstm({ units: 0 }), ConfigError, /lstm: units must be a positive integer/);
    throwsTyped(
      () => nl.layers.lstm({ units: 4, unroll: true } as never),
      ConfigError,
      /'unroll' is not supported yet/,
    );
    throwsTyped(
      () => nl.layers.gru({ units: 4, recurrentDropout: 1 }),
      ConfigError,
      /gru: recurrentDropout must be a number in \[0, 1\)/,
    );
    throwsTyped(
      () => nl.layers.gru({ units: 4, implementation: 2 } as never),
      ConfigError,
      /'implementation' is not supported yet/,
    );
    throwsTyped(
      () => nl.layers.dense({ units: 3, activaton: 'relu' } as never),
      ConfigError,
      /unknown option 'activaton'/,
    );
    throwsTyped(
      () => nl.layers.dense({ units: 3, activation: 'gelu' as never }),
      ConfigError,
      /activation is not supported/,
    );
    throwsTyped(() => nl.layers.dropout({ rate: 1 }), ConfigError, /rate must be a number in \[0, 1\)/);
    throwsTyped(
      () => nl.layers.novoLSTM({ units: 3, inputGate: 'x' as never }),
      ConfigError,
      /inputGate is not supported/,
    );
    throwsTyped(
      () => nl.layers.novoLSTM({ units: 3, inputGateGain: 1 as never }),
      ConfigError,
      /inputGateGain is not supported/,
    );
    throwsTyped(
      () => nl.layers.embedding({ inputDim: 5 } as never),
      ConfigError,
      /outputDim must be a positive integer/,
    );
  });

  it('compile, optimizers and callbacks', () => {
    const model = classifier('lstm');
    throwsTyped(
      () => model.compile({ optimizer: 'adagrad' as never, loss: 'meanSquaredError' }),
      ConfigError,
      /optimizer is not supported/,
    );
    throwsTyped(
      () => model.compile({ optimizer: 'sgd', loss: 'hinge' as never }),
      ConfigError,
      /loss is not supported/,
    );
    throwsTyped(
      () => model.compile({ optimizer: 'sgd', loss: 'binaryCrossentropy' }),
      ConfigError,
      /fused with the last layer's sigmoid/,
    );
    throwsTyped(
      () => nl.optimizers.adam({ learningRate: -1 }),
      ConfigError,
      /learningRate must be a positive/,
    );
    throwsTyped(
      () => nl.optimizers.sgd({ clipNorm: 1, globalClipNorm: 1 }),
      ConfigError,
      /cannot both be set/,
    );
    throwsTyped(
      () => nl.optimizers.adam({ amsgrad: true } as never),
      ConfigError,
      /'amsgrad' is not supported yet/,
    );
    throwsTyped(() => nl.callbacks.earlyStopping({ patience: -1 }), ConfigError, /patience/);
    throwsTyped(
      () => model.trainOnBatch(nl.tensor([[1, 2]], undefined, 'int32'), nl.tensor([1])),
      ConfigError,
      /not compiled/,
    );
  });

  it('data', async () => {
    const model = classifier('lstm');
    model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    const x = nl.tensor([[1, 2, 0]], undefined, 'int32');
    throwsTyped(() => model.trainOnBatch(x, nl.tensor([1, 2])), ShapeError, /different numbers of samples/);
    throwsTyped(() => model.trainOnBatch(x, nl.tensor([3])), ValueError, /^y: class index 0 is out of range/);
    throwsTyped(
      () => model.trainOnBatch(nl.tensor([[1, 12, 0]], undefined, 'int32'), nl.tensor([1])),
      ValueError,
      /token id at \[0, 1\] is out of range/,
    );
    throwsTyped(
      () => model.trainOnBatch(nl.tensor([[1.5, 2, 0]]), nl.tensor([1])),
      ValueError,
      /^x: token id/,
    );
    throwsTyped(
      () => model.predict(nl.tensor([[[1, 2, 0]]])),
      ShapeError,
      /^x: does not match the model's input/,
    );
    throwsTyped(() => model.predict('abc'), ValueError, /^x: must be a Tensor/);
    throwsTyped(() => nl.tensor([[1, 2], [3]]), ShapeError, /ragged/);
    throwsTyped(() => nl.tensor([1, NaN]), ValueError, /value 1 is not a finite number/);
    throwsTyped(() => nl.tensor([1.5], undefined, 'int32'), ValueError, /not a 32-bit integer/);
    await assert.rejects(
      model.fit(x, nl.tensor([1]), { epochs: 1, batchsize: 4 } as never),
      /unknown option 'batchsize'/,
    );
    await assert.rejects(model.fit(x, nl.tensor([1]), { validationSplit: 1.5 }), ConfigError);
    throwsTyped(() => model.setWeights([]), ShapeError, /setWeights: wrong number of weight tensors/);
  });
});

describe('tensor', () => {
  it('shape, data, arraySync, int tensors', () => {
    const t = nl.tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    assert.deepEqual(t.shape, [2, 3]);
    assert.ok(t.data instanceof Float32Array);
    assert.deepEqual(t.arraySync(), [
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const ids = nl.tensor([7, 8], undefined, 'int32');
    assert.ok(ids.data instanceof Int32Array && ids.dtype === 'int32');
    assert.deepEqual(nl.tensor(new Float32Array(6), [3, 2]).arraySync(), [
      [0, 0],
      [0, 0],
      [0, 0],
    ]);
    assert.throws(() => nl.tensor([1, 2, 3], [2, 2]), ShapeError);
  });
});

describe('stateful recurrent layers', () => {
  it('two chunks of a sequence through a stateful layer = the whole sequence at once; resetStates starts over', () => {
    const rng = new Random(48);
    const [Bn, Tn, D] = [3, 6, 2];
    const x = randomFloats(rng, [Bn, Tn, D]);
    const chunk = (from: number): nl.Tensor => {
      const data = new Float32Array(Bn * 3 * D);
      for (let b = 0; b < Bn; b++)
        data.set(x.data.subarray((b * Tn + from) * D, (b * Tn + from + 3) * D), b * 3 * D);
      return nl.tensor(data, [Bn, 3, D]);
    };
    for (const kind of ['lstm', 'gru'] as const) {
      const whole = nl.sequential([nl.layers[kind]({ units: 4, inputShape: [null, D] })]);
      const stateful = nl.sequential([nl.layers[kind]({ units: 4, stateful: true, inputShape: [null, D] })]);
      perturbWeights(whole, 49);
      stateful.setWeights(whole.getWeights());
      const first = stateful.predict(chunk(0)).data;
      const second = stateful.predict(chunk(3)).data;
      assertCloseArrays(`${kind}: carried`, second, whole.predict(x).data);
      stateful.resetStates();
      assertCloseArrays(`${kind}: reset`, stateful.predict(chunk(0)).data, first);
      assert.throws(
        () => stateful.predict(nl.tensor(new Float32Array(2 * 3 * D), [2, 3, D])),
        /same batch size every batch/,
      );
    }
  });
});

describe('initial states', () => {
  it('resetStates([h, c]) on a stateful layer = the kernel run from those states', () => {
    const rng = new Random(51);
    const [Bn, Tn, D, u] = [2, 5, 3, 4];
    const x = randomFloats(rng, [Bn, Tn, D]);
    const h0 = randomFloats(rng, [Bn, u]);
    const c0 = randomFloats(rng, [Bn, u]);
    const model = nl.sequential([
      nl.layers.lstm({ units: u, stateful: true, returnSequences: true, inputShape: [null, D] }),
    ]);
    perturbWeights(model, 52);
    const layer = model.layers[0] as nl.layers.Recurrent;
    layer.resetStates([h0, c0]);
    const actual = model.predict(x).data; // [B, T, u]

    // Reference: the kernel itself, time-major, with h0 and c0.
    const cell = nl.lstmCell({ units: u, inputDim: D });
    const [kernel, recurrentKernel, bias] = model.getWeights().map((w) => w.data as Float32Array);
    const xt = new Float32Array(Tn * Bn * D);
    for (let b = 0; b < Bn; b++)
      for (let t = 0; t < Tn; t++)
        for (let d = 0; d < D; d++) xt[(t * Bn + b) * D + d] = x.data[(b * Tn + t) * D + d];
    const out = nl.recurrentForward(cell, { kernel, recurrentKernel, bias }, xt, {
      T: Tn,
      B: Bn,
      h0: h0.data as Float32Array,
      c0: c0.data as Float32Array,
    });
    const expected = new Float32Array(Bn * Tn * u);
    for (let b = 0; b < Bn; b++)
      for (let t = 0; t < Tn; t++)
        expected.set(out.h.subarray((t * Bn + b) * u, (t * Bn + b + 1) * u), (b * Tn + t) * u);
    assert.deepEqual(actual, expected);
    const [hT, cT] = layer.getStates()!;
    assert.deepEqual(hT.data, out.hT);
    assert.deepEqual(cT.data, out.cT);
    layer.resetStates();
    assert.equal(layer.getStates(), null);

    assert.throws(() => layer.resetStates([h0]), /one tensor per state/);
    assert.throws(() => layer.resetStates([h0, nl.tensor([[1, 2]])]), /state c must be \[batch, 4\]/);
    assert.throws(() => nl.layers.gru({ units: 2 }).resetStates(), /resetStates needs a stateful layer/);
  });
});

describe('rnn({ cell })', () => {
  it('is the same layer as the named one: same weights, same outputs', () => {
    const rng = new Random(50);
    const x = randomFloats(rng, [2, 4, 3]);
    const pairs = [
      [
        nl.layers.rnn({
          cell: nl.layers.novoLSTMCell({ units: 5, layerNorm: 'all' }),
          returnSequences: true,
          inputShape: [null, 3],
        }),
        nl.layers.novoLSTM({ units: 5, layerNorm: 'all', returnSequences: true, inputShape: [null, 3] }),
      ],
      [
        nl.layers.rnn({
          cell: nl.layers.gruCell({ units: 4, resetAfter: false }),
          goBackwards: true,
          inputShape: [null, 3],
        }),
        nl.layers.gru({ units: 4, resetAfter: false, goBackwards: true, inputShape: [null, 3] }),
      ],
      [
        nl.layers.rnn({ cell: nl.layers.lstmCell({ units: 2 }), inputShape: [null, 3] }),
        nl.layers.lstm({ units: 2, inputShape: [null, 3] }),
      ],
    ] as const;
    for (const [viaCell, named] of pairs) {
      const a = nl.sequential({ layers: [viaCell], seed: 1 });
      const b = nl.sequential({ layers: [named], seed: 1 });
      assert.deepEqual(viaCell.getConfig(), named.getConfig());
      assert.deepEqual(a.predict(x).data, b.predict(x).data);
    }
    assert.throws(() => nl.layers.rnn({ cell: { units: 3 } as never }), /cell must come from/);
    assert.throws(
      () => nl.layers.lstmCell({ units: 3, activation: 'relu' } as never),
      /'activation' is not supported yet/,
    );
    // recurrentDropout goes on the cell (Keras) or on rnn, not both.
    assert.deepEqual(
      nl.layers.rnn({ cell: nl.layers.lstmCell({ units: 3, recurrentDropout: 0.1 }) }).getConfig(),
      nl.layers.lstm({ units: 3, recurrentDropout: 0.1 }).getConfig(),
    );
    assert.throws(
      () =>
        nl.layers.rnn({
          cell: nl.layers.gruCell({ units: 3, recurrentDropout: 0.1 }),
          recurrentDropout: 0.2,
        }),
      /recurrentDropout is given to both/,
    );
  });
});

describe('callbacks', () => {
  it('reduceLROnPlateau multiplies the learning rate by factor after patience epochs without improvement', async () => {
    const { x, y } = lastTokenTask(46, 20);
    const model = classifier('gru');
    const optimizer = nl.optimizers.sgd({ learningRate: 0.1 });
    model.compile({ optimizer, loss: 'sparseCategoricalCrossentropy' });
    const reduce = nl.callbacks.reduceLROnPlateau({
      monitor: 'loss',
      minDelta: 1e9,
      patience: 1,
      factor: 0.5,
    });
    const seen: number[] = [];
    await model.fit(x, y, {
      epochs: 3,
      verbose: 0,
      callbacks: [{ onEpochBegin: () => void seen.push(optimizer.learningRate as number) }, reduce],
    });
    assert.deepEqual(seen, [0.1, 0.1, 0.05]);
    assert.equal(optimizer.learningRate, 0.025);
  });

  it('terminateOnNaN stops at the first batch with a non-finite loss', async () => {
    const rng = new Random(47);
    const model = nl.sequential([nl.layers.dense({ units: 2, inputShape: [3] })]);
    model.compile({ optimizer: nl.optimizers.sgd({ learningRate: 1e30 }), loss: 'meanSquaredError' });
    const stop = nl.callbacks.terminateOnNaN();
    let batches = 0;
    const h = await model.fit(randomFloats(rng, [40, 3]), randomFloats(rng, [40, 2]), {
      batchSize: 4,
      epochs: 5,
      verbose: 0,
      callbacks: [{ onBatchEnd: () => void batches++ }, stop],
    });
    assert.ok(stop.stoppedAt >= 0, 'stopped');
    assert.equal(h.epoch.length, 1);
    assert.ok(batches < 10, `stopped after ${batches} of 10 batches`);
  });
});
