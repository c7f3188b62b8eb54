/**
 * `layer.trainable = false` (Keras' frozen layer): the frozen weights do not move under any optimizer
 * (momentum, Adam, AdamW's decoupled decay, centered RMSprop with momentum, clipping), on this thread or
 * split over workers; the trainable ones move exactly as if the frozen weights were not there (their
 * gradients left out of the joint clipping norm); summary() counts the frozen ones; the flag survives
 * save/load and a clone; and it can change between fits.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as nl from '../src/index.js';
import { cloneModel } from '../src/models/clone.js';
import { Random } from '../src/random.js';
import { contiguousSpans } from '../src/training/optimizers.js';
import { paddedIds, perturbWeights } from './modelHelpers.js';

const B = 7;
const T = 5;
const VOCAB = 11;

/** embedding → lstm → dense(relu) → dense(softmax); `frozen` names the layers to freeze. */
function frozenModel(frozen: readonly number[]): nl.Sequential {
  const model = nl.sequential({
    layers: [
      nl.layers.embedding({ inputDim: VOCAB, outputDim: 4, maskZero: true, inputShape: [T] }),
      nl.layers.lstm({ units: 5, returnSequences: false }),
      nl.layers.dense({ units: 6, activation: 'relu' }),
      nl.layers.dense({ units: 3, activation: 'softmax' }),
    ],
    seed: 3,
  });
  perturbWeights(model, 4);
  model.markWeightsChanged();
  for (const i of frozen) model.layers[i].trainable = false;
  return model;
}

function data(seed: number, n = B): { x: nl.Tensor; y: nl.Tensor } {
  const rng = new Random(seed);
  return {
    x: nl.tensor(paddedIds(rng, n, T, VOCAB), undefined, 'int32'),
    y: nl.tensor(
      Array.from({ length: n }, () => rng.int(3)),
      undefined,
      'int32',
    ),
  };
}

/** The [from, to) ranges of the frozen layers' weights in the flat array. */
function frozenRanges(model: nl.Sequential): [number, number][] {
  const names = model.layers.filter((l) => !l.trainable).map((l) => `${l.name}/`);
  return contiguousSpans(model.entries.filter((e) => names.some((n) => e.name.startsWith(n))));
}

const OPTIMIZERS: readonly [string, () => nl.Optimizer][] = [
  [
    'sgd with nesterov momentum',
    () => nl.optimizers.sgd({ learningRate: 0.1, momentum: 0.9, nesterov: true }),
  ],
  ['adam with globalClipNorm', () => nl.optimizers.adam({ learningRate: 0.01, globalClipNorm: 0.05 })],
  ['adamW with weight decay', () => nl.optimizers.adamW({ learningRate: 0.01, weightDecay: 0.1 })],
  [
    'centered rmsprop with momentum and clipValue',
    () => nl.optimizers.rmsprop({ learningRate: 0.01, momentum: 0.5, centered: true, clipValue: 0.01 }),
  ],
  ['sgd with clipNorm', () => nl.optimizers.sgd({ learningRate: 0.5, clipNorm: 0.01 })],
];

