/**
 * A copy of a built model holding a copy of its weights. The architecture is rebuilt from each layer's own
 * config (class, name, `getConfig()`), as loading a save does, never from today's defaults: a model made
 * when a default was different (NovoLSTM's `inputGateGain`, GRU's `resetAfter`, …) copies to what it is.
 */
import { ConfigError } from '../errors.js';
import { layerFromConfig } from '../layers/index.js';
import type { LayerConfig } from '../layers/layer.js';
import { Sequential } from './sequential.js';

/**
 * The copy has the model's name, seed, metadata (deep-copied), weights and frozen layers. It is not
 * compiled, its stateful layers carry no state yet, and its training random stream starts from the seed.
 * `editConfig` may change each layer's config on the way (an export writing stateful layers as stateless
 * does); it must leave the weights' shapes as they are.
 */
export function cloneModel(
  model: Sequential,
  editConfig: (config: LayerConfig) => LayerConfig = (config) => config,
  subject = 'cloneModel',
): Sequential {
  if (!model.isBuilt) {
    throw new ConfigError(subject, `model '${model.name}' is not built`, 'a built model', 'no weights');
  }
  const layers = model.layers.map((layer, i) => {
    const copy = layerFromConfig(layer.className, {
      ...editConfig(layer.getConfig()),
      name: layer.name,
      ...(i === 0 ? { inputShape: model.inputShape } : {}),
    });
    copy.trainable = layer.trainable;
    return copy;
  });
  // Every weight is copied below: drawing initial ones first would be wasted work.
  const copy = new Sequential({ layers, name: model.name, seed: model.seed, initialize: false });
  copy.values.set(model.values);
  copy.markWeightsChanged();
  copy.metadata = structuredClone(model.metadata);
  return copy;
}
