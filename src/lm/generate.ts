/**
 * Generating text: the prime is read once, then one character at a time is sampled and fed back, the
 * state carried between steps (nothing is re-read). The steps run on a stepper (stepper.ts): the model's
 * arithmetic for one character at batch 1, without the model around it.
 */
import { CharVocabulary } from '../data/text/charVocabulary.js';
import { ValueError } from '../errors.js';
import { checkSamplingOptions, sampleToken, type SamplingOptions } from '../generation/sampling.js';
import type { Sequential } from '../models/sequential.js';
import { Random } from '../random.js';
import { languageModelConfig } from './languageModel.js';
import { languageModelStepper, type LanguageModelStepper, type StepperOptions } from './stepper.js';

export interface GenerateOptions extends SamplingOptions {
  readonly prime?: string;
  readonly length: number;
  readonly seed?: number;
  /** Characters of the prime outside the vocabulary: an error naming them (default), or skipped. */
  readonly unknown?: 'error' | 'skip';
  /** Threads the steps run on: 'auto' (default), 1, or 2 (stepper.ts, `StepperOptions`). */
  readonly threads?: StepperOptions['threads'];
}

/**
 * Yields the generated text piece by piece (the prime is not repeated). `model` is left untouched: a
 * stepper holding a copy of its weights does the work, so training it further does not change a text
 * being generated. Options and the prime are checked at once, before anything is yielded.
 */
export function generateText(model: Sequential, options: GenerateOptions): Generator<string> {
  const start = prepare(model, options);
  return run(languageModelStepper(model, { threads: options.threads }), start, options);
}

/**
 * generateText on a stepper made for `model` by the caller (e.g. one whose second thread it has waited
 * for: `await stepper.whenReady()`), fresh — no token fed yet. The stepper is closed when the text ends.
 */
export function generateTextOn(
  stepper: LanguageModelStepper,
  model: Sequential,
  options: Omit<GenerateOptions, 'threads'>,
): Generator<string> {
  return run(stepper, prepare(model, options), options);
}

interface Start {
  readonly vocabulary: CharVocabulary;
  readonly rng: Random;
  readonly prime: Int32Array;
}

function prepare(model: Sequential, options: GenerateOptions): Start {
  checkSamplingOptions(options);
  const config = languageModelConfig(model);
  const vocabulary = CharVocabulary.fromJSON(config.vocabulary);
  const rng = new Random(options.seed ?? 1);
  const unknown = vocabulary.unknownChars(options.prime ?? '');
  if (unknown.length > 0 && (options.unknown ?? 'error') === 'error') {
    throw new ValueError(
      'prime',
      `has characters the model's vocabulary does not: ${unknown.map((c) => JSON.stringify(c)).join(' ')} (skip them with unknown: 'skip')`,
      'only known characters',
      `${unknown.length} unknown`,
    );
  }
  let prime = vocabulary.encode(options.prime ?? '', 'skip');
  if (prime.length === 0) {
    // Nothing to condition on: start after a line break if the text has one, else a random character.
    prime = Int32Array.of(vocabulary.has('\n') ? vocabulary.encode('\n')[0] : rng.int(vocabulary.size));
  }
  return { vocabulary, rng, prime };
}

function* run(stepper: LanguageModelStepper, start: Start, options: GenerateOptions): Generator<string> {
  const { vocabulary, rng, prime } = start;
  try {
    let probabilities: Float32Array = new Float32Array(0);
    for (const id of prime) probabilities = stepper.step(id);
    for (let i = 0; i < options.length; i++) {
      const id = sampleToken(probabilities, options, rng);
      yield vocabulary.decode([id]);
      probabilities = stepper.step(id);
    }
  } finally {
    // Also when the caller stops early (return) or a step throws: a second thread ends here.
    void stepper.close();
  }
}
