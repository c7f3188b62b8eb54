/**
 * The trainer's character limit (`TrainConfig.charLimit`, `novolstm train --max-chars`): it ends at the
 * first window reaching the limit, with a validation record and a checkpoint (at an epoch's last window,
 * the epoch's own); a seed and a limit make the same run twice, bit for bit, on one thread and on two
 * workers; a run trained in segments (each resuming the last with a higher limit) ends with the weights of
 * one run; a resume whose limit is reached trains nothing. (Bad values: badInputCases.ts.)
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCliInProcess as run } from './cliInProcess.js';
import { reportPreset } from '../src/experiments/presets.js';
import { narrowedScope } from '../src/experiments/runReport.js';
import { loadModel } from '../src/io/load.js';
import type { TrainingState } from '../src/lm/checkpoint.js';
import {
  trainLanguageModel,
  type EpochRecord,
  type TrainConfig,
  type TrainHooks,
  type TrainResult,
} from '../src/lm/trainer.js';

const tempDir = () => mkdtempSync(join(tmpdir(), 'novolstm-char-limit-'));

const quiet: TrainHooks = {
  log: () => undefined,
  progress: { isTTY: false, write: () => true },
  stopRequested: () => false,
};

/** A text of 3,001 characters whose words follow each other predictably. */
const TEXT = (() => {
  const words = 'call me ishmael some years ago never mind how long precisely having little money'.split(' ');
  let s = '';
  for (let i = 0; s.length < 3001; i++)
    s += words[(i * 5 + (i >> 2)) % words.length] + (i % 7 === 6 ? '.\n' : ' ');
  return s.slice(0, 3001);
})();

/** 3 streams × 11 characters a window. */
const WINDOW = 3 * 11;

function corpusIn(dir: string): string {
  const file = join(dir, 'corpus.txt');
  writeFileSync(file, TEXT);
  return file;
}

function config(corpus: string, out: string, overrides: Partial<TrainConfig> = {}): TrainConfig {
  return {
    corpus,
    cell: 'lstm',
    units: 7,
    layers: 2,
    embeddingDim: 5,
    dropout: 0.1,
    seqLen: 11,
    batch: 3,
    learningRate: 1e-2,
    clipNorm: 5,
    epochs: null,
    timeLimitSeconds: null,
    seed: 7,
    out,
    resume: false,
    sampleLength: 5,
    workers: 1,
    ...overrides,
  };
}

/** A record without its seconds (the one thing that differs from run to run). */
const withoutSeconds = ({ epoch, chars, trainBpc, validationBpc }: EpochRecord) => ({
  epoch,
  chars,
  trainBpc,
  validationBpc,
});

function trainingState(dir: string): Promise<TrainingState> {
  return loadModel(dir).then((m) => m.metadata.training as unknown as TrainingState);
}

/** Every file of a directory, name → contents. */
function snapshot(dir: string): Map<string, string> {
  return new Map(readdirSync(dir).map((name) => [name, readFileSync(join(dir, name), 'latin1')]));
}

/** Trains `limits` one after another, each resuming the last; the last segment's result. */
async function segments(corpus: string, out: string, limits: number[], o: Partial<TrainConfig> = {}) {
  let result: TrainResult | null = null;
  for (const [i, charLimit] of limits.entries()) {
    result = await trainLanguageModel(config(corpus, out, { ...o, charLimit, resume: i > 0 }), quiet);
    assert.equal(result.stoppedBecause, 'char-limit');
  }
  return result!;
}

