/**
 * The command line as a user meets it: `--version`, `train --json` and its learning curve, `info` for any
 * saved model, `predict` on JSON samples, `generate` on a model that is not a language model, and `report`
 * outside the repository. Spawned where stdout as a whole is the point (nothing but JSON lines), in-process
 * elsewhere.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as nl from '../src/index.js';
import { main } from '../src/cli/main.js';
import type { ModelInfo } from '../src/cli/infoCommand.js';
import { ConfigError } from '../src/errors.js';
import { DEFAULT_CURVE_EVERY, type StepCurve, type StepRecord } from '../src/lm/curve.js';
import { learningCurvePoints } from '../src/lm/records.js';
import { trainLanguageModel, type TrainConfig, type TrainHooks } from '../src/lm/trainer.js';
import { Random } from '../src/random.js';
import { perturbWeights, randomFloats } from './modelHelpers.js';

const tempDir = () => mkdtempSync(join(tmpdir(), 'novolstm-cli-'));

const quiet: TrainHooks = {
  log: () => undefined,
  progress: { isTTY: false, write: () => true },
  stopRequested: () => false,
};

/** A small text whose characters follow each other predictably (a 31-character cycle of words). */
const TEXT = (() => {
  const words = 'the whale and the sea call me ishmael some years ago never mind how long'.split(' ');
  let s = '';
  for (let i = 0; s.length < 2500; i++)
    s += words[(i * 7 + (i >> 3)) % words.length] + (i % 9 === 8 ? '.\n' : ' ');
  return s;
})();

function writeCorpus(dir: string): string {
  const file = join(dir, 'corpus.txt');
  writeFileSync(file, TEXT);
  return file;
}

/** The flags of a tiny language model: 4 streams × 16 characters a window. */
const TINY = ['--units', '7', '--layers', '1', '--embedding', '3', '--seq-len', '16', '--batch', '4'];

function tinyConfig(corpus: string, out: string, overrides: Partial<TrainConfig> = {}): TrainConfig {
  return {
    corpus,
    cell: 'lstm',
    units: 7,
    layers: 1,
    embeddingDim: 3,
    dropout: 0,
    seqLen: 16,
    batch: 4,
    learningRate: 1e-2,
    clipNorm: 5,
    epochs: 2,
    timeLimitSeconds: null,
    seed: 5,
    out,
    resume: false,
    sampleLength: 4,
    workers: 1,
    ...overrides,
  };
}

/** The learning curve's step points the checkpoint in the model's metadata holds. */
function stepPoints(model: nl.Sequential): StepRecord[] {
  return (model.metadata.training as unknown as { curve: StepCurve }).curve.points;
}

/** Runs the command line in this process; what it wrote to stdout and stderr, and its exit code. */
async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const writeOut = process.stdout.write.bind(process.stdout);
  const writeErr = process.stderr.write.bind(process.stderr);
  // Text is the command's; the test runner reports to its parent through stdout in binary, passed on.
  const capture =
    (into: string[], pass: typeof writeOut) =>
    (chunk: string | Uint8Array, ...rest: never[]): boolean =>
      typeof chunk === 'string' ? into.push(chunk) > 0 : pass(chunk, ...rest);
  process.stdout.write = capture(out, writeOut) as typeof process.stdout.write;
  process.stderr.write = capture(err, writeErr) as typeof process.stderr.write;
  try {
    const code = await main(args);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.stdout.write = writeOut;
    process.stderr.write = writeErr;
  }
}

/** Runs src/cli/bin.ts in a child process, as the installed `novolstm` runs dist/cli/bin.js. */
function spawnCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/bin.ts', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The error line's contract: one line, `novolstm: `, exit code 1. */
function assertOneErrorLine(result: { code: number; stderr: string }, pattern: RegExp): void {
  assert.equal(result.code, 1, result.stderr);
  assert.equal(result.stderr.trim().split('\n').length, 1, `one line: ${result.stderr}`);
  assert.match(result.stderr, /^novolstm: /);
  assert.match(result.stderr, pattern);
}

