/**
 * Cross-checks against an implementation nobody here wrote: TensorFlow.js 4.22 on its pure-JS CPU backend.
 * - LSTM and GRU (resetAfter: false, the only convention TF.js has) against tf.layers.lstm / tf.layers.gru
 *   with the same weights: outputs and final states.
 * - NovoLSTM (every variant), LSTM and GRU with resetAfter: true against the same formulas composed from
 *   TF.js ops, with gradients from tf.grads: outputs and every gradient.
 * TF.js computes in float32; our side runs in float64, so the tolerance is float32's.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { gruCell, lstmCell, novoLstmCell } from '../src/cells.js';
import type { CellKernel, Params } from '../src/kernels/contract.js';
import type { Float } from '../src/kernels/reference/floats.js';
import { recurrentBackward, recurrentForward, zeroGradients } from '../src/kernels/reference/recurrence.js';
import { Random } from '../src/random.js';
import { assertClose, randomArray } from './helpers.js';

const B = 3;
const T = 7;
const D = 5;
const U = 4;
const PEER_TOLERANCE = 1e-5;
const EPS = 1e-3;

before(async () => {
  await tf.setBackend('cpu');
});

interface Setup {
  cell: CellKernel;
  p: Params;
  x: Float; // [T, B, D] time-major
  R: Float; // [T, B, U] upstream gradient of the output sequence
}

function setup(cell: CellKernel, seed: number): Setup {
  const rng = new Random(seed);
  const p: Params = {};
  for (const w of cell.weights) {
    const n = w.shape.reduce((a, b) => a * b, 1);
    p[w.name] = randomArray(rng, n, 0.7);
    if (w.name.endsWith('amma')) for (let i = 0; i < n; i++) p[w.name][i] += 1;
  }
  return { cell, p, x: randomArray(rng, T * B * D), R: randomArray(rng, T * B * U) };
}

/** [T, B, W] time-major → [B, T, W] batch-major, as a nested-free flat array. */
function toBatchMajor(a: ArrayLike<number>, W: number): Float32Array {
  const out = new Float32Array(T * B * W);
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < W; j++) out[(b * T + t) * W + j] = a[(t * B + b) * W + j];
    }
  }
  return out;
}

function tensorOf(p: Params, name: string, shape: number[]): tf.Tensor {
  return tf.tensor(Float32Array.from(p[name]), shape);
}

describe('LSTM and GRU against tf.layers', () => {
  const cases: [string, CellKernel, (p: Params) => tf.layers.Layer, boolean][] = [
    [
      'lstm',
      lstmCell({ units: U, inputDim: D }),
      () =>
        tf.layers.lstm({
          units: U,
          returnSequences: true,
          returnState: true,
          recurrentActivation: 'sigmoid',
        }),
      false,
    ],
    [
      'lstm, goBackwards',
      lstmCell({ units: U, inputDim: D }),
      () =>
        tf.layers.lstm({
          units: U,
          returnSequences: true,
          returnState: true,
          recurrentActivation: 'sigmoid',
          goBackwards: true,
        }),
      true,
    ],
    [
      'gru resetAfter: false',
      gruCell({ units: U, inputDim: D, resetAfter: false }),
      () =>
        tf.layers.gru({ units: U, returnSequences: true, returnState: true, recurrentActivation: 'sigmoid' }),
      false,
    ],
  ];
  for (const [name, cell, makeLayer, reverse] of cases) {
    it(name, () => {
      const s = setup(cell, 21);
      const ours = recurrentForward(cell, s.p, s.x, { T, B, reverse });
      const layer = makeLayer(s.p);
      const input = tf.tensor(toBatchMajor(s.x, D), [B, T, D]);
      layer.apply(input); // builds the layer, so its weights can be set
      layer.setWeights(cell.weights.map((w) => tensorOf(s.p, w.name, [...w.shape])));
      const [seq, hT, cT] = layer.apply(input) as tf.Tensor[];
      let expected = toBatchMajor(ours.h, U);
      if (reverse) {
        // TF.js returns goBackwards outputs in processing order; ours sit at their own time index.
        const flipped = new Float32Array(expected.length);
        for (let b = 0; b < B; b++) {
          for (let t = 0; t < T; t++) {
            flipped.set(expected.subarray((b * T + t) * U, (b * T + t + 1) * U), (b * T + (T - 1 - t)) * U);
          }
        }
        expected = flipped;
      }
      assertClose('output sequence', seq.dataSync(), expected, PEER_TOLERANCE);
      assertClose('final h', hT.dataSync(), ours.hT, PEER_TOLERANCE);
      if (cT) assertClose('final c', cT.dataSync(), ours.cT!, PEER_TOLERANCE);
    });
  }
});

/** Layer normalisation over the last axis, composed from TF.js ops (population variance, ε = 1e-3). */
function tfLayerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return x.sub(mean).div(variance.add(EPS).sqrt()).mul(gamma).add(beta);
}

type TfParams = Record<string, tf.Tensor>;

