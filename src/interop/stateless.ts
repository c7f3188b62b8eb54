/**
 * The export option `stateless: true`: a copy of a model whose stateful recurrent layers are written as
 * stateless ones, so that every call of the exported model starts from zero state.
 *
 * Why a copy rather than a flag each encoder reads: Keras and TensorFlow.js can only carry a stateful
 * layer with a batch size fixed in the model's input, which a novolstm model does not have (the language
 * model runs 64 rows in training and one in generation). The deployer who accepts starting each call from
 * zeros says so once, and every encoder then sees an ordinary stateless model with the same weights.
 */
import { ConfigError } from '../errors.js';
import { layerFromConfig } from '../layers/index.js';
import type { ConfigValue } from '../layers/layer.js';
import { Sequential } from '../models/sequential.js';

/** The model's layers rebuilt from their configs with `stateful: false` (Bidirectional's inner layer too). */
export function statelessCopy(model: Sequential): Sequential {
  if (!model.isBuilt) {
    throw new ConfigError('exportModel', `model '${model.name}' is not built`, 'a built model', 'no weights');
  }
  const layers = model.layers.map((layer, i) =>
    layerFromConfig(layer.className, {
      ...(withoutState(layer.getConfig()) as Record<string, ConfigValue>),
      name: layer.name,
      ...(i === 0 ? { inputShape: model.inputShape } : {}),
    }),
  );
  // Every weight is copied below: drawing initial ones first would be wasted work.
  const copy = new Sequential({ layers, name: model.name, seed: model.seed, initialize: false });
  copy.values.set(model.values);
  copy.markWeightsChanged();
  copy.metadata = structuredClone(model.metadata);
  return copy;
}

/** A config with every `stateful: true` inside it (a wrapped layer's config included) set to false. */
function withoutState(config: ConfigValue): ConfigValue {
  if (Array.isArray(config)) return config.map(withoutState);
  if (typeof config !== 'object' || config === null) return config;
  return Object.fromEntries(
    Object.entries(config).map(([key, value]) => [key, key === 'stateful' ? false : withoutState(value)]),
  );
}
