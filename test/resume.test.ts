/**
 * `novolstm train --resume`: a flag that conflicts with the checkpoint (the model's shape, its seed and
 * clipping, the data layout, the corpus or validation text by SHA-256) is one line naming the flag, the
 * checkpoint's value and the given value, and the checkpoint is left as it was; the flags a resume may
 * change (--lr, --epochs, --time-limit, --max-chars, --workers) are applied and printed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { runCliInProcess as run } from './cliInProcess.js';
import { ValueError } from '../src/errors.js';
import { loadModel } from '../src/io/load.js';
import { trainLanguageModel } from '../src/lm/trainer.js';

function text(length: number, shift: number): string {
  const words = 'it was the best of times it was the worst of times the age of wisdom'.split(' ');
  let s = '';
  for (let i = 0; s.length < length; i++) s += words[(i * 3 + shift + (i >> 2)) % words.length] + ' ';
  return s;
}

/** Every file of a directory, name → contents. */
function snapshot(dir: string): Map<string, string> {
  return new Map(readdirSync(dir).map((name) => [name, readFileSync(join(dir, name), 'latin1')]));
}

describe('train --resume', () => {
  const dir = mkdtempSync(join(tmpdir(), 'novolstm-resume-'));
  const file = (name: string, content: string) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };
  const corpus = file('corpus.txt', text(3000, 0));
  const validation = file('validation.txt', text(400, 5));
  const otherCorpus = file('other-corpus.txt', text(3000, 1));
  const otherValidation = file('other-validation.txt', text(400, 6));
  const out = join(dir, 'model');
  // The checkpoint's settings, each unlike its default, so that a flag left out is not mistaken for one typed.
  const settings = {
    '--cell': 'lstm',
    '--units': '7',
    '--layers': '1',
    '--embedding': '5',
    '--dropout': '0.15',
    '--clip-norm': '2',
    '--seed': '5',
    '--seq-len': '13',
    '--batch': '3',
  };
  const flags = (values: Record<string, string>) => Object.entries(values).flat();
  const texts = ['--corpus', corpus, '--val', validation];
  let checkpoint: Map<string, string>;

  before(async () => {
    const first = await run([
      ...['train', '--out', out, ...texts, ...flags(settings)],
      ...['--lr', '0.01', '--epochs', '1', '--workers', '1'],
    ]);
    assert.equal(first.code, 0, first.stderr);
    checkpoint = snapshot(out);
  });

  const conflicts: [flag: string, given: string, checkpoint: string][] = [
    ['--cell', 'gru', 'lstm'],
    ['--units', '9', '7'],
    ['--layers', '2', '1'],
    ['--embedding', '6', '5'],
    ['--dropout', '0.2', '0.15'],
    ['--clip-norm', '3', '2'],
    ['--seed', '6', '5'],
    ['--seq-len', '11', '13'],
    ['--batch', '5', '3'],
  ];
  for (const [flag, given, saved] of conflicts) {
    it(`${flag} ${given} against the checkpoint's ${saved}: one line naming both, nothing written`, async () => {
      const { code, stderr } = await run([
        ...['train', '--out', out, '--resume', '--epochs', '2', ...texts],
        ...[flag, given],
      ]);
      assert.equal(code, 1);
      assert.equal(stderr.trim().split('\n').length, 1, stderr);
      assert.match(
        stderr,
        new RegExp(`^novolstm: ${flag}: differs from the checkpoint .* expected ${saved}, got ${given}\n$`),
      );
      assert.deepEqual(snapshot(out), checkpoint);
    });
  }

  const textConflicts: [what: string, args: string[], pattern: RegExp][] = [
    [
      'another corpus',
      ['--corpus', otherCorpus, '--val', validation],
      /^novolstm: --corpus: differs .* expected .*corpus\.txt \(SHA-256 [0-9a-f]{12}…\), got .*other-corpus\.txt \(SHA-256 [0-9a-f]{12}…\)\n$/,
    ],
    [
      'another validation file',
      ['--corpus', corpus, '--val', otherValidation],
      /^novolstm: --val: differs .* expected .*\/validation\.txt \(SHA-256 [0-9a-f]{12}…\), got .*other-validation\.txt \(SHA-256 [0-9a-f]{12}…\)\n$/,
    ],
    [
      'no validation file',
      ['--corpus', corpus],
      /^novolstm: --val: differs .* expected .*\/validation\.txt \(SHA-256 [0-9a-f]{12}…\), got no --val \(the end of the corpus held out\)\n$/,
    ],
  ];
  for (const [what, args, pattern] of textConflicts) {
    it(`${what}: one line naming the flag and both files`, async () => {
      const { code, stderr } = await run(['train', '--out', out, '--resume', '--epochs', '2', ...args]);
      assert.equal(code, 1);
      assert.match(stderr, pattern);
      assert.deepEqual(snapshot(out), checkpoint);
    });
  }

  it('the library, given no list of settings asked for, checks every one of them', async () => {
    const config = {
      corpus,
      validationFile: validation,
      cell: 'lstm' as const,
      units: 7,
      layers: 1,
      embeddingDim: 5,
      dropout: 0.15,
      seqLen: 13,
      batch: 3,
      learningRate: 0.01,
      clipNorm: 2,
      epochs: 2,
      timeLimitSeconds: null,
      seed: 5,
      out,
      resume: true,
    };
    const hooks = {
      log: () => undefined,
      progress: { isTTY: false, write: () => true },
      stopRequested: () => true,
    };
    await assert.rejects(
      trainLanguageModel({ ...config, seqLen: 12 }, hooks),
      (e: unknown) => e instanceof ValueError && /^--seq-len: .* expected 13, got 12$/.test(e.message),
    );
    assert.deepEqual(snapshot(out), checkpoint);
  });

  it('the same settings typed again are accepted; --lr, --epochs, --time-limit and --workers are applied and printed', async () => {
    const resumed = await run([
      ...['train', '--out', out, '--resume', ...texts, ...flags(settings)],
      ...['--lr', '0.003', '--epochs', '2', '--time-limit', '1h', '--workers', '2'],
    ]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(
      resumed.stdout,
      /resuming .* at epoch 2, window 0 with --lr 0\.003, --epochs 2, --time-limit 3600s, --max-chars no limit, --workers 2/,
    );
    const model = await loadModel(out);
    assert.equal(model.compiled?.optimizer.learningRate, 0.003);
    assert.equal((model.metadata.training as { epoch: number }).epoch, 2);

    // A time limit given on a resume ends this run (here at once: a thousand epochs would take minutes).
    const limited = await run([
      ...['train', '--out', out, '--resume', ...texts],
      ...['--epochs', '1000', '--time-limit', '0.001s'],
    ]);
    assert.equal(limited.code, 0, limited.stderr);
    assert.match(limited.stdout, /--lr 0\.003, --epochs 1000, --time-limit 0\.001s/);
    assert.match(limited.stdout, /time limit reached/);
  });
});
