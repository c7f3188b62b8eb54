/**
 * The character-level language model of seed 004, as a Keras-style model:
 *   Embedding(V, E) → [NovoLSTM | LSTM | GRU](units, returnSequences, stateful) × layers → Dense(V, softmax)
 * trained with sparse categorical cross-entropy at every position. Stateful layers carry the hidden state
 * from one window of text to the next (truncated backpropagation through time).
 *
 * The configuration and the vocabulary travel in the saved model's metadata, so `generate`, `eval` and
 * `info` need nothing but the model directory.
 */
import { ConfigError, ValueError } from '../errors.js';
import { CharVocabulary } from '../data/text/charVocabulary.js';
import { CELL_KINDS, type CellKind } from '../kernels/contract.js';
import * as layers from '../layers/index.js';
import type { Layer } from '../layers/layer.js';
import { cloneModel } from '../models/clone.js';
import { sequential, type Sequential } from '../models/sequential.js';
import { checkTrainingRecord } from './trainingRecord.js';

export const LM_FORMAT = 'novolstm-char-lm';
export const LM_FORMAT_VERSION = 1;
/** The cells a language model can have, spelled as everywhere (kernels/contract.ts): the CLI's --cell. */
export const LM_CELLS = CELL_KINDS;
export type LmCell = CellKind;

export interface LanguageModelConfig {
  readonly cell: LmCell;
  readonly units: number;
  readonly layers: number;
  readonly embeddingDim: number;
  /** Input dropout of every recurrent layer (variational), in training only. */
  readonly dropout: number;
  /** The characters, in id order. */
  readonly vocabulary: readonly string[];
}

function recurrentLayer(config: LanguageModelConfig): Layer {
  const options = { units: config.units, returnSequences: true, stateful: true, dropout: config.dropout };
  return new layers.Recurrent(config.cell, options);
}

/**
 * A fresh, built model for batches of any number of rows and windows of any length. With
 * `initialize: false` the weights are left zero, for a caller that writes them all (see Sequential).
 */
export function buildLanguageModel(
  config: LanguageModelConfig,
  seed: number,
  options: { readonly initialize?: boolean } = {},
): Sequential {
  if (!LM_CELLS.includes(config.cell)) {
    throw new ConfigError('language model', 'unknown cell', LM_CELLS.join(', '), config.cell);
  }
  checkSizes(config, (field, expected, actual) => new ConfigError('language model', field, expected, actual));
  const V = CharVocabulary.fromJSON(config.vocabulary).size;
  const model = sequential({
    seed,
    initialize: options.initialize ?? true,
    layers: [
      layers.embedding({ inputDim: V, outputDim: config.embeddingDim, inputShape: [null] }),
      ...Array.from({ length: config.layers }, () => recurrentLayer(config)),
      layers.dense({ units: V, activation: 'softmax' }),
    ],
  });
  model.metadata = {
    format: LM_FORMAT,
    formatVersion: LM_FORMAT_VERSION,
    lm: { ...config, vocabulary: [...config.vocabulary] },
  };
  return model;
}

/**
 * Another model of the same architecture holding the same weights — e.g. with one row for generation
 * while training runs with 64. Its carried states start empty. The layers are rebuilt from their own
 * configs, not from `buildLanguageModel`'s options: a model saved when a default was different copies to
 * what it is.
 */
export function cloneLanguageModel(model: Sequential): Sequential {
  languageModelConfig(model); // a model that is not a language model is refused here, as before
  const copy = cloneModel(model);
  // Compiled for its loss only (evaluate and predict); the copy is never trained.
  copy.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
  return copy;
}

