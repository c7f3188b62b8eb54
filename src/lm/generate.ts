/**
 * Generating text: the prime is read once, then one character at a time is sampled and fed back, the
 * state carried between steps (nothing is re-read).
 */
import { CharVocabulary } from '../data/text/charVocabulary.js';
import { ValueError } from '../errors.js';
import { checkSamplingOptions, sampleToken, type SamplingOptions } from '../generation/sampling.js';
import type { Sequential } from '../models/sequential.js';
import { Random } from '../random.js';
import { tensor } from '../tensor.js';
import { cloneLanguageModel, languageModelConfig } from './languageModel.js';

export interface GenerateOptions extends SamplingOptions {
  readonly prime?: string;
  readonly length: number;
  readonly seed?: number;
  /** Characters of the prime outside the vocabulary: an error naming them (default), or skipped. */
  readonly unknown?: 'error' | 'skip';
}

/**
 * Yields the generated text piece by piece (the prime is not repeated). `model` is left untouched: a
 * one-row copy does the work. Options and the prime are checked at once, before anything is yielded.
 */
export function generateText(model: Sequential, options: GenerateOptions): Generator<string> {
  checkSamplingOptions(options);
  const config = languageModelConfig(model);
  const vocabulary = CharVocabulary.fromJSON(config.vocabulary);
  const rng = new Random(options.seed ?? 1);
  const runner = cloneLanguageModel(model);
  const unknown = vocabulary.unknownChars(options.prime ?? '');
  if (unknown.length > 0 && (options.unknown ?? 'error') === 'error') {
    throw new ValueError(
      'prime',
      `has characters the model's vocabulary does not: ${unknown.map((c) => JSON.stringify(c)).join(' ')} (skip them with unknown: 'skip')`,
      'only known characters',
      `${unknown.length} unknown`,
    );
  }
  let ids = vocabulary.encode(options.prime ?? '', 'skip');
  if (ids.length === 0) {
    // Nothing to condition on: start after a line break if the text has one, else a random character.
    ids = Int32Array.of(vocabulary.has('\n') ? vocabulary.encode('\n')[0] : rng.int(vocabulary.size));
  }
  const V = vocabulary.size;
  const prime = ids;
  function* run(): Generator<string> {
    const first = runner.predict(tensor(prime, [1, prime.length], 'int32'));
    let probabilities = lastStep(first.data as Float32Array, V);
    for (let i = 0; i < options.length; i++) {
      const id = sampleToken(probabilities, options, rng);
      yield vocabulary.decode([id]);
      const next = runner.predict(tensor(Int32Array.of(id), [1, 1], 'int32'));
      probabilities = lastStep(next.data as Float32Array, V);
    }
  }
  return run();
}

function lastStep(outputs: Float32Array, V: number): Float32Array {
  return outputs.subarray(outputs.length - V);
}
