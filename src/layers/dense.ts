/**
 * Dense: z = x·W + b, then an activation, on the last axis (so on every step of a sequence too; a mask
 * passes through unchanged). Weights (Keras layout): kernel [D, units], bias [units].
 * Initial values as Keras: kernel Glorot-uniform, bias zero.
 */
import { ShapeError } from '../errors.js';
import { glorotUniform } from '../initializers.js';
import {
  ACTIVATIONS,
  activationBackward,
  activationForward,
  type Activation,
} from '../kernels/reference/activations.js';
import type { WeightSpec } from '../kernels/contract.js';
import { denseBackwardOn, denseForwardOn } from './denseKernels.js';
import type { Random } from '../random.js';
import {
  Layer,
  type Batch,
  type ForwardContext,
  type LayerConfig,
  type LayerStep,
  type Shape,
} from './layer.js';
import {
  checkOptionKeys,
  optionalBoolean,
  optionalChoice,
  optionalName,
  optionalShape,
  positiveInt,
} from './options.js';

export interface DenseOptions {
  readonly units: number;
  /** 'linear' (default), 'relu', 'sigmoid', 'tanh' or 'softmax'. */
  readonly activation?: Activation;
  readonly useBias?: boolean;
  readonly name?: string;
  readonly inputShape?: Shape;
}

/** What a forward pass keeps for backward. */
interface DenseSaved {
  /** The input, by reference. [R, D] */
  readonly x: Float32Array;
  /** After the activation. [R, units] */
  readonly y: Float32Array;
  readonly R: number;
}

export class Dense extends Layer {
  readonly className = 'Dense';
  readonly units: number;
  readonly activation: Activation;
  readonly useBias: boolean;
  private inputDim = 0;

  constructor(options: DenseOptions) {
    const label = 'dense';
    const o = checkOptionKeys(
      label,
      options,
      ['units', 'activation', 'useBias', 'name', 'inputShape'],
      ['kernelInitializer', 'biasInitializer', 'kernelRegularizer', 'biasRegularizer', 'activityRegularizer'],
    );
    super(optionalName(label, o.name), optionalShape(label, o.inputShape));
    this.units = positiveInt(label, 'units', o.units);
    this.activation = optionalChoice(label, 'activation', o.activation, ACTIVATIONS, 'linear');
    this.useBias = optionalBoolean(label, 'useBias', o.useBias, true);
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
    this.inputDim = D;
    return [...inputShape.slice(0, -1), this.units];
  }

  weightSpecs(): readonly WeightSpec[] {
    const specs: WeightSpec[] = [{ name: 'kernel', shape: [this.inputDim, this.units] }];
    if (this.useBias) specs.push({ name: 'bias', shape: [this.units] });
    return specs;
  }

  initialize(rng: Random): void {
    glorotUniform(this.params.kernel, this.inputDim, this.units, rng);
    if (this.useBias) this.params.bias.fill(0);
  }

  forward(input: Batch, _ctx: ForwardContext): LayerStep {
    const { x, R } = this.checkInput(input);
    const U = this.units;
    const y = new Float32Array(R * U); // [R, units]
    denseForwardOn(y, x, this.params.kernel, this.useBias ? this.params.bias : null, R, this.inputDim, U);
    activationForward(y, y, this.activation, R, U);
    const saved: DenseSaved = { x, y, R };
    return {
      output: { data: y, shape: [...input.shape.slice(0, -1), U], mask: input.mask },
      backward: (dy) => this.backward(dy, saved, true),
    };
  }

  /**
   * The pre-activation z = x·W + b, for a loss fused with this layer's softmax or sigmoid; its backward
   * takes dz.
   */
  forwardLogits(input: Batch): LayerStep {
    const { x, R } = this.checkInput(input);
    const U = this.units;
    const z = new Float32Array(R * U); // [R, units]
    denseForwardOn(z, x, this.params.kernel, this.useBias ? this.params.bias : null, R, this.inputDim, U);
    const saved: DenseSaved = { x, y: z, R };
    return {
      output: { data: z, shape: [...input.shape.slice(0, -1), U], mask: input.mask },
      backward: (dz) => this.backward(dz, saved, false),
    };
  }

  private backward(dy: Float32Array, saved: DenseSaved, throughActivation: boolean): Float32Array {
    const { x, y, R } = saved;
    const U = this.units;
    const dz = throughActivation
      ? activationBackward(new Float32Array(R * U), dy, y, this.activation, R, U)
      : dy;
    const dx = new Float32Array(R * this.inputDim); // [R, D]
    denseBackwardOn(
      dx,
      this.grads.kernel,
      this.useBias ? this.grads.bias : null,
      dz,
      x,
      this.params.kernel,
      R,
      this.inputDim,
      U,
    );
    return dx;
  }

  private checkInput(input: Batch): { x: Float32Array; R: number } {
    const D = input.shape[input.shape.length - 1];
    if (!(input.data instanceof Float32Array) || input.shape.length < 2 || D !== this.inputDim) {
      throw new ShapeError(
        this.label,
        'input has the wrong number of features',
        `[batch, …, ${this.inputDim}] float32`,
        `[${input.shape.join(', ')}] ${input.data.constructor.name}`,
      );
    }
    return { x: input.data, R: input.data.length / D };
  }

  getConfig(): LayerConfig {
    return { units: this.units, activation: this.activation, useBias: this.useBias };
  }
}
