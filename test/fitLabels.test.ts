/**
 * fit checks every label of y (and of validationData) before its first step: a bad one deep in y stops
 * training with the weights and the optimizer untouched, and the error names the sample in the caller's y —
 * not the row inside a shuffled mini-batch. Mini-batch errors (evaluate in batches) name the caller's
 * sample too.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as nl from '../src/index.js';
import { Random } from '../src/random.js';
import { randomFloats } from './modelHelpers.js';

const N = 23;
const T = 4;
const D = 3;
const C = 5;

function classifier(returnSequences = false, head: 'softmax' | 'sigmoid' = 'softmax'): nl.Sequential {
  const m = nl.sequential({
    layers: [
      nl.layers.gru({ units: 4, returnSequences, inputShape: [T, D] }),
      nl.layers.dense({ units: head === 'sigmoid' ? 1 : C, activation: head }),
    ],
    seed: 1,
  });
  m.compile({
    optimizer: 'adam',
    loss: head === 'sigmoid' ? 'binaryCrossentropy' : 'sparseCategoricalCrossentropy',
  });
  return m;
}

function labels(count: number, seed: number): number[] {
  const rng = new Random(seed);
  return Array.from({ length: count }, () => rng.int(C));
}

/** fit throws at once (data errors are synchronous) and nothing was trained. */
function refusedBeforeTraining(model: nl.Sequential, run: () => unknown, pattern: RegExp): void {
  const before = model.values.slice();
  assert.throws(run, (e: Error) => {
    assert.ok(e instanceof nl.ValueError || e instanceof nl.ShapeError, `${e.name}: ${e.message}`);
    assert.match(e.message, pattern);
    return true;
  });
  assert.deepEqual(model.values, before, 'the weights did not change');
  assert.equal(model.compiled!.optimizer.iterations, 0, 'no step was taken');
}

describe('fit validates the labels up front', () => {
  const x = randomFloats(new Random(2), [N, T, D]);

  it('a class index out of range in the last batch: named by its sample in y, before any step', () => {
    const model = classifier();
    const y = labels(N, 3);
    y[19] = C; // batch 3 of 4 at batchSize 6 without shuffling; anywhere with it
    refusedBeforeTraining(
      model,
      () => model.fit(x, nl.tensor(y, undefined, 'int32'), { batchSize: 6, verbose: 0 }),
      /^y: class index 19 is out of range \(sample 19\) — expected an integer in 0 … 4, got 5/,
    );
  });

  it('per-step labels: the sample and the element inside it', () => {
    const model = classifier(true);
    const y = Array.from({ length: N }, (_, n) => labels(T, 10 + n));
    y[17][2] = -1;
    refusedBeforeTraining(
      model,
      () => model.fit(x, nl.tensor(y, undefined, 'int32'), { verbose: 0 }),
      /^y: class index 70 is out of range \(sample 17, element 2\)/,
    );
  });

  it('a binary target outside [0, 1], a NaN target, a non-integer class: each named', () => {
    const binary = classifier(false, 'sigmoid');
    const yb = Array.from({ length: N }, (_, n) => n % 2);
    yb[21] = 2;
    refusedBeforeTraining(
      binary,
      () => binary.fit(x, nl.tensor(yb), { verbose: 0 }),
      /binary target 21 is outside \[0, 1\] \(sample 21\)/,
    );
    const yn = new Float32Array(N);
    yn[8] = NaN;
    refusedBeforeTraining(
      binary,
      () => binary.fit(x, new nl.Tensor(yn, [N]), { verbose: 0 }),
      /target 8 is not finite \(sample 8\)/,
    );
    const sparse = classifier();
    const yf = labels(N, 4);
    yf[5] = 1.5;
    refusedBeforeTraining(
      sparse,
      () => sparse.fit(x, nl.tensor(yf), { verbose: 0 }),
      /class index 5 is out of range \(sample 5\)/,
    );
  });

  it('validationData labels are checked before the first step too, under their own name', async () => {
    const model = classifier();
    const vy = labels(6, 5);
    vy[4] = 9;
    const vx = new nl.Tensor(x.data.slice(0, 6 * T * D) as Float32Array, [6, T, D]);
    // Option errors (validationData is one) reject rather than throw.
    await assert.rejects(
      model.fit(x, nl.tensor(labels(N, 6), undefined, 'int32'), {
        verbose: 0,
        validationData: [vx, nl.tensor(vy, undefined, 'int32')],
      }),
      (e: Error) =>
        e instanceof nl.ValueError &&
        /^validationData\[1\]: class index 4 is out of range \(sample 4\)/.test(e.message),
    );
    assert.equal(model.compiled!.optimizer.iterations, 0, 'no step was taken');
  });

  it("a mini-batch's error names the caller's sample, not the row in the batch", () => {
    const model = classifier();
    const y = labels(N, 7);
    y[14] = 7;
    // evaluate runs batches of 5 rows: sample 14 is row 4 of the third batch.
    assert.throws(
      () => model.evaluate(x, nl.tensor(y, undefined, 'int32'), { batchSize: 5 }),
      (e: Error) =>
        e instanceof nl.ValueError && /^y: class index 14 is out of range \(sample 14\)/.test(e.message),
    );
  });

  it('good labels still train as before', async () => {
    const model = classifier();
    const history = await model.fit(x, nl.tensor(labels(N, 8), undefined, 'int32'), {
      epochs: 2,
      verbose: 0,
    });
    assert.equal(history.history.loss.length, 2);
    assert.ok(model.compiled!.optimizer.iterations > 0);
  });
});
