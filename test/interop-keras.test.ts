/**
 * Keras 3 import and export, checked against files written by real Keras (Keras 3.15.1, JAX backend:
 * ../shared/fixtures/keras beside the clone, see its README) and, where Debian's python3-h5py is
 * installed, against h5py reading our exported weights. Keras itself cannot be installed on this machine
 * (no PyPI, and Debian has no Keras 3), so `keras.saving.load_model` on our exports is not run here: the
 * exported layout is instead compared, path by path, with the layout Keras wrote for the same
 * architecture.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- Keras configs are untyped JSON, read and edited in place by the cases */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { unzipSync } from 'fflate';
import * as nl from '../src/index.js';
import { main } from '../src/cli/main.js';
import { decodeKeras, encodeKeras } from '../src/interop/keras/index.js';
import { readH5, writeH5, type H5Tree } from '../src/interop/keras/h5.js';
import { Random } from '../src/random.js';
import { paddedIds, perturbWeights, randomFloats } from './modelHelpers.js';

/** Keras' float32 predictions against ours: different summation orders, O(1) values. */
const KERAS_TOLERANCE = 1e-5;
const FIXTURES = join(import.meta.dirname, '..', '..', 'shared', 'fixtures', 'keras');
const NAMES = ['lstm_seq', 'gru_after', 'gru_before', 'bidir', 'novolstm_seed', 'layernorm_dropout'];
/** The fixtures saved as Sequential; the others are Functional, whose h5 also holds `layers/input_layer`. */
const SEQUENTIAL = ['lstm_seq', 'novolstm_seed'];

console.log(
  'Keras itself cannot be installed here (no PyPI, no Debian Keras 3): exports are checked against Keras-written fixtures and h5py, not keras.saving.load_model.',
);

function fixtureFile(name: string): string {
  const path = join(FIXTURES, name);
  if (!existsSync(path)) {
    throw new Error(
      `Keras fixture missing: ${path}. The tests need ../shared/fixtures/keras beside the clone (see its README for how the fixtures were made).`,
    );
  }
  return path;
}

interface Expected {
  x: number[][] | number[][][];
  y: number[][] | number[][][];
}

function expected(name: string): Expected {
  return JSON.parse(readFileSync(fixtureFile(`${name}.expected.json`), 'utf8')) as Expected;
}

function kerasZip(name: string): Record<string, Uint8Array> {
  return unzipSync(readFileSync(fixtureFile(`${name}.keras`)));
}

function kerasConfig(name: string): Record<string, unknown> {
  return JSON.parse(new TextDecoder().decode(kerasZip(name)['config.json'])) as Record<string, unknown>;
}

/** The worst |ours − Keras| over the whole output, with its index. */
function worstDifference(ours: ArrayLike<number>, theirs: number[]): { worst: number; at: number } {
  assert.equal(ours.length, theirs.length, 'output sizes differ');
  let worst = 0;
  let at = 0;
  for (let i = 0; i < theirs.length; i++) {
    const d = Math.abs(ours[i] - theirs[i]);
    if (!(d <= worst)) [worst, at] = [d, i];
  }
  return { worst, at };
}

function assertMatchesKeras(model: nl.Sequential, name: string, how: string): number {
  const { x, y } = expected(name);
  const ours = model.predict(x).data as Float32Array;
  const theirs = (y as unknown[]).flat(3) as number[];
  const { worst, at } = worstDifference(ours, theirs);
  assert.ok(
    worst <= KERAS_TOLERANCE,
    `${name} (${how}): worst |diff| ${worst} at ${at}: ours ${ours[at]}, Keras ${theirs[at]}`,
  );
  console.log(`  ${name} (${how}): worst |ours − Keras| = ${worst.toExponential(2)}`);
  return worst;
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'novolstm-keras-'));
}

/** Files for decodeKeras: a fixture's config (changed by `edit`) and its weights. */
function mutated(name: string, edit: (config: any) => void): Map<string, Uint8Array> {
  const config = kerasConfig(name);
  edit(config);
  return new Map([
    ['config.json', new TextEncoder().encode(JSON.stringify(config))],
    ['model.weights.h5', readFileSync(fixtureFile(`${name}.weights.h5`))],
  ]);
}

