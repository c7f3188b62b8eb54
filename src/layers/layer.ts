/**
 * What every layer gives the model: shape inference, its weights (specs, initial values, views into the
 * model's flat parameter and gradient arrays), forward and backward on a batch, and its config for saving.
 *
 * Layout: batch-major, as users pass data: a sequence batch is [B, T, D]. Layers that run time-major
 * kernels (the recurrent ones) convert on the way in and out.
 */
import type { InputRows } from '../engine/steps.js';
import type { Params, WeightSpec } from '../kernels/contract.js';
import { ShapeError, ValueError } from '../errors.js';
import type { Random } from '../random.js';
import { Tensor } from '../tensor.js';

/** A shape without the batch axis; null = any length (the time axis of variable-length sequences). */
export type Shape = readonly (number | null)[];

/** JSON values a config may hold (what save writes and load reads back). */
export type ConfigValue =
  number | string | boolean | null | readonly ConfigValue[] | { readonly [key: string]: ConfigValue };
export type LayerConfig = Readonly<Record<string, ConfigValue>>;

/** An activation flowing between layers. */
export interface Batch {
  /** Float32Array, or Int32Array token ids into an embedding. Row-major in `shape`. */
  readonly data: Float32Array | Int32Array;
  /** [B, …] */
  readonly shape: readonly number[];
  /** [B, T] with 1 = real step, 0 = padding, for sequences that carry a mask; else null. */
  readonly mask: Uint8Array | null;
  /**
   * An embedding's output: `data` [B, T, E] is table[ids] row by row, and the table's gradient view is
   * `gradient`. A recurrent layer that reads this batch as it is hands it to the engine, which then
   * projects the table's rows instead of every row, and adds the table's gradient itself (its backward
   * then returns null: nothing is left for the embedding's). Layers that make a new batch drop it.
   */
  readonly rows?: InputRows;
}

export interface ForwardContext {
  /** Dropout is active only in training. */
  readonly training: boolean;
  /** The model's training generator (dropout masks); every draw comes from it so runs repeat. */
  readonly rng: Random;
  /**
   * Changes whenever the model's weights change (Sequential.weightsVersion): the engine re-reads a layer's
   * weights only when it differs from the last batch's. Absent: read them every time.
   */
  readonly weightsVersion?: number;
  /**
   * false: no backward follows (predict, evaluate, scoring), so a layer may keep nothing for it — the
   * recurrent layers then run the engine's tape-free forward, and the step's `backward` throws. Default
   * true.
   */
  readonly gradient?: boolean;
}

export interface LayerStep {
  readonly output: Batch;
  /**
   * Given the gradient w.r.t. the output (same shape), adds the weight gradients into the layer's
   * gradient views and returns the gradient w.r.t. the input (null for an embedding: ids have none).
   */
  readonly backward: (dOutput: Float32Array) => Float32Array | null;
}

export abstract class Layer {
  /** The Keras class name, e.g. 'Dense', 'NovoLSTM'. Save files store it. */
  abstract readonly className: string;
  name: string;
  /** The input shape from the `inputShape` option (only meaningful on a first layer); null if not given. */
  readonly declaredInputShape: Shape | null;
  /** Set by build. */
  inputShape: Shape | null = null;
  outputShape: Shape | null = null;
  /** Views into the model's flat arrays, set by bind. */
  params: Params = {};
  grads: Params = {};
  /**
   * Keras' `layer.trainable`: false freezes the layer. Its weights still shape the output and pass the
   * gradient on to the layers before it, but the optimizer leaves them (and their moments) as they are,
   * `summary()` counts them as non-trainable, and a save keeps the flag. Read at every update, so it can
   * change between `fit` calls (fine-tuning) without compiling again.
   */
  trainable = true;

  constructor(name: string | undefined, inputShape: Shape | null) {
    this.name = name ?? '';
    this.declaredInputShape = inputShape;
  }

  /** Human-readable name for errors: `Dense 'dense_1'`. */
  get label(): string {
    return `${this.className} '${this.name}'`;
  }

  /** Checks the input shape, creates what the weights depend on, and returns the output shape. */
  build(inputShape: Shape): Shape {
    const out = this.computeOutputShape(inputShape);
    this.inputShape = inputShape;
    this.outputShape = out;
    return out;
  }

  protected abstract computeOutputShape(inputShape: Shape): Shape;

  /** The weights in their canonical (Keras) order; valid after build. */
  abstract weightSpecs(): readonly WeightSpec[];

  /** Writes the initial values into the bound parameter views. */
  abstract initialize(rng: Random): void;

  bind(params: Params, grads: Params): void {
    this.params = params;
    this.grads = grads;
  }

  /** Copies of this layer's weights in their Keras shapes and order (TensorFlow.js' layer.getWeights). */
  getWeights(): Tensor[] {
    return this.weightSpecs().map(
      (spec) => new Tensor(Float32Array.from(this.params[spec.name]), spec.shape),
    );
  }

  /**
   * Writes this layer's weights (shapes as getWeights). Inside a model, call `model.markWeightsChanged()`
   * afterwards, as for any write into the model's weights.
   */
  setWeights(weights: readonly Tensor[]): void {
    const specs = this.weightSpecs();
    if (!Array.isArray(weights) || weights.length !== specs.length) {
      throw new ShapeError(
        `${this.label}.setWeights`,
        'wrong number of weight tensors',
        specs.length,
        Array.isArray(weights) ? weights.length : typeof weights,
      );
    }
    specs.forEach((spec, i) => {
      const w = weights[i];
      if (!(w instanceof Tensor) || w.dtype !== 'float32' || w.shape.join() !== spec.shape.join()) {
        throw new ShapeError(
          `${this.label}.setWeights`,
          `weight '${spec.name}' has the wrong shape`,
          `[${spec.shape.join(', ')}] float32`,
          w instanceof Tensor ? `[${w.shape.join(', ')}] ${w.dtype}` : typeof w,
        );
      }
      const bad = w.data.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) {
        throw new ValueError(
          `${this.label}.setWeights`,
          `weight '${spec.name}'[${bad}] is not finite`,
          'a finite number',
          w.data[bad],
        );
      }
    });
    specs.forEach((spec, i) => this.params[spec.name].set(weights[i].data));
  }

  abstract forward(input: Batch, ctx: ForwardContext): LayerStep;

  /** Constructor options that rebuild this layer (minus inputShape and name, which the model adds). */
  abstract getConfig(): LayerConfig;
}
