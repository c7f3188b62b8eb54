/**
 * Cross-checks against an implementation nobody here wrote: TensorFlow.js (a devDependency, used only
 * by this test). The same weights go into a TensorFlow.js model built from the same layers; predictions
 * and one SGD step (hence the gradient through every layer and the loss) must agree.
 *
 * TensorFlow.js' recurrent layers default to recurrentActivation 'hardSigmoid' (Keras 1); Keras 2 and
 * novolstm use 'sigmoid', so the TensorFlow.js side sets it.
 *
 * Conventions TensorFlow.js does not share, so not compared: GRU with resetAfter (it rejects it),
 * NovoLSTM (it has none), and outputs at masked steps (it repeats the previous output where novolstm
 * outputs zero, so sequence outputs are compared at real steps only).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import * as nl from '../src/index.js';
import { Random } from '../src/random.js';
import { assertClose } from './helpers.js';
import { paddedIds, perturbWeights, randomFloats } from './modelHelpers.js';

/** float32 on both sides, different summation orders: agreement to a few float32 ulps of O(1) values. */
const PREDICTION_TOLERANCE = 2e-5;
const STEP_TOLERANCE = 1e-3;
const VOCAB = 13;

before(async () => {
  await tf.setBackend('cpu');
});

function tfModel(ours: nl.Sequential, build: () => tf.layers.Layer[], inputShape: number[]): tf.Sequential {
  const model = tf.sequential({ layers: build() });
  model.build([null, ...inputShape]);
  model.setWeights(ours.getWeights().map((w) => tf.tensor(w.data, [...w.shape])));
  return model;
}

