/**
 * The character language model: state carried across windows (TBPTT), exact resume (SIGKILL and signals:
 * signals.test.ts), the divergence stop, and every bad input the CLI promises a one-line error for.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { main } from '../src/cli/main.js';
import { loadModel } from '../src/io/load.js';
import { scoreText } from '../src/lm/evaluate.js';
import { generateText } from '../src/lm/generate.js';
import { languageModelConfig } from '../src/lm/languageModel.js';
import {
  trainLanguageModel,
  TrainingDivergedError,
  type TrainConfig,
  type TrainHooks,
} from '../src/lm/trainer.js';
import { CharVocabulary } from '../src/data/text/charVocabulary.js';

const quiet = (stopAfter = Infinity): TrainHooks & { steps: () => number } => {
  let polls = 0;
  return {
    log: () => undefined,
    progress: { isTTY: false, write: () => true },
    stopRequested: () => ++polls > stopAfter,
    steps: () => polls,
  };
};

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'novolstm-lm-'));
}

/** A binary de Bruijn sequence B(2, 4): every 4-character context occurs once per period of 16. */
const DE_BRUIJN = '0000100110101111'.replace(/0/g, 'a').replace(/1/g, 'b');

function writeCorpus(dir: string, text: string): string {
  const file = join(dir, 'corpus.txt');
  writeFileSync(file, text);
  return file;
}

const SMALL_TEXT = (() => {
  const words = 'the whale and the sea call me ishmael some years ago never mind how long precisely'.split(
    ' ',
  );
  let s = '';
  for (let i = 0; s.length < 3000; i++)
    s += words[(i * 7 + (i >> 3)) % words.length] + (i % 11 === 10 ? '.\n' : ' ');
  return s;
})();

function config(corpus: string, out: string, overrides: Partial<TrainConfig> = {}): TrainConfig {
  return {
    corpus,
    cell: 'lstm',
    units: 8,
    layers: 1,
    embeddingDim: 4,
    dropout: 0,
    seqLen: 16,
    batch: 4,
    learningRate: 1e-2,
    clipNorm: 5,
    epochs: 2,
    timeLimitSeconds: null,
    seed: 3,
    out,
    resume: false,
    sampleLength: 8,
    ...overrides,
  };
}

describe('language model', () => {
  it('carries the state across windows in training: a period-16 sequence read in windows of 8 is learned', async () => {
    const dir = tempDir();
    // Every 4-character context occurs once per period, so the first 4 characters of a window are a coin
    // flip (1 bit each, 0.5 bits per character over the window) unless the state from the previous window
    // is carried in. Training loss near 0 is only reachable with the state carried.
    const corpus = writeCorpus(dir, DE_BRUIJN.repeat(120));
    const result = await trainLanguageModel(
      config(corpus, join(dir, 'model'), { units: 16, seqLen: 8, batch: 4, epochs: 15, learningRate: 2e-2 }),
      quiet(),
    );
    const last = result.history[result.history.length - 1];
    assert.ok(last.trainBpc < 0.15, `training ${last.trainBpc} bits per character (0.5 without the state)`);
    assert.ok(result.validationBpc < 0.15, `validation ${result.validationBpc} bits per character`);
    const prime = DE_BRUIJN.repeat(2).slice(5, 30);
    const continuation = [...generateText(result.model, { prime, length: 48, temperature: 0 })].join('');
    assert.equal(continuation, DE_BRUIJN.repeat(6).slice(30, 78));
  });

  it('resume = straight through: stopped mid-epoch, checkpointed, resumed, bit for bit', async () => {
    const dir = tempDir();
    const corpus = writeCorpus(dir, SMALL_TEXT);
    const straight = await trainLanguageModel(config(corpus, join(dir, 'straight')), quiet());
    const out = join(dir, 'resumed');
    const first = await trainLanguageModel(config(corpus, out), quiet(30));
    assert.equal(first.stoppedBecause, 'stop-requested');
    const resumed = await trainLanguageModel(config(corpus, out, { resume: true }), quiet());
    assert.equal(resumed.stoppedBecause, 'epochs');
    assert.deepEqual(resumed.model.values, straight.model.values);
    assert.deepEqual(
      resumed.history.map((r) => r.validationBpc),
      straight.history.map((r) => r.validationBpc),
    );
    assert.ok(existsSync(join(out, 'metrics.csv')) && existsSync(join(out, 'learning-curve.svg')));
    assert.equal(readFileSync(join(out, 'metrics.csv'), 'utf8').trim().split('\n').length, 3);
  });

  it('a diverging loss stops training with an error and keeps the last good checkpoint', async () => {
    const dir = tempDir();
    const corpus = writeCorpus(dir, SMALL_TEXT);
    const out = join(dir, 'model');
    await trainLanguageModel(config(corpus, out, { epochs: 1 }), quiet());
    const before = (await loadModel(out)).values.slice();
    await assert.rejects(
      trainLanguageModel(
        config(corpus, out, { epochs: 3, resume: true, learningRate: 1e4, overrideLearningRate: true }),
        quiet(),
      ),
      (e: unknown) => e instanceof TrainingDivergedError && /last good checkpoint/.test(e.message),
    );
    const after = await loadModel(out);
    assert.deepEqual(after.values, before);
    assert.equal((after.metadata.training as { epoch: number }).epoch, 1);
  });

  it('scoring and generation leave the model untouched and repeat with a seed', async () => {
    const dir = tempDir();
    const corpus = writeCorpus(dir, SMALL_TEXT);
    const { model } = await trainLanguageModel(config(corpus, join(dir, 'model'), { epochs: 1 }), quiet());
    const values = model.values.slice();
    const ids = CharVocabulary.fromJSON(languageModelConfig(model).vocabulary).encode(
      SMALL_TEXT.slice(0, 500),
    );
    const a = scoreText(model, ids, 4, 16);
    assert.deepEqual(scoreText(model, ids, 4, 16), a);
    assert.ok(a.bpc > 0 && a.bpc < Math.log2(30), `bpc ${a.bpc}`);
    const text = (seed: number) => [...generateText(model, { prime: 'the ', length: 40, seed })].join('');
    assert.equal(text(5), text(5));
    assert.notEqual(text(5), text(6));
    assert.deepEqual(model.values, values);
  });
});