/** A classifier of sequences [T, 3] as a user would save it with model.save(): not a language model. */
async function savedClassifier(dir: string): Promise<{ model: nl.Sequential; path: string }> {
  const model = nl.sequential({
    layers: [
      nl.layers.lstm({ units: 5, inputShape: [null, 3], returnSequences: true }),
      nl.layers.gru({ units: 7 }),
      nl.layers.dense({ units: 3, activation: 'softmax' }),
    ],
    seed: 11,
  });
  perturbWeights(model, 12);
  model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
  const path = join(dir, 'classifier');
  await model.save(path);
  return { model, path };
}

describe('novolstm --version', () => {
  it("prints package.json's version and exits 0", async () => {
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    const result = await spawnCli(['--version']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, `${version}\n`);
    assert.equal((await run(['-V'])).stdout, `${version}\n`);
  });
});

describe('novolstm train --json', () => {
  it('stdout holds only JSON lines: one per epoch, matching metrics.csv, and one at the end', async () => {
    const dir = tempDir();
    const out = join(dir, 'model');
    const result = await spawnCli([
      'train',
      '--corpus',
      writeCorpus(dir),
      '--out',
      out,
      ...TINY,
      '--epochs',
      '2',
      '--workers',
      '1',
      '--json',
    ]);
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trimEnd().split('\n');
    const events = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(
      events.map((e) => e.event),
      ['epoch', 'epoch', 'end'],
    );
    // The epoch lines are metrics.csv's rows, unrounded.
    const rows = readFileSync(join(out, 'metrics.csv'), 'utf8').trim().split('\n').slice(1);
    rows.forEach((row, i) => {
      const [epoch, chars, trainBpc, validationBpc] = row.split(',').map(Number);
      const e = events[i];
      assert.equal(e.epoch, epoch);
      assert.equal(e.chars, chars);
      assert.ok(Math.abs((e.trainBpc as number) - trainBpc) < 1e-5, `${e.trainBpc} vs ${trainBpc}`);
      assert.ok(Math.abs((e.validationBpc as number) - validationBpc) < 1e-5);
    });
    const end = events[2];
    assert.equal(end.stoppedBecause, 'epochs');
    assert.equal(end.epochs, 2);
    assert.equal(end.validationBpc, events[1].validationBpc);
    assert.equal(end.out, out);
    // What people read went to stderr: the epoch lines and the samples.
    assert.match(result.stderr, /Epoch 2\/2/);
    assert.match(result.stderr, /sample: /);
  });
});

describe('TrainHooks.onRecord (what train --json prints)', () => {
  it('hears every record as it joins the history, the time limit’s partial epoch too', async () => {
    const dir = tempDir();
    const heard: unknown[] = [];
    const result = await trainLanguageModel(
      tinyConfig(writeCorpus(dir), join(dir, 'model'), { epochs: null, timeLimitSeconds: 0.4 }),
      { ...quiet, onRecord: (record) => heard.push(record) },
    );
    assert.equal(result.stoppedBecause, 'time-limit');
    assert.deepEqual(heard, result.history);
    assert.ok(heard.length >= 1);
  });
});

