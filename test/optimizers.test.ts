/**
 * Optimizers on the flat arrays: clipping (per weight, global, by value), SGD with momentum and
 * Nesterov against a float64 transcription of Keras' update rules, and Adam against TensorFlow.js.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import * as nl from '../src/index.js';
import { Random } from '../src/random.js';
import type { ParameterEntry } from '../src/training/optimizers.js';
import { assertClose } from './helpers.js';

/** One float32 rounding per update, compounded over a few steps. */
const UPDATE_TOLERANCE = 1e-6;
const TFJS_TOLERANCE = 1e-5;

// Two weights: [0, 3) and [3, 7).
const ENTRIES: ParameterEntry[] = [
  { name: 'a/kernel', shape: [3], offset: 0, size: 3 },
  { name: 'a/bias', shape: [4], offset: 3, size: 4 },
];

function norm(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return Math.sqrt(s);
}

describe('gradient clipping', () => {
  const g0 = Float32Array.from([3, 4, 0, 1, 1, 1, 1]); // norms: 5 and 2, jointly √29
  const step = (options: nl.SgdOptions): Float32Array => {
    const params = new Float32Array(7);
    nl.optimizers.sgd({ learningRate: 1, ...options }).applyGradients(params, g0.slice(), ENTRIES);
    return params.map((v) => -v); // = the clipped gradient
  };

  it('clipNorm caps each weight tensor at its own norm', () => {
    const g = step({ clipNorm: 2.5 });
    assertClose('kernel', g.subarray(0, 3), [1.5, 2, 0], 1e-6);
    assertClose('bias (norm 2, untouched)', g.subarray(3), [1, 1, 1, 1], 1e-6);
  });

  it('globalClipNorm scales all gradients together', () => {
    const g = step({ globalClipNorm: 2 });
    assertClose('norm', [norm(g)], [2], 1e-6);
    assertClose(
      'direction',
      g,
      Array.from(g0, (v) => (v * 2) / Math.sqrt(29)),
      1e-6,
    );
  });

  it('clipValue clips each element', () => {
    assertClose('clipped', step({ clipValue: 1.5 }), [1.5, 1.5, 0, 1, 1, 1, 1], 0);
  });

  it('no clipping leaves the gradient alone', () => {
    assertClose('unclipped', step({}), g0, 0);
  });
});

