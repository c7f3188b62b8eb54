/**
 * Dropout: in training, each element is zeroed with probability `rate` and the rest scaled by
 * 1/(1 − rate) (inverted dropout, as Keras); at inference the identity. No weights; a mask passes through.
 */
import type { WeightSpec } from '../kernels/contract.js';
import { dropoutBackward, dropoutForward } from '../kernels/reference/dropout.js';
import type { Random } from '../random.js';
import {
  Layer,
  type Batch,
  type ForwardContext,
  type LayerConfig,
  type LayerStep,
  type Shape,
} from './layer.js';
import { checkOptionKeys, optionalName, optionalRate, optionalShape } from './options.js';
import { ShapeError } from '../errors.js';

export interface DropoutOptions {
  readonly rate: number;
  readonly name?: string;
  readonly inputShape?: Shape;
}

/** keep [n]: 0 with probability rate, else 1/(1 − rate); drawn from the model's training generator. */
export function drawKeep(keep: Float32Array, rate: number, rng: Random): Float32Array {
  const scale = 1 / (1 - rate);
  for (let i = 0; i < keep.length; i++) keep[i] = rng.uniform() < rate ? 0 : scale;
  return keep;
}

export class Dropout extends Layer {
  readonly className = 'Dropout';
  readonly rate: number;

  constructor(options: DropoutOptions) {
    const label = 'dropout';
    const o = checkOptionKeys(label, options, ['rate', 'name', 'inputShape'], ['noiseShape', 'seed']);
    super(optionalName(label, o.name), optionalShape(label, o.inputShape));
    if (o.rate === undefined) optionalRate(label, 'rate', NaN); // rate is required: report it as invalid
    this.rate = optionalRate(label, 'rate', o.rate);
  }

  protected computeOutputShape(inputShape: Shape): Shape {
    return inputShape;
  }

  weightSpecs(): readonly WeightSpec[] {
    return [];
  }

  initialize(_rng: Random): void {}

  forward(input: Batch, ctx: ForwardContext): LayerStep {
    if (!(input.data instanceof Float32Array)) {
      throw new ShapeError(this.label, 'input must be float32', 'Float32Array', input.data.constructor.name);
    }
    if (!ctx.training || this.rate === 0) return { output: input, backward: (dy) => dy };
    const n = input.data.length;
    const keep = drawKeep(new Float32Array(n), this.rate, ctx.rng); // same shape as the input
    const y = dropoutForward(new Float32Array(n), input.data, keep, n);
    return {
      output: { data: y, shape: input.shape, mask: input.mask },
      backward: (dy) => dropoutBackward(new Float32Array(n), dy, keep, n),
    };
  }

  getConfig(): LayerConfig {
    return { rate: this.rate };
  }
}