/** The config of the layer named `layer` in a fixture config (Sequential or Functional). */
function layerConfig(config: any, layer: string): any {
  const entry = config.config.layers.find((l: any) => l.config.name === layer);
  assert.ok(entry, `no layer ${layer}`);
  return entry.config;
}

describe('Keras import: the fixtures Keras 3.15 wrote', () => {
  for (const name of NAMES) {
    it(`${name}: .keras and .weights.h5 + config.json predict as Keras did`, async () => {
      const fromKeras = await nl.importModel(fixtureFile(`${name}.keras`));
      assertMatchesKeras(fromKeras, name, '.keras');

      const dir = tempDir();
      const configPath = join(dir, `${name}.config.json`);
      writeFileSync(configPath, kerasZip(name)['config.json']);
      const fromH5 = await nl.importModel(fixtureFile(`${name}.weights.h5`), { config: configPath });
      assertMatchesKeras(fromH5, name, '.weights.h5 + config.json');
      // Same variables either way, bit for bit.
      assert.deepEqual(
        fromH5.getWeights().map((w) => [...w.data]),
        fromKeras.getWeights().map((w) => [...w.data]),
      );
    });
  }

  it("the seed cell becomes NovoLSTM with the reference input gate and Keras' gain", async () => {
    const model = await nl.importModel(fixtureFile('novolstm_seed.keras'));
    const rnn = model.layers[1] as nl.layers.Recurrent;
    assert.equal(rnn.className, 'NovoLSTM');
    assert.deepEqual(rnn.cellOptions, {
      inputGate: 'reference',
      layerNorm: 'inputGate',
      inputGateGain: 'ones',
    });
    // w_i (vars/0) is the first block of our kernel; w_i' (vars/3) the last.
    const tree = await readH5(readFileSync(fixtureFile('novolstm_seed.weights.h5')), 'fixture');
    const kernel = rnn.getWeights()[0];
    const wi = tree.datasets.get('layers/rnn/cell/vars/0')!.data;
    const wiPrime = tree.datasets.get('layers/rnn/cell/vars/3')!.data;
    assert.deepEqual(kernel.shape, [10, 80]);
    assert.deepEqual([...kernel.data.subarray(0, 16)], [...wi.subarray(0, 16)]);
    assert.deepEqual([...kernel.data.subarray(64, 80)], [...wiPrime.subarray(0, 16)]);
    assert.deepEqual([...kernel.data.subarray(80 + 64, 80 + 80)], [...wiPrime.subarray(16, 32)]);
  });

  it('bytes and a map of files load too; HDF5 bytes alone and unknown bytes are refused by name', async () => {
    const bytes = readFileSync(fixtureFile('gru_after.keras'));
    assertMatchesKeras(await nl.importModel(new Uint8Array(bytes)), 'gru_after', 'bytes');
    assertMatchesKeras(await nl.importModel(mutated('gru_after', () => {})), 'gru_after', 'files');
    await assert.rejects(
      nl.importModel(new Uint8Array(readFileSync(fixtureFile('gru_after.weights.h5')))),
      (e: Error) => e instanceof nl.ValueError && /config\.json/.test(e.message),
    );
    await assert.rejects(nl.importModel(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9])), nl.ValueError);
  });

  it("RNN(LSTMCell) loads as LSTM: lstm_seq's second LSTM rewritten as Keras would save RNN(LSTMCell)", async () => {
    const config = kerasConfig('lstm_seq') as any;
    const entry = config.config.layers.find((l: any) => l.config.name === 'lstm_1');
    const {
      return_sequences,
      return_state,
      go_backwards,
      stateful,
      unroll,
      zero_output_for_mask,
      name,
      trainable,
      dtype,
      ...cell
    } = entry.config;
    entry.class_name = 'RNN';
    entry.config = {
      name,
      trainable,
      dtype,
      return_sequences,
      return_state,
      go_backwards,
      stateful,
      unroll,
      zero_output_for_mask,
      cell: {
        module: 'keras.layers',
        class_name: 'LSTMCell',
        config: { name: 'lstm_cell', trainable, dtype, ...cell },
        registered_name: null,
      },
    };
    // Keras names the container after the class: layers/lstm_1 becomes layers/rnn.
    const tree = await readH5(readFileSync(fixtureFile('lstm_seq.weights.h5')), 'fixture');
    const moved = (path: string): string => path.replace(/^layers\/lstm_1\b/, 'layers/rnn');
    const weights = await writeH5({
      groups: new Map([...tree.groups].map(([p, a]) => [moved(p), a])),
      datasets: new Map([...tree.datasets].map(([p, d]) => [moved(p), d])),
    });
    const files = new Map([
      ['config.json', new TextEncoder().encode(JSON.stringify(config))],
      ['model.weights.h5', weights],
    ]);
    const model = await decodeKeras(files);
    assert.equal(model.layers[2].className, 'LSTM');
    assertMatchesKeras(model, 'lstm_seq', 'RNN(LSTMCell)');
  });

  it('a directory holding config.json and model.weights.h5 loads', async () => {
    const dir = tempDir();
    const zip = kerasZip('bidir');
    writeFileSync(join(dir, 'config.json'), zip['config.json']);
    writeFileSync(join(dir, 'model.weights.h5'), zip['model.weights.h5']);
    assertMatchesKeras(await nl.importModel(dir), 'bidir', 'directory');
  });
});

