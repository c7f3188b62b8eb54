/**
 * The language model trainer's checkpoint and resume policy.
 *
 * A checkpoint is the model's save (weights, optimizer) in the run's directory, with a TrainingState in the
 * model's metadata: the corpus and validation text it trained on (by SHA-256), the data position, the
 * carried states and every generator's state — so that a resumed run continues exactly where the stopped
 * one would have. A resume refuses different texts, and a checkpoint setting (trainConfig.ts) asked for
 * that differs from the checkpoint's, naming the flag and both values; the learning rate comes from the
 * checkpoint unless `overrideLearningRate`. Epochs, time and character limits and workers are this run's.
 * Checkpoints are written atomically (io/save.ts), so a crash keeps the previous one.
 */
// Namespace imports: this module is reachable from the package entry (nl.lm), which browsers load too;
// bundlers stub node: modules there, and only a named import fails at load time.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CharVocabulary, unknownCharactersError, type TokenIds } from '../data/text/charVocabulary.js';
import {
  corpusVocabularyInterruptibly,
  encodeCorpusInterruptibly,
  type EncodedCorpus,
} from '../data/text/encodeCorpus.js';
import { ValueError } from '../errors.js';
import { loadModel, saveModel } from '../io/index.js';
import { Recurrent } from '../layers/recurrent.js';
import type { ConfigValue } from '../layers/layer.js';
import type { Sequential } from '../models/sequential.js';
import { Random } from '../random.js';
import { tensor } from '../tensor.js';
import { adam } from '../training/optimizers.js';
import type { Trainer } from '../training/trainer.js';
import { buildLanguageModel, languageModelConfig } from './languageModel.js';
import type { StepCurve } from './curve.js';
import type { EpochRecord } from './records.js';
import { CHECKPOINT_SETTINGS, type CheckpointSetting, type TrainConfig } from './trainConfig.js';

/** What a checkpoint records besides the model and optimizer. */
export interface TrainingState {
  corpus: string;
  corpusSha256: string;
  /** The validation file (absent in checkpoints written before it was recorded); null: held out. */
  validation?: string | null;
  validationSha256: string;
  seqLen: number;
  batch: number;
  /** Completed epochs, and the next window of the current one. */
  epoch: number;
  window: number;
  chars: number;
  seconds: number;
  samplerRng: (number | null)[];
  /** Carried states of each recurrent layer ([h] or [h, c], each [batch · units]), as plain arrays (JSON). */
  states: (number[][] | null)[];
  history: EpochRecord[];
  /** Sum of the training loss (nats) and characters in the current epoch so far. */
  epochNats: number;
  epochChars: number;
  /** The learning curve's step points and running sums (curve.ts); absent in older checkpoints. */
  curve?: StepCurve;
}

/** A run about to train: a new model, or the checkpoint's, with the texts it trains and validates on. */
export interface Run {
  readonly model: Sequential;
  readonly state: TrainingState;
  readonly vocabulary: CharVocabulary;
  /** The corpus' ids (read in chunks: data/text/encodeCorpus.ts). */
  readonly ids: TokenIds;
  /**
   * The validation file's ids, its characters outside the vocabulary skipped (the model cannot predict
   * them); null: hold out the end of `ids`.
   */
  readonly validationIds: TokenIds | null;
  /** Whether the run continues the checkpoint in `out`. */
  readonly resumed: boolean;
}

const CHECKPOINT_FILE = 'model.json';

/**
 * A new run, or with `config.resume` and a checkpoint in `config.out`, the checkpoint's. The texts are read
 * a chunk at a time, and `signal` stops the reading between chunks (rejecting with its reason); nothing is
 * written here, so a stop leaves everything as it was.
 */
export async function startOrResume(
  config: TrainConfig,
  log: (line: string) => void,
  signal?: AbortSignal,
): Promise<Run> {
  const resumed = config.resume && fs.existsSync(path.join(config.out, CHECKPOINT_FILE));
  if (config.resume && !resumed) log(`no checkpoint in ${config.out}: starting a new run`);
  announceLongRead([config.corpus, config.validationFile], log);
  const started = resumed ? await resume(config, log, signal) : await newRun(config, signal);
  return { ...started, resumed };
}

