/**
 * Element-wise and row-wise activations, forward and backward, on R rows of C values.
 *
 *   linear  y = z                       dz = dy
 *   relu    y = max(z, 0)               dz = dy · [y > 0]
 *   sigmoid y = σ(z)                    dz = dy · y · (1 − y)
 *   tanh    y = tanh(z)                 dz = dy · (1 − y²)
 *   softmax y_j = e^{z_j} / Σ_k e^{z_k}  dz_j = y_j · (dy_j − Σ_k dy_k · y_k)
 *
 * Every backward is written in terms of the output y (what forward returns and the layer keeps), so
 * nothing is recomputed.
 */
import type { RecurrentActivation } from '../contract.js';
import { hardSigmoid, sigmoid, type Float } from './floats.js';

export const ACTIVATIONS = ['linear', 'relu', 'sigmoid', 'tanh', 'softmax'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

/** y [R, C] = activation(z [R, C]); y may alias z. */
export function activationForward<F extends Float>(
  y: F,
  z: Readonly<Float>,
  activation: Activation,
  R: number,
  C: number,
): F {
  const n = R * C;
  switch (activation) {
    case 'linear':
      if (y !== z) y.set(z);
      break;
    case 'relu':
      for (let i = 0; i < n; i++) y[i] = z[i] > 0 ? z[i] : 0;
      break;
    case 'sigmoid':
      for (let i = 0; i < n; i++) y[i] = sigmoid(z[i]);
      break;
    case 'tanh':
      for (let i = 0; i < n; i++) y[i] = Math.tanh(z[i]);
      break;
    case 'softmax':
      for (let r = 0; r < R; r++) softmaxRow(y, z, r * C, C);
      break;
  }
  return y;
}

/** dz [R, C] from dy [R, C] and the forward output y [R, C]; dz may alias dy. */
export function activationBackward<F extends Float>(
  dz: F,
  dy: Readonly<Float>,
  y: Readonly<Float>,
  activation: Activation,
  R: number,
  C: number,
): F {
  const n = R * C;
  switch (activation) {
    case 'linear':
      if (dz !== dy) dz.set(dy);
      break;
    case 'relu':
      for (let i = 0; i < n; i++) dz[i] = y[i] > 0 ? dy[i] : 0;
      break;
    case 'sigmoid':
      for (let i = 0; i < n; i++) dz[i] = dy[i] * y[i] * (1 - y[i]);
      break;
    case 'tanh':
      for (let i = 0; i < n; i++) dz[i] = dy[i] * (1 - y[i] * y[i]);
      break;
    case 'softmax':
      for (let r = 0; r < R; r++) {
        const o = r * C;
        let dot = 0;
        for (let j = 0; j < C; j++) dot += dy[o + j] * y[o + j];
        for (let j = 0; j < C; j++) dz[o + j] = y[o + j] * (dy[o + j] - dot);
      }
      break;
  }
  return dz;
}

/** One row of softmax, shifted by the row's maximum so that no exponent overflows; reads z from zOffset (default: the same offset as y). */
export function softmaxRow(y: Float, z: Readonly<Float>, offset: number, C: number, zOffset = offset): void {
  let max = -Infinity;
  for (let j = 0; j < C; j++) max = Math.max(max, z[zOffset + j]);
  let sum = 0;
  for (let j = 0; j < C; j++) sum += Math.exp(z[zOffset + j] - max);
  for (let j = 0; j < C; j++) y[offset + j] = Math.exp(z[zOffset + j] - max) / sum;
}

/** σ of the LSTM's and the GRU's gates (contract.ts, RecurrentActivation), forward and backward. */
export interface GateActivation {
  /** y = σ(a) or hardSigmoid(a) */
  readonly forward: (a: number) => number;
  /**
   * d · dy/da, written from the output y: σ' = y(1 − y); the hard sigmoid's is 0.2 where 0 < y < 1
   * (a inside (−2.5, 2.5)) and 0 where it is clipped. d is multiplied first, as the kernels always did.
   */
  readonly backward: (d: number, y: number) => number;
}

const GATE_ACTIVATIONS: Readonly<Record<RecurrentActivation, GateActivation>> = {
  sigmoid: { forward: sigmoid, backward: (d, y) => d * y * (1 - y) },
  hardSigmoid: { forward: hardSigmoid, backward: (d, y) => (y > 0 && y < 1 ? d * 0.2 : 0) },
};

export function gateActivation(name: RecurrentActivation): GateActivation {
  return GATE_ACTIVATIONS[name];
}