describe('Keras import: what novolstm cannot honour is refused, naming the layer and the option', () => {
  const cases: Array<[string, string, (c: any) => void, RegExp]> = [
    [
      'lstm activation relu',
      'lstm_seq',
      (c) => (layerConfig(c, 'lstm').activation = 'relu'),
      /LSTM 'lstm'.*'activation'/,
    ],
    [
      "Keras 3's hard_sigmoid",
      'lstm_seq',
      (c) => (layerConfig(c, 'lstm_1').recurrent_activation = 'hard_sigmoid'),
      /LSTM 'lstm_1'.*'recurrent_activation'.*hard_sigmoid/,
    ],
    ['use_bias false', 'gru_after', (c) => (layerConfig(c, 'gru').use_bias = false), /GRU 'gru'.*'use_bias'/],
    ['unroll', 'gru_after', (c) => (layerConfig(c, 'gru').unroll = true), /GRU 'gru'.*'unroll'/],
    [
      'a kernel regulariser',
      'gru_before',
      (c) => (layerConfig(c, 'gru').kernel_regularizer = { class_name: 'L2', config: { l2: 0.01 } }),
      /GRU 'gru'.*'kernel_regularizer'/,
    ],
    [
      'a Dense constraint',
      'gru_before',
      (c) => (layerConfig(c, 'dense').kernel_constraint = { class_name: 'NonNeg', config: {} }),
      /Dense 'dense'.*'kernel_constraint'/,
    ],
    [
      'Dense gelu',
      'gru_after',
      (c) => (layerConfig(c, 'dense').activation = 'gelu'),
      /Dense 'dense'.*'activation'.*gelu/,
    ],
    [
      'mixed precision',
      'gru_after',
      (c) => (layerConfig(c, 'dense').dtype.config.name = 'mixed_float16'),
      /Dense 'dense'.*'dtype'/,
    ],
    [
      'trainable that is not a boolean',
      'lstm_seq',
      (c) => (layerConfig(c, 'embedding').trainable = 0),
      /Embedding 'embedding'.*'trainable'.*boolean/,
    ],
    ['an unknown option', 'lstm_seq', (c) => (layerConfig(c, 'dense').flux = 3), /Dense 'dense'.*'flux'/],
    [
      'LayerNormalization without center',
      'layernorm_dropout',
      (c) => (layerConfig(c, 'layer_normalization').center = false),
      /LayerNormalization 'layer_normalization'.*'center'/,
    ],
    [
      'LayerNormalization rms_scaling',
      'layernorm_dropout',
      (c) => (layerConfig(c, 'layer_normalization').rms_scaling = true),
      /'rms_scaling'/,
    ],
    [
      'Dropout noise_shape',
      'layernorm_dropout',
      (c) => (layerConfig(c, 'dropout').noise_shape = [null, 1, 7]),
      /Dropout 'dropout'.*'noise_shape'/,
    ],
    [
      'Bidirectional merge_mode null',
      'bidir',
      (c) => (layerConfig(c, 'bidirectional').merge_mode = null),
      /Bidirectional 'bidirectional'.*'merge_mode'/,
    ],
    [
      'an unknown layer class',
      'gru_after',
      (c) => (c.config.layers[2].class_name = 'Conv1D'),
      /Conv1D 'dense'.*unsupported layer class/,
    ],
    [
      'an unknown cell module',
      'novolstm_seed',
      (c) => (c.config.layers[2].config.cell.module = 'evil.module'),
      /NovoLSTMCell.*evil\.module/,
    ],
    [
      'a non-chain Functional model',
      'layernorm_dropout',
      (c) => (c.config.layers[4].inbound_nodes[0].args[0].config.keras_history = ['lstm', 0, 0]),
      /LSTM 'lstm_1'.*not a chain/,
    ],
    [
      'a stateful Keras 2 time_major',
      'gru_after',
      (c) => (layerConfig(c, 'gru').time_major = true),
      /'time_major'/,
    ],
    // A returned sequence under a mask reaching the output: Keras repeats outputs where we output zeros.
    [
      'a masked sequence reaching the output',
      'lstm_seq',
      (c) => (layerConfig(c, 'lstm_1').return_sequences = true),
      /LSTM 'lstm_1'.*mask/,
    ],
  ];
  for (const [what, fixture, edit, message] of cases) {
    it(what, async () => {
      await assert.rejects(decodeKeras(mutated(fixture, edit)), (e: Error) => {
        assert.ok(e instanceof nl.ConfigError, `${e.name}: ${e.message}`);
        assert.match(e.message, message);
        return true;
      });
    });
  }

  it('the same masked sequence with zero_output_for_mask loads (Keras then outputs zeros, as novolstm)', async () => {
    const model = await decodeKeras(
      mutated('lstm_seq', (c) =>
        Object.assign(layerConfig(c, 'lstm_1'), { return_sequences: true, zero_output_for_mask: true }),
      ),
    );
    assert.deepEqual(model.outputShape, [9, 5]);
  });

  it('weights that do not fit the config, a missing variable and a damaged file are typed errors', async () => {
    await assert.rejects(
      decodeKeras(mutated('gru_after', (c) => (layerConfig(c, 'gru').units = 12))),
      nl.ShapeError,
    );
    const files = mutated('novolstm_seed', () => {});
    const lstmWeights = readFileSync(fixtureFile('lstm_seq.weights.h5'));
    await assert.rejects(decodeKeras(new Map([...files, ['model.weights.h5', lstmWeights]])), nl.ValueError);
    const truncated = readFileSync(fixtureFile('gru_after.weights.h5')).subarray(0, 900);
    await assert.rejects(
      decodeKeras(new Map([...files, ['model.weights.h5', truncated]])),
      (e: Error) => e instanceof nl.ValueError && /could not be read.*truncated/.test(e.message),
    );
    await assert.rejects(
      decodeKeras(
        new Map([
          ['config.json', new TextEncoder().encode('{not json')],
          ['model.weights.h5', lstmWeights],
        ]),
      ),
      nl.ValueError,
    );
  });
});