describe('the learning curve: a point every N windows', () => {
  // Two epochs of TEXT with a point after every window: each window's own training mean (the windows are
  // 4 streams × 16 characters, the last of an epoch shorter). The runs below use the same seed, so they
  // train on the same windows with the same losses.
  const perWindow = (async () => {
    const dir = tempDir();
    const probe = await trainLanguageModel(
      tinyConfig(writeCorpus(dir), join(dir, 'model'), { epochs: 2, curveEvery: 1 }),
      quiet,
    );
    return stepPoints(probe.model);
  })();

  it('with a point per epoch, the points are the epochs’ own training means', async () => {
    const dir = tempDir();
    const windows = (await perWindow).length / 2;
    assert.ok(Number.isInteger(windows) && windows > 10, `${windows} windows an epoch`);
    const result = await trainLanguageModel(
      tinyConfig(writeCorpus(dir), join(dir, 'per-epoch'), { epochs: 2, curveEvery: windows }),
      quiet,
    );
    const points = stepPoints(result.model);
    assert.equal(points.length, 2);
    points.forEach((point, i) => {
      const epoch = result.history[i];
      assert.ok(Math.abs(point.epoch - epoch.epoch) < 1e-12, `${point.epoch} vs ${epoch.epoch}`);
      assert.equal(point.chars, epoch.chars);
      assert.ok(Math.abs(point.trainBpc - epoch.trainBpc) < 1e-9, `${point.trainBpc} vs ${epoch.trainBpc}`);
    });
  });

  it('steps.csv: every 5 windows, their character-weighted mean; metrics.csv keeps one row per epoch', async () => {
    const unit = await perWindow;
    const dir = tempDir();
    const out = join(dir, 'model');
    const result = await trainLanguageModel(
      tinyConfig(writeCorpus(dir), out, { epochs: 2, curveEvery: 5 }),
      quiet,
    );
    const steps = readFileSync(join(out, 'steps.csv'), 'utf8').trim().split('\n');
    assert.equal(steps[0], 'epoch,chars,train_bpc');
    const points = steps.slice(1).map((row) => row.split(',').map(Number));
    assert.equal(points.length, Math.floor(unit.length / 5));
    points.forEach(([epoch, chars, trainBpc], i) => {
      const last = 5 * i + 4;
      assert.ok(Math.abs(epoch - unit[last].epoch) < 1e-4, `point ${i}: epoch ${epoch}`);
      assert.equal(chars, unit[last].chars);
      let bits = 0;
      for (let k = last - 4; k <= last; k++) {
        bits += unit[k].trainBpc * (unit[k].chars - (k > 0 ? unit[k - 1].chars : 0));
      }
      const expected = bits / (unit[last].chars - (last > 4 ? unit[last - 5].chars : 0));
      assert.ok(Math.abs(trainBpc - expected) < 1e-5, `point ${i}: ${trainBpc} vs ${expected}`);
    });
    const metrics = readFileSync(join(out, 'metrics.csv'), 'utf8').trim().split('\n');
    assert.equal(metrics[0], 'epoch,chars,train_bpc,validation_bpc,seconds');
    assert.deepEqual(
      metrics.slice(1).map((row) => Number(row.split(',')[0])),
      [1, 2],
    );
    const chart = learningCurvePoints(result.history, stepPoints(result.model));
    assert.equal(chart.filter((p) => p.series === 'training').length, points.length);
    assert.equal(chart.filter((p) => p.series === 'validation').length, 2);
    assert.match(readFileSync(join(out, 'learning-curve.svg'), 'utf8'), /^<svg/);
  });

  it('a stopped and resumed run draws the same points as one that never stopped', async () => {
    const dir = tempDir();
    const corpus = writeCorpus(dir);
    const straight = join(dir, 'straight');
    await trainLanguageModel(tinyConfig(corpus, straight, { epochs: 2, curveEvery: 7 }), quiet);
    const stopped = join(dir, 'stopped');
    let polls = 0;
    // Stopped after 11 windows: mid-epoch and mid-point (11 = 7 + 4).
    await trainLanguageModel(tinyConfig(corpus, stopped, { epochs: 2, curveEvery: 7 }), {
      ...quiet,
      stopRequested: () => ++polls > 11,
    });
    await trainLanguageModel(tinyConfig(corpus, stopped, { epochs: 2, curveEvery: 7, resume: true }), quiet);
    assert.equal(
      readFileSync(join(stopped, 'steps.csv'), 'utf8'),
      readFileSync(join(straight, 'steps.csv'), 'utf8'),
    );
  });

  it('the chart falls back to the epoch means before the first point', () => {
    const history = [{ epoch: 1, chars: 100, trainBpc: 3, validationBpc: 3.5, seconds: 1 }];
    assert.deepEqual(learningCurvePoints(history, []), [
      { x: 1, series: 'training', y: 3 },
      { x: 1, series: 'validation', y: 3.5 },
    ]);
  });

  it('curveEvery that is not a positive integer is refused before anything is written', async () => {
    const dir = tempDir();
    const out = join(dir, 'model');
    for (const curveEvery of [0, 2.5, -1]) {
      await assert.rejects(
        trainLanguageModel(tinyConfig(writeCorpus(dir), out, { curveEvery }), quiet),
        (e: unknown) => e instanceof ConfigError && /curveEvery/.test(e.message),
      );
    }
    assert.equal(existsSync(out), false);
    assertOneErrorLine(
      await run(['train', '--corpus', writeCorpus(dir), '--out', out, '--epochs', '1', '--curve-every', '0']),
      /--curve-every.*positive integer/,
    );
    assert.ok(DEFAULT_CURVE_EVERY >= 1);
  });
});

