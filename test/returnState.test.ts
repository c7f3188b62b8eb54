/**
 * `returnState` and initial states: `layer.apply(x, { initialState })` outside a model, checked against
 * TensorFlow.js' LSTM and GRU with the same weights and initial states, and against itself (a sequence
 * cut in two and continued from the returned states gives the uncut result); every cell kind, on the
 * engine and on the reference kernels; and the errors a model or a bad state gets.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { ConfigError, ShapeError } from '../src/errors.js';
import * as layers from '../src/layers/index.js';
import { useFastKernels, useReferenceKernels } from '../src/layers/backend.js';
import type { Recurrent } from '../src/layers/recurrent.js';
import { sequential } from '../src/models/sequential.js';
import { Random } from '../src/random.js';
import { Tensor } from '../src/tensor.js';
import { assertClose } from './helpers.js';
import { randomFloats } from './modelHelpers.js';

const B = 3;
const T = 5;
const D = 4;
const U = 7;
const TOLERANCE = 2e-5;

before(async () => {
  await tf.setBackend('cpu');
});
after(() => useReferenceKernels());

/** Every weight moved off its structured initial value (zero biases, unit gains). */
function randomizeWeights(layer: Recurrent, seed: number): void {
  const rng = new Random(seed);
  layer.setWeights(layer.getWeights().map((w) => randomFloats(rng, w.shape, 0.5)));
}

const KINDS = {
  lstm: () => layers.lstm({ units: U, returnSequences: true, returnState: true }),
  novoLSTM: () => layers.novoLSTM({ units: U, returnSequences: true, returnState: true, layerNorm: 'all' }),
  gru: () => layers.gru({ units: U, returnSequences: true, returnState: true, goBackwards: true }),
};

describe('returnState and initialState through layer.apply', () => {
  it('LSTM and GRU (resetAfter false) agree with TensorFlow.js, initial states included', () => {
    useReferenceKernels();
    const rng = new Random(3);
    const x = randomFloats(rng, [B, T, D]);
    const h0 = randomFloats(rng, [B, U], 0.8);
    const c0 = randomFloats(rng, [B, U], 0.8);
    for (const kind of ['lstm', 'gru'] as const) {
      const ours =
        kind === 'lstm'
          ? layers.lstm({ units: U, returnSequences: true, returnState: true })
          : layers.gru({ units: U, returnSequences: true, returnState: true, resetAfter: false });
      ours.apply(x); // builds it
      randomizeWeights(ours, 4);
      const initialState = kind === 'lstm' ? [h0, c0] : [h0];
      const got = ours.apply(x, { initialState }) as Tensor[];
      const options = {
        units: U,
        recurrentActivation: 'sigmoid',
        returnSequences: true,
        returnState: true,
      } as const;
      // TensorFlow.js's GRU is the resetAfter: false form (it has no resetAfter option).
      const theirs = kind === 'lstm' ? tf.layers.lstm(options) : tf.layers.gru(options);
      const tfX = tf.tensor(x.data, [B, T, D]);
      const tfInitial = initialState.map((s) => tf.tensor(s.data, [B, U]));
      theirs.apply(tfX, { initialState: tfInitial }); // builds it
      theirs.setWeights(ours.getWeights().map((w) => tf.tensor(w.data, [...w.shape])));
      const expected = theirs.apply(tfX, { initialState: tfInitial }) as tf.Tensor[];
      assert.equal(got.length, expected.length, `${kind}: [output, ...states]`);
      got.forEach((g, i) => {
        assert.deepEqual(g.shape, expected[i].shape);
        assertClose(
          `${kind} output ${i}`,
          g.data as Float32Array,
          expected[i].dataSync() as Float32Array,
          TOLERANCE,
        );
      });
    }
  });

  for (const kernels of ['engine', 'reference'] as const) {
    it(`a sequence cut in two and continued from the returned states equals the uncut one (${kernels})`, async () => {
      if (kernels === 'engine') await useFastKernels();
      else useReferenceKernels();
      const rng = new Random(8);
      const x = randomFloats(rng, [B, T, D]);
      const cut = 2;
      const part = (from: number, to: number) => {
        const data = new Float32Array(B * (to - from) * D);
        for (let b = 0; b < B; b++)
          data.set(x.data.subarray((b * T + from) * D, (b * T + to) * D), b * (to - from) * D);
        return new Tensor(data, [B, to - from, D]);
      };
      for (const [kind, make] of Object.entries(KINDS)) {
        const layer = make();
        layer.apply(x, { seed: 5 });
        randomizeWeights(layer, 6);
        // A reversed layer reads the end first: its first part is the tail of x.
        const reverse = layer.goBackwards;
        const [first, second] = reverse ? [part(cut, T), part(0, cut)] : [part(0, cut), part(cut, T)];
        const whole = layer.apply(x) as Tensor[];
        const [, ...states] = layer.apply(first) as Tensor[];
        const continued = layer.apply(second, { initialState: states }) as Tensor[];
        for (let i = 1; i < whole.length; i++) {
          assertClose(
            `${kind} state ${i}`,
            continued[i].data as Float32Array,
            whole[i].data as Float32Array,
            TOLERANCE,
          );
        }
        assert.equal(whole.length, kind === 'gru' ? 2 : 3);
      }
    });
  }

  it('refuses what cannot work, naming the layer', () => {
    useReferenceKernels();
    const rng = new Random(9);
    const x = randomFloats(rng, [B, T, D]);
    assert.throws(
      () => sequential([layers.lstm({ units: U, returnState: true, inputShape: [T, D] })]),
      (e: unknown) => e instanceof ConfigError && /returnState/.test(String(e)),
    );
    const used = layers.gru({ units: U });
    used.apply(x);
    assert.throws(
      () => sequential([used]),
      (e: unknown) => e instanceof ConfigError && /apply/.test(String(e)),
    );
    const lstm = layers.lstm({ units: U, returnState: true });
    assert.throws(() => lstm.apply(x, { initialState: [randomFloats(rng, [B, U])] }), ShapeError);
    assert.throws(
      () => lstm.apply(x, { initialState: [randomFloats(rng, [B + 1, U]), randomFloats(rng, [B + 1, U])] }),
      ShapeError,
    );
    assert.throws(() => lstm.apply(randomFloats(rng, [B, D])), ShapeError);
    assert.throws(() => lstm.apply(x, { bogus: 1 } as never), ConfigError);
    assert.throws(() => lstm.setWeights(lstm.getWeights().slice(1)), ShapeError);
    // A model's layer runs through apply too, on the model's weights.
    const model = sequential([layers.lstm({ units: U, inputShape: [T, D] })]);
    const inModel = model.layers[0] as Recurrent;
    assertClose(
      'apply = predict',
      (inModel.apply(x) as Tensor).data as Float32Array,
      model.predict(x).data as Float32Array,
      1e-6,
    );
  });
});
