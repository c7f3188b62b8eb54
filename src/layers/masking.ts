/**
 * Masking: marks a time step as padding when every feature equals `maskValue` (Keras' Masking). Output
 * [B, T, D] is the input with padding steps zeroed, and a mask [B, T] that the following layers honour.
 */
import { ConfigError, ShapeError } from '../errors.js';
import type { WeightSpec } from '../kernels/contract.js';
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

export interface MaskingOptions {
  /** Default 0. */
  readonly maskValue?: number;
  readonly name?: string;
  readonly inputShape?: Shape;
}

export class Masking extends Layer {
  readonly className = 'Masking';
  readonly maskValue: number;

  constructor(options: MaskingOptions = {}) {
    const label = 'masking';
    const o = checkOptionKeys(label, options, ['maskValue', 'name', 'inputShape']);
    super(optionalName(label, o.name), optionalShape(label, o.inputShape));
    const v = o.maskValue ?? 0;
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new ConfigError(label, 'maskValue must be a finite number', 'a number', String(v));
    this.maskValue = v;
  }

  protected computeOutputShape(inputShape: Shape): Shape {
    if (inputShape.length !== 2 || inputShape[1] === null) {
      throw new ShapeError(
        this.label,
        'input must be a sequence [batch, time, features]',
        '[T, D] per row',
        JSON.stringify(inputShape),
      );
    }
    return inputShape;
  }

  weightSpecs(): readonly WeightSpec[] {
    return [];
  }

  initialize(_rng: Random): void {}

  forward(input: Batch, _ctx: ForwardContext): LayerStep {
    const x = input.data;
    if (!(x instanceof Float32Array) || input.shape.length !== 3) {
      throw new ShapeError(
        this.label,
        'input must be [batch, time, features] float32',
        '[B, T, D]',
        `[${input.shape.join(', ')}]`,
      );
    }
    const [B, T, D] = input.shape;
    const mask = new Uint8Array(B * T); // [B, T]
    const y = new Float32Array(B * T * D); // [B, T, D]
    for (let s = 0; s < B * T; s++) {
      let real = 0;
      for (let d = 0; d < D; d++) if (x[s * D + d] !== this.maskValue) real = 1;
      mask[s] = real;
      if (real) y.set(x.subarray(s * D, (s + 1) * D), s * D);
    }
    return {
      output: { data: y, shape: input.shape, mask },
      backward: (dy) => {
        const dx = new Float32Array(B * T * D); // [B, T, D]: zero at padding steps
        for (let s = 0; s < B * T; s++) if (mask[s]) dx.set(dy.subarray(s * D, (s + 1) * D), s * D);
        return dx;
      },
    };
  }

  getConfig(): LayerConfig {
    return { maskValue: this.maskValue };
  }
}