describe('a frozen layer does not train', () => {
  for (const [name, make] of OPTIMIZERS) {
    it(`${name}: frozen weights and their moments stay; the rest moves as if the frozen ones were absent`, async () => {
      const { x, y } = data(5);
      const model = frozenModel([1, 3]);
      model.compile({ optimizer: make(), loss: 'sparseCategoricalCrossentropy' });
      const before = model.values.slice();
      // The same steps by hand: the gradient with the frozen weights' entries zeroed, an optimizer that
      // updates every weight, and the frozen weights put back afterwards (AdamW's decay moves them).
      const reference = cloneModel(model);
      reference.compile({ optimizer: make(), loss: 'sparseCategoricalCrossentropy' });
      const ranges = frozenRanges(model);
      for (let step = 0; step < 3; step++) {
        model.trainOnBatch(x, y);
        reference.computeGradients(x, y);
        for (const [from, to] of ranges) reference.grads.fill(0, from, to);
        reference.compiled!.optimizer.applyGradients(reference.values, reference.grads, reference.entries);
        for (const [from, to] of ranges) reference.values.set(before.subarray(from, to), from);
        reference.markWeightsChanged();
      }
      for (const [from, to] of ranges) {
        assert.deepEqual(model.values.slice(from, to), before.slice(from, to), `frozen [${from}, ${to})`);
        const slots = model.compiled!.optimizer.slots;
        const N = model.values.length;
        for (let k = 0; k * N < slots.length; k++) {
          assert.ok(
            slots.subarray(k * N + from, k * N + to).every((v) => v === 0),
            `moment ${k} of the frozen weights stays zero`,
          );
        }
      }
      let moved = 0;
      for (let i = 0; i < model.values.length; i++) {
        if (ranges.some(([from, to]) => i >= from && i < to)) continue;
        assert.equal(model.values[i], reference.values[i], `trainable weight ${i}`);
        if (model.values[i] !== before[i]) moved++;
      }
      assert.ok(moved > 0, 'the trainable weights moved');
    });
  }

  it('with every layer trainable, the update is the one over all weights (results unchanged)', () => {
    const { x, y } = data(6);
    const a = frozenModel([]);
    const b = cloneModel(a);
    for (const m of [a, b]) {
      m.compile({
        optimizer: nl.optimizers.adam({ learningRate: 0.01, globalClipNorm: 0.05 }),
        loss: 'sparseCategoricalCrossentropy',
      });
    }
    a.trainOnBatch(x, y);
    b.computeGradients(x, y);
    b.compiled!.optimizer.applyGradients(b.values, b.grads, [
      { name: 'all', shape: [b.values.length], offset: 0, size: b.values.length },
    ]);
    assert.deepEqual(a.values, b.values);
  });

  it('fit split over two workers leaves the frozen weights exactly as they were', async () => {
    const { x, y } = data(7, 12);
    const model = frozenModel([0, 2]);
    model.compile({
      optimizer: nl.optimizers.adamW({ learningRate: 0.01 }),
      loss: 'sparseCategoricalCrossentropy',
    });
    const before = model.values.slice();
    await model.fit(x, y, { epochs: 2, batchSize: 6, workers: 2, verbose: 0 });
    const ranges = frozenRanges(model);
    assert.equal(ranges.length, 2);
    for (const [from, to] of ranges) assert.deepEqual(model.values.slice(from, to), before.slice(from, to));
    assert.notDeepEqual(model.values, before);
  });

  it('a flag changed between fits takes effect without compiling again (fine-tuning)', async () => {
    const { x, y } = data(8);
    const model = frozenModel([1]);
    model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    const lstm = model.entries.filter((e) => e.name.startsWith(`${model.layers[1].name}/`));
    const lstmValues = (): Float32Array =>
      model.values.slice(lstm[0].offset, lstm[lstm.length - 1].offset + lstm[lstm.length - 1].size);
    const frozenAt = lstmValues();
    await model.fit(x, y, { epochs: 1, verbose: 0 });
    assert.deepEqual(lstmValues(), frozenAt);
    model.layers[1].trainable = true;
    await model.fit(x, y, { epochs: 1, verbose: 0 });
    assert.notDeepEqual(lstmValues(), frozenAt);
  });

  it('a frozen bidirectional wrapper: a wrapped layer frozen before wrapping freezes the wrapper', () => {
    const inner = nl.layers.gru({ units: 3 });
    inner.trainable = false;
    assert.equal(nl.layers.bidirectional({ layer: inner }).trainable, false);
  });
});

describe('summary, save, load and clone know the frozen layers', () => {
  it("summary counts a frozen layer's weights as non-trainable", () => {
    const model = frozenModel([1]);
    const lines: string[] = [];
    model.summary({ printFn: (l) => lines.push(l) });
    const lstmCount = model.layers[1].getWeights().reduce((s, w) => s + w.size, 0);
    const total = model.values.length;
    assert.ok(lines.includes(`Total params: ${total.toLocaleString('en-US')}`));
    assert.ok(
      lines.includes(`Trainable params: ${(total - lstmCount).toLocaleString('en-US')}`),
      lines.join('\n'),
    );
    assert.ok(lines.includes(`Non-trainable params: ${lstmCount.toLocaleString('en-US')}`));
  });

  it('save and load keep the flags; the loaded model goes on leaving the frozen weights alone', async () => {
    const { x, y } = data(9);
    const model = frozenModel([0, 3]);
    model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    model.trainOnBatch(x, y);
    const dir = join(mkdtempSync(join(tmpdir(), 'novolstm-frozen-')), 'model');
    await model.save(dir);
    const loaded = await nl.loadModel(dir);
    assert.deepEqual(
      loaded.layers.map((l) => l.trainable),
      [false, true, true, false],
    );
    const before = loaded.values.slice();
    loaded.trainOnBatch(x, y);
    for (const [from, to] of frozenRanges(loaded))
      assert.deepEqual(loaded.values.slice(from, to), before.slice(from, to));
    assert.deepEqual(
      cloneModel(model).layers.map((l) => l.trainable),
      [false, true, true, false],
    );
  });

  it('a save without the key (every earlier save) loads trainable; a bad value is a ValueError', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'novolstm-frozen-')), 'model');
    await nl.saveModel(frozenModel([2]), dir);
    const file = join(dir, 'model.json');
    const text = readFileSync(file, 'utf8');
    assert.equal(text.match(/"trainable": false/g)?.length, 1);
    writeFileSync(file, text.replace('"trainable": false', '"trainable": true'));
    await assert.rejects(nl.loadModel(dir), (e: Error) => {
      assert.ok(e instanceof nl.ValueError, String(e));
      assert.match(e.message, /model\.layers\[2\]\.trainable must be false or absent/);
      return true;
    });
    writeFileSync(file, text.replace(/,\n\s*"trainable": false/, ''));
    assert.deepEqual(
      (await nl.loadModel(dir)).layers.map((l) => l.trainable),
      [true, true, true, true],
    );
    const all = join(dir, '..', 'all');
    await nl.saveModel(frozenModel([]), all);
    assert.ok(
      !readFileSync(join(all, 'model.json'), 'utf8').includes('"trainable"'),
      'no key when all train',
    );
  });
});
