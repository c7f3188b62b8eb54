/**
 * Embedding: token ids [B, T] → vectors [B, T, outputDim] by table lookup. With `maskZero`, id 0 is
 * padding: the layer emits a mask [B, T] (1 where id ≠ 0) that the following layers honour.
 * Weights: embeddings [inputDim, outputDim], initially U(−0.05, 0.05) as Keras.
 */
import { ShapeError, ValueError } from '../errors.js';
import type { WeightSpec } from '../kernels/contract.js';
import { embeddingBackwardOn, embeddingForwardOn } from './embeddingKernels.js';
import type { Random } from '../random.js';
import {
  Layer,
  type Batch,
  type ForwardContext,
  type LayerConfig,
  type LayerStep,
  type Shape,
} from './layer.js';
import { checkOptionKeys, optionalBoolean, optionalName, optionalShape, positiveInt } from './options.js';

export interface EmbeddingOptions {
  /** Vocabulary size: ids run from 0 to inputDim − 1. */
  readonly inputDim: number;
  readonly outputDim: number;
  /** Id 0 is padding and masked out downstream. */
  readonly maskZero?: boolean;
  /** Fixed sequence length (Keras' input_length); same as inputShape: [inputLength]. */
  readonly inputLength?: number;
  readonly name?: string;
  readonly inputShape?: Shape;
}

const INITIAL_RANGE = 0.05;

export class Embedding extends Layer {
  readonly className = 'Embedding';
  readonly inputDim: number;
  readonly outputDim: number;
  readonly maskZero: boolean;

  constructor(options: EmbeddingOptions) {
    const label = 'embedding';
    const o = checkOptionKeys(
      label,
      options,
      ['inputDim', 'outputDim', 'maskZero', 'inputLength', 'name', 'inputShape'],
      ['embeddingsInitializer', 'embeddingsRegularizer', 'embeddingsConstraint'],
    );
    const inputShape =
      o.inputLength !== undefined
        ? [positiveInt(label, 'inputLength', o.inputLength)]
        : optionalShape(label, o.inputShape);
    super(optionalName(label, o.name), inputShape);
    this.inputDim = positiveInt(label, 'inputDim', o.inputDim);
    this.outputDim = positiveInt(label, 'outputDim', o.outputDim);
    this.maskZero = optionalBoolean(label, 'maskZero', o.maskZero, false);
  }

  protected computeOutputShape(inputShape: Shape): Shape {
    if (inputShape.length !== 1) {
      throw new ShapeError(this.label, 'input must be token ids [batch, time]', 1, inputShape.length);
    }
    return [inputShape[0], this.outputDim];
  }

  weightSpecs(): readonly WeightSpec[] {
    return [{ name: 'embeddings', shape: [this.inputDim, this.outputDim] }];
  }

  initialize(rng: Random): void {
    const table = this.params.embeddings;
    for (let i = 0; i < table.length; i++) table[i] = (2 * rng.uniform() - 1) * INITIAL_RANGE;
  }

  forward(input: Batch, _ctx: ForwardContext): LayerStep {
    const ids = input.data;
    if (!(ids instanceof Int32Array) || input.shape.length !== 2) {
      throw new ShapeError(
        this.label,
        'input must be int32 token ids [batch, time]',
        '[B, T] int32',
        `[${input.shape.join(', ')}] ${ids.constructor.name}`,
      );
    }
    const [B, T] = input.shape;
    const N = B * T;
    const E = this.outputDim;
    for (let n = 0; n < N; n++) {
      if (!(ids[n] >= 0 && ids[n] < this.inputDim)) {
        throw new ValueError(
          this.label,
          `token id at [${Math.floor(n / T)}, ${n % T}] is out of range`,
          `0 … ${this.inputDim - 1}`,
          ids[n],
        );
      }
    }
    const y = new Float32Array(N * E); // [B, T, E]
    embeddingForwardOn(y, ids, this.params.embeddings, N, E);
    let mask: Uint8Array | null = null;
    if (this.maskZero) {
      mask = new Uint8Array(N); // [B, T]
      for (let n = 0; n < N; n++) mask[n] = ids[n] !== 0 ? 1 : 0;
    }
    const { embeddings: table } = this.params;
    const { embeddings: gradient } = this.grads;
    // For a recurrent layer next (Batch.rows); the engine's rows are float32, as y is.
    const rows =
      table instanceof Float32Array && gradient instanceof Float32Array
        ? { table, ids, gradient }
        : undefined;
    return {
      output: { data: y, shape: [B, T, E], mask, rows },
      backward: (dy) => {
        embeddingBackwardOn(this.grads.embeddings, dy, ids, N, E);
        return null;
      },
    };
  }

  getConfig(): LayerConfig {
    return { inputDim: this.inputDim, outputDim: this.outputDim, maskZero: this.maskZero };
  }
}