describe('update rules', () => {
  const rng = new Random(61);
  const grads = Array.from({ length: 4 }, () =>
    Float32Array.from({ length: 7 }, () => 2 * rng.uniform() - 1),
  );
  const start = Float32Array.from({ length: 7 }, () => 2 * rng.uniform() - 1);

  for (const nesterov of [false, true]) {
    it(`sgd with momentum${nesterov ? ' and nesterov' : ''} = Keras' rule in float64`, () => {
      const [lr, mu] = [0.1, 0.9];
      const opt = nl.optimizers.sgd({ learningRate: lr, momentum: mu, nesterov });
      const params = start.slice();
      const ref = Float64Array.from(start);
      const v = new Float64Array(7);
      for (const g of grads) {
        opt.applyGradients(params, g.slice(), ENTRIES);
        for (let i = 0; i < 7; i++) {
          v[i] = mu * v[i] - lr * g[i];
          ref[i] += nesterov ? mu * v[i] - lr * g[i] : v[i];
        }
      }
      assertClose('params', params, ref, UPDATE_TOLERANCE);
      assert.equal(opt.iterations, grads.length);
    });
  }

  it('adam = TensorFlow.js adam (ε negligible on both sides)', () => {
    const [lr, b1, b2, eps] = [0.01, 0.8, 0.95, 1e-12];
    const opt = nl.optimizers.adam({ learningRate: lr, beta1: b1, beta2: b2, epsilon: eps });
    const params = start.slice();
    const theirs = tf.train.adam(lr, b1, b2, eps);
    const w = tf.variable(tf.tensor1d(start));
    for (const g of grads) {
      opt.applyGradients(params, g.slice(), ENTRIES);
      theirs.applyGradients([{ name: w.name, tensor: tf.tensor1d(g) }]);
    }
    assertClose('params', params, w.dataSync(), TFJS_TOLERANCE);
  });

  for (const [centered, momentum] of [
    [false, 0],
    [true, 0.5],
  ] as const) {
    it(`rmsprop${centered ? ' (centered, momentum)' : ''} = TensorFlow.js rmsprop`, () => {
      const [lr, rho, eps] = [0.01, 0.8, 1e-7];
      const opt = nl.optimizers.rmsprop({ learningRate: lr, rho, momentum, epsilon: eps, centered });
      const params = start.slice();
      const theirs = tf.train.rmsprop(lr, rho, momentum, eps, centered);
      const w = tf.variable(tf.tensor1d(start));
      for (const g of grads) {
        opt.applyGradients(params, g.slice(), ENTRIES);
        theirs.applyGradients([{ name: w.name, tensor: tf.tensor1d(g) }]);
      }
      assertClose('params', params, w.dataSync(), TFJS_TOLERANCE);
    });
  }

  it('adamW = decoupled decay θ ← θ − ηλθ, then Keras adam, in float64', () => {
    const [lr, b1, b2, eps, wd] = [0.01, 0.9, 0.999, 1e-7, 0.1];
    const opt = nl.optimizers.adamW({ learningRate: lr, weightDecay: wd });
    const params = start.slice();
    const ref = Float64Array.from(start);
    const m = new Float64Array(7);
    const v = new Float64Array(7);
    grads.forEach((g, k) => {
      opt.applyGradients(params, g.slice(), ENTRIES);
      const t = k + 1;
      const lrT = (lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
      for (let i = 0; i < 7; i++) {
        ref[i] -= lr * wd * ref[i];
        m[i] += (1 - b1) * (g[i] - m[i]);
        v[i] += (1 - b2) * (g[i] * g[i] - v[i]);
        ref[i] -= (lrT * m[i]) / (Math.sqrt(v[i]) + eps);
      }
    });
    assertClose('params', params, ref, UPDATE_TOLERANCE);
  });
});

describe('learning-rate schedules', () => {
  const { exponentialDecay, cosineDecay, piecewiseConstantDecay } = nl.optimizers.schedules;

  it('values at given steps', () => {
    const e = exponentialDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5 });
    assertClose('exponential', [e.at(0), e.at(5), e.at(20)], [0.1, 0.1 * 0.5 ** 0.5, 0.025], 1e-12);
    const s = exponentialDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5, staircase: true });
    assertClose('staircase', [s.at(9), s.at(10), s.at(25)], [0.1, 0.05, 0.025], 1e-12);
    const c = cosineDecay({ initialLearningRate: 0.2, decaySteps: 8, alpha: 0.1 });
    assertClose(
      'cosine',
      [c.at(0), c.at(4), c.at(8), c.at(100)],
      [0.2, 0.2 * (0.9 * 0.5 + 0.1), 0.02, 0.02],
      1e-12,
    );
    const p = piecewiseConstantDecay({ boundaries: [2, 5], values: [1, 0.5, 0.1] });
    assert.deepEqual(
      [0, 2, 3, 5, 6].map((k) => p.at(k)),
      [1, 1, 0.5, 0.5, 0.1],
    );
  });

  it('sgd uses the scheduled rate of each step (the first update is step 0)', () => {
    const p = piecewiseConstantDecay({ boundaries: [0, 1], values: [0.5, 0.25, 0.125] });
    const opt = nl.optimizers.sgd({ learningRate: p });
    const params = new Float32Array(7);
    const g = new Float32Array(7).fill(1);
    const moves: number[] = [];
    for (let k = 0; k < 3; k++) {
      const before = params[0];
      opt.applyGradients(params, g.slice(), ENTRIES);
      moves.push(before - params[0]);
    }
    assert.deepEqual(moves, [0.5, 0.25, 0.125]);
  });

  it('bad schedule options are typed errors', () => {
    assert.throws(
      () => exponentialDecay({ initialLearningRate: 0.1, decaySteps: 0, decayRate: 0.5 }),
      /decaySteps must be a positive number/,
    );
    assert.throws(
      () => piecewiseConstantDecay({ boundaries: [5, 2], values: [1, 2, 3] }),
      /boundaries must be increasing/,
    );
    assert.throws(() => piecewiseConstantDecay({ boundaries: [2], values: [1] }), /one more entry/);
  });
});
