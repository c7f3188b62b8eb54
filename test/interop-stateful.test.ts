/**
 * Stateful models leaving novolstm (issue #13 follow-up): the character language model's recurrent layers
 * carry their state from call to call, and every export must either carry it too or say what it drops.
 *
 * ONNX: the state becomes graph inputs and outputs. ONNX Runtime (onnxruntime-node) runs a sequence in
 * consecutive chunks, each chunk fed the state the previous one gave back, and every chunk's output and
 * state must equal our stateful predict over the same chunks.
 *
 * Keras and TensorFlow.js: a stateful layer needs a fixed batch size there, so the export refuses it and
 * names the option `stateless` (`--stateless`), which writes the layers with `stateful: false`; the file
 * read back (Keras: by our importer; TensorFlow.js: by TensorFlow.js itself) predicts as our model does
 * from zero state, call after call. safetensors carries `stateful` as it is.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import * as nl from '../src/index.js';
import { encodeOnnx, ONNX_FILE } from '../src/interop/onnx/index.js';
import { Recurrent, type RecurrentOptions } from '../src/layers/recurrent.js';
import { Random } from '../src/random.js';
import { perturbWeights } from './modelHelpers.js';

/** float32 on both sides with different summation orders, over a few chunks; values of order 1. */
const PREDICTION_TOLERANCE = 1e-5;
const VOCAB = 11;

type CellFactory = (options: RecurrentOptions) => Recurrent;
const CELLS: ReadonlyArray<readonly [string, CellFactory]> = [
  ['lstm', (o) => nl.layers.lstm(o)],
  ['gru', (o) => nl.layers.gru(o)],
  ['novolstm', (o) => nl.layers.novoLSTM(o)],
];

let worst = { difference: 0, what: 'nothing yet' };
after(() => console.log(`worst |novolstm − peer|: ${worst.difference.toExponential(2)} (${worst.what})`));

/** Asserts |ours − theirs| ≤ PREDICTION_TOLERANCE everywhere, naming the worst index and both values. */
function compare(what: string, ours: ArrayLike<number>, theirs: ArrayLike<number>): void {
  assert.equal(theirs.length, ours.length, `${what}: length`);
  let index = 0;
  let difference = 0;
  for (let i = 0; i < ours.length; i++) {
    const d = Math.abs(ours[i] - theirs[i]);
    if (!(d <= difference)) {
      difference = d;
      index = i;
    }
  }
  if (difference > worst.difference) worst = { difference, what };
  assert.ok(
    difference <= PREDICTION_TOLERANCE,
    `${what}: |difference| ${difference.toExponential(2)} > ${PREDICTION_TOLERANCE} at [${index}]: ${ours[index]} vs ${theirs[index]}`,
  );
}

/** The model's stateful recurrent layers, in order. */
function statefulLayers(model: nl.Sequential): Recurrent[] {
  return model.layers.filter((l): l is Recurrent => l instanceof Recurrent && l.stateful);
}

/** The names a stateful layer's state takes in the graph: h, then c for the LSTM family. */
function stateNames(layer: Recurrent, direction: 'in' | 'out'): string[] {
  const parts = layer.className === 'GRU' ? ['h'] : ['h', 'c'];
  return parts.map((p) => `${layer.name}_${p}_${direction}`);
}

/**
 * Runs `chunks` (token ids [B, T_k] each) through the exported graph, feeding each chunk the state outputs
 * of the one before (zeros for the first), and through our model's stateful predict; every chunk's output
 * and every layer's state must agree.
 */
async function checkChunks(what: string, model: nl.Sequential, chunks: readonly nl.Tensor[]): Promise<void> {
  const bytes = (await encodeOnnx(model)).get(ONNX_FILE)!;
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  try {
    const layers = statefulLayers(model);
    assert.deepEqual(session.inputNames, ['input', ...layers.flatMap((l) => stateNames(l, 'in'))]);
    assert.deepEqual(session.outputNames, ['output', ...layers.flatMap((l) => stateNames(l, 'out'))]);
    for (const layer of layers) layer.resetStates();
    const B = chunks[0].shape[0];
    let state: Record<string, ort.Tensor> = {};
    for (const layer of layers) {
      for (const name of stateNames(layer, 'in'))
        state[name] = new ort.Tensor('float32', new Float32Array(B * layer.units), [B, layer.units]);
    }
    for (const [k, chunk] of chunks.entries()) {
      const input = new ort.Tensor('int32', chunk.data as Int32Array, [...chunk.shape]);
      const result = await session.run({ input, ...state });
      const ours = model.predict(chunk);
      assert.deepEqual([...result.output.dims], [...ours.shape], `${what}, chunk ${k}: output shape`);
      compare(`${what}, chunk ${k}: output`, ours.data as Float32Array, result.output.data as Float32Array);
      state = {};
      for (const layer of layers) {
        const carried = layer.getStates()!;
        stateNames(layer, 'out').forEach((name, s) => {
          compare(
            `${what}, chunk ${k}: ${name}`,
            carried[s].data as Float32Array,
            result[name].data as Float32Array,
          );
          state[name.replace(/_out$/, '_in')] = result[name];
        });
      }
    }
  } finally {
    await session.release();
  }
}

