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
