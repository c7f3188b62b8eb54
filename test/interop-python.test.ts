/**
 * The Python package (python/novolstm) against PyTorch, the peer that runs it: models exported to
 * safetensors load in PyTorch and predict what we predict (to 1e-5), and train_ddp.py continues training one
 * with DistributedDataParallel on two processes (Gloo, localhost), whose result we import and predict with
 * again. Needs a python3 with torch (Debian's python3-torch; CI installs it in .ci/run); where there is none,
 * the tests say they were skipped and why.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import * as nl from '../src/index.js';
import { float32ToBytes } from '../src/io/format.js';
import { sha256Hex } from '../src/io/digest.js';
import { decodeSafetensors, encodeSafetensors, SAFETENSORS_FILE } from '../src/interop/safetensors/index.js';
import { buildLanguageModel } from '../src/lm/languageModel.js';
import { Random } from '../src/random.js';
import { assertClose } from './helpers.js';
import { paddedIds, perturbWeights, randomFloats } from './modelHelpers.js';

const run = promisify(execFile);
const PYTHON_DIR = new URL('../python/', import.meta.url).pathname;
/** PyTorch and we compute in float32 with different summation orders. */
const TOLERANCE = 1e-5;

/**
 * The first interpreter that imports torch: $NOVOLSTM_PYTHON, python3, then Debian's /usr/bin/python3 (a
 * pyenv or venv python3 first on the PATH does not see Debian's python3-torch).
 */
function findPython(): { python: string | null; why: string } {
  const candidates = [process.env.NOVOLSTM_PYTHON, 'python3', '/usr/bin/python3'].filter((c): c is string =>
    Boolean(c),
  );
  const failures: string[] = [];
  for (const python of candidates) {
    try {
      execFileSync(python, ['-c', 'import torch, numpy'], { stdio: 'pipe' });
      return { python, why: '' };
    } catch (e) {
      const lines = String((e as { stderr?: Buffer }).stderr ?? e)
        .trim()
        .split('\n');
      failures.push(`${python}: ${lines[lines.length - 1]}`);
    }
  }
  return { python: null, why: `no python3 imports torch (${failures.join('; ')})` };
}

const { python, why } = findPython();
if (!python) console.log(`# interop-python skipped: ${why} — install python3-torch (apt) to run it`);
const skip = python ? false : why;

const roots: string[] = [];
after(async () => {
  for (const r of roots) await rm(r, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'novolstm-python-'));
  roots.push(d);
  return d;
}

function pythonEnv(): NodeJS.ProcessEnv {
  // One thread a process: the test machine has two cores and the DDP run starts two processes.
  return { ...process.env, PYTHONPATH: PYTHON_DIR, OMP_NUM_THREADS: '1', PYTHONDONTWRITEBYTECODE: '1' };
}

async function writeSafetensorsFile(model: nl.Sequential, path: string): Promise<void> {
  const files = await encodeSafetensors(model);
  await writeFile(path, files.get(SAFETENSORS_FILE)!);
}

/** PyTorch's output for x, through `python -m novolstm predict`. */
async function torchPredict(modelPath: string, x: unknown, dir: string): Promise<Float32Array> {
  const input = join(dir, 'x.json');
  const output = join(dir, 'y.json');
  await writeFile(input, JSON.stringify({ x }));
  await run(
    python!,
    ['-m', 'novolstm', 'predict', '--model', modelPath, '--input', input, '--output', output],
    {
      env: pythonEnv(),
    },
  );
  const y = JSON.parse(await readFile(output, 'utf8')).y as unknown[];
  return Float32Array.from(y.flat(3) as number[]);
}

