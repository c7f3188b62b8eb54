/**
 * A character vocabulary: the sorted set of characters (Unicode code points) of a text, and the maps
 * between characters and ids. Saved with a model so that generation and evaluation use the same ids.
 */
import { ValueError } from '../../errors.js';

export class CharVocabulary {
  private readonly ids = new Map<string, number>();

  private constructor(readonly chars: readonly string[]) {
    chars.forEach((c, i) => this.ids.set(c, i));
  }

  /** Every distinct character of the text, in code-point order (so the same text gives the same ids). */
  static fromText(text: string): CharVocabulary {
    const chars = [...new Set(text)].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
    return new CharVocabulary(chars);
  }

  /** From saved JSON: an array of distinct single characters. Anything else is refused. */
  static fromJSON(value: unknown): CharVocabulary {
    if (!Array.isArray(value) || value.length === 0) {
      throw new ValueError('vocabulary', 'must be a non-empty array of characters', 'string[]', typeof value);
    }
    for (const c of value) {
      if (typeof c !== 'string' || [...c].length !== 1) {
        throw new ValueError(
          'vocabulary',
          'every entry must be one character',
          'a 1-character string',
          JSON.stringify(c),
        );
      }
    }
    if (new Set(value).size !== value.length) {
      throw new ValueError('vocabulary', 'has repeated characters', 'distinct characters', 'repeats');
    }
    return new CharVocabulary(value as string[]);
  }

  toJSON(): string[] {
    return [...this.chars];
  }

  get size(): number {
    return this.chars.length;
  }

  has(c: string): boolean {
    return this.ids.has(c);
  }

  /** Characters of `text` that are not in the vocabulary (each once, in order of appearance). */
  unknownChars(text: string): string[] {
    return [...new Set([...text].filter((c) => !this.ids.has(c)))];
  }

  /**
   * The ids of `text`. Unknown characters are an error naming them, or are dropped with
   * `unknown: 'skip'`.
   */
  encode(text: string, unknown: 'error' | 'skip' = 'error'): Int32Array {
    const chars = [...text];
    if (unknown === 'error') {
      const missing = this.unknownChars(text);
      if (missing.length > 0) {
        throw new ValueError(
          'text',
          `has characters the vocabulary does not: ${missing.map((c) => JSON.stringify(c)).join(' ')}`,
          'only known characters',
          `${missing.length} unknown`,
        );
      }
    }
    const out: number[] = [];
    for (const c of chars) {
      const id = this.ids.get(c);
      if (id !== undefined) out.push(id);
    }
    return Int32Array.from(out);
  }

  decode(ids: ArrayLike<number>): string {
    let s = '';
    for (let i = 0; i < ids.length; i++) s += this.chars[ids[i]] ?? '';
    return s;
  }
}
