/**
 * The four losses, forward and backward, each as a pair of kernels on R rows of C values.
 *
 * Sizes: R = rows (B, or B·T for a sequence output), C = classes / output features.
 *
 * Cross-entropies are fused with the activation before them, so they take the pre-activation z
 * ("logits") and never evaluate log(0):
 *   categorical   ℓ = −Σ_c y_c log softmax(z)_c = logsumexp(z) − Σ_c y_c z_c       dz = softmax(z) − y
 *   sparse        the same with y one-hot at class k: ℓ = logsumexp(z) − z_k        dz = softmax(z) − e_k
 *   binary        ℓ = mean_c [max(z,0) − z·y + log(1 + e^{−|z|})]                  dz = (σ(z) − y) / C
 *   mean squared  ℓ = mean_c (p − y)²   (on the layer's output p)                    dp = 2 (p − y) / C
 *
 * With `fromLogits` (Keras' `from_logits=True`) the model's output itself is z: a linear head, no activation
 * on the last layer, and the same kernels. Without it, the last Dense layer's softmax / sigmoid is skipped
 * in training and the layer hands over its pre-activation instead (models/sequential.ts).
 *
 * Forward writes one loss per row; the model reduces rows with weights w (1, or 0 at masked time steps):
 * L = Σ_r w_r ℓ_r / Σ_r w_r. Backward takes those factors as `rowScale` [R] = w_r / Σ w and writes the
 * gradient of L. Backward recomputes softmax / σ from z rather than saving it: it is cheap, and it keeps
 * each pair's interface to its inputs.
 */
import { ConfigError } from '../errors.js';
import { sigmoid, type Float } from '../kernels/reference/floats.js';
import { checkOptionKeys } from '../options.js';
import { softmaxRow } from '../kernels/reference/activations.js';

export const LOSSES = [
  'categoricalCrossentropy',
  'sparseCategoricalCrossentropy',
  'binaryCrossentropy',
  'meanSquaredError',
] as const;
export type LossName = (typeof LOSSES)[number];

/** Keras' snake_case spellings, accepted as aliases. */
export const LOSS_ALIASES: Readonly<Record<string, LossName>> = {
  categorical_crossentropy: 'categoricalCrossentropy',
  sparse_categorical_crossentropy: 'sparseCategoricalCrossentropy',
  binary_crossentropy: 'binaryCrossentropy',
  mean_squared_error: 'meanSquaredError',
  mse: 'meanSquaredError',
};

/** A loss with its options, as `nl.losses.*` make it (Keras' loss objects): compile takes it or a name. */
export interface LossConfig {
  readonly name: LossName;
  /** The model's output is the logits z (a linear head) rather than softmax(z) / σ(z). Default false. */
  readonly fromLogits?: boolean;
}

/** The cross-entropies take `fromLogits`; mean squared error works on the output as it is. */
export function lossConfig(name: LossName, options: { readonly fromLogits?: boolean } = {}): LossConfig {
  const label = `losses.${name}`;
  checkOptionKeys(label, options, fusedActivation(name) ? ['fromLogits'] : [], [
    'labelSmoothing',
    'axis',
    'reduction',
  ]);
  const fromLogits = options.fromLogits ?? false;
  if (typeof fromLogits !== 'boolean')
    throw new ConfigError(label, 'fromLogits must be true or false', 'a boolean', String(fromLogits));
  return Object.freeze({ name, fromLogits });
}

export function categoricalCrossentropy(options: { readonly fromLogits?: boolean } = {}): LossConfig {
  return lossConfig('categoricalCrossentropy', options);
}

export function sparseCategoricalCrossentropy(options: { readonly fromLogits?: boolean } = {}): LossConfig {
  return lossConfig('sparseCategoricalCrossentropy', options);
}

export function binaryCrossentropy(options: { readonly fromLogits?: boolean } = {}): LossConfig {
  return lossConfig('binaryCrossentropy', options);
}

export function meanSquaredError(): LossConfig {
  return lossConfig('meanSquaredError');
}

/** The activation a loss is fused with, if any. */
export function fusedActivation(loss: LossName): 'softmax' | 'sigmoid' | null {
  if (loss === 'categoricalCrossentropy' || loss === 'sparseCategoricalCrossentropy') return 'softmax';
  if (loss === 'binaryCrossentropy') return 'sigmoid';
  return null;
}

function logSumExp(z: Readonly<Float>, offset: number, C: number): number {
  let max = -Infinity;
  for (let c = 0; c < C; c++) max = Math.max(max, z[offset + c]);
  let sum = 0;
  for (let c = 0; c < C; c++) sum += Math.exp(z[offset + c] - max);
  return max + Math.log(sum);
}