describe('novolstm info, generate and predict on a model that model.save() wrote', () => {
  const dir = tempDir();
  const saved = savedClassifier(dir);

  it('info prints the table, the shapes and the compile settings', async () => {
    const { path } = await saved;
    const result = await run(['info', '--model', path]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /lstm \(LSTM\)\s+\(None, None, 5\)/);
    assert.match(result.stdout, /gru \(GRU\)\s+\(None, 7\)/);
    assert.match(result.stdout, /input \(None, None, 3\) → output \(None, 3\)/);
    assert.match(result.stdout, /compiled with loss categoricalCrossentropy, optimizer Adam/);
    assert.doesNotMatch(result.stdout, /language model/);
  });

  it('info --json is one JSON object describing the model', async () => {
    const { model, path } = await saved;
    const result = await run(['info', '--model', path, '--json']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.trimEnd().split('\n').length, 1);
    const info = JSON.parse(result.stdout) as ModelInfo;
    assert.deepEqual(info.inputShape, [null, 3]);
    assert.deepEqual(info.outputShape, [3]);
    assert.equal(info.params, model.values.length);
    assert.deepEqual(
      info.layers.map((l) => [l.className, l.params]),
      // LSTM: 4·5·(3 + 5 + 1); GRU (reset after): 3·7·(5 + 7 + 2); Dense: 3·(7 + 1).
      [
        ['LSTM', 180],
        ['GRU', 294],
        ['Dense', 24],
      ],
    );
    assert.equal(
      info.layers.reduce((s, l) => s + l.params, 0),
      info.params,
    );
    assert.deepEqual(info.compiled, { loss: 'categoricalCrossentropy', optimizer: 'Adam' });
    assert.equal(info.languageModel, null);
    assert.equal(info.training, null);
  });

  it('generate and eval say they need a character language model, and what to use instead', async () => {
    const { path } = await saved;
    assertOneErrorLine(
      await run(['generate', '--model', path]),
      /`generate` needs a character language model .*`novolstm predict` runs it/,
    );
    assertOneErrorLine(
      await run(['eval', '--model', path, '--corpus', writeCorpus(dir)]),
      /`eval` needs a character language model/,
    );
  });

  it('predict writes what the loaded model predicts, to a file or stdout', async () => {
    const { path } = await saved;
    const x = randomFloats(new Random(13), [5, 9, 3]);
    const input = join(dir, 'samples.json');
    writeFileSync(input, JSON.stringify(x.arraySync()));
    const expected = (await nl.loadModel(path)).predict(x).arraySync();

    const output = join(dir, 'predictions.json');
    const toFile = await run([
      'predict',
      '--model',
      path,
      '--input',
      input,
      '--output',
      output,
      '--batch-size',
      '2',
    ]);
    assert.equal(toFile.code, 0, toFile.stderr);
    assert.match(toFile.stdout, /wrote 5 predictions of shape \[3\]/);
    assert.deepEqual(JSON.parse(readFileSync(output, 'utf8')), expected);

    const toStdout = await run(['predict', '--model', path, '--input', input]);
    assert.equal(toStdout.code, 0, toStdout.stderr);
    assert.deepEqual(JSON.parse(toStdout.stdout), expected);
    // Rows of probabilities from the softmax head, and not all alike (the weights are random).
    const rows = expected as number[][];
    for (const row of rows) assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5);
    assert.notDeepEqual(rows[0], rows[1]);
  });

  it('predict refuses bad input with one typed line naming the file, and writes no output', async () => {
    const { path } = await saved;
    const output = join(dir, 'never.json');
    const file = (name: string, text: string) => {
      const p = join(dir, name);
      writeFileSync(p, text);
      return p;
    };
    const cases: [string, string, RegExp][] = [
      [
        'wrong features',
        file('features.json', JSON.stringify([[[1, 2]], [[3, 4]]])),
        /--input .*features\.json: the samples do not have the shape the model takes — expected \[samples, any, 3\], got \[2, 1, 2\]/,
      ],
      [
        'wrong rank',
        file('rank.json', JSON.stringify([[1, 2, 3]])),
        /expected \[samples, any, 3\], got \[1, 3\]/,
      ],
      [
        'ragged',
        file('ragged.json', JSON.stringify([[[1, 2, 3]], [[1, 2]]])),
        /--input .*ragged\.json: ragged nested array at values\[1\]\[0\] — expected 3 elements, got 2 elements/,
      ],
      [
        'not numbers',
        file('strings.json', JSON.stringify([[['a', 2, 3]]])),
        /value 0 is not a finite number/,
      ],
      ['not JSON', file('text.json', 'samples: 1, 2, 3'), /text\.json: is not JSON/],
      ['not an array', file('object.json', '{"x": [1]}'), /must hold an array of samples/],
      ['no samples', file('empty.json', '[]'), /holds no samples/],
      ['missing', join(dir, 'absent.json'), /absent\.json: cannot read the file/],
    ];
    for (const [what, input, pattern] of cases) {
      const result = await run(['predict', '--model', path, '--input', input, '--output', output]);
      assert.equal(result.code, 1, what);
      assertOneErrorLine(result, pattern);
    }
    assert.equal(existsSync(output), false);
    assertOneErrorLine(
      await run(['predict', '--model', join(dir, 'none'), '--input', join(dir, 'features.json')]),
      /no model there/,
    );
  });
});