/** Reading takes about a second per 30 MB: a run over large texts says why it has not started yet. */
function announceLongRead(
  sources: readonly (string | null | undefined)[],
  log: (line: string) => void,
): void {
  const megabytes = (source: string | null | undefined): number => {
    if (!source || source.startsWith('builtin:')) return 0;
    try {
      return fs.statSync(source).size / 1e6;
    } catch {
      return 0; // the reader names the unreadable file
    }
  };
  const total = sources.reduce((sum, source) => sum + megabytes(source), 0);
  if (total >= 16) log(`reading ${total.toFixed(0)} MB of text…`);
}

async function resume(
  config: TrainConfig,
  log: (line: string) => void,
  signal?: AbortSignal,
): Promise<Omit<Run, 'resumed'>> {
  const model = await loadModel(config.out);
  const lm = languageModelConfig(model);
  const vocabulary = CharVocabulary.fromJSON(lm.vocabulary);
  const state = (model.metadata as { training?: TrainingState }).training;
  if (!state) {
    throw new ValueError(
      '--resume',
      `${config.out} holds a model but no training record`,
      'a checkpoint',
      'none',
    );
  }
  // Unknown characters are skipped here so that a different corpus is reported as one, by its SHA-256.
  const corpus = await encodeCorpusInterruptibly(config.corpus, vocabulary, 'skip', signal);
  const validation = await encodeValidation(config, vocabulary, signal);
  checkSameTexts(config, state, corpus.sha256, validation?.sha256 ?? sha256(''));
  if (corpus.unknown.length > 0) throw unknownCharactersError(config.corpus, corpus.unknown);
  const optimizer = model.compiled?.optimizer;
  const saved: Record<CheckpointSetting, unknown> = {
    ...lm,
    clipNorm: optimizer?.getConfig().clipNorm,
    seed: model.seed,
    seqLen: state.seqLen,
    batch: state.batch,
  };
  const given = config.givenSettings ?? CHECKPOINT_SETTINGS;
  for (const setting of given) {
    if (config[setting] !== saved[setting]) {
      throw new ValueError(
        FLAGS[setting],
        `differs from the checkpoint in ${config.out}, which a resumed run continues with (leave the flag out)`,
        saved[setting],
        config[setting],
      );
    }
  }
  if (state.seqLen !== config.seqLen || state.batch !== config.batch) {
    log(`continuing with the checkpoint's batch ${state.batch} and sequence length ${state.seqLen}`);
  }
  if (optimizer && config.overrideLearningRate && optimizer.learningRate !== config.learningRate) {
    log(`learning rate ${optimizer.learningRate} → ${config.learningRate}`);
    optimizer.learningRate = config.learningRate;
  }
  recurrentLayers(model).forEach((layer, i) => {
    const saved = state.states[i];
    if (!saved) layer.resetStates();
    else
      layer.resetStates(saved.map((values) => tensor(Float32Array.from(values), [state.batch, layer.units])));
  });
  log(
    `resuming ${config.out} at epoch ${state.epoch + 1}, window ${state.window} with ${changeable(config, model)}`,
  );
  return { model, state, vocabulary, ids: corpus.ids, validationIds: validation?.ids ?? null };
}

/** The CLI's flag of each checkpoint setting: the errors name what the user typed. */
const FLAGS: Record<CheckpointSetting, string> = {
  cell: '--cell',
  units: '--units',
  layers: '--layers',
  embeddingDim: '--embedding',
  dropout: '--dropout',
  clipNorm: '--clip-norm',
  seed: '--seed',
  seqLen: '--seq-len',
  batch: '--batch',
};

/** A resumed run trains and validates on the texts of its checkpoint (known by their SHA-256). */
function checkSameTexts(
  config: TrainConfig,
  state: TrainingState,
  corpusSha256: string,
  validationSha256: string,
): void {
  if (state.corpusSha256 !== corpusSha256) {
    throw new ValueError(
      '--corpus',
      `differs from the text the checkpoint in ${config.out} was trained on`,
      `${state.corpus} (SHA-256 ${state.corpusSha256.slice(0, 12)}…)`,
      `${config.corpus} (SHA-256 ${corpusSha256.slice(0, 12)}…)`,
    );
  }
  if (state.validationSha256 !== validationSha256) {
    const heldOut = sha256('');
    const describe = (file: string | null | undefined, digest: string) =>
      digest === heldOut
        ? 'no --val (the end of the corpus held out)'
        : `${file ?? 'a validation file'} (SHA-256 ${digest.slice(0, 12)}…)`;
    throw new ValueError(
      '--val',
      `differs from the validation text of the checkpoint in ${config.out}`,
      describe(state.validation, state.validationSha256),
      describe(config.validationFile, validationSha256),
    );
  }
}