/** Every layer kind, built in our API with random weights (odd sizes, every weight perturbed). */
function models(): Array<[string, nl.Sequential, nl.Tensor | number[][]]> {
  const rng = new Random(13);
  const make = (
    name: string,
    layers: nl.Layer[],
    x: nl.Tensor | number[][],
    seed: number,
  ): [string, nl.Sequential, nl.Tensor | number[][]] => {
    const model = nl.sequential({ layers, seed, name });
    perturbWeights(model, seed);
    model.markWeightsChanged();
    return [name, model, x];
  };
  const ids = paddedIds(rng, 5, 9, 17);
  const floats = randomFloats(rng, [3, 7, 5]);
  return [
    make(
      'masked_stack',
      [
        nl.layers.embedding({ inputDim: 17, outputDim: 6, maskZero: true, inputShape: [9] }),
        nl.layers.lstm({ units: 7, returnSequences: true }),
        nl.layers.layerNormalization({ epsilon: 1e-2 }),
        nl.layers.dropout({ rate: 0.25 }),
        nl.layers.gru({
          units: 5,
          resetAfter: false,
          goBackwards: true,
          dropout: 0.1,
          recurrentDropout: 0.2,
        }),
        nl.layers.dense({ units: 3, activation: 'softmax' }),
      ],
      ids,
      1,
    ),
    ...(['concat', 'sum', 'mul', 'ave'] as const).map((mergeMode, i) =>
      make(
        `bidir_${mergeMode}`,
        [
          nl.layers.masking({ maskValue: 0, inputShape: [7, 5] }),
          nl.layers.bidirectional({ layer: nl.layers.gru({ units: 3, returnSequences: true }), mergeMode }),
          nl.layers.dense({ units: 2, activation: 'tanh', useBias: false }),
        ],
        floats,
        2 + i,
      ),
    ),
    make(
      'novolstm_reference',
      [
        nl.layers.embedding({ inputDim: 17, outputDim: 5, inputShape: [9] }),
        nl.layers.novoLSTM({ units: 7, inputGate: 'reference' }),
        nl.layers.dense({ units: 3, activation: 'sigmoid' }),
      ],
      ids,
      7,
    ),
    make(
      'novolstm_readme',
      [
        nl.layers.novoLSTM({ units: 5, inputShape: [7, 5], returnSequences: true, dropout: 0.1 }),
        nl.layers.novoLSTM({ units: 3, inputGate: 'reference', layerNorm: 'all', goBackwards: true }),
        nl.layers.dense({ units: 2, activation: 'relu' }),
      ],
      floats,
      8,
    ),
    make(
      'bidir_novolstm',
      [
        nl.layers.bidirectional({
          layer: nl.layers.novoLSTM({ units: 3, inputGate: 'reference' }),
          mergeMode: 'ave',
          inputShape: [7, 5],
        }),
        nl.layers.dense({ units: 1 }),
      ],
      floats,
      9,
    ),
    make(
      'rnn_cells',
      [
        nl.layers.rnn({
          cell: nl.layers.lstmCell({ units: 5 }),
          returnSequences: true,
          inputShape: [null, 5],
        }),
        nl.layers.rnn({ cell: nl.layers.gruCell({ units: 3, resetAfter: true }) }),
      ],
      floats,
      10,
    ),
  ];
}