describe('the character limit', () => {
  const dir = tempDir();
  const corpus = corpusIn(dir);
  // The characters of one epoch, from a run of one epoch: the held-out 5% aside, the text is cut into 3
  // streams read 11 characters at a time, the epoch's last window shorter.
  const oneEpoch = trainLanguageModel(config(corpus, join(dir, 'one-epoch'), { epochs: 1 }), quiet);

  it('ends at the first window reaching it, with a validation record and a checkpoint there', async () => {
    const out = join(dir, 'mid-epoch');
    const logged: string[] = [];
    const result = await trainLanguageModel(config(corpus, out, { charLimit: 100 }), {
      ...quiet,
      log: (line) => logged.push(line),
    });
    // 3 windows are 99 characters, 4 are 132.
    assert.equal(result.stoppedBecause, 'char-limit');
    assert.equal(result.history.length, 1);
    const [record] = result.history;
    assert.equal(record.chars, 4 * WINDOW);
    assert.ok(record.epoch > 0 && record.epoch < 1, `a partial epoch: ${record.epoch}`);
    assert.ok(Number.isFinite(record.validationBpc) && record.validationBpc > 0);
    assert.equal(result.validationBpc, record.validationBpc);
    const state = await trainingState(out);
    assert.deepEqual([state.epoch, state.window, state.chars], [0, 4, 4 * WINDOW]);
    assert.deepEqual(state.history.map(withoutSeconds), [withoutSeconds(record)]);
    assert.equal(readFileSync(join(out, 'metrics.csv'), 'utf8').trim().split('\n').length, 2);
    assert.ok(logged.some((l) => l.startsWith('character limit (132 characters) reached: checkpoint saved')));
    // The checkpoint's weights are the run's.
    assert.deepEqual((await loadModel(out)).values, result.model.values);
  });

  it("at an epoch's last window: the epoch's own record and checkpoint, and a resume goes on into the next", async () => {
    const epochChars = (await oneEpoch).history[0].chars;
    const windowsPerEpoch = Math.ceil(epochChars / WINDOW);
    assert.ok(epochChars % WINDOW !== 0, 'the last window is shorter');
    // One character short of the epoch: only its last window reaches it.
    const out = join(dir, 'epoch-end');
    const first = await trainLanguageModel(config(corpus, out, { charLimit: epochChars - 1 }), quiet);
    assert.equal(first.stoppedBecause, 'char-limit');
    assert.deepEqual(
      first.history.map((r) => [r.epoch, r.chars]),
      [[1, epochChars]],
    );
    assert.deepEqual(first.history.map(withoutSeconds), (await oneEpoch).history.map(withoutSeconds));
    const state = await trainingState(out);
    assert.deepEqual([state.epoch, state.window], [1, 0], 'checkpointed at the next epoch’s start');
    // Resumed with a higher limit: two windows into epoch 2, no second record of epoch 1.
    const resumed = await trainLanguageModel(
      config(corpus, out, { charLimit: epochChars + 2 * WINDOW, resume: true }),
      quiet,
    );
    assert.deepEqual(
      resumed.history.map((r) => [r.epoch, r.chars]),
      [
        [1, epochChars],
        [1 + 2 / windowsPerEpoch, epochChars + 2 * WINDOW],
      ],
    );
    // The same as one run to that limit.
    const straight = await trainLanguageModel(
      config(corpus, join(dir, 'epoch-end-straight'), { charLimit: epochChars + 2 * WINDOW }),
      quiet,
    );
    assert.deepEqual(resumed.model.values, straight.model.values);
    assert.deepEqual(resumed.history.at(-1)!.validationBpc, straight.history.at(-1)!.validationBpc);
  });

  it('a resume whose limit is already reached trains nothing and leaves the checkpoint as it was', async () => {
    const out = join(dir, 'reached');
    await trainLanguageModel(config(corpus, out, { charLimit: 5 * WINDOW }), quiet);
    const before = snapshot(out);
    const logged: string[] = [];
    const again = await trainLanguageModel(config(corpus, out, { charLimit: 2 * WINDOW, resume: true }), {
      ...quiet,
      log: (line) => logged.push(line),
    });
    assert.equal(again.stoppedBecause, 'char-limit');
    assert.equal(again.history.length, 1);
    assert.ok(logged.some((l) => /character limit 66 is reached \(165 characters trained\)/.test(l)));
    assert.deepEqual(snapshot(out), before);
  });

  it('one thread: the same seed and limit give the same weights and records; 3 segments across an epoch’s end give the weights of one run', async () => {
    const limit = (await oneEpoch).history[0].chars + 17 * WINDOW + 5;
    const a = await trainLanguageModel(config(corpus, join(dir, 'a'), { charLimit: limit }), quiet);
    const b = await trainLanguageModel(config(corpus, join(dir, 'b'), { charLimit: limit }), quiet);
    assert.deepEqual(b.model.values, a.model.values);
    assert.deepEqual(b.history.map(withoutSeconds), a.history.map(withoutSeconds));
    const thirds = [Math.round(limit / 3), Math.round((2 * limit) / 3), limit];
    const c = await segments(corpus, join(dir, 'c'), thirds);
    assert.deepEqual(c.model.values, a.model.values);
    // The segments' own records are extra; the epoch's and the last are the one run's.
    assert.equal(c.history.length, a.history.length + 2);
    assert.deepEqual(
      [c.history[2], c.history.at(-1)!].map(withoutSeconds),
      a.history.map(withoutSeconds),
      JSON.stringify(c.history),
    );
  });

  it('two workers: the same seed and limit give the same weights twice, and 3 segments the same again', async () => {
    const limit = 31 * WINDOW - 4;
    const two = { workers: 2, charLimit: limit };
    const a = await trainLanguageModel(config(corpus, join(dir, 'w2-a'), two), quiet);
    const b = await trainLanguageModel(config(corpus, join(dir, 'w2-b'), two), quiet);
    assert.equal(a.history.at(-1)!.chars, 31 * WINDOW);
    assert.deepEqual(b.model.values, a.model.values);
    assert.deepEqual(b.history.map(withoutSeconds), a.history.map(withoutSeconds));
    const c = await segments(corpus, join(dir, 'w2-c'), [10 * WINDOW, 20 * WINDOW + 1, limit], {
      workers: 2,
    });
    assert.deepEqual(c.model.values, a.model.values);
    assert.deepEqual(withoutSeconds(c.history.at(-1)!), withoutSeconds(a.history.at(-1)!));
  });
});