async function assertSameInTorch(what: string, model: nl.Sequential, x: unknown): Promise<void> {
  const dir = await tempDir();
  const path = join(dir, 'model.safetensors');
  await writeSafetensorsFile(model, path);
  const ours = model.predict(x as nl.Tensor).data as Float32Array;
  // A constant output (every relu unit dead, say) would hide a wrong computation; padded steps repeat.
  assert.ok(new Set(ours).size > ours.length / 10, `${what}: too few distinct outputs to compare`);
  const theirs = await torchPredict(path, x, dir);
  assertClose(`${what}: PyTorch vs novolstm`, theirs, ours, TOLERANCE);
}

function built(layers: nl.Layer[], seed: number): nl.Sequential {
  const model = nl.sequential({ seed, layers });
  perturbWeights(model, seed + 1);
  model.markWeightsChanged();
  return model;
}

describe('PyTorch loads exported models and predicts the same', { skip }, () => {
  const rng = new Random(11);
  const V = 13;
  const ids = paddedIds(rng, 5, 9, V); // padded at the end: exercises the masks

  it('NovoLSTM language model (readme input gate; and reference + layerNorm all, masked, backwards)', async () => {
    const lm = built(
      [
        nl.layers.embedding({ inputDim: V, outputDim: 5, inputShape: [null] }),
        nl.layers.novoLSTM({ units: 7, returnSequences: true }),
        nl.layers.dense({ units: V, activation: 'softmax' }),
      ],
      1,
    );
    const full = Array.from({ length: 4 }, () => Array.from({ length: 8 }, () => rng.int(V)));
    await assertSameInTorch('NovoLSTM LM', lm, full);
    const variant = built(
      [
        nl.layers.embedding({ inputDim: V, outputDim: 5, maskZero: true, inputShape: [null] }),
        nl.layers.novoLSTM({ units: 7, returnSequences: true, inputGate: 'reference', layerNorm: 'all' }),
        nl.layers.novoLSTM({ units: 5, returnSequences: true, layerNorm: 'all', goBackwards: true }),
        nl.layers.bidirectional({
          layer: nl.layers.novoLSTM({ units: 3, returnSequences: true, inputGate: 'reference' }),
          mergeMode: 'mul',
        }),
        nl.layers.dense({ units: V, activation: 'softmax' }),
      ],
      3,
    );
    await assertSameInTorch('NovoLSTM variants', variant, ids);
  });

  it('LSTM classifier on padded ids (torch.nn.LSTM), and stacked and bidirectional', async () => {
    const classifier = built(
      [
        nl.layers.embedding({ inputDim: V, outputDim: 6, maskZero: true, inputShape: [null] }),
        nl.layers.lstm({ units: 7 }),
        nl.layers.dense({ units: 3, activation: 'softmax' }),
      ],
      5,
    );
    await assertSameInTorch('LSTM classifier', classifier, ids);
    const stacked = built(
      [
        nl.layers.embedding({ inputDim: V, outputDim: 6, maskZero: true, inputShape: [null] }),
        nl.layers.bidirectional({
          layer: nl.layers.lstm({ units: 5, returnSequences: true }),
          mergeMode: 'ave',
        }),
        nl.layers.lstm({ units: 3, goBackwards: true }),
        nl.layers.dense({ units: 1, activation: 'sigmoid' }),
      ],
      7,
    );
    await assertSameInTorch('LSTM stacked', stacked, ids);
  });

  it('GRU both ways (torch.nn.GRU for resetAfter, a module for reset-before), Masking, LayerNormalization, Dropout, Dense per step', async () => {
    const x = randomFloats(rng, [4, 6, 3]);
    // Row 1 ends in two padding steps the Masking layer finds.
    for (const t of [4, 5]) for (let d = 0; d < 3; d++) x.data[(1 * 6 + t) * 3 + d] = 0;
    const model = built(
      [
        nl.layers.masking({ inputShape: [null, 3] }),
        nl.layers.gru({ units: 5, returnSequences: true }),
        nl.layers.bidirectional({
          layer: nl.layers.gru({ units: 3, returnSequences: true, resetAfter: false }),
          mergeMode: 'concat',
        }),
        nl.layers.layerNormalization({ epsilon: 1e-2 }),
        nl.layers.dropout({ rate: 0.3 }),
        nl.layers.dense({ units: 4, activation: 'relu' }),
        nl.layers.bidirectional({ layer: nl.layers.gru({ units: 3, resetAfter: false }), mergeMode: 'sum' }),
        nl.layers.dense({ units: 3, activation: 'tanh' }),
      ],
      9,
    );
    await assertSameInTorch('GRU model', model, x.arraySync());
  });

  it('refuses, naming the layer, what it cannot build (a layer class it does not know)', async () => {
    const dir = await tempDir();
    const path = join(dir, 'model.safetensors');
    const model = built([nl.layers.dense({ units: 2, inputShape: [3] })], 13);
    await writeSafetensorsFile(model, path);
    const script = [
      'import json, sys',
      'from novolstm.files import read',
      'from novolstm.torch import Sequential, UnsupportedModelError',
      `d, w = read(${JSON.stringify(path)})`,
      "d['model']['layers'][0]['className'] = 'Conv1D'",
      'try:',
      '    Sequential(d)',
      'except UnsupportedModelError as e:',
      '    print(e)',
    ].join('\n');
    const { stdout } = await run(python!, ['-c', script], { env: pythonEnv() });
    assert.match(stdout, /Conv1D 'dense': this layer class has no PyTorch counterpart/);
  });
});