describe('the CLI: one clear error line and a non-zero exit code', () => {
  async function run(args: string[]): Promise<{ code: number; stderr: string[] }> {
    const stderr: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((s: string) => stderr.push(s) > 0) as typeof process.stderr.write;
    try {
      return { code: await main(args), stderr };
    } finally {
      process.stderr.write = write;
    }
  }
  const dir = tempDir();
  const out = join(dir, 'out');
  const cases: [string, () => string[], RegExp][] = [
    [
      'a bad flag value',
      () => ['train', '--out', out, '--units', 'many', '--epochs', '1'],
      /--units.*positive integer/,
    ],
    [
      'an unknown flag',
      () => ['train', '--out', out, '--epochs', '1', '--colour'],
      /unknown option '--colour'/,
    ],
    [
      'a missing file',
      () => ['train', '--out', out, '--epochs', '1', '--corpus', join(dir, 'no.txt')],
      /cannot read/,
    ],
    [
      'an empty corpus',
      () => ['train', '--out', out, '--epochs', '1', '--corpus', writeFile('empty.txt', '')],
      /is empty/,
    ],
    [
      'a binary corpus',
      () => [
        'train',
        '--out',
        out,
        '--epochs',
        '1',
        '--corpus',
        writeFile('bin.txt', Buffer.from([1, 0, 2, 0])),
      ],
      /looks binary/,
    ],
    [
      'a corpus smaller than one window',
      () => ['train', '--out', out, '--epochs', '1', '--corpus', writeFile('short.txt', 'a short text')],
      /too short/,
    ],
    ['no stopping rule', () => ['train', '--out', out], /--epochs N, --time-limit DURATION or --max-chars N/],
    ['a missing model', () => ['generate', '--model', join(dir, 'none')], /no model there/],
  ];
  function writeFile(name: string, content: string | Buffer): string {
    const file = join(dir, name);
    writeFileSync(file, content);
    return file;
  }
  for (const [what, args, pattern] of cases) {
    it(what, async () => {
      const { code, stderr } = await run(args());
      assert.notEqual(code, 0);
      assert.equal(stderr.join('').trim().split('\n').length, 1, `one line: ${stderr.join('')}`);
      assert.match(stderr.join(''), /^novolstm: /);
      assert.match(stderr.join(''), pattern);
    });
  }
  it('a model directory of another format version', async () => {
    const corpus = writeCorpus(dir, SMALL_TEXT);
    const model = join(dir, 'model');
    await trainLanguageModel(config(corpus, model, { epochs: 1 }), quiet());
    const file = join(model, 'model.json');
    const json = JSON.parse(readFileSync(file, 'utf8'));
    json.metadata.formatVersion = 99;
    writeFileSync(file, JSON.stringify(json));
    const { code, stderr } = await run(['generate', '--model', model]);
    assert.equal(code, 1);
    assert.match(
      stderr.join(''),
      /another version of the language-model format — expected version 1, got version 99/,
    );
  });
});
