/**
 * A character vocabulary: the sorted set of characters (Unicode code points) of a text, and the maps
 * between characters and ids. Saved with a model so that generation and evaluation use the same ids.
 *
 * Texts are walked code point by code point with charCodeAt, never spread into arrays: `[...text]` of a
 * 100 MB corpus is an array of 100 M references (800 MB), and the encoder once made three of them (3.7 GB
 * peak RSS for 100 MB). Ids go into the smallest typed array that holds the vocabulary (TokenIds).
 */
import { ValueError } from '../../errors.js';

/** Token ids of a text: one byte each for up to 256 characters, two for up to 65,536, else four. */
export type TokenIds = Uint8Array | Uint16Array | Int32Array;

/** An array of `length` ids able to hold every id of a `vocabularySize`-character vocabulary. */
export function tokenIdArray(vocabularySize: number, length: number): TokenIds {
  if (vocabularySize <= 1 << 8) return new Uint8Array(length);
  if (vocabularySize <= 1 << 16) return new Uint16Array(length);
  return new Int32Array(length);
}

/**
 * Calls `visit` with every code point of `text` in order: a string (a surrogate pair is one code point, a
 * lone surrogate its own, as `[...text]` yields them), or UTF-8 bytes that are valid (checked beforehand:
 * encodeCorpus.ts reads corpora as bytes, so no string of the whole text is ever made).
 */
export function forEachCodePoint(text: string | Uint8Array, visit: (codePoint: number) => void): void {
  if (typeof text !== 'string') {
    forEachUtf8CodePoint(text, visit);
    return;
  }
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < n) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        visit((unit - 0xd800) * 0x400 + (low - 0xdc00) + 0x10000);
        i++;
        continue;
      }
    }
    visit(unit);
  }
}

/** The lead byte tells the sequence's length: 0xxxxxxx 1, 110xxxxx 2, 1110xxxx 3, 11110xxx 4 bytes. */
function forEachUtf8CodePoint(bytes: Uint8Array, visit: (codePoint: number) => void): void {
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const lead = bytes[i];
    if (lead < 0x80) {
      visit(lead);
      i += 1;
    } else if (lead < 0xe0) {
      visit(((lead & 0x1f) << 6) | (bytes[i + 1] & 0x3f));
      i += 2;
    } else if (lead < 0xf0) {
      visit(((lead & 0x0f) << 12) | ((bytes[i + 1] & 0x3f) << 6) | (bytes[i + 2] & 0x3f));
      i += 3;
    } else {
      const high = ((lead & 0x07) << 18) | ((bytes[i + 1] & 0x3f) << 12);
      visit(high | ((bytes[i + 2] & 0x3f) << 6) | (bytes[i + 3] & 0x3f));
      i += 4;
    }
  }
}

/** Collects the distinct code points of texts given piece by piece (a corpus read in chunks). */
export class CodePointSet {
  // Code points below 65,536 in a bitmap-sized byte table (fast for the common case), the rest in a Set.
  private readonly basic = new Uint8Array(0x10000);
  private readonly astral = new Set<number>();

  add(text: string | Uint8Array): void {
    forEachCodePoint(text, (cp) => {
      if (cp < 0x10000) this.basic[cp] = 1;
      else this.astral.add(cp);
    });
  }

  /** The code points seen, ascending. */
  sorted(): number[] {
    const points: number[] = [];
    for (let cp = 0; cp < 0x10000; cp++) if (this.basic[cp] === 1) points.push(cp);
    return points.concat([...this.astral].sort((a, b) => a - b));
  }
}

/** The error for characters a vocabulary does not have: each one quoted, once, in order of appearance. */
export function unknownCharactersError(subject: string, missing: readonly string[]): ValueError {
  return new ValueError(
    subject,
    `has characters the vocabulary does not: ${missing.map((c) => JSON.stringify(c)).join(' ')}`,
    'only known characters',
    `${missing.length} unknown`,
  );
}

export class CharVocabulary {
  private readonly ids = new Map<string, number>();
  // The id of each code point below 65,536 (−1: unknown), built on the first encode; others use `ids`.
  private basicIds: Int32Array | null = null;

  private constructor(readonly chars: readonly string[]) {
    chars.forEach((c, i) => this.ids.set(c, i));
  }

  /** Every distinct character of the text, in code-point order (so the same text gives the same ids). */
  static fromText(text: string): CharVocabulary {
    const seen = new CodePointSet();
    seen.add(text);
    return CharVocabulary.fromCodePoints(seen);
  }

  /** The characters of `seen`, in code-point order: the vocabulary `fromText` gives for the same text. */
  static fromCodePoints(seen: CodePointSet): CharVocabulary {
    return new CharVocabulary(seen.sorted().map((cp) => String.fromCodePoint(cp)));
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

  /** The id of a code point, or −1 if the vocabulary does not have it. */
  idOf(codePoint: number): number {
    if (codePoint < 0x10000) return this.basicIdTable()[codePoint];
    return this.ids.get(String.fromCodePoint(codePoint)) ?? -1;
  }

  private basicIdTable(): Int32Array {
    if (this.basicIds === null) {
      const table = new Int32Array(0x10000).fill(-1);
      this.chars.forEach((c, i) => {
        if (c.length === 1) table[c.charCodeAt(0)] = i;
      });
      this.basicIds = table;
    }
    return this.basicIds;
  }

  /**
   * Writes the ids of `text`'s known characters (a string, or valid UTF-8 bytes) into `out` from index `at`
   * on and returns the index after the last one written; each unknown character goes to `onUnknown`
   * instead. `out` must have room for `text.length` more ids (a character is at least one byte or unit).
   */
  encodeInto(
    text: string | Uint8Array,
    out: TokenIds,
    at: number,
    onUnknown: (codePoint: number) => void,
  ): number {
    const table = this.basicIdTable();
    let end = at;
    forEachCodePoint(text, (cp) => {
      // The table lookup inline: this runs once per character of a corpus (twice as fast as calling idOf).
      const id = cp < 0x10000 ? table[cp] : this.idOf(cp);
      if (id >= 0) out[end++] = id;
      else onUnknown(cp);
    });
    return end;
  }

  /** Characters of `text` that are not in the vocabulary (each once, in order of appearance). */
  unknownChars(text: string): string[] {
    const missing = new Set<number>();
    forEachCodePoint(text, (cp) => {
      if (this.idOf(cp) < 0) missing.add(cp);
    });
    return [...missing].map((cp) => String.fromCodePoint(cp));
  }

  /**
   * The ids of `text`. Unknown characters are an error naming them, or are dropped with
   * `unknown: 'skip'`.
   */
  encode(text: string, unknown: 'error' | 'skip' = 'error'): Int32Array {
    const out = new Int32Array(text.length);
    const missing = new Set<number>();
    const end = this.encodeInto(text, out, 0, (cp) => missing.add(cp));
    if (unknown === 'error' && missing.size > 0) {
      throw unknownCharactersError(
        'text',
        [...missing].map((cp) => String.fromCodePoint(cp)),
      );
    }
    return end === out.length ? out : out.slice(0, end);
  }

  decode(ids: ArrayLike<number>): string {
    let s = '';
    for (let i = 0; i < ids.length; i++) s += this.chars[ids[i]] ?? '';
    return s;
  }
}
