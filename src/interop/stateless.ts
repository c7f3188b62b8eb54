/**
 * The export option `stateless: true`: a copy of a model whose stateful recurrent layers are written as
 * stateless ones, so that every call of the exported model starts from zero state.
 *
 * Why a copy rather than a flag each encoder reads: Keras and TensorFlow.js can only carry a stateful
 * layer with a batch size fixed in the model's input, which a novolstm model does not have (the language
 * model runs 64 rows in training and one in generation). The deployer who accepts starting each call from
 * zeros says so once, and every encoder then sees an ordinary stateless model with the same weights.
 */
import type { ConfigValue, LayerConfig } from '../layers/layer.js';
import { cloneModel } from '../models/clone.js';
import type { Sequential } from '../models/sequential.js';

/** The model's layers rebuilt from their configs with `stateful: false` (Bidirectional's inner layer too). */
export function statelessCopy(model: Sequential): Sequential {
  return cloneModel(model, (config) => withoutState(config) as LayerConfig, 'exportModel');
}
/** A config with every `stateful: true` inside it (a wrapped layer's config included) set to false. */
function withoutState(config: ConfigValue): ConfigValue {
  if (Array.isArray(config)) return config.map(withoutState);
  if (typeof config !== 'object' || config === null) return config;
  return Object.fromEntries(
    Object.entries(config).map(([key, value]) => [key, key === 'stateful' ? false : withoutState(value)]),
  );
}