describe('agrees with TensorFlow.js', () => {
  it('embedding(maskZero) → LSTM(returnSequences) → GRU(goBackwards, resetAfter false) → dense(softmax): predict and one SGD step', () => {
    const rng = new Random(51);
    const T = 7;
    const ids = [...paddedIds(rng, 4, T, VOCAB), ...paddedIds(rng, 3, T, VOCAB, true)];
    const labels = ids.map(() => rng.int(3));
    const ours = nl.sequential([
      nl.layers.embedding({ inputDim: VOCAB, outputDim: 4, maskZero: true }),
      nl.layers.lstm({ units: 5, returnSequences: true }),
      nl.layers.gru({ units: 6, goBackwards: true, resetAfter: false }),
      nl.layers.dense({ units: 3, activation: 'softmax' }),
    ]);
    const x = nl.tensor(ids, undefined, 'int32');
    const y = nl.tensor(labels, undefined, 'int32');
    ours.predict(x);
    perturbWeights(ours, 52);
    const theirs = tfModel(
      ours,
      () => [
        tf.layers.embedding({ inputDim: VOCAB, outputDim: 4, maskZero: true }),
        tf.layers.lstm({ units: 5, recurrentActivation: 'sigmoid', returnSequences: true }),
        tf.layers.gru({
          units: 6,
          recurrentActivation: 'sigmoid',
          goBackwards: true,
          resetAfter: false,
        } as never),
        tf.layers.dense({ units: 3, activation: 'softmax' }),
      ],
      [T],
    );
    const xTf = tf.tensor(ids, [ids.length, T], 'int32');
    const expected = (theirs.predict(xTf) as tf.Tensor).dataSync();
    assertClose('predict', ours.predict(x).data, expected, PREDICTION_TOLERANCE);

    const eta = 0.5;
    ours.compile({
      optimizer: nl.optimizers.sgd({ learningRate: eta }),
      loss: 'sparseCategoricalCrossentropy',
    });
    theirs.compile({ optimizer: tf.train.sgd(eta), loss: 'sparseCategoricalCrossentropy' });
    const before = ours.values.slice();
    ours.trainOnBatch(x, y);
    return theirs.trainOnBatch(xTf, tf.tensor(labels, [labels.length, 1])).then(() => {
      const theirStep = theirs.getWeights().flatMap((w) => Array.from(w.dataSync()));
      const ourStep = Array.from(ours.values, (v, i) => v - before[i]);
      const expectedStep = theirStep.map((v, i) => v - before[i]);
      assertClose('weight change of one SGD step', ourStep, expectedStep, STEP_TOLERANCE, 1e-3);
    });
  });

  it('LSTM(goBackwards, returnSequences) → dense(tanh) on every step, float input', () => {
    const rng = new Random(53);
    const [B, T, D] = [3, 5, 4];
    const ours = nl.sequential([
      nl.layers.lstm({ units: 6, goBackwards: true, returnSequences: true, inputShape: [T, D] }),
      nl.layers.dense({ units: 2, activation: 'tanh' }),
    ]);
    perturbWeights(ours, 54);
    const theirs = tfModel(
      ours,
      () => [
        tf.layers.lstm({
          units: 6,
          recurrentActivation: 'sigmoid',
          goBackwards: true,
          returnSequences: true,
          inputShape: [T, D],
        }),
        tf.layers.dense({ units: 2, activation: 'tanh' }),
      ],
      [T, D],
    );
    const x = randomFloats(rng, [B, T, D]);
    const expected = (theirs.predict(tf.tensor(x.data, [B, T, D])) as tf.Tensor).dataSync();
    assertClose('predict', ours.predict(x).data, expected, PREDICTION_TOLERANCE);
  });

  it('returnSequences with padding: equal at every real step', () => {
    const rng = new Random(55);
    const T = 6;
    const ids = paddedIds(rng, 5, T, VOCAB);
    const ours = nl.sequential([
      nl.layers.embedding({ inputDim: VOCAB, outputDim: 3, maskZero: true }),
      nl.layers.gru({ units: 4, resetAfter: false, returnSequences: true }),
    ]);
    const x = nl.tensor(ids, undefined, 'int32');
    ours.predict(x);
    perturbWeights(ours, 56);
    const theirs = tfModel(
      ours,
      () => [
        tf.layers.embedding({ inputDim: VOCAB, outputDim: 3, maskZero: true }),
        tf.layers.gru({
          units: 4,
          recurrentActivation: 'sigmoid',
          resetAfter: false,
          returnSequences: true,
        } as never),
      ],
      [T],
    );
    const expected = (theirs.predict(tf.tensor(ids, [ids.length, T], 'int32')) as tf.Tensor).dataSync();
    const actual = ours.predict(x).data;
    let compared = 0;
    ids.forEach((row, b) =>
      row.forEach((id, t) => {
        if (id === 0) {
          for (let j = 0; j < 4; j++) assert.equal(actual[(b * T + t) * 4 + j], 0, 'padding outputs zero');
          return;
        }
        const at = (b * T + t) * 4;
        assertClose(
          `step [${b}, ${t}]`,
          actual.subarray(at, at + 4),
          expected.subarray(at, at + 4),
          PREDICTION_TOLERANCE,
        );
        compared++;
      }),
    );
    assert.ok(compared > 5);
  });

  it('masking → layerNormalization → GRU(resetAfter false) → dense(sigmoid) on padded float input', () => {
    const rng = new Random(57);
    const [B, T, D] = [4, 6, 3];
    const x = randomFloats(rng, [B, T, D]);
    for (let b = 0; b < B; b++)
      for (let t = 2 + b; t < T; t++) x.data.fill(0, (b * T + t) * D, (b * T + t + 1) * D);
    const ours = nl.sequential([
      nl.layers.masking({ inputShape: [T, D] }),
      nl.layers.layerNormalization(),
      nl.layers.gru({ units: 5, resetAfter: false }),
      nl.layers.dense({ units: 1, activation: 'sigmoid' }),
    ]);
    perturbWeights(ours, 58);
    const theirs = tfModel(
      ours,
      () => [
        tf.layers.masking({ inputShape: [T, D] }),
        tf.layers.layerNormalization(),
        tf.layers.gru({ units: 5, recurrentActivation: 'sigmoid', resetAfter: false } as never),
        tf.layers.dense({ units: 1, activation: 'sigmoid' }),
      ],
      [T, D],
    );
    const expected = (theirs.predict(tf.tensor(x.data, [B, T, D])) as tf.Tensor).dataSync();
    assertClose('predict', ours.predict(x).data, expected, PREDICTION_TOLERANCE);
  });

  for (const mergeMode of ['concat', 'ave'] as const) {
    it(`bidirectional(LSTM, returnSequences, ${mergeMode}) → bidirectional(GRU, mul) → dense(softmax)`, () => {
      const rng = new Random(59);
      const [B, T, D] = [3, 5, 4];
      const ours = nl.sequential([
        nl.layers.bidirectional({
          layer: nl.layers.lstm({ units: 4, returnSequences: true }),
          mergeMode,
          inputShape: [T, D],
        }),
        nl.layers.bidirectional({ layer: nl.layers.gru({ units: 3, resetAfter: false }), mergeMode: 'mul' }),
        nl.layers.dense({ units: 3, activation: 'softmax' }),
      ]);
      perturbWeights(ours, 60);
      const theirs = tfModel(
        ours,
        () => [
          tf.layers.bidirectional({
            layer: tf.layers.lstm({
              units: 4,
              recurrentActivation: 'sigmoid',
              returnSequences: true,
            }) as never,
            mergeMode,
            inputShape: [T, D],
          }),
          tf.layers.bidirectional({
            layer: tf.layers.gru({
              units: 3,
              recurrentActivation: 'sigmoid',
              resetAfter: false,
            } as never) as never,
            mergeMode: 'mul',
          }),
          tf.layers.dense({ units: 3, activation: 'softmax' }),
        ],
        [T, D],
      );
      const x = randomFloats(rng, [B, T, D]);
      const expected = (theirs.predict(tf.tensor(x.data, [B, T, D])) as tf.Tensor).dataSync();
      assertClose('predict', ours.predict(x).data, expected, PREDICTION_TOLERANCE);
    });
  }
});

