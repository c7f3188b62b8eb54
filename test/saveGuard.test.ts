/**
 * Saving refuses a model that would not load again: weights or optimizer moments that are not finite are a
 * typed error naming the first bad value, nothing is written, and the previous save stays as it was — so a
 * modelCheckpoint callback never replaces a good save with a bad one.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as nl from '../src/index.js';
import { ValueError } from '../src/errors.js';
import { Random } from '../src/random.js';

function makeModel(): nl.Sequential {
  const model = nl.sequential({
    layers: [
      nl.layers.lstm({ units: 5, returnSequences: true, inputShape: [7, 3] }),
      nl.layers.gru({ units: 3 }),
      nl.layers.dense({ units: 2 }),
    ],
    seed: 13,
  });
  model.compile({ optimizer: nl.optimizers.adam({ learningRate: 0.01 }), loss: 'meanSquaredError' });
  return model;
}

function data(rows: number): { x: nl.Tensor; y: nl.Tensor } {
  const rng = new Random(21);
  const x = Float32Array.from({ length: rows * 7 * 3 }, () => 2 * rng.uniform() - 1);
  const y = Float32Array.from({ length: rows * 2 }, () => 2 * rng.uniform() - 1);
  return { x: nl.tensor(x, [rows, 7, 3]), y: nl.tensor(y, [rows, 2]) };
}

/** Every file of a directory, name → bytes. */
async function snapshot(dir: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const name of (await readdir(dir)).sort()) files.set(name, await readFile(join(dir, name)));
  return files;
}

/** Puts `value` into weight `name` at row-major `index`. */
function poison(model: nl.Sequential, name: string, index: number, value: number): void {
  const entry = model.entries.find((e) => e.name === name);
  assert.ok(entry, `no weight ${name} in ${model.entries.map((e) => e.name).join(', ')}`);
  model.values[entry.offset + index] = value;
}

const refusal = (pattern: RegExp) => (e: unknown) => {
  assert.ok(e instanceof ValueError, String(e));
  assert.match(e.message, pattern);
  return true;
};

describe('save refuses what would not load', () => {
  it('a NaN weight: a ValueError naming it, and the previous save untouched and loadable', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'novolstm-save-guard-'));
    const model = makeModel();
    const { x, y } = data(5);
    model.trainOnBatch(x, y);
    await model.save(dir);
    const good = model.values.slice();
    const before = await snapshot(dir);
    model.trainOnBatch(x, y);
    poison(model, 'gru/recurrentKernel', 4, NaN);
    await assert.rejects(
      model.save(dir),
      refusal(/^save: weight 'gru\/recurrentKernel' \[4\] is not finite.* got NaN$/),
    );
    assert.deepEqual(await snapshot(dir), before);
    assert.deepEqual((await nl.loadModel(dir)).values, good);
  });

  it('an infinite optimizer moment is refused too, and so is a bundle of the model', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'novolstm-save-guard-'));
    const model = makeModel();
    const { x, y } = data(3);
    model.trainOnBatch(x, y);
    const { optimizer } = model.compiled!;
    const first = model.entries[0];
    optimizer.slot('v')[first.offset + 2] = Infinity;
    await assert.rejects(
      model.save(dir),
      refusal(new RegExp(`optimizer slot 'v' of weight '${first.name}' \\[2\\] is not finite`)),
    );
    assert.deepEqual(await readdir(dir).catch(() => []), []);
    await assert.rejects(nl.modelToBytes(model), refusal(/optimizer slot 'v'/));
  });

  it('modelCheckpoint keeps the last good save when the weights go bad', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'novolstm-save-guard-'));
    const model = makeModel();
    const { x, y } = data(6);
    let afterFirstEpoch: Float32Array | null = null;
    // Listed before the checkpoint: at the second epoch's end the weights turn bad just before its save.
    const goesBad: nl.Callback = {
      onEpochEnd: (epoch) => {
        if (epoch === 0) afterFirstEpoch = model.values.slice();
        if (epoch === 1) poison(model, model.entries[1].name, 0, -Infinity);
      },
    };
    const checkpoint = nl.callbacks.modelCheckpoint({ filepath: dir, monitor: 'loss' });
    await assert.rejects(
      model.fit(x, y, { batchSize: 3, epochs: 3, verbose: 0, callbacks: [goesBad, checkpoint] }),
      refusal(/is not finite/),
    );
    assert.deepEqual(checkpoint.saved, [dir]);
    assert.deepEqual((await nl.loadModel(dir)).values, afterFirstEpoch);
  });
});
