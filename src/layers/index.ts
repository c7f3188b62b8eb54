/**
 * The layer factories users call (`nl.layers.dense({...})`) and the registry that rebuilds a layer from
 * its saved class name and config. The registry is a fixed map: loading a model can only ever construct
 * these classes.
 */
import { CELL_CLASS_NAMES } from '../cells.js';
import { ConfigError } from '../errors.js';
import { Bidirectional, type BidirectionalOptions } from './bidirectional.js';
import { Dense, type DenseOptions } from './dense.js';
import { Dropout, type DropoutOptions } from './dropout.js';
import { Embedding, type EmbeddingOptions } from './embedding.js';
import type { Layer } from './layer.js';
import { Masking, type MaskingOptions } from './masking.js';
import { LayerNormalization, type LayerNormalizationOptions } from './normalization.js';
import {
  Recurrent,
  type GruLayerOptions,
  type LstmLayerOptions,
  type NovoLstmLayerOptions,
  type UncheckedOptions,
} from './recurrent.js';

export function embedding(options: EmbeddingOptions): Embedding {
  return new Embedding(options);
}

export function lstm(options: LstmLayerOptions): Recurrent {
  return new Recurrent('lstm', options);
}

export function novoLSTM(options: NovoLstmLayerOptions): Recurrent {
  return new Recurrent('novolstm', options);
}

export function gru(options: GruLayerOptions): Recurrent {
  return new Recurrent('gru', options);
}

export function dense(options: DenseOptions): Dense {
  return new Dense(options);
}

export function dropout(options: DropoutOptions): Dropout {
  return new Dropout(options);
}

export function layerNormalization(options: LayerNormalizationOptions = {}): LayerNormalization {
  return new LayerNormalization(options);
}

export function masking(options: MaskingOptions = {}): Masking {
  return new Masking(options);
}

export function bidirectional(options: BidirectionalOptions): Bidirectional {
  return new Bidirectional(options);
}

export {
  rnn,
  lstmCell,
  novoLSTMCell,
  gruCell,
  type RnnCellSpec,
  type RnnCellSpec as CellSpec,
  type RnnOptions,
} from './rnn.js';

/**
 * A factory taking options read from a file. Their types are not known here, and need not be: every
 * constructor checks each option it is given and rejects what it does not know (options.ts), for a file's
 * options as for a user's.
 */
function fromFile<Options extends object>(
  factory: (options: Options) => Layer,
): (options: UncheckedOptions) => Layer {
  return factory as (options: UncheckedOptions) => Layer;
}

const REGISTRY: Readonly<Record<string, (options: UncheckedOptions) => Layer>> = Object.freeze({
  Embedding: fromFile(embedding),
  [CELL_CLASS_NAMES.lstm]: (o) => new Recurrent('lstm', o),
  [CELL_CLASS_NAMES.novolstm]: (o) => new Recurrent('novolstm', o),
  [CELL_CLASS_NAMES.gru]: (o) => new Recurrent('gru', o),
  Dense: fromFile(dense),
  Dropout: fromFile(dropout),
  LayerNormalization: fromFile(layerNormalization),
  Masking: fromFile(masking),
  Bidirectional: fromFile(bidirectional),
});

/** A new layer of a registered class; the constructor checks every option strictly. */
export function layerFromConfig(className: unknown, options: UncheckedOptions): Layer {
  if (typeof className !== 'string' || !Object.hasOwn(REGISTRY, className)) {
    throw new ConfigError(
      'loadModel',
      'unknown layer class',
      Object.keys(REGISTRY).join(', '),
      String(className),
    );
  }
  return REGISTRY[className](options);
}

export { Bidirectional, Dense, Dropout, Embedding, LayerNormalization, Masking, Recurrent };
export type {
  BidirectionalOptions,
  DenseOptions,
  DropoutOptions,
  EmbeddingOptions,
  GruLayerOptions,
  LstmLayerOptions,
  NovoLstmLayerOptions,
  LayerNormalizationOptions,
  MaskingOptions,
  UncheckedOptions,
};
export type { CellOptions, RecurrentOptions } from './recurrent.js';
export type {
  CommonCellLayerOptions,
  GruCellLayerOptions,
  LstmCellLayerOptions,
  NovoLstmCellLayerOptions,
} from './rnn.js';
