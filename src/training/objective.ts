/**
 * The model's training objective on one batch: checks the targets against the output, picks the loss
 * kernel pair, and reduces rows with the output's mask.
 *
 * Sizes: R = output rows (B, or B·T for a sequence output), C = output features (the last axis).
 * Row weights w [R] are 1, or the mask [B, T] for a sequence output that carries one (padding steps do not
 * count). Sample weights s [R] (fit's sampleWeight × classWeight; 1 without them) scale each row's loss
 * but not the count, as Keras' "sum over batch size": L = Σ_r w_r s_r ℓ_r / Σ_r w_r (0 when every row is
 * masked).
 */
import { ShapeError, ValueError } from '../errors.js';
import {
  meanSquaredErrorBackward,
  meanSquaredErrorForward,
  sigmoidCrossEntropyBackward,
  sigmoidCrossEntropyForward,
  softmaxCrossEntropyBackward,
  softmaxCrossEntropyForward,
  sparseSoftmaxCrossEntropyBackward,
  sparseSoftmaxCrossEntropyForward,
  type LossName,
} from './losses.js';

/** Targets prepared for a loss: float values [R, C], or class indices [R] for the sparse loss. */
export type Targets = Float32Array | Int32Array;

/**
 * Checks y against the model's output shape [N, …, C] and converts it: class indices (sparse; y is
 * [N, …] or [N, …, 1]) as Int32Array, anything else as Float32Array of the output's shape ([N] is
 * accepted for an [N, 1] output, as Keras does).
 *
 * `rows`: when y holds these rows of the caller's y (a mini-batch), so that an error names the value's
 * place in the caller's y — its flat index and its sample — not its place in the batch.
 */
export function prepareTargets(
  loss: LossName,
  y: { readonly data: Float32Array | Int32Array; readonly shape: readonly number[] },
  outputShape: readonly number[],
  rows: readonly number[] | null = null,
  /** Names y in errors, e.g. 'validationData[1]'. */
  subject = 'y',
): Targets {
  const perSample = y.shape[0] > 0 ? y.data.length / y.shape[0] : 1;
  /** Flat index i of y as the caller knows it, and its sample: `70`, ` (sample 17, element 2)`. */
  const flat = (i: number): number => {
    const row = Math.floor(i / perSample);
    return (rows ? rows[row] : row) * perSample + (i - row * perSample);
  };
  const sampleOf = (i: number): string => {
    const sample = Math.floor(flat(i) / perSample);
    const element = flat(i) - sample * perSample;
    return ` (sample ${sample}${perSample > 1 ? `, element ${element}` : ''})`;
  };
  const C = outputShape[outputShape.length - 1];
  const lead = outputShape.slice(0, -1);
  const same = (a: readonly number[], b: readonly number[]): boolean =>
    a.length === b.length && a.every((d, i) => d === b[i]);
  if (loss === 'sparseCategoricalCrossentropy') {
    if (!same(y.shape, lead) && !same(y.shape, [...lead, 1])) {
      throw new ShapeError(
        subject,
        'class indices have the wrong shape',
        `[${lead.join(', ')}]`,
        `[${y.shape.join(', ')}]`,
      );
    }
    const labels = new Int32Array(y.data.length);
    for (let i = 0; i < labels.length; i++) {
      const k = y.data[i];
      if (!Number.isInteger(k) || k < 0 || k >= C) {
        throw new ValueError(
          subject,
          `class index ${flat(i)} is out of range${sampleOf(i)}`,
          `an integer in 0 … ${C - 1}`,
          k,
        );
      }
      labels[i] = k;
    }
    return labels;
  }
  if (!same(y.shape, outputShape) && !(C === 1 && same(y.shape, lead))) {
    throw new ShapeError(
      subject,
      `targets do not match the model's output`,
      `[${outputShape.join(', ')}]`,
      `[${y.shape.join(', ')}]`,
    );
  }
  const values = y.data instanceof Float32Array ? y.data : Float32Array.from(y.data);
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i]))
      throw new ValueError(
        subject,
        `target ${flat(i)} is not finite${sampleOf(i)}`,
        'a finite number',
        values[i],
      );
  }
  if (loss === 'binaryCrossentropy') {
    for (let i = 0; i < values.length; i++) {
      if (!(values[i] >= 0 && values[i] <= 1)) {
        throw new ValueError(
          subject,
          `binary target ${flat(i)} is outside [0, 1]${sampleOf(i)}`,
          '0 ≤ y ≤ 1',
          values[i],
        );
      }
    }
  }
  return values;
}

/** Row weights [R] from the output's mask, or null (every row counts 1). */
export function rowWeights(outputShape: readonly number[], mask: Uint8Array | null): Uint8Array | null {
  // Only a sequence output [B, T, C] carries its mask down to the loss.
  return mask && outputShape.length === 3 ? mask : null;
}

export interface LossResult {
  readonly loss: number;
  /** dL/d(the loss input) [R, C]: the pre-activation for fused losses, the output for MSE. */
  readonly gradient: Float32Array | null;
}

/**
 * L and, when `withGradient`, its gradient. `input` is the pre-activation z for the cross-entropies
 * (fused with softmax / sigmoid) and the output p for mean squared error.
 */
export function lossAndGradient(
  loss: LossName,
  input: Float32Array,
  targets: Targets,
  weights: Uint8Array | null,
  R: number,
  C: number,
  withGradient: boolean,
  /** s [R], ≥ 0; null: all 1. */
  sampleWeights: Readonly<Float32Array> | null = null,
): LossResult {
  const rowLoss = new Float64Array(R); // [R]
  if (loss === 'sparseCategoricalCrossentropy')
    sparseSoftmaxCrossEntropyForward(rowLoss, input, targets as Int32Array, R, C);
  else if (loss === 'categoricalCrossentropy')
    softmaxCrossEntropyForward(rowLoss, input, targets as Float32Array, R, C);
  else if (loss === 'binaryCrossentropy')
    sigmoidCrossEntropyForward(rowLoss, input, targets as Float32Array, R, C);
  else meanSquaredErrorForward(rowLoss, input, targets as Float32Array, R, C);

  let total = 0;
  let count = 0;
  for (let r = 0; r < R; r++) {
    const w = weights ? weights[r] : 1;
    total += w * (sampleWeights ? sampleWeights[r] : 1) * rowLoss[r];
    count += w;
  }
  const value = count > 0 ? total / count : 0;
  if (!withGradient) return { loss: value, gradient: null };

  const rowScale = new Float32Array(R); // [R] w_r s_r / Σ w
  for (let r = 0; r < R; r++) {
    const w = (weights ? weights[r] : 1) * (sampleWeights ? sampleWeights[r] : 1);
    rowScale[r] = count > 0 ? w / count : 0;
  }
  const gradient = new Float32Array(R * C); // [R, C]
  if (loss === 'sparseCategoricalCrossentropy') {
    sparseSoftmaxCrossEntropyBackward(gradient, input, targets as Int32Array, rowScale, R, C);
  } else if (loss === 'categoricalCrossentropy')
    softmaxCrossEntropyBackward(gradient, input, targets as Float32Array, rowScale, R, C);
  else if (loss === 'binaryCrossentropy')
    sigmoidCrossEntropyBackward(gradient, input, targets as Float32Array, rowScale, R, C);
  else meanSquaredErrorBackward(gradient, input, targets as Float32Array, rowScale, R, C);
  return { loss: value, gradient };
}
