/**
 * Word-level text for classifiers: a tokenizer, a word vocabulary with padding and out-of-vocabulary ids,
 * and Keras-style sequence padding.
 *
 * Ids: 0 = padding (so `embedding({ maskZero: true })` masks it), 1 = out of vocabulary, then words from
 * the most frequent down (ties broken alphabetically, so the same texts always give the same ids).
 */
import { ConfigError, ValueError } from '../../errors.js';

export const PAD_ID = 0;
export const OOV_ID = 1;

/** Lower-cased words: runs of letters, digits and apostrophes (Unicode-aware). */
export function tokenizeWords(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+(?:['’][\p{L}\p{N}]+)*/gu) ?? [];
}

export class WordVocabulary {
  private readonly ids = new Map<string, number>();

  private constructor(readonly words: readonly string[]) {
    words.forEach((w, i) => this.ids.set(w, i + 2));
  }

  /** The `maxSize − 2` most frequent words of the texts (2 ids are padding and out-of-vocabulary). */
  static fromTexts(
    texts: readonly string[],
    options: { maxSize?: number; minCount?: number } = {},
  ): WordVocabulary {
    const maxSize = options.maxSize ?? Infinity;
    const minCount = options.minCount ?? 1;
    if (!(maxSize >= 3))
      throw new ConfigError('WordVocabulary', 'maxSize must be at least 3', '≥ 3', maxSize);
    const counts = new Map<string, number>();
    for (const text of texts) for (const w of tokenizeWords(text)) counts.set(w, (counts.get(w) ?? 0) + 1);
    const words = [...counts]
      .filter(([, c]) => c >= minCount)
      .sort(([a, ca], [b, cb]) => cb - ca || (a < b ? -1 : a > b ? 1 : 0))
      .slice(0, maxSize - 2)
      .map(([w]) => w);
    return new WordVocabulary(words);
  }

  static fromJSON(value: unknown): WordVocabulary {
    if (!Array.isArray(value) || !value.every((w) => typeof w === 'string')) {
      throw new ValueError('word vocabulary', 'must be an array of strings', 'string[]', typeof value);
    }
    return new WordVocabulary(value as string[]);
  }

  toJSON(): string[] {
    return [...this.words];
  }

  /** Ids including padding and out-of-vocabulary: the embedding's inputDim. */
  get size(): number {
    return this.words.length + 2;
  }

  encode(text: string): Int32Array {
    return Int32Array.from(tokenizeWords(text), (w) => this.ids.get(w) ?? OOV_ID);
  }
}

export interface PadOptions {
  /** Length of every output row. */
  readonly maxLen: number;
  /** Where padding goes: 'pre' (Keras' default) or 'post'. */
  readonly padding?: 'pre' | 'post';
  /** Which end of a longer sequence is cut: 'pre' (Keras' default) or 'post'. */
  readonly truncating?: 'pre' | 'post';
}

/** Sequences → one [N, maxLen] array of ids, padded with 0 (Keras' pad_sequences). */
export function padSequences(sequences: readonly ArrayLike<number>[], options: PadOptions): Int32Array {
  const { maxLen } = options;
  if (!Number.isInteger(maxLen) || maxLen < 1) {
    throw new ConfigError('padSequences', 'maxLen must be a positive integer', '≥ 1', maxLen);
  }
  const padding = options.padding ?? 'pre';
  const truncating = options.truncating ?? 'pre';
  const out = new Int32Array(sequences.length * maxLen);
  sequences.forEach((seq, n) => {
    const keep = Math.min(seq.length, maxLen);
    const from = truncating === 'pre' ? seq.length - keep : 0;
    const to = padding === 'pre' ? maxLen - keep : 0;
    for (let i = 0; i < keep; i++) out[n * maxLen + to + i] = seq[from + i];
  });
  return out;
}
