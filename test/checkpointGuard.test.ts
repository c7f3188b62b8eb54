/**
 * The language model trainer's divergence guard: a checkpoint is written only from finite weights whose
 * validation loss is finite and not exploded (the last update before a checkpoint is checked by no training
 * loss), and the error says truthfully whether a good checkpoint is kept.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  trainLanguageModel,
  TrainingDivergedError,
  type TrainConfig,
  type TrainHooks,
} from '../src/lm/trainer.js';

/** Asks for a stop after `steps` windows: the stop's checkpoint follows one unchecked update. */
const stopAfter = (steps: number): TrainHooks => {
  let polls = 0;
  return {
    log: () => undefined,
    progress: { isTTY: false, write: () => true },
    stopRequested: () => ++polls > steps,
  };
};

const TEXT = (() => {
  const words = 'call me ishmael some years ago never mind how long precisely having little money'.split(' ');
  let s = '';
  for (let i = 0; s.length < 2500; i++) s += words[(i * 5 + (i >> 2)) % words.length] + ' ';
  return s;
})();

function setUp(): { dir: string; corpus: string } {
  const dir = mkdtempSync(join(tmpdir(), 'novolstm-guard-'));
  const corpus = join(dir, 'corpus.txt');
  writeFileSync(corpus, TEXT);
  return { dir, corpus };
}

function config(corpus: string, out: string, overrides: Partial<TrainConfig> = {}): TrainConfig {
  return {
    corpus,
    cell: 'lstm',
    units: 7,
    layers: 1,
    embeddingDim: 5,
    dropout: 0,
    seqLen: 13,
    batch: 3,
    learningRate: 1e-2,
    clipNorm: 5,
    epochs: 1,
    timeLimitSeconds: null,
    seed: 11,
    out,
    resume: false,
    sampleLength: 8,
    ...overrides,
  };
}

const diverged = (pattern: RegExp) => (e: unknown) => {
  assert.ok(e instanceof TrainingDivergedError, String(e));
  assert.match(e.message, pattern);
  assert.doesNotMatch(e.message, /\n/);
  return true;
};

describe('the divergence guard before every checkpoint', () => {
  it('refuses exploded (finite) weights on a stop: their validation loss explodes; no checkpoint is claimed', async () => {
    const { dir, corpus } = setUp();
    const out = join(dir, 'model');
    // One update at learning rate 1e6 (Adam: every weight moves by about 1e6); the loss of that window was
    // computed before the update, so only the guard sees it.
    await assert.rejects(
      trainLanguageModel(config(corpus, out, { learningRate: 1e6, batch: 1 }), stopAfter(0)),
      diverged(/the validation loss exploded.*no checkpoint was written/),
    );
    assert.equal(existsSync(join(out, 'model.json')), false);
  });

  it('refuses weights that are not finite, naming the first one, and keeps the checkpoint resumed from', async () => {
    const { dir, corpus } = setUp();
    const out = join(dir, 'model');
    await trainLanguageModel(config(corpus, out), stopAfter(Infinity));
    const before = readFileSync(join(out, 'model.json'), 'utf8');
    // 1e39 is beyond float32: the update stores ±Infinity in the weights.
    await assert.rejects(
      trainLanguageModel(
        config(corpus, out, {
          epochs: 2,
          resume: true,
          learningRate: 1e39,
          overrideLearningRate: true,
        }),
        stopAfter(0),
      ),
      diverged(
        /weight 'embedding\/embeddings' \[\d+\] is not finite.*the last good checkpoint in .* is kept/,
      ),
    );
    assert.equal(readFileSync(join(out, 'model.json'), 'utf8'), before);
  });

  it('refuses at the end of an epoch whose last update diverged', async () => {
    const { dir, corpus } = setUp();
    const out = join(dir, 'model');
    // Streams as long as one window (the whole corpus trains; a file validates): the epoch is one update,
    // and its end is the first check.
    const validationFile = join(dir, 'validation.txt');
    writeFileSync(validationFile, TEXT.slice(0, 400));
    const oneWindow = { batch: 3, seqLen: Math.floor((TEXT.length - 1) / 3), validationFile };
    await assert.rejects(
      trainLanguageModel(config(corpus, out, { learningRate: 1e6, ...oneWindow }), stopAfter(Infinity)),
      diverged(/the validation loss (exploded|is not finite) at epoch 1.*no checkpoint was written/),
    );
    assert.equal(existsSync(join(out, 'model.json')), false);
  });

  it('a time limit reached after a diverged update writes no checkpoint either', async () => {
    const { dir, corpus } = setUp();
    const out = join(dir, 'model');
    await assert.rejects(
      trainLanguageModel(
        config(corpus, out, { learningRate: 1e6, batch: 1, epochs: null, timeLimitSeconds: 1e-9 }),
        stopAfter(Infinity),
      ),
      diverged(/the validation loss exploded.*no checkpoint was written/),
    );
    assert.equal(existsSync(join(out, 'model.json')), false);
  });
});