/** A TCP port free on 127.0.0.1 right now, for the DDP rendezvous. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface RankReport {
  readonly rank: number;
  readonly worldSize: number;
  readonly backend: string;
  readonly losses: number[];
  readonly initialLoss: number;
  readonly finalLoss: number;
  readonly weightsSha256: string;
}

/** train_ddp.py on two processes under torchrun; returns the trained file's bytes and both ranks' reports. */
async function trainDdp(
  dir: string,
  tag: string,
): Promise<{ bytes: Uint8Array; reports: RankReport[]; log: string }> {
  const out = join(dir, `${tag}.safetensors`);
  const reportDir = join(dir, `${tag}-report`);
  const env = pythonEnv();
  // Gloo binds to the interface the host name resolves to; on a CI container that may not be routable.
  if (process.platform === 'linux') env.GLOO_SOCKET_IFNAME = 'lo';
  // `--redirects 1 --tee 1`: torch 1.13's launcher cannot parse its own default ('0') on Python 3.11
  // (Debian bookworm's pairing); stdout is teed to the console, which is what the default does anyway.
  const { stdout } = await run(
    python!,
    [
      '-m',
      'torch.distributed.run',
      '--redirects',
      '1',
      '--tee',
      '1',
      '--nproc_per_node=2',
      '--master_addr=127.0.0.1',
      `--master_port=${await freePort()}`,
      join(PYTHON_DIR, 'train_ddp.py'),
      ...['--model', join(dir, 'lm.safetensors'), '--corpus', join(dir, 'corpus.txt'), '--out', out],
      ...['--steps', '12', '--batch-size', '4', '--seq-len', '12', '--lr', '0.01', '--seed', '5'],
      ...['--report', reportDir],
    ],
    { env, cwd: dir },
  );
  const names = (await readdir(reportDir)).sort();
  assert.deepEqual(names, ['rank-0.json', 'rank-1.json']);
  const reports = await Promise.all(
    names.map(async (n) => JSON.parse(await readFile(join(reportDir, n), 'utf8')) as RankReport),
  );
  return { bytes: new Uint8Array(await readFile(out)), reports, log: stdout };
}

