/**
 * Cross-entropy from logits (`nl.losses.*({ fromLogits: true })`, Keras' `from_logits=True`): a linear head
 * trains with the cross-entropies. Its gradient is checked by directional finite differences on every
 * weight; a linear head from logits gives exactly the loss, gradient and metrics of the same weights under
 * a softmax / sigmoid head (the fused kernels see the same z); the flag is saved; misuse is refused.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as nl from '../src/index.js';
import { cloneModel } from '../src/models/clone.js';
import { Random } from '../src/random.js';
import { perturbWeights, randomFloats } from './modelHelpers.js';

/** As in model.test.ts: float32 losses, ε = 1e-3, a wrong gradient is off by O(1). */
const EPSILON = 1e-3;
const DIRECTIONAL_TOLERANCE = 1e-2;
const B = 5;
const T = 4;
const D = 3;
const C = 3;

type Head = 'linear' | 'softmax' | 'sigmoid';

function model(head: Head, seed = 11): nl.Sequential {
  const m = nl.sequential({
    layers: [
      nl.layers.gru({ units: 5, inputShape: [T, D] }),
      nl.layers.dense({ units: 4, activation: 'tanh' }),
      nl.layers.dense({ units: C, activation: head }),
    ],
    seed,
  });
  perturbWeights(m, seed + 1);
  m.markWeightsChanged();
  return m;
}

function targets(loss: nl.LossName, rng: Random): nl.Tensor {
  if (loss === 'sparseCategoricalCrossentropy')
    return nl.tensor(
      Array.from({ length: B }, () => rng.int(C)),
      undefined,
      'int32',
    );
  if (loss === 'categoricalCrossentropy') {
    // Soft targets that sum to 1.
    return nl.tensor(
      Array.from({ length: B }, () => {
        const raw = Array.from({ length: C }, () => rng.uniform() + 0.1);
        const sum = raw.reduce((a, b) => a + b, 0);
        return raw.map((v) => v / sum);
      }),
    );
  }
  return nl.tensor(Array.from({ length: B }, () => Array.from({ length: C }, () => rng.int(2))));
}

const CASES: readonly [nl.LossName, Head][] = [
  ['sparseCategoricalCrossentropy', 'softmax'],
  ['categoricalCrossentropy', 'softmax'],
  ['binaryCrossentropy', 'sigmoid'],
];

