/**
 * Checking that bytes are text, for loadCorpus (corpus.ts, Node) and for a page's picked file (browsers).
 */
import { ValueError } from '../../errors.js';

/** Decodes UTF-8 strictly; refuses empty files and binary data (NUL bytes or invalid UTF-8). */
export function checkText(name: string, bytes: Uint8Array): string {
  if (bytes.length === 0) throw new ValueError('corpus', `'${name}' is empty`, 'some text', '0 bytes');
  if (bytes.includes(0)) {
    throw new ValueError(
      'corpus',
      `'${name}' looks binary (it contains NUL bytes)`,
      'UTF-8 text',
      'binary data',
    );
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ValueError('corpus', `'${name}' is not valid UTF-8`, 'UTF-8 text', 'undecodable bytes');
  }
}
