/**
 * `nl.argMax` against TensorFlow.js' `tf.argMax` on every axis of a random odd-sized tensor, its ties,
 * NaN and bad axes; `model.predictClasses` for softmax heads (per sample and per step), a sigmoid head, and
 * a binary head trained from logits (threshold 0 on z = 0.5 on σ(z)).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import * as nl from '../src/index.js';
import { Random } from '../src/random.js';
import { perturbWeights, randomFloats } from './modelHelpers.js';

before(async () => {
  await tf.setBackend('cpu');
});

describe('nl.argMax', () => {
  it('matches tf.argMax on every axis, negative ones included', () => {
    const shape = [3, 5, 7];
    const x = randomFloats(new Random(1), shape);
    const theirs = tf.tensor(x.data, shape);
    for (let axis = -3; axis < 3; axis++) {
      const ours = nl.argMax(x, axis);
      const expected = tf.argMax(theirs, axis);
      assert.deepEqual(ours.shape, expected.shape, `axis ${axis}`);
      assert.equal(ours.dtype, 'int32');
      assert.deepEqual([...ours.data], [...expected.dataSync()], `axis ${axis}`);
    }
    assert.deepEqual([...nl.argMax(x).data], [...tf.argMax(theirs, -1).dataSync()]);
  });

  it('ties go to the first index; nested arrays are accepted; -Infinity counts', () => {
    assert.deepEqual(
      nl
        .argMax([
          [1, 3, 3],
          [-7, -6, -5],
          [2, 2, 2],
        ])
        .arraySync(),
      [1, 2, 0],
    );
    const infinite = new nl.Tensor(Float32Array.from([-Infinity, -Infinity, -Infinity, -1e38]), [2, 2]);
    assert.deepEqual(nl.argMax(infinite).arraySync(), [0, 1]);
  });

  it('NaN, a bad axis and a scalar are typed errors', () => {
    assert.throws(
      () => nl.argMax(new nl.Tensor(Float32Array.from([1, NaN, 0]), [1, 3])),
      (e: Error) => e instanceof nl.ValueError && /flat index 1 is NaN/.test(e.message),
    );
    assert.throws(
      () => nl.argMax([[1, 2]], 2),
      (e: Error) => e instanceof nl.ShapeError && /axis/.test(e.message) && /-2 … 1/.test(e.message),
    );
    assert.throws(() => nl.argMax(nl.tensor(Float32Array.from([1]), [])), nl.ShapeError);
  });
});

describe('model.predictClasses', () => {
  const x = randomFloats(new Random(2), [9, 4, 3]);

  it('a softmax head: argMax of predict, per sample and per step', () => {
    for (const returnSequences of [false, true]) {
      const model = nl.sequential({
        layers: [
          nl.layers.lstm({ units: 5, returnSequences, inputShape: [4, 3] }),
          nl.layers.dense({ units: 7, activation: 'softmax' }),
        ],
        seed: 3,
      });
      perturbWeights(model, 4, 1);
      model.markWeightsChanged();
      const classes = model.predictClasses(x, { batchSize: 4 });
      const p = model.predict(x);
      assert.deepEqual(classes.shape, p.shape.slice(0, -1));
      assert.deepEqual(classes, nl.argMax(p));
      assert.ok(new Set(classes.data).size > 1, 'not a constant answer');
    }
  });

  it('one sigmoid unit: σ > 0.5; the same weights from logits: z > 0, the same classes', () => {
    const make = (activation: 'sigmoid' | 'linear'): nl.Sequential => {
      const m = nl.sequential({
        layers: [nl.layers.gru({ units: 4, inputShape: [4, 3] }), nl.layers.dense({ units: 1, activation })],
        seed: 5,
      });
      perturbWeights(m, 6, 1);
      m.markWeightsChanged();
      return m;
    };
    const sigmoid = make('sigmoid');
    const logits = make('linear');
    // Both heads' bias moved so that z = 0 falls halfway between two samples: both classes occur, and
    // no sample sits on the threshold, where σ's rounding could tip it.
    const z = [...logits.predict(x).data].sort((p, q) => p - q);
    for (const m of [sigmoid, logits]) {
      m.layers[1].params.bias[0] -= (z[4] + z[5]) / 2;
      m.markWeightsChanged();
    }
    sigmoid.compile({ optimizer: 'sgd', loss: 'binaryCrossentropy' });
    logits.compile({ optimizer: 'sgd', loss: nl.losses.binaryCrossentropy({ fromLogits: true }) });
    const classes = sigmoid.predictClasses(x);
    assert.deepEqual(classes.shape, [9]);
    assert.deepEqual(
      [...classes.data],
      [...sigmoid.predict(x).data].map((p) => (p > 0.5 ? 1 : 0)),
    );
    assert.ok(new Set(classes.data).size === 2, `both classes occur: ${[...classes.data]}`);
    assert.deepEqual(logits.predictClasses(x), classes);
  });
});
