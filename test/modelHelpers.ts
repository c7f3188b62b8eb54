/**
 * Shared pieces of the model-level tests: small random data sets and a weight perturbation that makes
 * every weight (biases, layer-norm gains included) random rather than at its structured initial value.
 */
import * as nl from '../src/index.js';
import { Random } from '../src/random.js';

/** Token-id sequences [N, T] with random lengths, padded with 0 at the end (or, `leading`, the start). */
export function paddedIds(rng: Random, N: number, T: number, vocab: number, leading = false): number[][] {
  const rows: number[][] = [];
  for (let n = 0; n < N; n++) {
    const length = 1 + rng.int(T);
    const real = Array.from({ length }, () => 1 + rng.int(vocab - 1));
    const pad = new Array<number>(T - length).fill(0);
    rows.push(leading ? [...pad, ...real] : [...real, ...pad]);
  }
  return rows;
}

export function randomFloats(rng: Random, shape: readonly number[], scale = 1): nl.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = (2 * rng.uniform() - 1) * scale;
  return nl.tensor(data, shape);
}

/** Adds U(−scale, scale) to every weight. */
export function perturbWeights(model: nl.Sequential, seed: number, scale = 0.3): void {
  const rng = new Random(seed);
  for (let i = 0; i < model.values.length; i++) model.values[i] += (2 * rng.uniform() - 1) * scale;
}