describe('novolstm info on a language model', () => {
  it('shows the cell, vocabulary and training record; --json carries them', async () => {
    const dir = tempDir();
    const out = join(dir, 'lm');
    await trainLanguageModel(tinyConfig(writeCorpus(dir), out, { epochs: 1 }), quiet);
    const text = await run(['info', '--model', out]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(
      text.stdout,
      /character language model: cell lstm, 1 × 7 units, vocabulary of \d+ characters/,
    );
    assert.match(text.stdout, /trained on .*corpus\.txt: 1 epochs/);
    const info = JSON.parse((await run(['info', '--model', out, '--json'])).stdout) as ModelInfo;
    assert.equal(info.languageModel?.cell, 'lstm');
    assert.equal(info.languageModel?.units, 7);
    assert.equal(info.training?.epochs, 1);
    const metrics = readFileSync(join(out, 'metrics.csv'), 'utf8').trim().split('\n');
    const validation = Number(metrics[1].split(',')[3]);
    assert.ok(Math.abs((info.training?.validationBpc ?? NaN) - validation) < 1e-5);
  });
});

describe('novolstm report outside the repository', () => {
  it('asks for --out rather than writing into the current directory', async () => {
    const cwd = tempDir();
    const before = process.cwd();
    process.chdir(cwd);
    try {
      assertOneErrorLine(await run(['report', '--quick']), /give --out DIR.*docs\//);
    } finally {
      process.chdir(before);
    }
    assert.deepEqual(readdirSync(cwd), []);
  });
});