/** What a resumed run may change, as it now stands. */
function changeable(config: TrainConfig, model: Sequential): string {
  const lr = model.compiled?.optimizer.learningRate;
  return [
    `--lr ${typeof lr === 'number' ? lr : 'its schedule'}`,
    `--epochs ${config.epochs ?? 'no limit'}`,
    `--time-limit ${config.timeLimitSeconds === null ? 'none' : `${config.timeLimitSeconds}s`}`,
    `--max-chars ${config.charLimit ?? 'no limit'}`,
    `--workers ${config.workers ?? 1}`,
    `--microbatch-size ${config.microbatchSize ?? 'none'}`,
  ].join(', ');
}

async function newRun(config: TrainConfig, signal?: AbortSignal): Promise<Omit<Run, 'resumed'>> {
  const vocabulary = await corpusVocabularyInterruptibly(config.corpus, signal);
  const corpus = await encodeCorpusInterruptibly(config.corpus, vocabulary, 'error', signal);
  const validation = await encodeValidation(config, vocabulary, signal);
  const model = buildLanguageModel(
    {
      cell: config.cell,
      units: config.units,
      layers: config.layers,
      embeddingDim: config.embeddingDim,
      dropout: config.dropout,
      vocabulary: vocabulary.toJSON(),
    },
    config.seed,
  );
  model.compile({
    optimizer: adam({ learningRate: config.learningRate, clipNorm: config.clipNorm }),
    loss: 'sparseCategoricalCrossentropy',
  });
  const state: TrainingState = {
    corpus: config.corpus,
    corpusSha256: corpus.sha256,
    validation: config.validationFile ?? null,
    validationSha256: validation?.sha256 ?? sha256(''),
    seqLen: config.seqLen,
    batch: config.batch,
    epoch: 0,
    window: 0,
    chars: 0,
    seconds: 0,
    samplerRng: new Random(config.seed ^ 0x5eed).getState(),
    states: [],
    history: [],
    epochNats: 0,
    epochChars: 0,
  };
  return { model, state, vocabulary, ids: corpus.ids, validationIds: validation?.ids ?? null };
}

/** The `--val` file's ids under the training vocabulary, its unknown characters skipped; null without one. */
async function encodeValidation(
  config: TrainConfig,
  vocabulary: CharVocabulary,
  signal?: AbortSignal,
): Promise<EncodedCorpus | null> {
  if (!config.validationFile) return null;
  return encodeCorpusInterruptibly(config.validationFile, vocabulary, 'skip', signal);
}

/**
 * Writes the checkpoint into `dir`: the carried states (fetched from the workers first, if any), the
 * sampler's state and `state` in the model's metadata, then the model.
 */
export async function saveCheckpoint(
  trainer: Trainer,
  state: TrainingState,
  sampler: Random,
  dir: string,
): Promise<void> {
  const { model } = trainer;
  await trainer.syncStates();
  state.samplerRng = sampler.getState();
  state.states = recurrentLayers(model).map(
    (layer) => layer.getStates()?.map((s) => Array.from(s.data)) ?? null,
  );
  model.metadata = { ...model.metadata, training: trainingRecord(state) };
  await saveModel(model, dir);
}

/** The state as the JSON value metadata holds (every field is a number, string, array or plain object). */
function trainingRecord(state: TrainingState): ConfigValue {
  return JSON.parse(JSON.stringify(state)) as ConfigValue;
}

function sha256(text: string): string {
  return crypto.createHash('sha256').update(text).digest('hex');
}

function recurrentLayers(model: Sequential): Recurrent[] {
  return model.layers.filter((l): l is Recurrent => l instanceof Recurrent);
}
