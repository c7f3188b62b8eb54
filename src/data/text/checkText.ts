/**
 * Checking that bytes are text, for loadCorpus (corpus.ts, Node), the streamed encoder (encodeCorpus.ts)
 * and a page's picked file (browsers).
 */
import { ValueError } from '../../errors.js';

/** Decodes UTF-8 strictly; refuses empty files and binary data (NUL bytes or invalid UTF-8). */
export function checkText(name: string, bytes: Uint8Array): string {
  if (bytes.length === 0) throw new ValueError('corpus', `'${name}' is empty`, 'some text', '0 bytes');
  if (bytes.includes(0)) throw notText(name, 'NUL');
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw notText(name, 'invalid UTF-8');
  }
}

/** The error for a file that is not UTF-8 text: it holds NUL bytes, or bytes that do not decode. */
export function notText(name: string, found: 'NUL' | 'invalid UTF-8'): ValueError {
  return found === 'NUL'
    ? new ValueError('corpus', `'${name}' looks binary (it contains NUL bytes)`, 'UTF-8 text', 'binary data')
    : new ValueError('corpus', `'${name}' is not valid UTF-8`, 'UTF-8 text', 'undecodable bytes');
}