function readArchiveParts(files: ReadonlyMap<string, Uint8Array>): {
  config: any;
  weights: Uint8Array;
  metadata: any;
} {
  assert.deepEqual([...files.keys()], ['model.keras']);
  const zip = unzipSync(files.get('model.keras')!);
  assert.deepEqual(Object.keys(zip), ['metadata.json', 'config.json', 'model.weights.h5']);
  const text = (b: Uint8Array): any => JSON.parse(new TextDecoder().decode(b));
  return {
    config: text(zip['config.json']),
    weights: zip['model.weights.h5'],
    metadata: text(zip['metadata.json']),
  };
}

describe('frozen layers (trainable: false) in and out of Keras', () => {
  it('a Keras-saved config with frozen layers imports them frozen and predicts as Keras did', async () => {
    // As Keras 3 saves `layer.trainable = False`: on the layer and on every layer inside it.
    const frozenOuter = mutated('bidir', (c) => {
      const b = layerConfig(c, 'bidirectional');
      b.trainable = false;
      b.layer.config.trainable = false;
      b.backward_layer.config.trainable = false;
      layerConfig(c, 'dense').trainable = false;
    });
    const model = await decodeKeras(frozenOuter);
    assert.deepEqual(
      model.layers.map((l) => l.trainable),
      [false, true, false],
    );
    assertMatchesKeras(model, 'bidir', 'frozen layers');
    // A layer frozen before it was wrapped (`Bidirectional(frozen_lstm)`): Keras saves the wrapper
    // trainable and the copies frozen, and trains none of their weights.
    const frozenInner = mutated('bidir', (c) => {
      const b = layerConfig(c, 'bidirectional_1');
      b.layer.config.trainable = false;
      b.backward_layer.config.trainable = false;
    });
    assert.deepEqual(
      (await decodeKeras(frozenInner)).layers.map((l) => l.trainable),
      [true, false, true],
    );
  });

  it('an exported frozen layer is written trainable: false on the layer and its inner layers, and reads back frozen', async () => {
    const model = nl.sequential({
      layers: [
        nl.layers.embedding({ inputDim: 9, outputDim: 3, inputShape: [5] }),
        nl.layers.bidirectional({ layer: nl.layers.lstm({ units: 3 }) }),
        nl.layers.dense({ units: 2, activation: 'softmax' }),
      ],
      seed: 81,
    });
    model.layers[1].trainable = false;
    const files = await encodeKeras(model);
    const { config } = readArchiveParts(files);
    const [, embedding, bidirectional, dense] = config.config.layers;
    assert.deepEqual(
      [
        embedding.config.trainable,
        bidirectional.config.trainable,
        bidirectional.config.layer.config.trainable,
        bidirectional.config.backward_layer.config.trainable,
        dense.config.trainable,
      ],
      [true, false, false, false, true],
    );
    assert.deepEqual(
      (await decodeKeras(files)).layers.map((l) => l.trainable),
      [true, false, true],
    );
  });
});

