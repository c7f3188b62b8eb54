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
  const V = config.vocabulary.length;
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
  const vocabulary = CharVocabulary.fromJSON(lm?.vocabulary).toJSON();
  return {
    cell: lm.cell as LmCell,
    units: lm.units as number,
    layers: lm.layers as number,
    embeddingDim: lm.embeddingDim as number,
    dropout: lm.dropout as number,
    vocabulary,
  };
}
