/**
 * The layer factories users call (`nl.layers.dense({...})`) and the registry that rebuilds a layer from
 * its saved class name and config. The registry is a fixed map: loading a model can only ever construct
 * these classes.
 */
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
} from './recurrent.js';

export function embedding(options: EmbeddingOptions): Embedding {
  return new Embedding(options);
}

export function lstm(options: LstmLayerOptions): Recurrent {
  return new Recurrent('LSTM', options);
}

export function novoLSTM(options: NovoLstmLayerOptions): Recurrent {
  return new Recurrent('NovoLSTM', options);
}

export function gru(options: GruLayerOptions): Recurrent {
  return new Recurrent('GRU', options);
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

export { rnn, lstmCell, novoLSTMCell, gruCell, type CellSpec, type RnnOptions } from './rnn.js';

const REGISTRY: Readonly<Record<string, (options: never) => Layer>> = Object.freeze({
  Embedding: embedding,
  LSTM: lstm,
  NovoLSTM: novoLSTM,
  GRU: gru,
  Dense: dense,
  Dropout: dropout,
  LayerNormalization: layerNormalization,
  Masking: masking,
  Bidirectional: bidirectional,
});

/** A new layer of a registered class; the constructor checks every option strictly. */
export function layerFromConfig(className: unknown, options: object): Layer {
  if (typeof className !== 'string' || !Object.hasOwn(REGISTRY, className)) {
    throw new ConfigError(
      'loadModel',
      'unknown layer class',
      Object.keys(REGISTRY).join(', '),
      String(className),
    );
  }
  return REGISTRY[className](options as never);
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
};
