/**
 * Our weights as the encoder reads them, and our recurrent weights in ONNX's layout and back. Both
 * directions are permutations (transposes and reordered gate blocks), so a round trip gives the same floats
 * bit for bit.
 *
 * Ours (Keras'): kernel [D, G·u], recurrentKernel [u, G·u], gate blocks i f c o (LSTM) or z r h (GRU).
 * ONNX's LSTM / GRU: W [dirs, G·u, D], R [dirs, G·u, u] (gate-major, transposed), B [dirs, 2·G·u] = the
 * input-side biases then the recurrent-side ones, gate blocks i o f c (LSTM) or z r h (GRU).
 */
import type { Layer } from '../../layers/layer.js';

/** A layer's weights by the names of its weightSpecs (copies, in our layout). */
export function weightsByName(layer: Layer): Record<string, Float32Array> {
  const values = layer.getWeights();
  return Object.fromEntries(layer.weightSpecs().map((s, i) => [s.name, values[i].data as Float32Array]));
}

/** Entry k: our gate block that is ONNX's LSTM gate k (ONNX i o f c from our i f c o). */
export const LSTM_GATES_FROM_OURS: readonly number[] = [0, 3, 1, 2];
/** Both GRUs use z, r, h. */
export const GRU_GATES_FROM_OURS: readonly number[] = [0, 1, 2];

/** ours [rowCount, G·u] → ONNX [G·u, rowCount], gate blocks in ONNX's order. */
export function toGateMajor(
  ours: Float32Array,
  rowCount: number,
  u: number,
  gatesFromOurs: readonly number[],
): Float32Array {
  const G = gatesFromOurs.length;
  const out = new Float32Array(G * u * rowCount); // [G·u, rowCount]
  for (let k = 0; k < G; k++) {
    const block = gatesFromOurs[k];
    for (let j = 0; j < u; j++) {
      for (let r = 0; r < rowCount; r++) out[(k * u + j) * rowCount + r] = ours[r * G * u + block * u + j];
    }
  }
  return out;
}

/** The inverse of toGateMajor: ONNX [G·u, rowCount] → ours [rowCount, G·u]. */
export function fromGateMajor(
  onnx: Float32Array,
  rowCount: number,
  u: number,
  gatesFromOurs: readonly number[],
): Float32Array {
  const G = gatesFromOurs.length;
  const out = new Float32Array(rowCount * G * u); // [rowCount, G·u]
  for (let k = 0; k < G; k++) {
    const block = gatesFromOurs[k];
    for (let j = 0; j < u; j++) {
      for (let r = 0; r < rowCount; r++) out[r * G * u + block * u + j] = onnx[(k * u + j) * rowCount + r];
    }
  }
  return out;
}

/** A bias vector's gate blocks (G·u values) in ONNX's order. */
export function toGateOrder(ours: Float32Array, u: number, gatesFromOurs: readonly number[]): Float32Array {
  const out = new Float32Array(gatesFromOurs.length * u);
  gatesFromOurs.forEach((block, k) => out.set(ours.subarray(block * u, (block + 1) * u), k * u));
  return out;
}

/** The inverse of toGateOrder. */
export function fromGateOrder(onnx: Float32Array, u: number, gatesFromOurs: readonly number[]): Float32Array {
  const out = new Float32Array(gatesFromOurs.length * u);
  gatesFromOurs.forEach((block, k) => out.set(onnx.subarray(k * u, (k + 1) * u), block * u));
  return out;
}

export function concatenated(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