describe('train_ddp.py: DistributedDataParallel on two processes (Gloo, localhost)', { skip }, () => {
  it('lowers the loss, keeps both ranks bitwise equal, repeats exactly, and comes back into novolstm', async () => {
    const dir = await tempDir();
    const text = 'a stitch in time saves nine; many hands make light work. '.repeat(12);
    const vocabulary = [...new Set(text)].sort();
    const lm = buildLanguageModel(
      { cell: 'novolstm', units: 11, layers: 2, embeddingDim: 5, dropout: 0.1, vocabulary },
      17,
    );
    await writeFile(join(dir, 'corpus.txt'), text);
    await writeSafetensorsFile(lm, join(dir, 'lm.safetensors'));

    const first = await trainDdp(dir, 'first');
    const [r0, r1] = first.reports;
    assert.deepEqual([r0.rank, r1.rank, r0.worldSize, r0.backend], [0, 1, 2, 'gloo']);
    assert.equal(r0.weightsSha256, r1.weightsSha256, 'both ranks hold the same weights, bit for bit');
    assert.deepEqual(r0.losses, r1.losses, 'the logged loss is the all-reduced mean on every rank');
    assert.ok(
      r0.finalLoss < r0.initialLoss - 0.05,
      `the loss on the first window falls: ${r0.initialLoss} → ${r0.finalLoss}\n${first.log}`,
    );
    assert.ok(r0.losses.at(-1)! < r0.losses[0], `training loss ${r0.losses.join(' ')}`);

    // Our importer reads what rank 0 wrote: the same weights the ranks report, changed by training.
    const trained = await decodeSafetensors(new Map([[SAFETENSORS_FILE, first.bytes]]));
    assert.equal(await sha256Hex(float32ToBytes(trained.values)), r0.weightsSha256);
    assert.notDeepEqual(trained.values, lm.values);
    assert.deepEqual(trained.metadata, lm.metadata, 'the vocabulary travels with the model');

    // And predicts what PyTorch predicts with it.
    const rng = new Random(19);
    const x = Array.from({ length: 3 }, () => Array.from({ length: 10 }, () => rng.int(vocabulary.length)));
    const theirs = await torchPredict(join(dir, 'first.safetensors'), x, dir);
    assertClose(
      'trained LM: PyTorch vs novolstm',
      theirs,
      trained.predict(x as never).data as Float32Array,
      TOLERANCE,
    );

    // The same seed gives the same file, byte for byte.
    const second = await trainDdp(dir, 'second');
    assert.deepEqual(second.bytes, first.bytes);
  });
});

describe("the package's own Python tests (python/tests)", { skip }, () => {
  /** unittest's report (it writes to stderr); a failing test exits non-zero, which rejects. */
  async function unittest(module: string): Promise<string> {
    const { stderr } = await run(python!, ['-m', 'unittest', module, '-v'], {
      env: pythonEnv(),
      cwd: PYTHON_DIR,
    });
    return stderr;
  }

  it('novolstm.files reads back what it writes, bit for bit, and refuses bad files', async () => {
    const report = await unittest('tests.test_files');
    assert.match(report, /test_bad_files_are_named_errors .* ok/);
    assert.match(report, /test_round_trip_bit_for_bit_with_documented_names .* ok/);
  });

  it('novolstm.torch refuses what it cannot compute (hardSigmoid, recurrentDropout, unknown options), naming layer and option', async () => {
    const report = await unittest('tests.test_torch_builder');
    assert.match(report, /test_refusals_name_the_layer_and_option .* ok/);
    assert.match(report, /test_sigmoid_recurrent_activation_is_accepted .* ok/);
  });

  it('the Keras 3 NovoLSTMCell predicts what the PyTorch module predicts, every variant (where Keras 3 is installed)', async (t) => {
    const report = await unittest('tests.test_keras_cell');
    const skipped = /skipped ['"](the Keras cell was not tested: .*?)['"]\s*$/m.exec(report);
    if (skipped) {
      console.log(`# ${skipped[1]}; the PyTorch path and the .keras fixtures run everywhere`);
      t.skip(skipped[1]);
      return;
    }
    assert.match(report, /test_every_variant_predicts_what_the_torch_module_predicts .* ok/);
    assert.match(report, /test_config_round_trips_under_the_registered_name .* ok/);
  });
});
