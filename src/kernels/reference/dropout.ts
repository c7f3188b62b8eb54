/**
 * Inverted dropout's maths: y = x ⊙ keep, where keep holds 0 (dropped) or 1/(1 − rate) (kept), so the
 * expected value of y is x and inference needs no rescaling. dx = dy ⊙ keep.
 *
 * The keep array is drawn by the caller (the layer, from the model's seeded generator) and saved for
 * backward. With `period` < n, keep is reused every `period` elements — how the recurrent layers apply
 * one mask per sequence to every time step (variational dropout).
 */
import type { Float } from './floats.js';

/** y [n] = x [n] ⊙ keep[i mod period]; y may alias x. */
export function dropoutForward<F extends Float>(
  y: F,
  x: Readonly<Float>,
  keep: Readonly<Float>,
  n: number,
  period = n,
): F {
  for (let i = 0; i < n; i++) y[i] = x[i] * keep[i % period];
  return y;
}

/** dx [n] = dy [n] ⊙ keep[i mod period]; dx may alias dy. */
export function dropoutBackward<F extends Float>(
  dx: F,
  dy: Readonly<Float>,
  keep: Readonly<Float>,
  n: number,
  period = n,
): F {
  for (let i = 0; i < n; i++) dx[i] = dy[i] * keep[i % period];
  return dx;
}
