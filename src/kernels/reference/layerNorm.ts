/**
 * Layer normalisation over the last axis, forward and backward, for `count` rows of `n` values.
 *
 *   μ = mean(x),  σ² = mean((x − μ)²)  (population variance),  r = 1 / √(σ² + ε)
 *   x̂ = (x − μ) · r,  y = γ ⊙ x̂ + β
 *
 * Used inside NovoLSTM's input gate, by the `layerNorm: 'all'` variant, and by the layer-normalisation
 * layer. ε = 1e-3 as in Keras.
 */
import type { Float } from './floats.js';

export const LAYER_NORM_EPSILON = 1e-3;

/** Rows inside a flat array: row r starts at `offset + r * stride` (a gate block of a packed [B, G] array). */
export interface Rows {
  readonly data: Float;
  readonly offset: number;
  readonly stride: number;
}

export function rows(data: Float, offset: number, stride: number): Rows {
  return { data, offset, stride };
}

/**
 * y = γ ⊙ x̂ + β for each row; saves x̂ (n values a row) and r (one value a row) for the backward pass.
 * y may alias x. γ and β are read from `gamma.offset` / `beta.offset` (their stride is unused).
 */
export function layerNormForward(
  y: Rows,
  xhat: Rows,
  rstd: Rows,
  x: Rows,
  gamma: Rows,
  beta: Rows,
  count: number,
  n: number,
  eps = LAYER_NORM_EPSILON,
): void {
  for (let row = 0; row < count; row++) {
    const xo = x.offset + row * x.stride;
    let mean = 0;
    for (let j = 0; j < n; j++) mean += x.data[xo + j];
    mean /= n;
    let variance = 0;
    for (let j = 0; j < n; j++) {
      const d = x.data[xo + j] - mean;
      variance += d * d;
    }
    variance /= n;
    const r = 1 / Math.sqrt(variance + eps);
    rstd.data[rstd.offset + row * rstd.stride] = r;
    const ho = xhat.offset + row * xhat.stride;
    const yo = y.offset + row * y.stride;
    for (let j = 0; j < n; j++) {
      const xh = (x.data[xo + j] - mean) * r;
      xhat.data[ho + j] = xh;
      y.data[yo + j] = gamma.data[gamma.offset + j] * xh + beta.data[beta.offset + j];
    }
  }
}

/**
 * Given dy, writes dx and adds into dγ and dβ:
 *   dγ += Σ_rows dy ⊙ x̂,   dβ += Σ_rows dy
 *   g = dy ⊙ γ,   dx = r · (g − mean(g) − x̂ · mean(g ⊙ x̂))
 * dx may alias dy (a row's dy is read in full before its dx is written).
 */
export function layerNormBackward(
  dx: Rows,
  dgamma: Rows,
  dbeta: Rows,
  dy: Rows,
  xhat: Rows,
  rstd: Rows,
  gamma: Rows,
  count: number,
  n: number,
): void {
  const g = new Float64Array(n);
  for (let row = 0; row < count; row++) {
    const yo = dy.offset + row * dy.stride;
    const ho = xhat.offset + row * xhat.stride;
    let meanG = 0;
    let meanGXhat = 0;
    for (let j = 0; j < n; j++) {
      const d = dy.data[yo + j];
      const xh = xhat.data[ho + j];
      dgamma.data[dgamma.offset + j] += d * xh;
      dbeta.data[dbeta.offset + j] += d;
      g[j] = d * gamma.data[gamma.offset + j];
      meanG += g[j];
      meanGXhat += g[j] * xh;
    }
    meanG /= n;
    meanGXhat /= n;
    const r = rstd.data[rstd.offset + row * rstd.stride];
    const xo = dx.offset + row * dx.stride;
    for (let j = 0; j < n; j++) dx.data[xo + j] = r * (g[j] - meanG - xhat.data[ho + j] * meanGXhat);
  }
}
