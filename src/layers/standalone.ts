/**
 * A layer used on its own, outside any model (`layer.apply(x)`): built from the first input's shape, with
 * weights of its own in the same flat layout a model would give it.
 */
import { ConfigError } from '../errors.js';
import { Random } from '../random.js';
import type { Layer, Shape } from './layer.js';
import { allocateParameters } from './parameters.js';

/** Layers whose weights came from buildStandalone; a model refuses them rather than drop their weights. */
export const standaloneLayers = new WeakSet<Layer>();

export function buildStandalone(layer: Layer, inputShape: Shape, seed: number): void {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new ConfigError(
      `${layer.label}.apply`,
      'seed must be an integer in [0, 2³²)',
      'an unsigned 32-bit integer',
      seed,
    );
  }
  if (!layer.name) layer.name = layer.className.toLowerCase();
  layer.build(inputShape);
  allocateParameters([layer]);
  layer.initialize(new Random(seed));
  standaloneLayers.add(layer);
}
