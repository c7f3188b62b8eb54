/**
 * LayerNormalization over the last axis (Keras' default axis −1): y = γ ⊙ (x − μ)/√(σ² + ε) + β per row,
 * with the forward and backward of `kernels/reference/layerNorm.ts` (the same ones NovoLSTM's gates use).
 * Weights: gamma [D] (initially 1), beta [D] (initially 0). A mask passes through.
 */
import { ConfigError, ShapeError } from '../errors.js';
import type { WeightSpec } from '../kernels/contract.js';
import {
  LAYER_NORM_EPSILON,
  layerNormBackward,
  layerNormForward,
  rows,
} from '../kernels/reference/layerNorm.js';
import type { Random } from '../random.js';
import {
  Layer,
  type Batch,
  type ForwardContext,
  type LayerConfig,
  type LayerStep,
  type Shape,
} from './layer.js';
import { checkOptionKeys, optionalName, optionalShape } from './options.js';

export interface LayerNormalizationOptions {
  /** Only −1 (the last axis) is supported. */
  readonly axis?: -1;
  readonly epsilon?: number;
  readonly name?: string;
  readonly inputShape?: Shape;
}

export class LayerNormalization extends Layer {
  readonly className = 'LayerNormalization';
  readonly epsilon: number;
  private D = 0;

  constructor(options: LayerNormalizationOptions = {}) {
    const label = 'layerNormalization';
    const o = checkOptionKeys(
      label,
      options,
      ['axis', 'epsilon', 'name', 'inputShape'],
      ['center', 'scale', 'betaInitializer', 'gammaInitializer'],
    );
    super(optionalName(label, o.name), optionalShape(label, o.inputShape));
    if (o.axis !== undefined && o.axis !== -1) {
      throw new ConfigError(label, 'only the last axis is supported', -1, String(o.axis));
    }
    const eps = o.epsilon ?? LAYER_NORM_EPSILON;
    if (typeof eps !== 'number' || !(eps > 0) || !Number.isFinite(eps)) {
      throw new ConfigError(label, 'epsilon must be a positive number', '> 0', String(eps));
    }
    this.epsilon = eps;
  }

  protected computeOutputShape(inputShape: Shape): Shape {
    const D = inputShape[inputShape.length - 1];
    if (inputShape.length === 0 || D === null) {
      throw new ShapeError(
        this.label,
        'the last input axis must have a known size',
        'a number',
        JSON.stringify(inputShape),
      );
    }
    this.D = D;
    return inputShape;
  }

  weightSpecs(): readonly WeightSpec[] {
    return [
      { name: 'gamma', shape: [this.D] },
      { name: 'beta', shape: [this.D] },
    ];
  }

  initialize(_rng: Random): void {
    this.params.gamma.fill(1);
    this.params.beta.fill(0);
  }

  forward(input: Batch, _ctx: ForwardContext): LayerStep {
    const D = this.D;
    const x = input.data;
    if (!(x instanceof Float32Array) || input.shape[input.shape.length - 1] !== D) {
      throw new ShapeError(
        this.label,
        'input has the wrong number of features',
        `[batch, …, ${D}] float32`,
        `[${input.shape.join(', ')}]`,
      );
    }
    const R = x.length / D;
    const y = new Float32Array(R * D); // [R, D]
    const xhat = new Float32Array(R * D); // [R, D] saved for backward
    const rstd = new Float32Array(R); // [R]
    const { gamma, beta } = this.params;
    layerNormForward(
      rows(y, 0, D),
      rows(xhat, 0, D),
      rows(rstd, 0, 1),
      rows(x, 0, D),
      rows(gamma, 0, 0),
      rows(beta, 0, 0),
      R,
      D,
      this.epsilon,
    );
    return {
      output: { data: y, shape: input.shape, mask: input.mask },
      backward: (dy) => {
        const dx = new Float32Array(R * D); // [R, D]
        layerNormBackward(
          rows(dx, 0, D),
          rows(this.grads.gamma, 0, 0),
          rows(this.grads.beta, 0, 0),
          rows(dy, 0, D),
          rows(xhat, 0, D),
          rows(rstd, 0, 1),
          rows(gamma, 0, 0),
          R,
          D,
        );
        return dx;
      },
    };
  }

  getConfig(): LayerConfig {
    return { epsilon: this.epsilon };
  }
}
