/**
 * Float64 finite-difference checks of the kernels the layers and losses add (dense, activations,
 * embedding, dropout, the four losses): loss = Σ out ⊙ R for random R, every input and weight, odd
 * sizes, random values. Gradient buffers start non-zero to check that backward ADDS into them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ACTIVATIONS, activationBackward, activationForward } from '../src/kernels/reference/activations.js';
import { denseBackward, denseForward } from '../src/kernels/reference/dense.js';
import { dropoutBackward, dropoutForward } from '../src/kernels/reference/dropout.js';
import { embeddingBackward, embeddingForward } from '../src/kernels/reference/embedding.js';
import type { Float } from '../src/kernels/reference/floats.js';
import {
  meanSquaredErrorBackward,
  meanSquaredErrorForward,
  sigmoidCrossEntropyBackward,
  sigmoidCrossEntropyForward,
  softmaxCrossEntropyBackward,
  softmaxCrossEntropyForward,
  sparseSoftmaxCrossEntropyBackward,
  sparseSoftmaxCrossEntropyForward,
} from '../src/training/losses.js';
import { Random } from '../src/random.js';
import { allFinite, assertClose, randomArray } from './helpers.js';

const R = 5;
const D = 7;
const U = 3;
const C = 7;
const STEP = 1e-5;
const MAX_RELATIVE_ERROR = 1e-6;
const FLOOR = 1e-3;

/** Central differences of `loss` with respect to every element of `array`. */
function numeric(loss: () => number, array: Float): Float64Array {
  const grad = new Float64Array(array.length);
  for (let i = 0; i < array.length; i++) {
    const saved = array[i];
    array[i] = saved + STEP;
    const plus = loss();
    array[i] = saved - STEP;
    const minus = loss();
    array[i] = saved;
    grad[i] = (plus - minus) / (2 * STEP);
  }
  return grad;
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function minus(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  return Float64Array.from(a, (v, i) => v - b[i]);
}

describe('dense backward = finite differences (float64)', () => {
  for (const useBias of [true, false]) {
    it(`x·W${useBias ? ' + b' : ''}: dx, dW, db; dW and db accumulate`, () => {
      const rng = new Random(11);
      const x = randomArray(rng, R * D);
      const W = randomArray(rng, D * U);
      const b = useBias ? randomArray(rng, U) : null;
      const Rz = randomArray(rng, R * U);
      const loss = (): number => dot(denseForward(new Float64Array(R * U), x, W, b, R, D, U), Rz);
      const dW0 = randomArray(rng, D * U);
      const db0 = randomArray(rng, U);
      const dW = dW0.slice();
      const db = useBias ? db0.slice() : null;
      const dx = new Float64Array(R * D);
      denseBackward(dx, dW, db, Rz, x, W, R, D, U);
      assertClose('dx', dx, numeric(loss, x), MAX_RELATIVE_ERROR, FLOOR);
      assertClose('dW', minus(dW, dW0), numeric(loss, W), MAX_RELATIVE_ERROR, FLOOR);
      if (b && db) assertClose('db', minus(db, db0), numeric(loss, b), MAX_RELATIVE_ERROR, FLOOR);
    });
  }
});

describe('activation backward = finite differences (float64)', () => {
  for (const activation of ACTIVATIONS) {
    it(activation, () => {
      const rng = new Random(12);
      const z = randomArray(rng, R * C, 3);
      const Ry = randomArray(rng, R * C);
      const loss = (): number => dot(activationForward(new Float64Array(R * C), z, activation, R, C), Ry);
      const y = activationForward(new Float64Array(R * C), z, activation, R, C);
      const dz = activationBackward(new Float64Array(R * C), Ry, y, activation, R, C);
      assertClose(`d${activation}`, dz, numeric(loss, z), MAX_RELATIVE_ERROR, FLOOR);
    });
  }

  it('softmax and sigmoid stay finite at ±300', () => {
    const z = Float64Array.from({ length: C }, (_, i) => (i % 2 ? 300 : -300));
    for (const activation of ['softmax', 'sigmoid'] as const) {
      assert.ok(allFinite(activationForward(new Float64Array(C), z, activation, 1, C)), activation);
    }
  });
});

describe('embedding backward = finite differences (float64)', () => {
  it('scatter-add, with repeated ids, accumulating into the table gradient', () => {
    const rng = new Random(13);
    const V = 11;
    const E = 5;
    const ids = Int32Array.from([3, 0, 10, 3, 7, 3, 1]); // id 3 three times
    const N = ids.length;
    const table = randomArray(rng, V * E);
    const Ry = randomArray(rng, N * E);
    const loss = (): number => dot(embeddingForward(new Float64Array(N * E), ids, table, N, E), Ry);
    const d0 = randomArray(rng, V * E);
    const dTable = d0.slice();
    embeddingBackward(dTable, Ry, ids, N, E);
    assertClose('dtable', minus(dTable, d0), numeric(loss, table), MAX_RELATIVE_ERROR, FLOOR);
  });
});

describe('dropout backward = finite differences (float64)', () => {
  for (const period of [R * C, C]) {
    it(`keep mask repeating every ${period} elements`, () => {
      const rng = new Random(14);
      const n = R * C;
      const x = randomArray(rng, n);
      const keep = Float64Array.from({ length: period }, () => (rng.uniform() < 0.3 ? 0 : 1 / 0.7));
      const Ry = randomArray(rng, n);
      const loss = (): number => dot(dropoutForward(new Float64Array(n), x, keep, n, period), Ry);
      const dx = dropoutBackward(new Float64Array(n), Ry, keep, n, period);
      assertClose('dx', dx, numeric(loss, x), MAX_RELATIVE_ERROR, FLOOR);
      assert.ok(
        keep.some((k) => k === 0),
        'the test mask drops something',
      );
    });
  }
});

describe('loss backward = finite differences (float64), loss = Σ_r rowScale_r ℓ_r', () => {
  const rng = new Random(15);
  const z = randomArray(rng, R * C, 3);
  const rowScale = Float64Array.from({ length: R }, () => rng.uniform());
  const probabilities = Float64Array.from({ length: R * C }, () => rng.uniform());
  for (let r = 0; r < R; r++) {
    let s = 0;
    for (let c = 0; c < C; c++) s += probabilities[r * C + c];
    for (let c = 0; c < C; c++) probabilities[r * C + c] /= s;
  }
  const labels = Int32Array.from({ length: R }, () => rng.int(C));
  const binary = Float64Array.from({ length: R * C }, () => (rng.uniform() < 0.5 ? 0 : 1));
  const targets = randomArray(rng, R * C);
  const weighted = (rowLoss: Float): number => dot(rowLoss, rowScale);

  const cases: { name: string; loss: () => number; backward: () => Float }[] = [
    {
      name: 'softmax cross-entropy',
      loss: () => weighted(softmaxCrossEntropyForward(new Float64Array(R), z, probabilities, R, C)),
      backward: () => softmaxCrossEntropyBackward(new Float64Array(R * C), z, probabilities, rowScale, R, C),
    },
    {
      name: 'sparse softmax cross-entropy',
      loss: () => weighted(sparseSoftmaxCrossEntropyForward(new Float64Array(R), z, labels, R, C)),
      backward: () => sparseSoftmaxCrossEntropyBackward(new Float64Array(R * C), z, labels, rowScale, R, C),
    },
    {
      name: 'sigmoid cross-entropy',
      loss: () => weighted(sigmoidCrossEntropyForward(new Float64Array(R), z, binary, R, C)),
      backward: () => sigmoidCrossEntropyBackward(new Float64Array(R * C), z, binary, rowScale, R, C),
    },
    {
      name: 'mean squared error',
      loss: () => weighted(meanSquaredErrorForward(new Float64Array(R), z, targets, R, C)),
      backward: () => meanSquaredErrorBackward(new Float64Array(R * C), z, targets, rowScale, R, C),
    },
  ];
  for (const c of cases) {
    it(c.name, () => assertClose(c.name, c.backward(), numeric(c.loss, z), MAX_RELATIVE_ERROR, FLOOR));
  }

  it('values match the unfused formulas', () => {
    const p = activationForward(new Float64Array(R * C), z, 'softmax', R, C);
    const s = activationForward(new Float64Array(R * C), z, 'sigmoid', R, C);
    const ce = softmaxCrossEntropyForward(new Float64Array(R), z, probabilities, R, C);
    const sparse = sparseSoftmaxCrossEntropyForward(new Float64Array(R), z, labels, R, C);
    const bce = sigmoidCrossEntropyForward(new Float64Array(R), z, binary, R, C);
    for (let r = 0; r < R; r++) {
      let naiveCe = 0;
      let naiveBce = 0;
      for (let c = 0; c < C; c++) {
        const i = r * C + c;
        naiveCe -= probabilities[i] * Math.log(p[i]);
        naiveBce -= (binary[i] * Math.log(s[i]) + (1 - binary[i]) * Math.log(1 - s[i])) / C;
      }
      assertClose(`ce row ${r}`, [ce[r]], [naiveCe], 1e-12);
      assertClose(`sparse row ${r}`, [sparse[r]], [-Math.log(p[r * C + labels[r]])], 1e-12);
      assertClose(`bce row ${r}`, [bce[r]], [naiveBce], 1e-12);
    }
  });

  it('fused losses stay finite (and correct) at logits ±300', () => {
    const big = Float64Array.from({ length: C }, (_, i) => (i % 2 ? 300 : -300));
    const oneHot = Float64Array.from({ length: C }, (_, i) => (i === 0 ? 1 : 0)); // the class at −300
    const ce = softmaxCrossEntropyForward(new Float64Array(1), big, oneHot, 1, C);
    assertClose('ce at ±300', ce, [600 + Math.log(3)], 1e-12); // logsumexp = 300 + log 3 (three +300 entries)
    const zeros = new Float64Array(C);
    const bce = sigmoidCrossEntropyForward(new Float64Array(1), big, zeros, 1, C);
    assertClose('bce at ±300', bce, [(3 * 300) / C], 1e-12);
    const g1 = softmaxCrossEntropyBackward(new Float64Array(C), big, oneHot, Float64Array.of(1), 1, C);
    const g2 = sigmoidCrossEntropyBackward(new Float64Array(C), big, zeros, Float64Array.of(1), 1, C);
    assert.ok(allFinite(g1) && allFinite(g2));
  });
});
