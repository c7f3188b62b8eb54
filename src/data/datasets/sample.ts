/**
 * A seeded subset of example indices, for running an example on a small part of a data set.
 */
import { ConfigError } from '../../errors.js';
import { Random } from '../../random.js';

/** `size` distinct indices of 0 … count−1 drawn at random, in increasing order; null: all of them. */
export function sampleIndices(count: number, size: number | null, seed: number): number[] {
  const all = Array.from({ length: count }, (_, i) => i);
  if (size === null) return all;
  if (!Number.isInteger(size) || size < 1 || size > count) {
    throw new ConfigError('sampleIndices', 'size must be an integer in 1 … count', `1 … ${count}`, size);
  }
  const rng = new Random(seed);
  for (let i = 0; i < size; i++) {
    const j = i + rng.int(count - i);
    [all[i], all[j]] = [all[j], all[i]];
  }
  return all.slice(0, size).sort((a, b) => a - b);
}
