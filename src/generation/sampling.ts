/**
 * Choosing the next token from a model's output distribution: temperature, top-k and top-p (nucleus)
 * sampling, drawing from a seeded generator so that `--seed` repeats a generated text exactly.
 */
import { ConfigError } from '../errors.js';
import type { Random } from '../random.js';

export interface SamplingOptions {
  /** Divides the log-probabilities: < 1 sharpens, > 1 flattens; 0 means always the most likely token. */
  readonly temperature?: number;
  /** Keep only the k most likely tokens. */
  readonly topK?: number;
  /** Keep the smallest set of most likely tokens whose probability reaches p. */
  readonly topP?: number;
}

export function checkSamplingOptions(options: SamplingOptions): void {
  const { temperature = 1, topK, topP } = options;
  if (!(temperature >= 0 && Number.isFinite(temperature))) {
    throw new ConfigError('sampling', 'temperature must be a finite number ≥ 0', '≥ 0', temperature);
  }
  if (topK !== undefined && !(Number.isInteger(topK) && topK >= 1)) {
    throw new ConfigError('sampling', 'topK must be a positive integer', '≥ 1', topK);
  }
  if (topP !== undefined && !(topP > 0 && topP <= 1)) {
    throw new ConfigError('sampling', 'topP must be in (0, 1]', '0 < p ≤ 1', topP);
  }
  if (topK !== undefined && topP !== undefined) {
    throw new ConfigError('sampling', 'give topK or topP, not both', 'one of them', 'both');
  }
}

/**
 * Samples an index from `probabilities` (a distribution over V tokens, e.g. a softmax output), reshaped
 * by the options. Uses one draw from `rng` (none at temperature 0).
 */
export function sampleToken(probabilities: ArrayLike<number>, options: SamplingOptions, rng: Random): number {
  const { temperature = 1, topK, topP } = options;
  const V = probabilities.length;
  let best = 0;
  for (let i = 1; i < V; i++) if (probabilities[i] > probabilities[best]) best = i;
  if (temperature === 0) return best;

  // p^(1/τ), computed in the log domain relative to the best token so that small τ cannot underflow all.
  const logBest = Math.log(probabilities[best]);
  const weights = new Float64Array(V);
  for (let i = 0; i < V; i++) {
    weights[i] = probabilities[i] > 0 ? Math.exp((Math.log(probabilities[i]) - logBest) / temperature) : 0;
  }
  if (topK !== undefined || topP !== undefined) {
    const order = Array.from({ length: V }, (_, i) => i).sort((a, b) => weights[b] - weights[a] || a - b);
    let keep = V;
    if (topK !== undefined) keep = Math.min(topK, V);
    else {
      let total = 0;
      for (const w of weights) total += w;
      let cumulative = 0;
      for (let r = 0; r < V; r++) {
        cumulative += weights[order[r]];
        if (cumulative >= topP! * total) {
          keep = r + 1;
          break;
        }
      }
    }
    for (let r = keep; r < V; r++) weights[order[r]] = 0;
  }
  let total = 0;
  for (const w of weights) total += w;
  let u = rng.uniform() * total;
  for (let i = 0; i < V; i++) {
    u -= weights[i];
    if (u < 0 && weights[i] > 0) return i;
  }
  return best; // only reached through rounding at the very top of the range
}
