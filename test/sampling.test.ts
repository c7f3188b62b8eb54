/**
 * Sampling: temperature reshapes the distribution as p^(1/τ); top-k and top-p keep only what they say;
 * a seed repeats the draws.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkSamplingOptions, sampleToken, type SamplingOptions } from '../src/generation/sampling.js';
import { Random } from '../src/random.js';

const P = [0.05, 0.5, 0.2, 0.15, 0.1];
const DRAWS = 40000;
/** Five standard errors of a frequency estimated from DRAWS draws, at worst (p = 0.5). */
const FREQUENCY_TOLERANCE = 5 * Math.sqrt(0.25 / DRAWS);

function frequencies(options: SamplingOptions, seed = 1): number[] {
  const rng = new Random(seed);
  const counts = new Array<number>(P.length).fill(0);
  for (let i = 0; i < DRAWS; i++) counts[sampleToken(P, options, rng)]++;
  return counts.map((c) => c / DRAWS);
}

function expected(weights: number[]): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  return weights.map((w) => w / total);
}

function assertFrequencies(actual: number[], wanted: number[]): void {
  actual.forEach((f, i) =>
    assert.ok(Math.abs(f - wanted[i]) < FREQUENCY_TOLERANCE, `token ${i}: ${f} vs ${wanted[i]}`),
  );
}

describe('sampleToken', () => {
  it('temperature 1 samples the distribution itself', () => assertFrequencies(frequencies({}), P));
  it('temperature 0.5 samples p² renormalised', () => {
    assertFrequencies(frequencies({ temperature: 0.5 }), expected(P.map((p) => p ** 2)));
  });
  it('temperature 0 is the most likely token, without drawing', () => {
    const rng = new Random(3);
    const state = rng.getState();
    assert.equal(sampleToken(P, { temperature: 0 }, rng), 1);
    assert.deepEqual(rng.getState(), state);
  });
  it('a tiny temperature does not underflow to nothing', () => {
    assert.equal(sampleToken([1e-300, 1 - 1e-300], { temperature: 1e-4 }, new Random(1)), 1);
  });
  it('top-k keeps the k most likely', () => {
    assertFrequencies(frequencies({ topK: 2 }), expected([0, 0.5, 0.2, 0, 0]));
  });
  it('top-p keeps the smallest set reaching p', () => {
    // Sorted: 0.5, 0.2, 0.15 → 0.85 ≥ 0.8.
    assertFrequencies(frequencies({ topP: 0.8 }), expected([0, 0.5, 0.2, 0.15, 0]));
  });
  it('the same seed repeats the draws', () => {
    assert.deepEqual(frequencies({ temperature: 0.8 }, 7), frequencies({ temperature: 0.8 }, 7));
  });
  it('bad options are refused', () => {
    assert.throws(() => checkSamplingOptions({ temperature: -1 }), /temperature/);
    assert.throws(() => checkSamplingOptions({ topK: 0 }), /topK/);
    assert.throws(() => checkSamplingOptions({ topP: 1.5 }), /topP/);
    assert.throws(() => checkSamplingOptions({ topK: 3, topP: 0.9 }), /not both/);
  });
});
