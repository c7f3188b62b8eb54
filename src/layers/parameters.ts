/**
 * The model's parameters and gradients: one flat Float32Array each, [N], with every layer's weights as
 * named views into them (`layer.params.kernel` is a subarray). The optimizer updates the flat array in one
 * loop, and a checkpoint writes it as one blob.
 */
import type { Params } from '../kernels/contract.js';
import type { Layer } from './layer.js';

/** Where one weight lives in the flat arrays. */
export interface ParameterEntry {
  /** `layerName/weightName`, e.g. 'lstm/kernel'. */
  readonly name: string;
  readonly shape: readonly number[];
  readonly offset: number;
  readonly size: number;
}

/** A value that is not finite (NaN, ±Infinity) and the weight holding it. */
export interface NonFiniteValue {
  readonly entry: ParameterEntry;
  /** Row-major index inside the weight. */
  readonly index: number;
  readonly value: number;
}

/**
 * The first value of `values` that is not finite, or null when all are. `values` is laid out as `entries`
 * say (the weights, or one optimizer moment view of the same layout).
 */
export function firstNonFinite(
  values: Readonly<Float32Array>,
  entries: readonly ParameterEntry[],
): NonFiniteValue | null {
  for (let i = 0; i < values.length; i++) {
    if (Number.isFinite(values[i])) continue;
    const entry = entries.find((e) => i >= e.offset && i < e.offset + e.size);
    if (entry) return { entry, index: i - entry.offset, value: values[i] };
  }
  return null;
}

export interface ParameterStore {
  /** [N] every weight of every layer, in layer order, each weight row-major in its Keras shape. */
  readonly values: Float32Array;
  /** [N] gradients, same layout. */
  readonly grads: Float32Array;
  readonly entries: readonly ParameterEntry[];
}

/** Allocates the flat arrays for built layers and binds each layer's views. Values start at zero. */
export function allocateParameters(layers: readonly Layer[]): ParameterStore {
  const entries: ParameterEntry[] = [];
  let offset = 0;
  for (const layer of layers) {
    for (const spec of layer.weightSpecs()) {
      const size = spec.shape.reduce((a, b) => a * b, 1);
      entries.push({ name: `${layer.name}/${spec.name}`, shape: [...spec.shape], offset, size });
      offset += size;
    }
  }
  const values = new Float32Array(offset);
  const grads = new Float32Array(offset);
  let k = 0;
  for (const layer of layers) {
    const p: Params = {};
    const g: Params = {};
    for (const spec of layer.weightSpecs()) {
      const e = entries[k++];
      p[spec.name] = values.subarray(e.offset, e.offset + e.size);
      g[spec.name] = grads.subarray(e.offset, e.offset + e.size);
    }
    layer.bind(p, g);
  }
  return { values, grads, entries };
}