describe('Keras export', () => {
  for (const [name, model, x] of models()) {
    it(`${name}: ours → .keras → import gives the same weights bit for bit and the same predictions`, async () => {
      const files = await encodeKeras(model);
      const again = await decodeKeras(files);
      assert.deepEqual(
        again.layers.map((l) => l.className),
        model.layers.map((l) => l.className),
      );
      const a = model.getWeights();
      const b = again.getWeights();
      assert.equal(b.length, a.length);
      a.forEach((w, i) => {
        assert.deepEqual(b[i].shape, w.shape);
        assert.ok(
          Buffer.from(b[i].data.buffer, b[i].data.byteOffset, b[i].data.byteLength).equals(
            Buffer.from(w.data.buffer, w.data.byteOffset, w.data.byteLength),
          ),
          `weight ${i} differs`,
        );
      });
      assert.deepEqual([...again.predict(x).data], [...model.predict(x).data]);
      // Options survive too (the seed cell carries no gain option: it is Keras' LayerNormalization, ones).
      model.layers.forEach((l, i) => {
        const config = { ...l.getConfig() } as Record<string, unknown>;
        const back = { ...again.layers[i].getConfig() } as Record<string, unknown>;
        if (config.inputGate === 'reference' && config.layerNorm === 'inputGate') {
          delete config.inputGateGain;
          delete back.inputGateGain;
        }
        assert.deepEqual(JSON.parse(JSON.stringify(back)), JSON.parse(JSON.stringify(config)), `${l.label}`);
      });
    });
  }

  it('a NovoLSTM that is exactly the seed cell is written as novolstm_keras.NovoLSTMCell; others as novolstm.keras', async () => {
    const all = models();
    const seed = readArchiveParts(
      await encodeKeras(all.find(([n]) => n === 'novolstm_reference')![1]),
    ).config;
    assert.equal(seed.config.layers[2].class_name, 'RNN');
    assert.equal(seed.config.layers[2].config.cell.module, 'novolstm_keras');
    assert.deepEqual(Object.keys(seed.config.layers[2].config.cell.config), [
      'name',
      'trainable',
      'dtype',
      'units',
    ]);
    const own = readArchiveParts(await encodeKeras(all.find(([n]) => n === 'novolstm_readme')![1])).config;
    const cells = own.config.layers.slice(1, 3).map((l: any) => l.config.cell);
    assert.deepEqual(
      cells.map((c: any) => [
        c.module,
        c.registered_name,
        c.config.input_gate,
        c.config.layer_norm,
        c.config.dropout,
      ]),
      [
        ['novolstm.keras', 'novolstm>NovoLSTMCell', 'readme', 'input_gate', 0.1],
        ['novolstm.keras', 'novolstm>NovoLSTMCell', 'reference', 'all', 0],
      ],
    );
  });

  it('a stateful layer is refused by name (Keras needs a fixed batch size for it)', async () => {
    const model = nl.sequential({
      layers: [nl.layers.lstm({ units: 3, stateful: true, inputShape: [4, 2], name: 'carry' })],
    });
    await assert.rejects(
      encodeKeras(model),
      (e: Error) => e instanceof nl.ConfigError && /'carry'.*stateful/.test(e.message),
    );
  });

  for (const name of NAMES) {
    it(`${name}: the exported layout equals the one Keras wrote (h5 paths, names, shapes, dtypes; config classes and keys)`, async () => {
      const model = await nl.importModel(fixtureFile(`${name}.keras`));
      const ours = readArchiveParts(await encodeKeras(model));
      assert.equal(ours.metadata.keras_version, '3.15.1');
      const theirsTree = await readH5(readFileSync(fixtureFile(`${name}.weights.h5`)), 'fixture');
      const oursTree = await readH5(ours.weights, 'export');
      const listing = (t: H5Tree, dropInput: boolean): string[] =>
        [
          ...[...t.groups].map(([p, a]) => `group ${p} ${JSON.stringify(a)}`),
          ...[...t.datasets].map(([p, d]) => `dataset ${p} [${d.shape.join(', ')}] float32`),
        ]
          .filter((line) => !(dropInput && line.includes('layers/input_layer')))
          .sort();
      // A Functional model's h5 also holds its InputLayer's empty group; we always write a Sequential.
      assert.deepEqual(listing(oursTree, false), listing(theirsTree, !SEQUENTIAL.includes(name)));
      for (const [path, d] of theirsTree.datasets)
        assert.deepEqual([...oursTree.datasets.get(path)!.data], [...d.data], path);

      const theirs = kerasConfig(name) as any;
      const layersOf = (c: any): any[] => c.config.layers.filter((l: any) => l.class_name !== 'InputLayer');
      const shape = (l: any): unknown => ({
        module: l.module,
        class_name: l.class_name,
        registered_name: l.registered_name,
        keys: Object.keys(l.config),
        build: l.build_config ?? null,
        inner: ['layer', 'backward_layer', 'cell']
          .filter((k) => l.config[k])
          .map((k) => [
            k,
            l.config[k].module,
            l.config[k].class_name,
            l.config[k].registered_name,
            Object.keys(l.config[k].config),
            l.config[k].build_config,
          ]),
      });
      assert.deepEqual(layersOf(ours.config).map(shape), layersOf(theirs).map(shape));
      if (SEQUENTIAL.includes(name)) {
        assert.deepEqual(Object.keys(ours.config), Object.keys(theirs));
        assert.deepEqual(Object.keys(ours.config.config), Object.keys(theirs.config));
        assert.deepEqual(ours.config.config.layers[0], theirs.config.layers[0]);
      }
    });
  }

  it('h5py reads the exported weights: the same groups, name attributes, shapes and values', async (t) => {
    const python = ['python3', '/usr/bin/python3'].find(
      (p) => spawnSync(p, ['-c', 'import h5py'], { stdio: 'ignore' }).status === 0,
    );
    if (!python) {
      console.log('  h5py check skipped: no python3 with h5py (apt-get install -y python3-h5py)');
      t.skip('python3-h5py is not installed');
      return;
    }
    const [, model] = models().find(([n]) => n === 'novolstm_reference')!;
    const { weights } = readArchiveParts(await encodeKeras(model));
    const dir = tempDir();
    writeFileSync(join(dir, 'w.h5'), weights);
    const script = `
import h5py, json, sys
out = {}
def visit(name, obj):
    if isinstance(obj, h5py.Dataset):
        out[name] = {"shape": list(obj.shape), "dtype": str(obj.dtype), "values": [float(v) for v in obj[()].reshape(-1)]}
    else:
        out[name] = {"attrs": {k: str(v) for k, v in obj.attrs.items()}}
with h5py.File(sys.argv[1], "r") as f:
    f.visititems(visit)
print(json.dumps(out))`;
    const run = spawnSync(python, ['-c', script, join(dir, 'w.h5')], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const seen = JSON.parse(run.stdout) as Record<
      string,
      { shape?: number[]; dtype?: string; values?: number[]; attrs?: Record<string, string> }
    >;
    const tree = await readH5(weights, 'export');
    assert.deepEqual(Object.keys(seen).sort(), [...tree.groups.keys(), ...tree.datasets.keys()].sort());
    for (const [path, attrs] of tree.groups) assert.deepEqual(seen[path].attrs, attrs, path);
    for (const [path, d] of tree.datasets) {
      assert.equal(seen[path].dtype, 'float32', path);
      assert.deepEqual(seen[path].shape, d.shape, path);
      assert.deepEqual(seen[path].values, [...d.data], path);
    }
    assert.equal(seen['layers/rnn/cell/vars'].attrs!.name, 'novo_lstm_cell');
    console.log(
      `  h5py (${python}) read ${Object.keys(seen).length} groups and datasets of the export, all equal`,
    );
  });
});

describe('exportModel and the command line', () => {
  it('exportModel writes the .keras atomically (no temporary file left) and refuses unknown formats and missing directories', async () => {
    const [, model, x] = models()[0];
    const dir = tempDir();
    const out = join(dir, 'm.keras');
    await nl.exportModel(model, out, { format: 'keras' });
    assert.deepEqual(readdirSync(dir), ['m.keras']);
    assert.deepEqual([...(await nl.importModel(out)).predict(x).data], [...model.predict(x).data]);
    await assert.rejects(nl.exportModel(model, out, { format: 'caffe' as never }), nl.ConfigError);
    await assert.rejects(
      nl.exportModel(model, join(dir, 'no', 'such', 'm.keras'), { format: 'keras' }),
      nl.ValueError,
    );
  });

  const cli = (...args: string[]): { status: number | null; stdout: string; stderr: string } =>
    spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/bin.ts', ...args], { encoding: 'utf8' });

  it('novolstm import FILE --out DIR, then export --format keras: the model predicts as Keras did', async () => {
    const dir = tempDir();
    const imported = cli('import', fixtureFile('lstm_seq.keras'), '--out', join(dir, 'ours'));
    assert.equal(imported.status, 0, imported.stderr);
    assertMatchesKeras(await nl.loadModel(join(dir, 'ours')), 'lstm_seq', 'CLI import');
    assertMatchesKeras(
      await nl.importModel(join(dir, 'ours')),
      'lstm_seq',
      'importModel of the novolstm save',
    );
    const exported = cli(
      'export',
      '--model',
      join(dir, 'ours'),
      '--format',
      'keras',
      '--out',
      join(dir, 'back.keras'),
    );
    assert.equal(exported.status, 0, exported.stderr);
    assertMatchesKeras(
      await nl.importModel(join(dir, 'back.keras')),
      'lstm_seq',
      'CLI import → export → import',
    );
  });

  it('bad input is one novolstm: line and exit code 1; --help shows examples', async () => {
    const dir = tempDir();
    const bad = join(dir, 'bad');
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify(kerasConfig('gru_after')).replace('"tanh"', '"selu"'),
    );
    writeFileSync(join(dir, 'model.weights.h5'), readFileSync(fixtureFile('gru_after.weights.h5')));
    const refused = cli('import', join(dir, 'model.weights.h5'), '--out', bad);
    assert.equal(refused.status, 1);
    assert.match(
      refused.stderr,
      /^novolstm: Keras GRU 'gru': option 'activation' is not supported.*selu.*\n$/,
    );
    assert.equal(existsSync(bad), false, 'nothing is written for a refused model');
    const missing = cli('import', join(dir, 'nothing.keras'), '--out', bad);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /^novolstm: importModel: no such file or directory.*\n$/);
    for (const command of ['import', 'export']) {
      const help = cli(command, '--help');
      assert.equal(help.status, 0);
      assert.match(help.stdout, new RegExp(`Examples:\\n  novolstm ${command} `));
    }
    // In-process: a wrong --format never reaches the library.
    assert.equal(await main(['export', '--model', dir, '--format', 'caffe', '--out', join(dir, 'x')]), 1);
  });
});
