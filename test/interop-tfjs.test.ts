/**
 * TensorFlow.js layers models in and out, checked against TensorFlow.js itself (a devDependency, 'cpu'
 * backend). Every fixture is made here by TensorFlow.js: a model with odd sizes and random weights is
 * saved through `tf.io.http` with a fetch function that keeps what it would upload — model.json and
 * model.weights.bin exactly as TensorFlow.js writes them — then imported, and both predict the same
 * input. Exports go the other way: our files are served to `tf.loadLayersModel(tf.io.http(…))`, so
 * TensorFlow.js itself resolves the manifest, fetches and joins the shards and matches weights by name.
 *
 * TensorFlow.js' recurrent layers default to recurrentActivation 'hardSigmoid', which novolstm's layers
 * do not compute yet: the models here set 'sigmoid', and a test checks that the default is refused.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import * as nl from '../src/index.js';
import { ConfigError, ShapeError, ValueError } from '../src/errors.js';
import { LAYERS_TAKE_HARD_SIGMOID } from '../src/interop/tfjs/activations.js';
import {
  decodeTfjs,
  encodeTfjs,
  tfjsEncoder,
  tfjsFilesFromArtifacts,
  tfjsWeightFiles,
} from '../src/interop/tfjs/index.js';
import type { ModelFiles } from '../src/interop/formats.js';
import { Random } from '../src/random.js';
import { assertClose } from './helpers.js';
import { paddedIds, perturbWeights, randomFloats } from './modelHelpers.js';

/** float32 on both sides, summed in different orders: a few float32 ulps of O(1) values. */
const TOLERANCE = 1e-5;
const VOCAB = 13;
const SIGMOID = { recurrentActivation: 'sigmoid' } as const;

/** The largest |ours − TensorFlow.js| over every comparison, printed at the end for the record. */
const worst = { diff: 0, where: '' };

before(async () => {
  await tf.setBackend('cpu');
});

after(() => {
  console.log(
    `worst |novolstm − TensorFlow.js| over all predictions: ${worst.diff.toExponential(2)} (${worst.where})`,
  );
});

// model.json is edited freely in the bad-file tests below.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** What `model.save` hands to `tf.io.http`: model.json and model.weights.bin, byte for byte. */
async function savedByTfjs(model: tf.LayersModel): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  const fetchFunc = async (_url: unknown, init?: RequestInit) => {
    for (const [name, blob] of (init!.body as FormData).entries())
      files.set(name, new Uint8Array(await (blob as Blob).arrayBuffer()));
    return new Response('{}', { status: 200 });
  };
  await model.save(tf.io.http('http://peer.test/upload', { fetchFunc }));
  assert.deepEqual([...files.keys()].sort(), ['model.json', 'model.weights.bin']);
  return files;
}

