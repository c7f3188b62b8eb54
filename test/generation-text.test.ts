/**
 * Generation's text and distributions across the ways a stepper can run (src/lm/stepper.ts): the engine's
 * stepper — which alternates the order of its multiplies from one character to the next (stepLayers.ts)
 * — against the reference kernels' stepper, and on one thread against two, for every cell, on odd sizes,
 * at temperature 0 and above, for several seeds.
 *
 * The engine and the reference kernels do not compute the same float32 values (fused multiply-adds in
 * another order, a polynomial exp in the gates), so there the distributions are compared with a
 * tolerance; one thread and two run the same arithmetic and must write the same text.
 * (test/generation.test.ts compares the engine's stepper with the model's own predict, bit for bit.)
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { CharVocabulary } from '../src/data/text/charVocabulary.js';
import { useFastKernels, useReferenceKernels } from '../src/layers/backend.js';
import { generateText, generateTextOn } from '../src/lm/generate.js';
import { buildLanguageModel, LM_CELLS, type LmCell } from '../src/lm/languageModel.js';
import { languageModelStepper } from '../src/lm/stepper.js';
import type { Sequential } from '../src/models/sequential.js';
import { Random } from '../src/random.js';

after(() => useReferenceKernels());

const TEXT = 'It was the best of times, it was the worst of times; it was the age of wisdom.\n';
const VOCABULARY = CharVocabulary.fromText(TEXT);
const V = VOCABULARY.size;

/**
 * Largest |p_engine − p_reference| allowed for a probability over 60 steps of a 2-layer model. Measured
 * here: at most 1.8e-7 (GRU; LSTM 6e-8, NovoLSTM 7e-9), float32 rounding carried through the recurrence;
 * the bound leaves a margin of 50.
 */
const PROBABILITY_TOLERANCE = 1e-5;

/** A language model with weights spread wider than the initial ones (distributions far from uniform). */
function languageModel(cell: LmCell, units: number, seed: number): Sequential {
  const config = { cell, units, layers: 2, embeddingDim: 7, dropout: 0, vocabulary: VOCABULARY.toJSON() };
  const model = buildLanguageModel(config, 3);
  const rng = new Random(seed);
  for (let i = 0; i < model.values.length; i++) model.values[i] = (2 * rng.uniform() - 1) * 0.8;
  model.markWeightsChanged();
  return model;
}

describe('generation: the engine stepper against the reference kernels', () => {
  for (const cell of LM_CELLS) {
    it(`${cell}, 2 × 19 units: the same distributions within ${PROBABILITY_TOLERANCE}`, async () => {
      const model = languageModel(cell, 19, 5);
      assert.notEqual(await useFastKernels(), 'reference');
      const fast = languageModelStepper(model, { threads: 1 });
      useReferenceKernels();
      const reference = languageModelStepper(model);
      assert.equal(reference.runsOn, 'reference');
      const rng = new Random(8);
      let worst = { error: -1, step: -1, index: -1, fast: 0, reference: 0 };
      for (let t = 0; t < 60; t++) {
        const id = rng.int(V);
        const p = fast.step(id);
        const q = reference.step(id);
        for (let j = 0; j < V; j++) {
          const error = Math.abs(p[j] - q[j]);
          if (!(error <= worst.error)) worst = { error, step: t, index: j, fast: p[j], reference: q[j] };
        }
      }
      assert.ok(
        worst.error <= PROBABILITY_TOLERANCE,
        `worst at step ${worst.step}, token ${worst.index}: engine ${worst.fast}, reference ${worst.reference}`,
      );
    });

    it(`${cell}, 2 × 19 units: the same text at temperature 0 on the engine and the reference kernels`, async () => {
      const model = languageModel(cell, 19, 6);
      const options = { prime: 'it was ', length: 80, temperature: 0 };
      await useFastKernels();
      const fast = [...generateText(model, { ...options, threads: 1 })].join('');
      useReferenceKernels();
      const reference = [...generateText(model, options)].join('');
      assert.equal(fast, reference);
    });
  }
});

describe('generation: one thread and two write the same text', () => {
  for (const cell of LM_CELLS) {
    it(`${cell}, 2 × 37 units: temperature 0, and 0.7 with two seeds`, async () => {
      await useFastKernels();
      const model = languageModel(cell, 37, 7);
      const texts: string[] = [];
      for (const [temperature, seed] of [
        [0, 1],
        [0.7, 5],
        [0.7, 6],
      ]) {
        const options = { prime: 'it was ', length: 150, temperature, seed };
        const one = [...generateText(model, { ...options, threads: 1 })].join('');
        assert.equal([...generateText(model, { ...options, threads: 1 })].join(''), one, 'run to run');
        // Every step on two threads: the worker is waited for before the prime.
        const stepper = languageModelStepper(model, { threads: 2 });
        assert.equal(await stepper.whenReady(), 2);
        const two = [...generateTextOn(stepper, model, options)].join('');
        assert.equal(two, one, `temperature ${temperature}, seed ${seed}`);
        texts.push(one);
      }
      // The seed is used: another seed, another text.
      assert.notEqual(texts[1], texts[2]);
    });
  }
});