/** Token ids [B, T] in 1 … VOCAB−1; `padding` sets the given [row, from] steps to 0 (to the end of the row). */
function idChunk(
  rng: Random,
  B: number,
  T: number,
  padding: ReadonlyArray<readonly [number, number]> = [],
): nl.Tensor {
  const data = new Int32Array(B * T);
  for (let i = 0; i < data.length; i++) data[i] = 1 + rng.int(VOCAB - 1);
  for (const [row, from] of padding) data.fill(0, row * T + from, (row + 1) * T);
  return nl.tensor(data, [B, T], 'int32');
}

function randomized(model: nl.Sequential, seed: number): nl.Sequential {
  perturbWeights(model, seed, 0.4);
  model.markWeightsChanged();
  return model;
}

/** A language model of `cell` with random weights, as `novolstm train` makes it (2 layers, stateful). */
function languageModel(cell: string, seed: number): nl.Sequential {
  const vocabulary = [...'abcdefghij'].slice(0, VOCAB - 1).concat('\n');
  return randomized(
    nl.buildLanguageModel(
      { cell: cell as nl.LmCell, units: 7, layers: 2, embeddingDim: 5, dropout: 0.1, vocabulary },
      seed,
    ),
    seed + 1,
  );
}

/** Our model's predictions on each chunk, each from zero state (the states reset before every chunk). */
function fromZeroState(model: nl.Sequential, chunks: readonly nl.Tensor[]): Float32Array[] {
  return chunks.map((chunk) => {
    for (const layer of statefulLayers(model)) layer.resetStates();
    return model.predict(chunk).data as Float32Array;
  });
}

const directories: string[] = [];
after(() => {
  for (const dir of directories) rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'novolstm-stateful-'));
  directories.push(dir);
  return dir;
}

describe('ONNX: a stateful layer carries its state through graph inputs and outputs', () => {
  for (const [cell, make] of CELLS) {
    it(`${cell}: the character language model (buildLanguageModel, 2 layers) over chunks of 6, 1, 1 and 4 steps`, async () => {
      const model = languageModel(cell, 2);
      const rng = new Random(4);
      await checkChunks(
        `${cell} LM`,
        model,
        [6, 1, 1, 4].map((T) => idChunk(rng, 3, T)),
      );
    });

    it(`${cell}: masked chunks (a row padded at the end, a row with no real step) and goBackwards`, async () => {
      for (const goBackwards of [false, true]) {
        const model = randomized(
          nl.sequential({
            layers: [
              nl.layers.embedding({ inputDim: VOCAB, outputDim: 3, maskZero: true, inputShape: [null] }),
              make({ units: 5, returnSequences: true, stateful: true, goBackwards, name: 'carry' }),
              make({ units: 3, stateful: true, name: 'last' }),
              nl.layers.dense({ units: 2 }),
            ],
            seed: 5,
          }),
          6,
        );
        const rng = new Random(7);
        const chunks = [
          idChunk(rng, 4, 5, [[1, 3]]),
          idChunk(rng, 4, 4, [
            [0, 0],
            [2, 1],
          ]),
          idChunk(rng, 4, 3),
        ];
        await checkChunks(`${cell}${goBackwards ? ' goBackwards' : ''}, masked`, model, chunks);
      }
    });
  }
});