/** One step of the LSTM family (LSTM, NovoLSTM variants) written directly from the README's formulas. */
function tfLstmFamilyStep(
  x: tf.Tensor,
  h: tf.Tensor,
  c: tf.Tensor,
  w: TfParams,
  inputGate: 'sigmoid' | 'readme' | 'reference',
  normAll: boolean,
): [tf.Tensor, tf.Tensor] {
  const block = (m: tf.Tensor, k: number) => m.slice([0, k * U], [-1, U]);
  const zx = tf.matMul(x, w.kernel).add(w.bias);
  const zh = tf.matMul(h, w.recurrentKernel);
  const a = (k: number) => block(zx, k).add(block(zh, k));
  const gateNorm = (v: tf.Tensor, row: number) =>
    normAll ? tfLayerNorm(v, w.gateGamma.slice([row, 0], [1, U]), w.gateBeta.slice([row, 0], [1, U])) : v;
  let i: tf.Tensor;
  if (inputGate === 'sigmoid') i = tf.sigmoid(a(0));
  else if (inputGate === 'readme') {
    i = tfLayerNorm(tf.sigmoid(a(0)), w.gamma, w.beta).mul(tf.softmax(a(4)));
  } else {
    i = tfLayerNorm(tf.sigmoid(a(0)).mul(tf.softmax(block(zx, 4))), w.gamma, w.beta);
  }
  const f = tf.sigmoid(gateNorm(a(1), 0));
  const g = tf.tanh(gateNorm(a(2), 1));
  const o = tf.sigmoid(gateNorm(a(3), 2));
  const cNext = f.mul(c).add(i.mul(g));
  const hNext = o.mul(tf.tanh(gateNorm(cNext, 3)));
  return [hNext, cNext];
}

/** One GRU step with resetAfter: true (Keras' default), from its formulas. */
function tfGruResetAfterStep(x: tf.Tensor, h: tf.Tensor, w: TfParams): tf.Tensor {
  const block = (m: tf.Tensor, k: number) => m.slice([0, k * U], [-1, U]);
  const zx = tf.matMul(x, w.kernel).add(w.bias.slice([0, 0], [1, 3 * U]));
  const zh = tf.matMul(h, w.recurrentKernel).add(w.bias.slice([1, 0], [1, 3 * U]));
  const z = tf.sigmoid(block(zx, 0).add(block(zh, 0)));
  const r = tf.sigmoid(block(zx, 1).add(block(zh, 1)));
  const hc = tf.tanh(block(zx, 2).add(r.mul(block(zh, 2))));
  return z.mul(h).add(tf.onesLike(z).sub(z).mul(hc));
}

describe('every cell against its formula composed from TF.js ops: outputs and tf.grads gradients', () => {
  const cases: [string, CellKernel, 'sigmoid' | 'readme' | 'reference' | 'gru', boolean][] = [
    ['lstm', lstmCell({ units: U, inputDim: D }), 'sigmoid', false],
    ['novolstm readme', novoLstmCell({ units: U, inputDim: D }), 'readme', false],
    [
      'novolstm reference',
      novoLstmCell({ units: U, inputDim: D, inputGate: 'reference' }),
      'reference',
      false,
    ],
    ['novolstm readme, LN all', novoLstmCell({ units: U, inputDim: D, layerNorm: 'all' }), 'readme', true],
    [
      'novolstm reference, LN all',
      novoLstmCell({ units: U, inputDim: D, inputGate: 'reference', layerNorm: 'all' }),
      'reference',
      true,
    ],
    ['gru resetAfter: true', gruCell({ units: U, inputDim: D }), 'gru', false],
  ];
  for (const [name, cell, kind, normAll] of cases) {
    it(name, () => {
      const s = setup(cell, 22);
      const ours = recurrentForward(cell, s.p, s.x, { T, B });
      const g = zeroGradients(cell, s.x);
      const { dx } = recurrentBackward(g, ours.saved, s.p, { dh: s.R });

      const names = cell.weights.map((w) => w.name);
      const weightTensors = cell.weights.map((w) => tensorOf(s.p, w.name, [...w.shape]));
      const xs = tf.tensor(Float32Array.from(s.x), [T, B, D]);
      const R = tf.tensor(Float32Array.from(s.R), [T, B, U]);
      const forward = (...args: tf.Tensor[]): tf.Tensor => {
        const w: TfParams = Object.fromEntries(names.map((n, k) => [n, args[k]]));
        const x = args[names.length];
        let h: tf.Tensor = tf.zeros([B, U]);
        let c: tf.Tensor = tf.zeros([B, U]);
        const outputs: tf.Tensor[] = [];
        for (let t = 0; t < T; t++) {
          const xt = x.slice([t, 0, 0], [1, B, D]).reshape([B, D]);
          if (kind === 'gru') h = tfGruResetAfterStep(xt, h, w);
          else [h, c] = tfLstmFamilyStep(xt, h, c, w, kind, normAll);
          outputs.push(h);
        }
        return tf.stack(outputs);
      };
      const theirOutput = forward(...weightTensors, xs);
      assertClose('output sequence', theirOutput.dataSync(), ours.h, PEER_TOLERANCE);

      const grads = tf.grads((...args: tf.Tensor[]) =>
        forward(...args)
          .mul(R)
          .sum(),
      )([...weightTensors, xs]);
      names.forEach((n, k) => assertClose(`d${n}`, grads[k].dataSync(), g[n], PEER_TOLERANCE));
      assertClose('dx', grads[names.length].dataSync(), dx, PEER_TOLERANCE);
      assert.equal(grads.length, names.length + 1);
    });
  }
});
