/**
 * The page's built-in text: the opening chapters of Moby-Dick (from "Loomings" on), cut at a paragraph
 * break near EXCERPT_CHARS — enough for a model to learn words in a few minutes, small enough to ship
 * with the page. Read with the library's own corpus loader, at build time, in Node.
 */
import { loadCorpus } from '../src/data/text/corpus.js';

export const EXCERPT_CHARS = 200_000;

export function mobyDickExcerpt(): string {
  const book = loadCorpus('builtin:moby-dick');
  // The chapter's title, not its entry in the table of contents: the last 'Loomings.' before its text.
  const from = Math.max(0, book.lastIndexOf('Loomings.', book.indexOf('Call me Ishmael')));
  const end = book.lastIndexOf('\n\n', from + EXCERPT_CHARS);
  return book.slice(from, end > from ? end : from + EXCERPT_CHARS);
}
