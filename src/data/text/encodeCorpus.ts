/**
 * Reading a corpus of any size into token ids without holding its text: the file is read in chunks, each
 * chunk cut after its last whole character, checked (no NUL bytes, valid UTF-8), hashed (SHA-256), and its
 * characters go straight from the bytes into a typed array of ids. A corpus is read twice for a new
 * vocabulary — once for its characters, once for their ids — and once when the vocabulary is known (a
 * resume, a validation file, `eval`).
 *
 * Reading yields after every chunk (the functions here are generators underneath): `encodeCorpus` runs one
 * through, `encodeCorpusInterruptibly` lets the event loop in between chunks, so a Ctrl-C while a large
 * corpus is read is seen within a chunk (tens of milliseconds) rather than after the whole file.
 *
 * Memory: the ids (one byte per character for a vocabulary of up to 256 characters, two up to 65,536) and
 * one chunk. No string is made: no JavaScript string could hold a 1 GB corpus anyway (V8's limit is about
 * 512 M characters), and decoding chunks into strings left about 100 MB of freed buffers in the process.
 *
 * The digest is the SHA-256 of the text's UTF-8 bytes — the file after a leading byte-order mark, which
 * the UTF-8 decoder has always dropped — so it equals the one checkpoints have recorded since they hashed
 * the whole decoded string.
 */
// Namespace imports, used only inside the functions: the package entry (which re-exports this module) stays
// importable in a browser, where bundlers stub node: modules and throw on the first use of a member.
import * as nodeBuffer from 'node:buffer';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { ValueError } from '../../errors.js';
import {
  CharVocabulary,
  CodePointSet,
  tokenIdArray,
  unknownCharactersError,
  type TokenIds,
} from './charVocabulary.js';
import { notText } from './checkText.js';
import { loadCorpus } from './corpus.js';

/** A corpus' text as ids under a vocabulary. */
export interface EncodedCorpus {
  readonly ids: TokenIds;
  /** SHA-256 (hex) of the text's UTF-8 bytes. */
  readonly sha256: string;
  /** Characters the vocabulary does not have (each once, in order of appearance); skipped, not encoded. */
  readonly unknown: readonly string[];
  /** How many characters were skipped. */
  readonly skipped: number;
}

// 4 MB: large enough that per-chunk costs vanish, small next to the ids of a corpus that needs streaming.
export const CHUNK_BYTES = 1 << 22;
const BOM = [0xef, 0xbb, 0xbf];

/** The vocabulary of a corpus (a file or a built-in): `CharVocabulary.fromText` of its whole text. */
export function corpusVocabulary(source: string): CharVocabulary {
  return runThrough(vocabularySteps(source));
}

/** `corpusVocabulary`, letting the event loop in after each chunk; rejects with `signal.reason` once aborted. */
export function corpusVocabularyInterruptibly(source: string, signal?: AbortSignal): Promise<CharVocabulary> {
  return runYielding(vocabularySteps(source), signal);
}

function* vocabularySteps(source: string): Steps<CharVocabulary> {
  const seen = new CodePointSet();
  yield* readText(source, (text) => seen.add(text));
  return CharVocabulary.fromCodePoints(seen);
}

/**
 * The ids of a corpus under `vocabulary`, with its SHA-256. Unknown characters are an error naming them,
 * or with `unknown: 'skip'` dropped and reported in the result.
 */
export function encodeCorpus(
  source: string,
  vocabulary: CharVocabulary,
  unknown: 'error' | 'skip' = 'error',
): EncodedCorpus {
  return runThrough(encodingSteps(source, vocabulary, unknown));
}

/** `encodeCorpus`, letting the event loop in after each chunk; rejects with `signal.reason` once aborted. */
export function encodeCorpusInterruptibly(
  source: string,
  vocabulary: CharVocabulary,
  unknown: 'error' | 'skip' = 'error',
  signal?: AbortSignal,
): Promise<EncodedCorpus> {
  return runYielding(encodingSteps(source, vocabulary, unknown), signal);
}

/** Work done a chunk at a time: it yields after each chunk, and returns its result. */
type Steps<T> = Generator<void, T, void>;

function runThrough<T>(steps: Steps<T>): T {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

async function runYielding<T>(steps: Steps<T>, signal?: AbortSignal): Promise<T> {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    await new Promise((resolve) => setImmediate(resolve));
    if (signal?.aborted) {
      steps.return(undefined as T); // runs the reader's `finally`: the file is closed
      throw signal.reason;
    }
  }
}