describe('fromLogits: a linear head with the cross-entropies', () => {
  for (const [loss, head] of CASES) {
    it(`${loss}: the gradient matches finite differences on every weight`, () => {
      const rng = new Random(31);
      const x = randomFloats(rng, [B, T, D]);
      const y = targets(loss, rng);
      const m = model('linear');
      m.compile({ optimizer: 'sgd', loss: nl.losses[loss]({ fromLogits: true }) });
      m.computeGradients(x, y);
      const g = m.grads.slice();
      const w0 = m.values.slice();
      for (const e of m.entries) {
        const d = Float32Array.from({ length: e.size }, () => 2 * rng.uniform() - 1);
        let analytic = 0;
        for (let i = 0; i < e.size; i++) analytic += g[e.offset + i] * d[i];
        const at = (sign: number): number => {
          m.values.set(w0);
          for (let i = 0; i < e.size; i++) m.values[e.offset + i] = w0[e.offset + i] + sign * EPSILON * d[i];
          m.markWeightsChanged();
          return m.computeGradients(x, y);
        };
        const numeric = (at(1) - at(-1)) / (2 * EPSILON);
        m.values.set(w0);
        m.markWeightsChanged();
        const error = Math.abs(analytic - numeric) / Math.max(Math.abs(analytic), Math.abs(numeric), 1e-2);
        assert.ok(error < DIRECTIONAL_TOLERANCE, `${e.name}: analytic ${analytic}, numeric ${numeric}`);
      }
    });

    it(`${loss}: the same weights under a ${head} head give the same loss, gradient and metrics`, () => {
      const rng = new Random(41);
      const x = randomFloats(rng, [B, T, D]);
      const y = targets(loss, rng);
      const metric = loss === 'binaryCrossentropy' ? 'binaryAccuracy' : 'accuracy';
      const logits = model('linear');
      logits.compile({ optimizer: 'sgd', loss: nl.losses[loss]({ fromLogits: true }), metrics: [metric] });
      const fused = model(head);
      fused.compile({ optimizer: 'sgd', loss, metrics: [metric] });
      assert.deepEqual(logits.values, fused.values);
      assert.equal(logits.computeGradients(x, y), fused.computeGradients(x, y));
      assert.deepEqual(logits.grads, fused.grads);
      assert.deepEqual(logits.evaluate(x, y), fused.evaluate(x, y));
      // predict gives the logits: their softmax / sigmoid is the fused head's output.
      const z = logits.predict(x).data;
      const p = fused.predict(x).data;
      for (let r = 0; r < B; r++) {
        const row = Array.from(z.subarray(r * C, (r + 1) * C));
        const max = Math.max(...row);
        const sum = row.reduce((s, v) => s + Math.exp(v - max), 0);
        for (let c = 0; c < C; c++) {
          const expected = head === 'softmax' ? Math.exp(row[c] - max) / sum : 1 / (1 + Math.exp(-row[c]));
          assert.ok(
            Math.abs(p[r * C + c] - expected) < 1e-6,
            `row ${r} class ${c}: ${p[r * C + c]} vs ${expected}`,
          );
        }
      }
    });
  }

  it('a fromLogits model trains (loss falls) and keeps the flag through save/load', async () => {
    const rng = new Random(51);
    const x = randomFloats(rng, [B, T, D]);
    const y = targets('sparseCategoricalCrossentropy', rng);
    const m = model('linear');
    m.compile({
      optimizer: nl.optimizers.adam({ learningRate: 0.05 }),
      loss: { name: 'sparseCategoricalCrossentropy', fromLogits: true },
    });
    const first = m.evaluate(x, y) as number;
    await m.fit(x, y, { epochs: 20, batchSize: B, verbose: 0 });
    const last = m.evaluate(x, y) as number;
    assert.ok(last < first / 2, `loss ${first} → ${last}`);
    const loaded = await nl.modelFromBytes(await nl.modelToBytes(m));
    assert.equal(loaded.compiled!.fromLogits, true);
    assert.equal(loaded.evaluate(x, y), last);
    const plain = cloneModel(m);
    assert.equal(plain.compiled, null);
  });

  it('misuse is refused: a softmax head from logits, fromLogits on MSE, a non-boolean, an unknown option', () => {
    const softmax = model('softmax');
    assert.throws(
      () =>
        softmax.compile({
          optimizer: 'sgd',
          loss: nl.losses.sparseCategoricalCrossentropy({ fromLogits: true }),
        }),
      (e: Error) =>
        e instanceof nl.ConfigError && /applied twice/.test(e.message) && /softmax/.test(e.message),
    );
    const linear = model('linear');
    assert.throws(
      () => linear.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' }),
      (e: Error) => e instanceof nl.ConfigError && /activation 'softmax'/.test(e.message),
    );
    assert.throws(
      () => linear.compile({ optimizer: 'sgd', loss: { name: 'meanSquaredError', fromLogits: true } }),
      (e: Error) => e instanceof nl.ConfigError && /fromLogits/.test(e.message),
    );
    assert.throws(
      () => nl.losses.binaryCrossentropy({ fromLogits: 'yes' as never }),
      (e: Error) => e instanceof nl.ConfigError && /boolean/.test(e.message),
    );
    assert.throws(
      () => nl.losses.categoricalCrossentropy({ labelSmoothing: 0.1 } as never),
      (e: Error) => e instanceof nl.ConfigError && /not supported yet/.test(e.message),
    );
    assert.throws(
      () => linear.compile({ optimizer: 'sgd', loss: { name: 'hinge' } as never }),
      (e: Error) => e instanceof nl.ConfigError && /hinge/.test(e.message),
    );
  });
});