/**
 * TensorFlow.js' own default, recurrentActivation 'hardSigmoid' (max(0, min(1, 0.2·x + 0.5))), against
 * novolstm's `recurrentActivation: 'hardSigmoid'`, on the reference kernels and on the WebAssembly engine.
 * The weights and inputs are spread wide enough that many gates clip (the model is compared with a
 * sigmoid twin below, so a hard sigmoid that were silently the sigmoid would fail).
 */
describe("agrees with TensorFlow.js' default recurrentActivation 'hardSigmoid'", () => {
  const [B, T, D] = [4, 7, 3];
  function models(recurrentActivation: 'sigmoid' | 'hardSigmoid') {
    return nl.sequential([
      nl.layers.lstm({ units: 5, returnSequences: true, recurrentActivation, inputShape: [T, D] }),
      nl.layers.gru({ units: 3, goBackwards: true, resetAfter: false, recurrentActivation }),
      nl.layers.dense({ units: 2 }),
    ]);
  }

  for (const kernels of ['reference', 'engine'] as const) {
    it(`LSTM(returnSequences) → GRU(goBackwards, resetAfter false) → dense, ${kernels} kernels`, async () => {
      if (kernels === 'engine') assert.notEqual(await nl.useFastKernels(), 'reference');
      else nl.useReferenceKernels();
      try {
        const rng = new Random(61);
        const ours = models('hardSigmoid');
        perturbWeights(ours, 62, 1);
        const theirs = tfModel(
          ours,
          () => [
            tf.layers.lstm({ units: 5, returnSequences: true, inputShape: [T, D] }),
            tf.layers.gru({ units: 3, goBackwards: true, resetAfter: false } as never),
            tf.layers.dense({ units: 2 }),
          ],
          [T, D],
        );
        for (const layer of theirs.layers.slice(0, 2)) {
          assert.equal(layer.getConfig().recurrentActivation, 'hardSigmoid', 'TensorFlow.js default');
        }
        const x = randomFloats(rng, [B, T, D], 3);
        const expected = (theirs.predict(tf.tensor(x.data, [B, T, D])) as tf.Tensor).dataSync();
        assertClose('predict', ours.predict(x).data, expected, PREDICTION_TOLERANCE);

        const sigmoidTwin = models('sigmoid');
        sigmoidTwin.setWeights(ours.getWeights());
        const soft = sigmoidTwin.predict(x).data;
        const largest = Math.max(...soft.map((v, i) => Math.abs(v - expected[i])));
        assert.ok(
          largest > 100 * PREDICTION_TOLERANCE,
          `the sigmoid gives the same predictions (${largest})`,
        );
      } finally {
        nl.useReferenceKernels();
      }
    });
  }
});