describe('Keras and TensorFlow.js: a stateful model goes out only with the stateless option', () => {
  for (const format of ['keras', 'tfjs'] as const) {
    it(`${format}: refused without it, with a ConfigError naming the layer and the option`, async () => {
      const model = languageModel('lstm', 8);
      const out = join(tempDir(), format === 'keras' ? 'lm.keras' : 'lm');
      await assert.rejects(nl.exportModel(model, out, { format }), (e: Error) => {
        assert.ok(e instanceof nl.ConfigError, `${e.name}: ${e.message}`);
        assert.match(e.message, /LSTM '[^']+'.*stateful.*\{ stateless: true \}.*--stateless/);
        return true;
      });
    });
  }

  it('the option must be a boolean', async () => {
    const out = join(tempDir(), 'lm.keras');
    await assert.rejects(
      nl.exportModel(languageModel('gru', 8), out, { format: 'keras', stateless: 'yes' as never }),
      (e: Error) => e instanceof nl.ConfigError && /stateless must be true or false/.test(e.message),
    );
  });

  for (const [cell] of CELLS) {
    it(`keras: the ${cell} language model, exported stateless and read back, predicts as ours from zero state`, async () => {
      const model = languageModel(cell, 9);
      const rng = new Random(10);
      const chunks = [5, 1, 3].map((T) => idChunk(rng, 3, T));
      const out = join(tempDir(), 'lm.keras');
      await nl.exportModel(model, out, { format: 'keras', stateless: true });
      const back = await nl.importModel(out);
      assert.deepEqual(
        back.layers.filter((l) => l instanceof Recurrent).map((l) => (l as Recurrent).stateful),
        [false, false],
      );
      // The model exported is untouched: still stateful, still carrying its state.
      assert.equal(statefulLayers(model).length, 2);
      const expected = fromZeroState(model, chunks);
      chunks.forEach((chunk, k) =>
        compare(`${cell} keras, chunk ${k}`, expected[k], back.predict(chunk).data as Float32Array),
      );
    });
  }

  it('tfjs: the lstm language model, exported stateless, loads in TensorFlow.js and predicts as ours from zero state', async () => {
    const model = languageModel('lstm', 11);
    const rng = new Random(12);
    const chunks = [4, 1, 6].map((T) => idChunk(rng, 2, T));
    const dir = join(tempDir(), 'lm');
    await nl.exportModel(model, dir, { format: 'tfjs', stateless: true });
    const files = new Map(
      readdirSync(dir).map((name) => [name, new Uint8Array(readFileSync(join(dir, name)))]),
    );
    const fetchFunc = async (url: unknown): Promise<Response> => {
      const bytes = files.get(new URL(String(url)).pathname.replace(/^\/m\//, ''));
      return bytes ? new Response(bytes.slice(), { status: 200 }) : new Response('missing', { status: 404 });
    };
    const theirs = await tf.loadLayersModel(tf.io.http('http://peer.test/m/model.json', { fetchFunc }));
    const expected = fromZeroState(model, chunks);
    for (const [k, chunk] of chunks.entries()) {
      const x = tf.tensor(Array.from(chunk.data as Int32Array), [...chunk.shape], 'int32');
      const y = theirs.predict(x) as tf.Tensor;
      compare(`lstm tfjs, chunk ${k}`, expected[k], y.dataSync() as Float32Array);
      tf.dispose([x, y]);
    }
    theirs.dispose();
  });

  it('onnx with the option: a stateless graph (no state inputs) that predicts as ours from zero state', async () => {
    const model = languageModel('novolstm', 13);
    const out = join(tempDir(), 'lm.onnx');
    await nl.exportModel(model, out, { format: 'onnx', stateless: true });
    const session = await ort.InferenceSession.create(readFileSync(out), { intraOpNumThreads: 1 });
    assert.deepEqual([session.inputNames, session.outputNames], [['input'], ['output']]);
    const rng = new Random(14);
    const chunks = [3, 2].map((T) => idChunk(rng, 2, T));
    const expected = fromZeroState(model, chunks);
    for (const [k, chunk] of chunks.entries()) {
      const input = new ort.Tensor('int32', chunk.data as Int32Array, [...chunk.shape]);
      const result = await session.run({ input });
      compare(`novolstm onnx stateless, chunk ${k}`, expected[k], result.output.data as Float32Array);
    }
    await session.release();
  });
});

describe('safetensors carries stateful layers as they are', () => {
  it('the gru language model read back is stateful and predicts as ours, chunk after chunk', async () => {
    const model = languageModel('gru', 15);
    const out = join(tempDir(), 'lm.safetensors');
    await nl.exportModel(model, out, { format: 'safetensors' });
    const back = await nl.importModel(out);
    assert.deepEqual(
      statefulLayers(back).map((l) => l.name),
      statefulLayers(model).map((l) => l.name),
    );
    const rng = new Random(16);
    for (const m of [model, back]) for (const layer of statefulLayers(m)) layer.resetStates();
    for (const [k, T] of [4, 1, 2].entries()) {
      const chunk = idChunk(rng, 3, T);
      compare(
        `gru safetensors, chunk ${k}`,
        model.predict(chunk).data as Float32Array,
        back.predict(chunk).data as Float32Array,
      );
    }
  });
});

/** The first python3 that imports torch (Debian's python3-torch), or null. */
function pythonWithTorch(): string | null {
  for (const python of [process.env.NOVOLSTM_PYTHON, 'python3', '/usr/bin/python3']) {
    if (python && spawnSync(python, ['-c', 'import torch'], { stdio: 'pipe' }).status === 0) return python;
  }
  return null;
}

/** Loads each model with python/novolstm and runs its chunks in order, the stateful layers carrying the state. */
const TORCH_CHUNKS_SCRIPT = `
import json, sys, torch
from novolstm.torch import load_model
jobs = json.load(open(sys.argv[1]))
out = []
for job in jobs:
    model = load_model(job["model"])
    with torch.no_grad():
        out.append([model(torch.tensor(chunk, dtype=torch.long)).flatten().tolist() for chunk in job["chunks"]])
json.dump(out, sys.stdout)
`;

describe('safetensors: PyTorch (python/novolstm) carries the state as ours', () => {
  it('the language model of every cell, chunk after chunk', async (t) => {
    const python = pythonWithTorch();
    if (!python) {
      t.skip('no python3 imports torch (apt-get install python3-torch): PyTorch did not run');
      return;
    }
    const dir = tempDir();
    const rng = new Random(19);
    const jobs = await Promise.all(
      CELLS.map(async ([cell], k) => {
        const model = languageModel(cell, 20 + k);
        const path = join(dir, `${cell}.safetensors`);
        await nl.exportModel(model, path, { format: 'safetensors' });
        const chunks = [5, 1, 3].map((T) => idChunk(rng, 2, T));
        for (const layer of statefulLayers(model)) layer.resetStates();
        const ours = chunks.map((c) => model.predict(c).data as Float32Array);
        const rows = chunks.map((c) => {
          const [B, T] = c.shape;
          return Array.from({ length: B }, (_, b) =>
            Array.from((c.data as Int32Array).subarray(b * T, (b + 1) * T)),
          );
        });
        return { cell, ours, job: { model: path, chunks: rows } };
      }),
    );
    const jobsPath = join(dir, 'jobs.json');
    writeFileSync(jobsPath, JSON.stringify(jobs.map((j) => j.job)));
    const r = spawnSync(python, ['-c', TORCH_CHUNKS_SCRIPT, jobsPath], {
      encoding: 'utf8',
      env: {
        ...process.env,
        PYTHONPATH: new URL('../python/', import.meta.url).pathname,
        OMP_NUM_THREADS: '1',
      },
    });
    assert.equal(r.status, 0, r.stderr);
    const theirs = JSON.parse(r.stdout) as number[][][];
    jobs.forEach(({ cell, ours }, k) =>
      ours.forEach((y, c) => compare(`${cell} LM in PyTorch, chunk ${c}`, y, theirs[k][c])),
    );
  });
});

describe('novolstm export on the language model', () => {
  const cli = (...args: string[]): { status: number | null; stdout: string; stderr: string } =>
    spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/bin.ts', ...args], { encoding: 'utf8' });

  it('--format keras is refused naming --stateless; with --stateless it writes a file that predicts as ours from zero state', async () => {
    const dir = tempDir();
    const model = languageModel('novolstm', 17);
    await nl.saveModel(model, join(dir, 'lm'));
    const refused = cli(
      'export',
      '--model',
      join(dir, 'lm'),
      '--format',
      'keras',
      '--out',
      join(dir, 'lm.keras'),
    );
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /^novolstm: NovoLSTM '[^']+'.*stateful.*--stateless.*\n$/);
    assert.deepEqual(readdirSync(dir), ['lm'], 'nothing is written for a refused model');
    const exported = cli(
      'export',
      '--model',
      join(dir, 'lm'),
      '--format',
      'keras',
      '--stateless',
      '--out',
      join(dir, 'lm.keras'),
    );
    assert.equal(exported.status, 0, exported.stderr);
    assert.match(exported.stdout, /stateful layers written as stateless/);
    const chunk = idChunk(new Random(18), 2, 5);
    const [expected] = fromZeroState(model, [chunk]);
    compare(
      'CLI keras --stateless',
      expected,
      (await nl.importModel(join(dir, 'lm.keras'))).predict(chunk).data as Float32Array,
    );
    const help = cli('export', '--help');
    assert.match(help.stdout, /--stateless/);
    assert.match(help.stdout, /novolstm export --model runs\/lm --format onnx/);
  });
});