/** TensorFlow.js loading our files as it loads a model from a server folder. */
async function loadedByTfjs(files: ModelFiles): Promise<tf.LayersModel> {
  const fetchFunc = async (url: unknown) => {
    const bytes = files.get(new URL(String(url)).pathname.replace(/^\/m\//, ''));
    return bytes ? new Response(bytes.slice(), { status: 200 }) : new Response('missing', { status: 404 });
  };
  return tf.loadLayersModel(tf.io.http('http://peer.test/m/model.json', { fetchFunc }));
}

/** Every TensorFlow.js weight drawn at random (biases and layer-norm gains included). */
function randomizeTfjs(model: tf.LayersModel, seed: number, scale = 0.5): void {
  const rng = new Random(seed);
  model.setWeights(
    model.getWeights().map((w) =>
      tf.tensor(
        Float32Array.from({ length: w.size }, () => (2 * rng.uniform() - 1) * scale),
        w.shape,
      ),
    ),
  );
}

type Input = { ids: number[][] } | { floats: nl.Tensor };

function predictBoth(
  ours: nl.Sequential,
  theirs: tf.LayersModel,
  input: Input,
): [Float32Array, Float32Array] {
  const [x, xTf] =
    'ids' in input
      ? [nl.tensor(input.ids, undefined, 'int32'), tf.tensor(input.ids, undefined, 'int32')]
      : [input.floats, tf.tensor(input.floats.data, [...input.floats.shape])];
  const expected = (theirs.predict(xTf) as tf.Tensor).dataSync() as Float32Array;
  return [ours.predict(x).data as Float32Array, expected];
}

function assertSamePredictions(
  what: string,
  ours: nl.Sequential,
  theirs: tf.LayersModel,
  input: Input,
): void {
  const [actual, expected] = predictBoth(ours, theirs, input);
  assert.equal(actual.length, expected.length, `${what}: output sizes`);
  for (let i = 0; i < actual.length; i++) {
    const diff = Math.abs(actual[i] - expected[i]);
    if (diff > worst.diff) Object.assign(worst, { diff, where: what });
  }
  assertClose(what, actual, expected, TOLERANCE);
}

async function imported(theirs: tf.LayersModel): Promise<nl.Sequential> {
  return decodeTfjs(await savedByTfjs(theirs));
}

function editJson(files: ModelFiles, edit: (json: Json) => void): Map<string, Uint8Array> {
  const json = JSON.parse(new TextDecoder().decode(files.get('model.json')));
  edit(json);
  return new Map([...files, ['model.json', new TextEncoder().encode(JSON.stringify(json))]]);
}

/** The weights re-cut into `n` shards, as tensorflowjs_converter cuts them (a weight may straddle two). */
function reshard(files: ModelFiles, n: number): Map<string, Uint8Array> {
  const json = JSON.parse(new TextDecoder().decode(files.get('model.json')));
  const [group] = json.weightsManifest;
  const bytes = files.get(group.paths[0].replace(/^\.\//, ''))!;
  const cut = Math.ceil(bytes.length / n / 4) * 4 + 2; // not on a float boundary
  const out = new Map<string, Uint8Array>();
  group.paths = [];
  for (let i = 0; i * cut < bytes.length; i++) {
    const name = `group1-shard${i + 1}of${n}.bin`;
    group.paths.push(name);
    out.set(name, bytes.slice(i * cut, (i + 1) * cut));
  }
  out.set('model.json', new TextEncoder().encode(JSON.stringify(json)));
  return out;
}

describe('import: TensorFlow.js → novolstm predicts the same', () => {
  it('embedding(maskZero) → LSTM(returnSequences) → GRU(goBackwards) → dense(softmax) on padded ids', async () => {
    const T = 7;
    const theirs = tf.sequential({
      layers: [
        tf.layers.embedding({ inputDim: VOCAB, outputDim: 5, maskZero: true, inputLength: T }),
        tf.layers.lstm({ units: 7, returnSequences: true, ...SIGMOID }),
        tf.layers.gru({ units: 3, goBackwards: true, ...SIGMOID }),
        tf.layers.dense({ units: 3, activation: 'softmax' }),
      ],
    });
    randomizeTfjs(theirs, 1);
    const ours = await imported(theirs);
    assert.deepEqual(
      ours.layers.map((l) => l.className),
      ['Embedding', 'LSTM', 'GRU', 'Dense'],
    );
    const rng = new Random(2);
    const ids = [...paddedIds(rng, 4, T, VOCAB), ...paddedIds(rng, 3, T, VOCAB, true)];
    assertSamePredictions('embedding → LSTM → GRU', ours, theirs, { ids });
  });

  it('functional chain: input → masking → layerNormalization → LSTM(goBackwards) → dense(tanh)', async () => {
    const [B, T, D] = [5, 6, 3];
    const input = tf.input({ shape: [T, D] });
    let h = tf.layers.masking({ maskValue: 0 }).apply(input) as tf.SymbolicTensor;
    h = tf.layers.layerNormalization({ epsilon: 1e-3 }).apply(h) as tf.SymbolicTensor;
    h = tf.layers.lstm({ units: 5, goBackwards: true, ...SIGMOID }).apply(h) as tf.SymbolicTensor;
    const theirs = tf.model({
      inputs: input,
      outputs: tf.layers.dense({ units: 3, activation: 'tanh' }).apply(h) as tf.SymbolicTensor,
    });
    randomizeTfjs(theirs, 3);
    const ours = await imported(theirs);
    const x = randomFloats(new Random(4), [B, T, D]);
    for (let b = 0; b < B; b++) x.data.fill(0, (b * T + 2 + b) * D, (b + 1) * T * D); // padding at the end
    assertSamePredictions('functional masking → layerNorm → LSTM(goBackwards)', ours, theirs, { floats: x });
  });

  for (const mergeMode of ['concat', 'sum', 'mul', 'ave'] as const) {
    it(`bidirectional(LSTM, returnSequences, ${mergeMode}) → bidirectional(GRU) → dense, under a mask`, async () => {
      const T = 6;
      const theirs = tf.sequential({
        layers: [
          tf.layers.embedding({ inputDim: VOCAB, outputDim: 3, maskZero: true, inputLength: T }),
          tf.layers.bidirectional({
            layer: tf.layers.lstm({ units: 5, returnSequences: true, ...SIGMOID }) as tf.RNN,
            mergeMode,
          }),
          tf.layers.bidirectional({
            layer: tf.layers.gru({ units: 3, ...SIGMOID }) as tf.RNN,
            mergeMode: 'concat',
          }),
          tf.layers.dense({ units: 2 }),
        ],
      });
      randomizeTfjs(theirs, 5);
      const ours = await imported(theirs);
      const ids = paddedIds(new Random(6), 5, T, VOCAB);
      assertSamePredictions(`bidirectional ${mergeMode}`, ours, theirs, { ids });
    });
  }

  it('LSTM(returnSequences) → dropout → timeDistributed(dense(relu)) → dense(sigmoid) on every step', async () => {
    const [B, T, D] = [3, 5, 7];
    const theirs = tf.sequential({
      layers: [
        tf.layers.lstm({ units: 9, returnSequences: true, inputShape: [T, D], ...SIGMOID }),
        tf.layers.dropout({ rate: 0.3 }),
        tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 5, activation: 'relu' }) }),
        tf.layers.dense({ units: 3, activation: 'sigmoid' }),
      ],
    });
    randomizeTfjs(theirs, 7);
    const ours = await imported(theirs);
    assert.equal(ours.layers[2].className, 'Dense');
    assertSamePredictions('timeDistributed', ours, theirs, {
      floats: randomFloats(new Random(8), [B, T, D]),
    });
  });

  it('RNN(lstmCell) and RNN(gruCell) as LSTM and GRU', async () => {
    const [B, T, D] = [3, 4, 5];
    const theirs = tf.sequential({
      layers: [
        tf.layers.rnn({
          cell: tf.layers.lstmCell({ units: 7, ...SIGMOID }),
          returnSequences: true,
          inputShape: [T, D],
        }),
        tf.layers.rnn({ cell: tf.layers.gruCell({ units: 3, ...SIGMOID }), goBackwards: true }),
      ],
    });
    randomizeTfjs(theirs, 9);
    const ours = await imported(theirs);
    assert.deepEqual(
      ours.layers.map((l) => l.className),
      ['LSTM', 'GRU'],
    );
    assertSamePredictions('RNN(cell)', ours, theirs, { floats: randomFloats(new Random(10), [B, T, D]) });
  });

  it('dense without bias on flat input; three shards that cut through weights', async () => {
    const theirs = tf.sequential({
      layers: [
        tf.layers.dense({ units: 7, useBias: false, inputShape: [5], activation: 'relu' }),
        tf.layers.dense({ units: 3, activation: 'softmax' }),
      ],
    });
    randomizeTfjs(theirs, 11);
    const files = reshard(await savedByTfjs(theirs), 3);
    assert.equal(files.size, 4);
    const ours = await decodeTfjs(files);
    assertSamePredictions('dense, 3 shards', ours, theirs, { floats: randomFloats(new Random(12), [4, 5]) });
  });

  it('the single-blob artifacts of tf.io.withSaveHandler import the same', async () => {
    const [B, T, D] = [3, 5, 4];
    const theirs = tf.sequential({
      layers: [
        tf.layers.gru({ units: 5, returnSequences: true, inputShape: [T, D], ...SIGMOID }),
        tf.layers.layerNormalization(),
        tf.layers.lstm({ units: 3, ...SIGMOID }),
      ],
    });
    randomizeTfjs(theirs, 13);
    let artifacts: tf.io.ModelArtifacts | null = null;
    await theirs.save(
      tf.io.withSaveHandler(async (a) => {
        artifacts = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    const ours = await decodeTfjs(tfjsFilesFromArtifacts(artifacts!));
    assertSamePredictions('withSaveHandler artifacts', ours, theirs, {
      floats: randomFloats(new Random(14), [B, T, D]),
    });
  });

  it("weights named as tensorflowjs_converter names a Keras model's (lstm/lstm_cell/kernel) are found", async () => {
    const theirs = tf.sequential({
      layers: [
        tf.layers.bidirectional({
          layer: tf.layers.lstm({ units: 3, ...SIGMOID }) as tf.RNN,
          inputShape: [4, 5],
        }),
        tf.layers.dense({ units: 2 }),
      ],
    });
    randomizeTfjs(theirs, 15);
    const files = editJson(await savedByTfjs(theirs), (j) => {
      for (const w of j.weightsManifest[0].weights)
        w.name = w.name.replace(/(forward|backward)_lstm_LSTM\d+\//, '$1_lstm/lstm_cell/');
    });
    assert.match(
      new TextDecoder().decode(files.get('model.json')),
      /forward_lstm\/lstm_cell\/recurrent_kernel/,
    );
    const ours = await decodeTfjs(files);
    assertSamePredictions('converter weight names', ours, theirs, {
      floats: randomFloats(new Random(16), [3, 4, 5]),
    });
  });

  it('userDefinedMetadata becomes the model metadata', async () => {
    const theirs = tf.sequential({ layers: [tf.layers.dense({ units: 3, inputShape: [5] })] });
    theirs.setUserDefinedMetadata({ labels: ['a', 'b', 'c'] });
    const ours = await imported(theirs);
    assert.deepEqual(ours.metadata, { labels: ['a', 'b', 'c'] });
  });
});

describe("import: GRU(reset_after=True), which TensorFlow.js cannot write, against Keras' own output", () => {
  it('a Keras 3 GRU model moved into TensorFlow.js files (test/fixtures/tfjs/make_gru_reset_after.py)', async () => {
    const folder = new URL('./fixtures/tfjs/gru_reset_after/', import.meta.url);
    const files = new Map(
      ['model.json', 'group1-shard1of1.bin'].map((f) => [
        f,
        new Uint8Array(readFileSync(new URL(f, folder))),
      ]),
    );
    const ours = await decodeTfjs(files);
    const gru = ours.layers[0] as nl.layers.Recurrent;
    assert.equal(gru.cellOptions.resetAfter, true);
    const expected = JSON.parse(readFileSync(new URL('expected.json', folder), 'utf8'));
    const y = ours.predict(nl.tensor(expected.x)).data;
    const diff = Math.max(...Array.from(y, (v, i) => Math.abs(v - expected.y.flat()[i])));
    console.log(
      `GRU(reset_after=True): worst |novolstm − Keras ${expected.keras_version}| = ${diff.toExponential(2)}`,
    );
    assertClose('GRU reset_after against Keras', y, expected.y.flat(), TOLERANCE);
  });
});

describe('export: novolstm → TensorFlow.js predicts the same', () => {
  it('embedding(maskZero) → LSTM(returnSequences) → GRU(goBackwards, resetAfter false) → dense(softmax), several shards', async () => {
    const T = 8;
    const ours = nl.sequential({
      layers: [
        nl.layers.embedding({ inputDim: VOCAB, outputDim: 5, maskZero: true, inputShape: [T] }),
        nl.layers.lstm({ units: 7, returnSequences: true, dropout: 0.1 }),
        nl.layers.gru({ units: 5, goBackwards: true, resetAfter: false }),
        nl.layers.dense({ units: 3, activation: 'softmax' }),
      ],
      seed: 21,
    });
    perturbWeights(ours, 22);
    const files = await tfjsEncoder({ shardBytes: 256 })(ours);
    assert.ok(files.size > 3, `several shards: ${[...files.keys()].join(', ')}`);
    const theirs = await loadedByTfjs(files);
    const rng = new Random(23);
    const ids = [...paddedIds(rng, 4, T, VOCAB), ...paddedIds(rng, 3, T, VOCAB, true)];
    assertSamePredictions('export embedding → LSTM → GRU', ours, theirs, { ids });
  });

  it('masking → layerNormalization → bidirectional(LSTM, ave) → bidirectional(GRU, concat) → dense → dropout → dense', async () => {
    const [B, T, D] = [4, 6, 3];
    const ours = nl.sequential({
      layers: [
        nl.layers.masking({ inputShape: [T, D] }),
        nl.layers.layerNormalization({ epsilon: 1e-4 }),
        nl.layers.bidirectional({
          layer: nl.layers.lstm({ units: 5, returnSequences: true }),
          mergeMode: 'ave',
        }),
        nl.layers.bidirectional({ layer: nl.layers.gru({ units: 3, resetAfter: false }) }),
        nl.layers.dense({ units: 7, activation: 'relu', useBias: false }),
        nl.layers.dropout({ rate: 0.2 }),
        nl.layers.dense({ units: 2 }),
      ],
      seed: 24,
    });
    perturbWeights(ours, 25);
    const theirs = await loadedByTfjs(await encodeTfjs(ours));
    const x = randomFloats(new Random(26), [B, T, D]);
    for (let b = 0; b < B; b++) x.data.fill(0, (b * T + 3 + (b % 3)) * D, (b + 1) * T * D);
    assertSamePredictions('export masking → bidirectional', ours, theirs, { floats: x });
  });

  it('a model built by predict (time axis free) exports with its metadata', async () => {
    const ours = nl.sequential([
      nl.layers.lstm({ units: 3, returnSequences: true }),
      nl.layers.dense({ units: 2 }),
    ]);
    const x = randomFloats(new Random(27), [2, 5, 4]);
    ours.predict(x);
    perturbWeights(ours, 28);
    ours.metadata = { vocabulary: 'abc' };
    const theirs = await loadedByTfjs(await encodeTfjs(ours));
    assert.deepEqual(theirs.getUserDefinedMetadata(), { vocabulary: 'abc' });
    assertSamePredictions('export built by predict', ours, theirs, {
      floats: randomFloats(new Random(29), [3, 9, 4]),
    });
  });
});

describe('round trip novolstm → TensorFlow.js files → novolstm', () => {
  it('gives the same layers, configs and weights bit for bit, and the same predictions exactly', async () => {
    const T = 5;
    const ours = nl.sequential({
      layers: [
        nl.layers.embedding({ inputDim: VOCAB, outputDim: 3, maskZero: true, inputShape: [T] }),
        nl.layers.bidirectional({
          layer: nl.layers.gru({ units: 5, returnSequences: true, resetAfter: false }),
          mergeMode: 'mul',
        }),
        nl.layers.layerNormalization(),
        nl.layers.lstm({ units: 3, goBackwards: true, recurrentDropout: 0.25 }),
        nl.layers.dense({ units: 7, activation: 'tanh' }),
      ],
      seed: 31,
      name: 'round_trip',
    });
    perturbWeights(ours, 32);
    const back = await decodeTfjs(await tfjsEncoder({ shardBytes: 100 })(ours));
    assert.equal(back.name, 'round_trip');
    assert.deepEqual(
      back.layers.map((l) => [l.className, l.name, l.getConfig()]),
      ours.layers.map((l) => [l.className, l.name, l.getConfig()]),
    );
    assert.deepEqual(back.entries, ours.entries);
    assert.ok(Buffer.from(back.values.buffer).equals(Buffer.from(ours.values.buffer)), 'weights bit for bit');
    const ids = nl.tensor(paddedIds(new Random(33), 6, T, VOCAB), undefined, 'int32');
    assert.deepEqual(back.predict(ids).data, ours.predict(ids).data);
  });

  it('TensorFlow.js files → novolstm → TensorFlow.js files load in TensorFlow.js with the same weights', async () => {
    const theirs = tf.sequential({
      layers: [
        tf.layers.gru({ units: 5, returnSequences: true, inputShape: [null, 3], ...SIGMOID }),
        tf.layers.lstm({ units: 4, ...SIGMOID }),
      ],
    });
    randomizeTfjs(theirs, 34);
    const again = await loadedByTfjs(await encodeTfjs(await imported(theirs)));
    const a = theirs.getWeights().map((w) => Array.from(w.dataSync()));
    const b = again.getWeights().map((w) => Array.from(w.dataSync()));
    assert.deepEqual(b, a);
  });
});

describe('frozen layers (trainable: false) both ways, as TensorFlow.js reads and writes them', () => {
  it('TensorFlow.js frozen layers (a Bidirectional, an RNN cell, a Dense) import frozen; the rest trainable', async () => {
    const theirs = tf.sequential({
      layers: [
        tf.layers.bidirectional({
          layer: tf.layers.lstm({ units: 5, returnSequences: true, ...SIGMOID }) as tf.RNN,
          inputShape: [6, 3],
        }),
        tf.layers.rnn({ cell: tf.layers.gruCell({ units: 4, ...SIGMOID, resetAfter: false }) }),
        tf.layers.dense({ units: 3 }),
      ],
    });
    theirs.layers[0].trainable = false;
    theirs.layers[1].trainable = false;
    randomizeTfjs(theirs, 71);
    const ours = await imported(theirs);
    assert.deepEqual(
      ours.layers.map((l) => l.trainable),
      [false, false, true],
    );
    assertSamePredictions('frozen import', ours, theirs, { floats: randomFloats(new Random(72), [3, 6, 3]) });
  });

  it('an exported frozen layer loads in TensorFlow.js with its weights non-trainable; a round trip keeps the flags', async () => {
    const ours = nl.sequential({
      layers: [
        nl.layers.bidirectional({
          layer: nl.layers.gru({ units: 3, resetAfter: false }),
          inputShape: [5, 2],
        }),
        nl.layers.dense({ units: 4, activation: 'tanh' }),
        nl.layers.dense({ units: 1 }),
      ],
      seed: 73,
    });
    ours.layers[0].trainable = false;
    ours.layers[2].trainable = false;
    const files = await encodeTfjs(ours);
    const theirs = await loadedByTfjs(files);
    // TensorFlow.js' Bidirectional constructor resets its own flag to true after loading, but the wrapped
    // copies keep ours, so its weights are frozen all the same: the weight lists are what training reads.
    assert.deepEqual(
      theirs.layers.map((l) => l.trainableWeights.length),
      [0, 2, 0],
    );
    assert.deepEqual(
      theirs.layers.map((l) => l.nonTrainableWeights.length),
      [6, 0, 2],
    );
    const back = await decodeTfjs(files);
    assert.deepEqual(
      back.layers.map((l) => l.trainable),
      [false, true, false],
    );
  });

  it("an inner layer frozen inside a trainable wrapper freezes the layer, as TensorFlow.js' weight lists do", async () => {
    const theirs = tf.sequential({
      layers: [
        tf.layers.bidirectional({
          layer: tf.layers.lstm({ units: 3, ...SIGMOID }) as tf.RNN,
          inputShape: [4, 2],
        }),
      ],
    });
    const files = editJson(await savedByTfjs(theirs), (j) => {
      j.modelTopology.config.layers[0].config.layer.config.trainable = false;
    });
    assert.equal((await loadedByTfjs(files)).layers[0].trainableWeights.length, 0);
    assert.equal((await decodeTfjs(files)).layers[0].trainable, false);
  });
});

describe('the files TensorFlow.js writes', () => {
  it('model.json names its weights file as TensorFlow.js does, and tfjsWeightFiles lists it', async () => {
    const files = await savedByTfjs(
      tf.sequential({ layers: [tf.layers.dense({ units: 3, inputShape: [5] })] }),
    );
    assert.deepEqual(tfjsWeightFiles(files.get('model.json')!), ['model.weights.bin']);
  });
});

/** A small TensorFlow.js model's files, the base of the bad-file tests. */
async function baseFiles(): Promise<Map<string, Uint8Array>> {
  const theirs = tf.sequential({
    layers: [
      tf.layers.embedding({ inputDim: VOCAB, outputDim: 3, inputLength: 5 }),
      tf.layers.lstm({ units: 3, ...SIGMOID }),
      tf.layers.dense({ units: 2 }),
    ],
  });
  return savedByTfjs(theirs);
}

/** Rejects with `type`, and a message that matches every pattern (the layer, the option, the value). */
async function assertRefused(
  files: ModelFiles,
  type: new (...a: never[]) => Error,
  ...patterns: RegExp[]
): Promise<void> {
  await assert.rejects(decodeTfjs(files), (e: Error) => {
    assert.ok(e instanceof type, `${e.name}: ${e.message} — expected a ${type.name}`);
    for (const p of patterns) assert.match(e.message, p);
    return true;
  });
}

describe('bad TensorFlow.js files get typed errors naming what is wrong', () => {
  const lstm = (json: Json) => json.modelTopology.config.layers[1].config;
  const options: [string, (json: Json) => void, RegExp[]][] = [
    ['activation relu', (j) => (lstm(j).activation = 'relu'), [/LSTM 'lstm_LSTM\d+'/, /activation/, /relu/]],
    ['use_bias false', (j) => (lstm(j).use_bias = false), [/use_bias/]],
    ['unroll', (j) => (lstm(j).unroll = true), [/unroll/]],
    ['stateful', (j) => (lstm(j).stateful = true), [/stateful/]],
    ['return_state', (j) => (lstm(j).return_state = true), [/return_state/]],
    [
      'a regulariser',
      (j) => (lstm(j).kernel_regularizer = { class_name: 'L1L2', config: { l1: 0.1, l2: 0 } }),
      [/kernel_regularizer/],
    ],
    [
      'a constraint',
      (j) => (lstm(j).recurrent_constraint = { class_name: 'MaxNorm', config: {} }),
      [/recurrent_constraint/],
    ],
    ['an implementation that does not exist', (j) => (lstm(j).implementation = 3), [/implementation/]],
    ['trainable that is not a boolean', (j) => (lstm(j).trainable = 'no'), [/trainable/, /boolean/]],
    ['an unknown option', (j) => (lstm(j).zoneout = 0.1), [/unknown option 'zoneout'/]],
    [
      "Keras 3's hard_sigmoid",
      (j) => {
        lstm(j).recurrent_activation = 'hard_sigmoid';
        j.modelTopology.keras_version = '3.15.1';
      },
      [/Keras 3/, /relu6/],
    ],
    ['a float16 layer', (j) => (lstm(j).dtype = 'float16'), [/float32/, /float16/]],
    [
      'dense activation elu',
      (j) => (j.modelTopology.config.layers[2].config.activation = 'elu'),
      [/Dense 'dense_Dense\d+'/, /elu/],
    ],
    [
      'an unknown layer class',
      (j) => (j.modelTopology.config.layers[2].class_name = 'Conv1D'),
      [/Conv1D/, /not supported/],
    ],
    [
      'a fixed batch size',
      (j) => (j.modelTopology.config.layers[0].config.batch_input_shape = [4, 5]),
      [/batch size/],
    ],
    ['a graph model', (j) => (j.format = 'graph-model'), [/graph/]],
    [
      'no input shape',
      (j) => {
        delete j.modelTopology.config.layers[0].config.batch_input_shape;
        delete j.modelTopology.config.layers[0].config.input_length;
      },
      [/no input shape/],
    ],
  ];
  for (const [what, edit, patterns] of options) {
    it(`${what} → ConfigError`, async () =>
      assertRefused(editJson(await baseFiles(), edit), ConfigError, ...patterns));
  }

  const manifest = (j: Json) => j.weightsManifest[0];
  it('a float16 weight → ConfigError', async () =>
    assertRefused(
      editJson(await baseFiles(), (j) => (manifest(j).weights[0].dtype = 'float16')),
      ConfigError,
      /embeddings/,
      /float16/,
    ));
  it('quantized weights → ConfigError', async () =>
    assertRefused(
      editJson(
        await baseFiles(),
        (j) => (manifest(j).weights[0].quantization = { dtype: 'uint8', scale: 0.1, min: 0 }),
      ),
      ConfigError,
      /quantized/,
    ));
  it('optimizer weights → ConfigError', async () =>
    assertRefused(
      editJson(await baseFiles(), (j) => (manifest(j).weights[0].group = 'optimizer')),
      ConfigError,
      /optimizer/,
    ));

  for (const path of [
    '../model.weights.bin',
    'x/../../model.weights.bin',
    '/etc/passwd',
    'file:///etc/passwd',
    'a\\b.bin',
  ]) {
    it(`a shard path escaping the folder (${path}) → ValueError`, async () => {
      const files = editJson(await baseFiles(), (j) => (manifest(j).paths = [path]));
      files.set(path, files.get('model.weights.bin')!); // even a file given under that name is not read
      await assertRefused(files, ValueError, /inside model.json's folder/);
      assert.throws(() => tfjsWeightFiles(files.get('model.json')!), ValueError);
    });
  }
  it('a missing shard → ValueError naming it', async () => {
    const files = await baseFiles();
    files.delete('model.weights.bin');
    await assertRefused(files, ValueError, /model\.weights\.bin/, /missing/);
  });
  it('a shard of the wrong size → ShapeError with both sizes', async () => {
    const files = await baseFiles();
    const bytes = files.get('model.weights.bin')!;
    files.set('model.weights.bin', bytes.subarray(0, bytes.length - 4));
    await assertRefused(
      files,
      ShapeError,
      new RegExp(`expected ${bytes.length} bytes, got ${bytes.length - 4} bytes`),
    );
  });
  it('a weight of the wrong shape → ShapeError naming it', async () =>
    assertRefused(
      editJson(
        await baseFiles(),
        (j) =>
          (manifest(j).weights.find(
            (w: Json) => w.name.endsWith('dense_Dense2/kernel') || w.name.match(/dense_Dense\d+\/kernel/),
          ).shape = [2, 3]),
      ),
      ShapeError,
      /kernel/,
      /\[3, 2\]/,
    ));
  it('a weight missing from the manifest → ShapeError; a weight of no layer → ConfigError', async () => {
    await assertRefused(
      editJson(await baseFiles(), (j) => (manifest(j).weights[1].name = 'lstm_elsewhere/kernel')),
      ShapeError,
      /weight 'kernel' is missing/,
    );
    const extra = editJson(await baseFiles(), (j) =>
      manifest(j).weights.push({ name: 'ghost/kernel', shape: [1], dtype: 'float32' }),
    );
    const bytes = extra.get('model.weights.bin')!;
    extra.set('model.weights.bin', new Uint8Array([...bytes, 0, 0, 0, 0]));
    await assertRefused(extra, ConfigError, /ghost\/kernel/);
  });
  it('a NaN weight → ValueError', async () => {
    const files = await baseFiles();
    const bytes = files.get('model.weights.bin')!.slice();
    new DataView(bytes.buffer).setFloat32(8, NaN, true);
    files.set('model.weights.bin', bytes);
    await assertRefused(files, ValueError, /not finite/);
  });
  it('model.json that is not JSON → ValueError', async () => {
    const files = await baseFiles();
    files.set('model.json', new TextEncoder().encode('{"modelTopology": '));
    await assertRefused(files, ValueError, /not valid JSON/);
  });
  it('a Sequential that lists its InputLayer first (as Keras writes it) loads', async () => {
    const files = editJson(await baseFiles(), (j) => {
      const layers = j.modelTopology.config.layers;
      delete layers[0].config.batch_input_shape;
      layers.unshift({
        class_name: 'InputLayer',
        config: { batch_input_shape: [null, 5], dtype: 'int32', name: 'ids' },
      });
    });
    const ours = await decodeTfjs(files);
    assert.deepEqual(ours.inputShape, [5]);
    assert.equal(ours.layers.length, 3);
  });
  it('a functional model that is not a chain → ConfigError', async () => {
    const input = tf.input({ shape: [4] });
    const a = tf.layers.dense({ units: 3 }).apply(input) as tf.SymbolicTensor;
    const b = tf.layers.dense({ units: 3 }).apply(input) as tf.SymbolicTensor;
    const theirs = tf.model({ inputs: input, outputs: tf.layers.add().apply([a, b]) as tf.SymbolicTensor });
    await assertRefused(await savedByTfjs(theirs), ConfigError, /one chain/);
  });
  it('Bidirectional without a merge mode → ConfigError', async () => {
    const files = await savedByTfjs(
      tf.sequential({
        layers: [
          tf.layers.bidirectional({
            layer: tf.layers.lstm({ units: 2, ...SIGMOID }) as tf.RNN,
            inputShape: [3, 2],
          }),
        ],
      }),
    );
    await assertRefused(
      editJson(files, (j) => (j.modelTopology.config.layers[0].config.merge_mode = null)),
      ConfigError,
      /merge_mode/,
    );
  });
  it('layerNormalization on another axis, without center → ConfigError', async () => {
    const files = await savedByTfjs(
      tf.sequential({ layers: [tf.layers.layerNormalization({ inputShape: [3, 4] })] }),
    );
    const ln = (j: Json) => j.modelTopology.config.layers[0].config;
    await assertRefused(
      editJson(files, (j) => (ln(j).axis = [1])),
      ConfigError,
      /last axis/,
    );
    await assertRefused(
      editJson(files, (j) => (ln(j).center = false)),
      ConfigError,
      /center/,
    );
  });
});

describe("TensorFlow.js' default recurrentActivation 'hardSigmoid' (LAYERS_TAKE_HARD_SIGMOID)", () => {
  const [B, T, D] = [3, 6, 4];
  if (LAYERS_TAKE_HARD_SIGMOID) {
    it('import: LSTM and GRU saved with their defaults predict the same', async () => {
      const theirs = tf.sequential({
        layers: [
          tf.layers.lstm({ units: 5, returnSequences: true, inputShape: [T, D] }),
          tf.layers.gru({ units: 3 }),
        ],
      });
      randomizeTfjs(theirs, 17, 1.5); // large enough that the hard sigmoid clips
      const ours = await imported(theirs);
      assertSamePredictions('hardSigmoid import', ours, theirs, {
        floats: randomFloats(new Random(18), [B, T, D], 2),
      });
    });
    it('export: our hardSigmoid layers load in TensorFlow.js and predict the same', async () => {
      const ours = nl.sequential([
        nl.layers.lstm({
          units: 5,
          returnSequences: true,
          recurrentActivation: 'hardSigmoid',
          inputShape: [T, D],
        } as never),
        nl.layers.gru({ units: 3, resetAfter: false, recurrentActivation: 'hardSigmoid' } as never),
      ]);
      perturbWeights(ours, 19, 1.5);
      const theirs = await loadedByTfjs(await encodeTfjs(ours));
      assertSamePredictions('hardSigmoid export', ours, theirs, {
        floats: randomFloats(new Random(20), [B, T, D], 2),
      });
    });
  } else {
    it('is refused with a ConfigError naming the layer, saved or left out, until our layers take it', async () => {
      const files = await savedByTfjs(
        tf.sequential({ layers: [tf.layers.lstm({ units: 3, inputShape: [T, D] })] }),
      );
      assert.match(
        new TextDecoder().decode(files.get('model.json')),
        /"recurrent_activation":"hard_sigmoid"/,
      );
      await assertRefused(files, ConfigError, /LSTM 'lstm_LSTM\d+'/, /'hard_sigmoid'/, /not supported yet/);
      const leftOut = editJson(
        files,
        (j) => delete j.modelTopology.config.layers[0].config.recurrent_activation,
      );
      await assertRefused(leftOut, ConfigError, /recurrent_activation/, /hard_sigmoid/, /not supported yet/);
    });
  }
});

describe('masked steps: what would predict differently is refused, both ways', () => {
  it('import: a masked sequence reaching the output → ConfigError naming the LSTM', async () => {
    const theirs = tf.sequential({
      layers: [
        tf.layers.embedding({ inputDim: VOCAB, outputDim: 3, maskZero: true, inputLength: 5 }),
        tf.layers.lstm({ units: 3, returnSequences: true, ...SIGMOID }),
        tf.layers.dense({ units: 2 }),
      ],
    });
    await assertRefused(
      await savedByTfjs(theirs),
      ConfigError,
      /LSTM 'lstm_LSTM\d+'/,
      /repeats the previous output/,
    );
  });

  it('the refusal is real: TensorFlow.js does repeat the previous output at a padded step', async () => {
    const theirs = tf.sequential({
      layers: [
        tf.layers.embedding({ inputDim: VOCAB, outputDim: 3, maskZero: true, inputLength: 3 }),
        tf.layers.lstm({ units: 2, returnSequences: true, ...SIGMOID }),
      ],
    });
    const y = (
      theirs.predict(tf.tensor([[4, 0, 0]], undefined, 'int32')) as tf.Tensor
    ).arraySync() as number[][][];
    assert.notEqual(y[0][0][0], 0);
    assert.deepEqual(y[0][1], y[0][0]); // ours would give [0, 0] here
  });

  it('import: a mask after goBackwards with returnSequences read by a later LSTM → ConfigError', async () => {
    const theirs = tf.sequential({
      layers: [
        tf.layers.embedding({ inputDim: VOCAB, outputDim: 3, maskZero: true, inputLength: 5 }),
        tf.layers.lstm({ units: 3, returnSequences: true, goBackwards: true, ...SIGMOID }),
        tf.layers.lstm({ units: 3, ...SIGMOID }),
      ],
    });
    await assertRefused(await savedByTfjs(theirs), ConfigError, /LSTM 'lstm_LSTM\d+'/, /flips/);
  });

  it('import: Bidirectional over a goBackwards layer that returns sequences → ConfigError', async () => {
    const theirs = tf.sequential({
      layers: [
        tf.layers.bidirectional({
          layer: tf.layers.lstm({ units: 2, returnSequences: true, goBackwards: true, ...SIGMOID }) as tf.RNN,
          inputShape: [4, 3],
        }),
      ],
    });
    await assertRefused(await savedByTfjs(theirs), ConfigError, /Bidirectional/, /time order/);
  });

  it('export: the same cases, from our side', async () => {
    const masked = nl.sequential([
      nl.layers.embedding({ inputDim: VOCAB, outputDim: 3, maskZero: true, inputShape: [5] }),
      nl.layers.gru({ units: 3, returnSequences: true, resetAfter: false, name: 'tagger' }),
      nl.layers.dense({ units: 2 }),
    ]);
    await assert.rejects(
      encodeTfjs(masked),
      (e: Error) => e instanceof ConfigError && /GRU 'tagger'/.test(e.message),
    );
    const flipped = nl.sequential([
      nl.layers.embedding({ inputDim: VOCAB, outputDim: 3, maskZero: true, inputShape: [5] }),
      nl.layers.lstm({ units: 3, returnSequences: true, goBackwards: true, name: 'reverse' }),
      nl.layers.lstm({ units: 2, name: 'reader' }),
    ]);
    await assert.rejects(
      encodeTfjs(flipped),
      (e: Error) =>
        e instanceof ConfigError && /LSTM 'reader'/.test(e.message) && /LSTM 'reverse'/.test(e.message),
    );
    const wrapped = nl.sequential([
      nl.layers.bidirectional({
        layer: nl.layers.gru({ units: 2, returnSequences: true, goBackwards: true, resetAfter: false }),
        inputShape: [4, 3],
      }),
    ]);
    await assert.rejects(
      encodeTfjs(wrapped),
      (e: Error) => e instanceof ConfigError && /time order/.test(e.message),
    );
  });

  it('allowed: a mask that ends in a recurrent layer returning its last state, and goBackwards without a mask', async () => {
    const ours = nl.sequential({
      layers: [
        nl.layers.embedding({ inputDim: VOCAB, outputDim: 3, maskZero: true, inputShape: [6] }),
        nl.layers.lstm({ units: 3, returnSequences: true }),
        nl.layers.dense({ units: 4, activation: 'tanh' }),
        nl.layers.gru({ units: 5, resetAfter: false, goBackwards: true }),
      ],
      seed: 41,
    });
    perturbWeights(ours, 42);
    const theirs = await loadedByTfjs(await encodeTfjs(ours));
    assertSamePredictions('mask ending in a GRU', ours, theirs, {
      ids: [...paddedIds(new Random(43), 5, 6, VOCAB), ...paddedIds(new Random(44), 2, 6, VOCAB, true)],
    });
  });
});

describe('what TensorFlow.js cannot carry is refused on export', () => {
  it('a shard size that is not a positive multiple of 4 → ConfigError', () => {
    assert.throws(() => tfjsEncoder({ shardBytes: 6 }), ConfigError);
    assert.throws(() => tfjsEncoder({ shardBytes: 0 }), ConfigError);
  });

  const cases: [string, () => nl.Sequential, RegExp][] = [
    [
      'NovoLSTM',
      () =>
        nl.sequential([nl.layers.novoLSTM({ units: 3, inputShape: [4, 2] }), nl.layers.dense({ units: 1 })]),
      /NovoLSTM.*keras.*onnx/,
    ],
    [
      'GRU with resetAfter',
      () => nl.sequential([nl.layers.gru({ units: 3, inputShape: [4, 2] })]),
      /reset_after/,
    ],
    [
      'a bidirectional NovoLSTM',
      () =>
        nl.sequential([
          nl.layers.bidirectional({ layer: nl.layers.novoLSTM({ units: 2 }), inputShape: [4, 2] }),
        ]),
      /NovoLSTM/,
    ],
    [
      'a stateful layer',
      () => nl.sequential([nl.layers.lstm({ units: 3, stateful: true, inputShape: [4, 2] })]),
      /stateful/,
    ],
    ['an unbuilt model', () => nl.sequential([nl.layers.lstm({ units: 3 })]), /not built/],
  ];
  for (const [what, make, pattern] of cases) {
    it(`${what} → ConfigError`, async () => {
      await assert.rejects(encodeTfjs(make()), (e: Error) => {
        assert.ok(e instanceof ConfigError, `${e.name}: ${e.message}`);
        assert.match(e.message, pattern);
        return true;
      });
    });
  }
});
