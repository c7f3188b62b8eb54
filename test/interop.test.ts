/**
 * The one entry for every foreign format (src/interop/index.ts): exportModel writes each format to a path,
 * importModel finds the format from that path (or bytes, or a map of files) and gives the same model back —
 * weights bit for bit, predictions equal. Each format's own file checks it against its peer (Keras,
 * TensorFlow.js, ONNX Runtime, PyTorch); this one checks the dispatch and the file-system half.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import * as nl from '../src/index.js';
import { ConfigError, ValueError } from '../src/errors.js';
import { Random } from '../src/random.js';
import { paddedIds, perturbWeights } from './modelHelpers.js';

const dir = mkdtempSync(join(tmpdir(), 'novolstm-interop-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const VOCAB = 11;
const T = 6;

/** A model every format carries: embedding(maskZero) → LSTM → GRU(resetAfter false) → dense(softmax). */
function portableModel(): nl.Sequential {
  const model = nl.sequential({
    seed: 3,
    layers: [
      nl.layers.embedding({ inputDim: VOCAB, outputDim: 5, maskZero: true, inputShape: [T] }),
      nl.layers.lstm({ units: 7, returnSequences: true }),
      nl.layers.gru({ units: 3, resetAfter: false }),
      nl.layers.dense({ units: 5, activation: 'softmax' }),
    ],
  });
  perturbWeights(model, 4);
  model.markWeightsChanged();
  return model;
}

function ids(): nl.Tensor {
  return nl.tensor(paddedIds(new Random(9), 5, T, VOCAB), undefined, 'int32');
}

function sameModel(a: nl.Sequential, b: nl.Sequential): void {
  assert.deepEqual(
    b.layers.map((l) => l.className),
    a.layers.map((l) => l.className),
  );
  assert.deepEqual(
    new Uint32Array(b.values.buffer, b.values.byteOffset, b.values.length),
    new Uint32Array(a.values.buffer, a.values.byteOffset, a.values.length),
    'weights bit for bit',
  );
  assert.deepEqual(b.predict(ids()).data, a.predict(ids()).data, 'predictions');
}

describe('importModel / exportModel', () => {
  const cases = [
    { format: 'keras', path: 'm.keras' },
    { format: 'tfjs', path: 'tfjs-model' },
    { format: 'safetensors', path: 'm.safetensors' },
    { format: 'onnx', path: 'm.onnx' },
  ] as const;
  for (const { format, path } of cases) {
    it(`${format}: exported to a path and imported from it gives the same model`, async () => {
      const model = portableModel();
      const target = join(dir, path);
      await nl.exportModel(model, target, { format });
      sameModel(model, await nl.importModel(target));
    });
  }

  it('one-file formats import from their bytes too (keras, safetensors), and ONNX from a named file map', async () => {
    const model = portableModel();
    for (const [format, name] of [
      ['keras', 'b.keras'],
      ['safetensors', 'b.safetensors'],
    ] as const) {
      await nl.exportModel(model, join(dir, name), { format });
      sameModel(model, await nl.importModel(new Uint8Array(readFileSync(join(dir, name)))));
    }
    await nl.exportModel(model, join(dir, 'b.onnx'), { format: 'onnx' });
    const onnx = new Uint8Array(readFileSync(join(dir, 'b.onnx')));
    sameModel(model, await nl.importModel(new Map([['model.onnx', onnx]])));
    await assert.rejects(nl.importModel(onnx), ValueError, 'ONNX bytes alone have no magic number');
  });

  it('a folder as TensorFlow.js saves it (shards named ./model.weights.bin) imports and predicts as TensorFlow.js does', async () => {
    await tf.setBackend('cpu');
    const theirs = tf.sequential({
      layers: [
        tf.layers.lstm({ units: 5, recurrentActivation: 'sigmoid', inputShape: [T, 3] }),
        tf.layers.dense({ units: 2, activation: 'tanh' }),
      ],
    });
    const rng = new Random(17);
    theirs.setWeights(
      theirs.getWeights().map((w) => tf.randomUniform(w.shape, -0.5, 0.5, 'float32', rng.int(1e6))),
    );
    let saved: tf.io.ModelArtifacts | undefined;
    await theirs.save(
      tf.io.withSaveHandler(
        async (a) => (
          (saved = a),
          { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }
        ),
      ),
    );
    const folder = join(dir, 'from-tfjs');
    rmSync(folder, { recursive: true, force: true });
    const { mkdirSync } = await import('node:fs');
    mkdirSync(folder);
    writeFileSync(
      join(folder, 'model.json'),
      JSON.stringify({
        modelTopology: saved!.modelTopology,
        format: saved!.format,
        generatedBy: saved!.generatedBy,
        convertedBy: saved!.convertedBy,
        weightsManifest: [{ paths: ['./model.weights.bin'], weights: saved!.weightSpecs }],
      }),
    );
    writeFileSync(join(folder, 'model.weights.bin'), new Uint8Array(saved!.weightData as ArrayBuffer));
    const x = Array.from({ length: 4 * T * 3 }, () => 2 * rng.uniform() - 1);
    const ours = await nl.importModel(folder);
    const expected = (theirs.predict(tf.tensor(x, [4, T, 3])) as tf.Tensor).dataSync();
    const got = ours.predict(nl.tensor(x, [4, T, 3])).data;
    for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(got[i] - expected[i]) < 1e-5, `output ${i}`);
  });

  it('a TensorFlow.js export is a folder with model.json and its shards', async () => {
    const target = join(dir, 'tfjs-listing');
    await nl.exportModel(portableModel(), target, { format: 'tfjs' });
    const names = readdirSync(target).sort();
    assert.ok(names.includes('model.json'));
    assert.ok(names.some((n) => n.endsWith('.bin')));
    assert.ok(!names.some((n) => n.endsWith('.tmp')), 'no temporary file left');
  });

  it('bad requests are typed errors naming the thing', async () => {
    const model = portableModel();
    await assert.rejects(
      nl.exportModel(model, join(dir, 'x.bin'), { format: 'pickle' as never }),
      (e: unknown) =>
        e instanceof ConfigError && /unknown format/.test(e.message) && /pickle/.test(e.message),
    );
    await assert.rejects(nl.importModel(join(dir, 'missing.keras')), ValueError);
    await assert.rejects(nl.importModel(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])), ValueError);
    await assert.rejects(
      nl.importModel(join(dir, 'm.keras'), { weights: 'x' } as never),
      (e: unknown) => e instanceof ConfigError && /weights/.test(e.message),
    );
  });
});
