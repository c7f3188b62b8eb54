/**
 * The language model trainer's checkpoint and resume policy.
 *
 * A checkpoint is the model's save (weights, optimizer) in the run's directory, with a TrainingState in the
 * model's metadata: the corpus it trained on (by SHA-256), the data position, the carried states and every
 * generator's state — so that a resumed run continues exactly where the stopped one would have. A resume
 * refuses a different corpus; the model, batch and sequence length come from the checkpoint, and the
 * learning rate too unless `overrideLearningRate`. Checkpoints are written atomically (io/save.ts), so a
 * crash keeps the previous one.
 */
// Namespace imports: this module is reachable from the package entry (nl.lm), which browsers load too;
// bundlers stub node: modules there, and only a named import fails at load time.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CharVocabulary } from '../data/text/charVocabulary.js';
import { loadCorpus } from '../data/text/corpus.js';
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
import type { TrainConfig } from './trainConfig.js';

/** What a checkpoint records besides the model and optimizer. */
export interface TrainingState {
  corpus: string;
  corpusSha256: string;
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
  readonly text: string;
  /** The validation file's text; null: hold out the end of `text`. */
  readonly validationText: string | null;
}

const CHECKPOINT_FILE = 'model.json';

/** A new run, or with `config.resume` and a checkpoint in `config.out`, the checkpoint's. */
export async function startOrResume(config: TrainConfig, log: (line: string) => void): Promise<Run> {
  const text = loadCorpus(config.corpus);
  const resuming = config.resume && fs.existsSync(path.join(config.out, CHECKPOINT_FILE));
  if (config.resume && !resuming) log(`no checkpoint in ${config.out}: starting a new run`);
  const validationText = config.validationFile ? loadCorpus(config.validationFile) : null;
  const started = resuming ? await resume(config, text, log) : newRun(config, text, validationText);
  return { ...started, text, validationText };
}

async function resume(
  config: TrainConfig,
  text: string,
  log: (line: string) => void,
): Promise<Omit<Run, 'text' | 'validationText'>> {
  const model = await loadModel(config.out);
  const lm = languageModelConfig(model);
  const vocabulary = CharVocabulary.fromJSON(lm.vocabulary);
  const state = (model.metadata as { training?: TrainingState }).training!;
  if (!state || state.corpusSha256 !== sha256(text)) {
    throw new ValueError(
      'resume',
      `the corpus differs from the one the checkpoint in ${config.out} was trained on`,
      state?.corpus ?? 'a training record',
      config.corpus,
    );
  }
  if (state.seqLen !== config.seqLen || state.batch !== config.batch) {
    log(`continuing with the checkpoint's batch ${state.batch} and sequence length ${state.seqLen}`);
  }
  const optimizer = model.compiled?.optimizer;
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
  log(`resuming ${config.out} at epoch ${state.epoch + 1}, window ${state.window}`);
  return { model, state, vocabulary };
}

function newRun(
  config: TrainConfig,
  text: string,
  validationText: string | null,
): Omit<Run, 'text' | 'validationText'> {
  const vocabulary = CharVocabulary.fromText(text);
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
    corpusSha256: sha256(text),
    validationSha256: sha256(validationText ?? ''),
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
  return { model, state, vocabulary };
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
