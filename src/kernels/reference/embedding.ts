/**
 * The embedding layer's maths: a table lookup forward, a scatter-add backward.
 *
 * Sizes: N = ids (B·T), V = vocabulary size (inputDim), E = embedding width (outputDim).
 *
 *   y[n, :] = table[ids[n], :]          ids [N], table [V, E], y [N, E]
 *   dtable[ids[n], :] += dy[n, :]
 *
 * Ids are checked by the layer (0 ≤ id < V) before these run.
 */
import type { Float } from './floats.js';

/** y [N, E] = rows of table [V, E] picked by ids [N]. */
export function embeddingForward<F extends Float>(
  y: F,
  ids: Readonly<Int32Array>,
  table: Readonly<Float>,
  N: number,
  E: number,
): F {
  for (let n = 0; n < N; n++) {
    const from = ids[n] * E;
    for (let e = 0; e < E; e++) y[n * E + e] = table[from + e];
  }
  return y;
}

/** ADDS dy [N, E] into the table rows its ids picked: dtable [V, E]. A repeated id gets the sum. */
export function embeddingBackward<F extends Float>(
  dTable: F,
  dy: Readonly<Float>,
  ids: Readonly<Int32Array>,
  N: number,
  E: number,
): void {
  for (let n = 0; n < N; n++) {
    const to = ids[n] * E;
    for (let e = 0; e < E; e++) dTable[to + e] += dy[n * E + e];
  }
}
