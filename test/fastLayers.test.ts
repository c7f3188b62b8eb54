/**
 * The layers on the WebAssembly engine give what they give on the reference kernels: a model with every
 * recurrent kind (stateful NovoLSTM, reversed LSTM over a mask, GRU) trained a few steps both ways ends
 * with the same weights, to float32 accuracy.
 */
import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import * as layers from '../src/layers/index.js';
import { kernelBackend, useFastKernels, useReferenceKernels } from '../src/layers/backend.js';
import { sequential } from '../src/models/sequential.js';
import { Random } from '../src/random.js';
import { tensor } from '../src/tensor.js';
import { adam } from '../src/training/optimizers.js';
import { assertClose } from './helpers.js';

const B = 5;
const T = 7;
const V = 11;
/** Three Adam steps of float32 arithmetic done in a different order. */
const ENGINE_TOLERANCE = 1e-4;

after(() => useReferenceKernels());

function trainThreeSteps(): { values: Float32Array; losses: number[] } {
  const model = sequential({
    seed: 4,
    layers: [
      layers.embedding({ inputDim: V, outputDim: 6, maskZero: true, inputShape: [null] }),
      layers.novoLSTM({ units: 9, returnSequences: true, stateful: true }),
      layers.lstm({ units: 7, returnSequences: true, goBackwards: true }),
      layers.gru({ units: 5, returnSequences: true }),
      layers.dense({ units: V, activation: 'softmax' }),
    ],
  });
  model.compile({ optimizer: adam({ learningRate: 1e-2 }), loss: 'sparseCategoricalCrossentropy' });
  const rng = new Random(8);
  const losses: number[] = [];
  for (let step = 0; step < 3; step++) {
    // Ids 1 … V−1, with trailing padding (0) on some rows.
    const ids = Int32Array.from({ length: B * T }, (_, i) => (i % T > 4 + (i % 3) ? 0 : 1 + rng.int(V - 1)));
    const targets = Int32Array.from({ length: B * T }, () => rng.int(V));
    losses.push(model.trainOnBatch(tensor(ids, [B, T], 'int32'), tensor(targets, [B, T], 'int32')) as number);
  }
  return { values: model.values.slice(), losses };
}

it('a model trains to the same weights on the engine as on the reference kernels', async () => {
  useReferenceKernels();
  const reference = trainThreeSteps();
  const build = await useFastKernels();
  assert.notEqual(build, 'reference', 'this machine has WebAssembly SIMD, so the engine must load');
  assert.equal(kernelBackend(), build);
  const fast = trainThreeSteps();
  assertClose('losses', fast.losses, reference.losses, ENGINE_TOLERANCE);
  assertClose('weights after 3 steps', fast.values, reference.values, ENGINE_TOLERANCE);
});

it('the engine never runs on stale weights: predict after setWeights and after a training step', async () => {
  await useFastKernels();
  const model = sequential({
    seed: 2,
    layers: [
      layers.lstm({ units: 6, returnSequences: true, inputShape: [null, 3] }),
      layers.dense({ units: 2 }),
    ],
  });
  model.compile({ optimizer: adam({ learningRate: 1e-1 }), loss: 'meanSquaredError' });
  const x = tensor(
    Float32Array.from({ length: 4 * 5 * 3 }, (_, i) => Math.sin(i)),
    [4, 5, 3],
  );
  const y = tensor(
    Float32Array.from({ length: 4 * 5 * 2 }, (_, i) => Math.cos(i)),
    [4, 5, 2],
  );
  const expectOnReference = (what: string, fast: Float32Array) => {
    useReferenceKernels();
    const reference = model.predict(x).data as Float32Array;
    assertClose(what, fast, reference, ENGINE_TOLERANCE);
  };
  const before = model.predict(x).data as Float32Array;
  model.setWeights(
    model.getWeights().map((w) =>
      tensor(
        w.data.map((v) => v * 0.5),
        [...w.shape],
      ),
    ),
  );
  const afterSet = model.predict(x).data as Float32Array;
  assert.notDeepEqual(afterSet, before);
  expectOnReference('after setWeights', afterSet);
  await useFastKernels();
  model.trainOnBatch(x, y);
  expectOnReference('after a training step', (await useFastKernels(), model.predict(x).data as Float32Array));
});

it("an embedding's rows go to the engine: the recurrent layer adds the table's gradient itself, the same as through dx", async () => {
  await useFastKernels();
  const [b, t, v, e] = [5, 7, 11, 6];
  const recurrents = [
    () => layers.novoLSTM({ units: 9, returnSequences: true }),
    () => layers.lstm({ units: 7, goBackwards: true }),
    () => layers.gru({ units: 5, returnSequences: true }),
    () => layers.bidirectional({ layer: layers.lstm({ units: 7, returnSequences: true }) }),
  ];
  for (const [i, recurrent] of recurrents.entries()) {
    const model = sequential({
      seed: 3,
      layers: [layers.embedding({ inputDim: v, outputDim: e, maskZero: true, inputShape: [t] }), recurrent()],
    });
    const [embedding, rnn] = model.layers;
    const rng = new Random(6 + i);
    const ids = Int32Array.from({ length: b * t }, (_, n) => (n % t > 4 + (n % 3) ? 0 : 1 + rng.int(v - 1)));
    const ctx = { training: true, rng: new Random(1) };
    const embedded = embedding.forward({ data: ids, shape: [b, t], mask: null }, ctx);
    assert.ok(embedded.output.rows, 'the embedding says where its rows came from');
    const run = (rows: boolean) => {
      model.grads.fill(0);
      const input = rows ? embedded.output : { ...embedded.output, rows: undefined };
      const step = rnn.forward(input, ctx);
      const dy = Float32Array.from(step.output.data, (_, n) => Math.sin(n));
      const dx = step.backward(dy);
      if (dx) embedded.backward(dx);
      return { output: step.output.data as Float32Array, dx, grads: model.grads.slice() };
    };
    const byRows = run(true);
    const throughDx = run(false);
    assert.equal(byRows.dx, null, `${rnn.label}: nothing left for the embedding's backward`);
    assert.ok(throughDx.dx, `${rnn.label}: without the rows, dx as before`);
    assert.deepEqual(byRows.output, throughDx.output, `${rnn.label}: the same output`);
    assertClose(`${rnn.label} gradients`, byRows.grads, throughDx.grads, 1e-5, 1e-2);
  }
});