/** rowLoss [R] = logsumexp(z) − Σ_c y_c z_c, for z, y [R, C]. */
export function softmaxCrossEntropyForward<F extends Float>(
  rowLoss: F,
  z: Readonly<Float>,
  y: Readonly<Float>,
  R: number,
  C: number,
): F {
  for (let r = 0; r < R; r++) {
    const o = r * C;
    const lse = logSumExp(z, o, C);
    let loss = 0;
    // Σ_c y_c (lse − z_c): also right when the targets do not sum to 1 (label smoothing by hand).
    for (let c = 0; c < C; c++) loss += y[o + c] * (lse - z[o + c]);
    rowLoss[r] = loss;
  }
  return rowLoss;
}

/** dz [R, C] = rowScale_r · (softmax(z) · Σ_c y_c − y). */
export function softmaxCrossEntropyBackward<F extends Float>(
  dz: F,
  z: Readonly<Float>,
  y: Readonly<Float>,
  rowScale: Readonly<Float>,
  R: number,
  C: number,
): F {
  for (let r = 0; r < R; r++) {
    const o = r * C;
    softmaxRow(dz, z, o, C);
    let total = 0;
    for (let c = 0; c < C; c++) total += y[o + c];
    for (let c = 0; c < C; c++) dz[o + c] = rowScale[r] * (dz[o + c] * total - y[o + c]);
  }
  return dz;
}

/** rowLoss [R] = logsumexp(z) − z_k with k = labels[r] (0 ≤ k < C, checked by the caller). */
export function sparseSoftmaxCrossEntropyForward<F extends Float>(
  rowLoss: F,
  z: Readonly<Float>,
  labels: Readonly<Int32Array>,
  R: number,
  C: number,
): F {
  for (let r = 0; r < R; r++) rowLoss[r] = logSumExp(z, r * C, C) - z[r * C + labels[r]];
  return rowLoss;
}

/** dz [R, C] = rowScale_r · (softmax(z) − e_k). */
export function sparseSoftmaxCrossEntropyBackward<F extends Float>(
  dz: F,
  z: Readonly<Float>,
  labels: Readonly<Int32Array>,
  rowScale: Readonly<Float>,
  R: number,
  C: number,
): F {
  for (let r = 0; r < R; r++) {
    const o = r * C;
    softmaxRow(dz, z, o, C);
    dz[o + labels[r]] -= 1;
    for (let c = 0; c < C; c++) dz[o + c] *= rowScale[r];
  }
  return dz;
}

/** rowLoss [R] = mean_c [max(z,0) − z·y + log(1 + e^{−|z|})]: the stable form of −y log σ(z) − (1−y) log(1−σ(z)). */
export function sigmoidCrossEntropyForward<F extends Float>(
  rowLoss: F,
  z: Readonly<Float>,
  y: Readonly<Float>,
  R: number,
  C: number,
): F {
  for (let r = 0; r < R; r++) {
    let loss = 0;
    for (let c = 0; c < C; c++) {
      const v = z[r * C + c];
      loss += Math.max(v, 0) - v * y[r * C + c] + Math.log1p(Math.exp(-Math.abs(v)));
    }
    rowLoss[r] = loss / C;
  }
  return rowLoss;
}

/** dz [R, C] = rowScale_r · (σ(z) − y) / C. */
export function sigmoidCrossEntropyBackward<F extends Float>(
  dz: F,
  z: Readonly<Float>,
  y: Readonly<Float>,
  rowScale: Readonly<Float>,
  R: number,
  C: number,
): F {
  for (let r = 0; r < R; r++) {
    for (let c = 0; c < C; c++) {
      const i = r * C + c;
      dz[i] = (rowScale[r] * (sigmoid(z[i]) - y[i])) / C;
    }
  }
  return dz;
}

/** rowLoss [R] = mean_c (p − y)². */
export function meanSquaredErrorForward<F extends Float>(
  rowLoss: F,
  p: Readonly<Float>,
  y: Readonly<Float>,
  R: number,
  C: number,
): F {
  for (let r = 0; r < R; r++) {
    let loss = 0;
    for (let c = 0; c < C; c++) {
      const d = p[r * C + c] - y[r * C + c];
      loss += d * d;
    }
    rowLoss[r] = loss / C;
  }
  return rowLoss;
}

/** dp [R, C] = rowScale_r · 2 (p − y) / C. */
export function meanSquaredErrorBackward<F extends Float>(
  dp: F,
  p: Readonly<Float>,
  y: Readonly<Float>,
  rowScale: Readonly<Float>,
  R: number,
  C: number,
): F {
  for (let r = 0; r < R; r++) {
    for (let c = 0; c < C; c++) {
      const i = r * C + c;
      dp[i] = (rowScale[r] * 2 * (p[i] - y[i])) / C;
    }
  }
  return dp;
}