/** Reads and checks the configuration a language model carries in its metadata. */
export function languageModelConfig(model: Sequential): LanguageModelConfig {
  const meta = model.metadata as Record<string, unknown>;
  if (meta.format !== LM_FORMAT) {
    throw new ValueError(
      'model',
      'is not a character language model',
      LM_FORMAT,
      String(meta.format ?? 'no format'),
    );
  }
  if (meta.formatVersion !== LM_FORMAT_VERSION) {
    throw new ValueError(
      'model',
      'was written by another version of the language-model format',
      `version ${LM_FORMAT_VERSION}`,
      `version ${String(meta.formatVersion)}`,
    );
  }
  const lm = meta.lm as Record<string, unknown>;
  if (typeof lm !== 'object' || lm === null || Array.isArray(lm))
    throw new ValueError('model', 'metadata.lm is missing', 'an object', lm === null ? 'null' : typeof lm);
  const vocabulary = CharVocabulary.fromJSON(lm.vocabulary).toJSON();
  const config: LanguageModelConfig = {
    cell: lm.cell as LmCell,
    units: lm.units as number,
    layers: lm.layers as number,
    embeddingDim: lm.embeddingDim as number,
    dropout: lm.dropout as number,
    vocabulary,
  };
  checkAgainstLayers(config, model);
  if (meta.training !== undefined)
    checkTrainingRecord(
      meta.training,
      model.layers.filter((l) => l instanceof layers.Recurrent).map((l) => (l as layers.Recurrent).units),
    );
  return config;
}

/** units, layers and embeddingDim are positive integers, dropout a rate; `error` names the field. */
function checkSizes(
  config: LanguageModelConfig,
  error: (problem: string, expected: string, actual: unknown) => Error,
): void {
  for (const key of ['units', 'layers', 'embeddingDim'] as const) {
    if (!Number.isInteger(config[key]) || config[key] < 1)
      throw error(`${key} must be a positive integer`, '≥ 1', config[key]);
  }
  if (!(config.dropout >= 0 && config.dropout < 1))
    throw error('dropout must be in [0, 1)', '[0, 1)', config.dropout);
}

/**
 * The metadata must describe the layers the model has: a vocabulary longer than the embedding reads past
 * its table, a shorter one makes generation sample from part of the output. Checked when a model is read,
 * so a mismatched file is refused before it trains, scores or samples anything.
 */
function checkAgainstLayers(config: LanguageModelConfig, model: Sequential): void {
  const V = config.vocabulary.length;
  if (!LM_CELLS.includes(config.cell))
    throw new ValueError('model', 'metadata.lm.cell is not a cell', LM_CELLS.join(', '), String(config.cell));
  checkSizes(
    config,
    (field, expected, actual) => new ValueError('model', `metadata.lm.${field}`, expected, actual),
  );
  const [embedding, ...rest] = model.layers;
  const output = rest.pop();
  const mismatch = (what: string, expected: unknown, actual: unknown) =>
    new ValueError('model', `metadata.lm disagrees with the layers: ${what}`, expected, actual);
  if (!(embedding instanceof layers.Embedding) || !(output instanceof layers.Dense))
    throw mismatch(
      'the layers are not Embedding, recurrent layers, Dense',
      'Embedding … Dense',
      model.layers.map((l) => l.className).join(', '),
    );
  if (embedding.inputDim !== V)
    throw mismatch(`the vocabulary has ${V} characters, the embedding's inputDim`, V, embedding.inputDim);
  if (embedding.outputDim !== config.embeddingDim)
    throw mismatch('embeddingDim, the embedding outputDim', config.embeddingDim, embedding.outputDim);
  if (output.units !== V)
    throw mismatch(`the vocabulary has ${V} characters, the output layer's units`, V, output.units);
  if (rest.length !== config.layers || !rest.every((l) => l instanceof layers.Recurrent))
    throw mismatch('layers, the recurrent layers', config.layers, rest.map((l) => l.className).join(', '));
  for (const layer of rest as layers.Recurrent[]) {
    if (layer.spec.kind !== config.cell)
      throw mismatch(`cell, layer '${layer.name}'`, config.cell, layer.spec.kind);
    if (layer.units !== config.units)
      throw mismatch(`units, layer '${layer.name}'`, config.units, layer.units);
  }
}