describe('novolstm train --max-chars', () => {
  it('stops at the window reaching it; on --resume it may change, and is printed', async () => {
    const dir = tempDir();
    const out = join(dir, 'model');
    const flags = ['--corpus', corpusIn(dir), '--out', out, '--cell', 'gru', '--units', '5'];
    const sizes = ['--layers', '1', '--embedding', '3', '--seq-len', '11', '--batch', '3', '--workers', '1'];
    const first = await run(['train', ...flags, ...sizes, '--max-chars', '100']);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /character limit \(132 characters\) reached: checkpoint saved/);
    assert.equal((await trainingState(out)).chars, 132);
    const resumed = await run(['train', ...flags, '--resume', '--max-chars', '1e3']);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(
      resumed.stdout,
      /resuming .* at epoch 1, window 4 with .*--time-limit none, --max-chars 1000,/,
    );
    assert.equal((await trainingState(out)).chars, Math.ceil(1000 / WINDOW) * WINDOW);
  });
});

describe('novolstm report --lm-chars', () => {
  it('refuses a count that is not a positive integer, and a rebuild that would train nothing with it', async () => {
    const dir = tempDir();
    for (const value of ['0', '-1', '1.5', 'NaN', 'Infinity']) {
      const refused = await run(['report', '--preset', 'lm', '--lm-chars', value, '--out', join(dir, 'r')]);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /option '--lm-chars <n>' argument .* is invalid.*positive integer/);
    }
    const rebuild = await run([
      ...['report', '--preset', 'lm', '--no-train', '--trials', dir],
      ...['--lm-chars', '20480', '--out', join(dir, 'r')],
    ]);
    assert.equal(rebuild.code, 1);
    assert.match(rebuild.stderr, /--no-train runs nothing: --lm-chars cannot be combined with it/);
    assert.deepEqual(readdirSync(dir), [], 'nothing written');
  });
});

describe("the report's scope under --lm-chars and --lm-epochs", () => {
  const lm = reportPreset('lm').applications.lm;
  const scope = reportPreset('lm').scope!;
  it("says that the run's language model is not the setting's, and how", () => {
    const narrowed = narrowedScope(scope, { ...lm, charLimit: 20_480 }, lm, true)!;
    assert.ok(narrowed.startsWith(scope));
    assert.match(
      narrowed,
      /narrowed.*20,480 characters of training per run \(--lm-chars\), not the setting's 16,384,000 characters/,
    );
    assert.match(narrowedScope(scope, { ...lm, epochs: (lm.epochs ?? 1) + 1 }, lm, true)!, /--lm-epochs/);
  });
  it("leaves it as it is with the setting's budget, or without the applications", () => {
    assert.equal(narrowedScope(scope, { ...lm }, lm, true), scope);
    assert.equal(narrowedScope(scope, { ...lm, charLimit: 20_480 }, lm, false), scope);
  });
});

describe("the time limit at an epoch's last window", () => {
  it("waits for the epoch's end, so that a resume does not record the epoch twice", async () => {
    const dir = tempDir();
    // One window an epoch: 3 streams of 12 training characters (the validation text is a file of its own).
    const corpus = join(dir, 'short.txt');
    writeFileSync(corpus, TEXT.slice(0, 36));
    const validationFile = join(dir, 'validation.txt');
    writeFileSync(validationFile, TEXT.slice(36, 400));
    const out = join(dir, 'model');
    // Reached after the first window, which is also the epoch's last.
    const limited = { validationFile, timeLimitSeconds: 1e-6 };
    const first = await trainLanguageModel(config(corpus, out, limited), quiet);
    assert.equal(first.stoppedBecause, 'time-limit');
    assert.deepEqual(
      first.history.map((r) => r.epoch),
      [1],
    );
    const state = await trainingState(out);
    assert.deepEqual([state.epoch, state.window], [1, 0], 'checkpointed at the next epoch’s start');
    const resumed = await trainLanguageModel(config(corpus, out, { ...limited, resume: true }), quiet);
    assert.equal(resumed.stoppedBecause, 'time-limit');
    assert.deepEqual(
      resumed.history.map((r) => r.epoch),
      [1, 2],
      'epoch 1 once, then epoch 2',
    );
  });
});