function* encodingSteps(
  source: string,
  vocabulary: CharVocabulary,
  unknown: 'error' | 'skip',
): Steps<EncodedCorpus> {
  const missing = new Set<number>();
  let skipped = 0;
  let ids: TokenIds = new Uint8Array(0);
  let end = 0;
  const sha256 = yield* readText(
    source,
    (text) => {
      end = vocabulary.encodeInto(text, ids, end, (cp) => {
        missing.add(cp);
        skipped++;
      });
    },
    // A character takes at least one byte (or one UTF-16 unit), so this many ids are always enough; the
    // pages past the last id written are never touched, so they cost address space, not memory.
    (capacity) => (ids = tokenIdArray(vocabulary.size, capacity)),
  );
  const unknownChars = [...missing].map((cp) => String.fromCodePoint(cp));
  if (unknown === 'error' && unknownChars.length > 0) throw unknownCharactersError(source, unknownChars);
  return { ids: ids.subarray(0, end), sha256, unknown: unknownChars, skipped };
}

/**
 * Calls `visit` with the text of `source` piece by piece, as valid UTF-8 bytes of whole characters, and
 * returns its SHA-256. `sized` first learns an upper bound of its characters. Empty, binary (NUL bytes)
 * and invalid UTF-8 input is refused.
 */
function* readText(
  source: string,
  visit: (text: Uint8Array) => void,
  sized?: (maxChars: number) => void,
): Steps<string> {
  const hash = crypto.createHash('sha256');
  if (source.startsWith('builtin:')) {
    const text = loadCorpus(source);
    sized?.(text.length);
    visit(new TextEncoder().encode(text));
    return hash.update(text).digest('hex');
  }
  let atStart = true;
  const onPiece = (piece: Uint8Array): void => {
    if (piece.includes(0)) throw notText(source, 'NUL');
    // The text starts after a byte-order mark (as TextDecoder reads it), for the ids and the digest.
    const text = atStart && BOM.every((b, i) => piece[i] === b) ? piece.subarray(BOM.length) : piece;
    atStart = false;
    if (!nodeBuffer.isUtf8(text)) throw notText(source, 'invalid UTF-8');
    hash.update(text);
    visit(text);
  };
  const size = yield* readPieces(source, onPiece, sized);
  if (size === 0) throw new ValueError('corpus', `'${source}' is empty`, 'some text', '0 bytes');
  return hash.digest('hex');
}

/**
 * Reads a file in pieces that end on a character boundary, and returns its size. A regular file is read
 * from disk a chunk at a time (only as far as the size it had when opened, so a file that grows meanwhile
 * cannot overflow the ids); anything else (a pipe, /dev/stdin) is read whole, since it cannot be read twice.
 */
function* readPieces(
  source: string,
  onPiece: (piece: Uint8Array) => void,
  sized?: (maxChars: number) => void,
): Steps<number> {
  let fd: number;
  let stat: fs.Stats;
  try {
    fd = fs.openSync(source, 'r');
    stat = fs.fstatSync(fd);
  } catch {
    throw cannotRead(source, 'no readable file');
  }
  try {
    if (stat.isDirectory()) throw cannotRead(source, 'a directory');
    if (!stat.isFile()) {
      const bytes = fs.readFileSync(fd);
      sized?.(bytes.length);
      if (bytes.length > 0) onPiece(bytes);
      return bytes.length;
    }
    sized?.(stat.size);
    // A chunk, after the bytes of a character the previous chunk cut (at most 3).
    const buffer = new Uint8Array(Math.min(CHUNK_BYTES, stat.size) + 3);
    let carried = 0;
    let at = 0;
    while (at < stat.size) {
      const n = fs.readSync(fd, buffer, carried, Math.min(CHUNK_BYTES, stat.size - at), at);
      if (n === 0) break; // the file shrank meanwhile: read what is there
      at += n;
      const filled = carried + n;
      const end = at < stat.size ? wholeCharactersEnd(buffer, filled) : filled;
      onPiece(buffer.subarray(0, end));
      buffer.copyWithin(0, end, filled);
      carried = filled - end;
      yield;
    }
    if (carried > 0) onPiece(buffer.subarray(0, carried)); // a cut character: refused as invalid UTF-8
    return at;
  } catch (error) {
    // A system error (EIO, …) while reading; the checks' own errors pass through.
    const code = (error as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && !(error instanceof ValueError)) throw cannotRead(source, code);
    throw error;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Where the last whole character of `bytes[0, filled)` ends: before a lead byte (11xxxxxx) among the last
 * three whose sequence runs past `filled`. Invalid bytes are left for the UTF-8 check to find.
 */
function wholeCharactersEnd(bytes: Uint8Array, filled: number): number {
  for (let back = 1; back <= Math.min(3, filled); back++) {
    const b = bytes[filled - back];
    if ((b & 0xc0) === 0x80) continue; // a continuation byte: the lead is further back
    const length = b < 0xc0 ? 1 : b < 0xe0 ? 2 : b < 0xf0 ? 3 : 4;
    return length > back ? filled - back : filled;
  }
  return filled;
}

function cannotRead(source: string, reason: string): ValueError {
  return new ValueError('corpus', `cannot read '${source}'`, 'an existing text file', reason);
}
