/**
 * A minimal POSIX ustar archive of flat, regular files: enough to carry a save directory (model.json and
 * its binaries) as one file that `tar -xf` unpacks anywhere. Browser-safe.
 *
 * Layout: for each file a 512-byte header (name, octal size, checksum, type '0', magic "ustar\0" "00"),
 * then its bytes padded to a multiple of 512; two zero blocks end the archive. Times, owners and modes are
 * fixed, so the same files always give the same bytes.
 */
import { ValueError } from '../errors.js';

const BLOCK = 512;
const SUBJECT = 'tar archive';

export interface ArchiveFile {
  readonly name: string;
  readonly bytes: Uint8Array;
}

export function packTar(files: readonly ArchiveFile[]): Uint8Array {
  const padded = (n: number) => Math.ceil(n / BLOCK) * BLOCK;
  const total = files.reduce((sum, f) => sum + BLOCK + padded(f.bytes.length), 0) + 2 * BLOCK;
  const out = new Uint8Array(total);
  let at = 0;
  for (const f of files) {
    const name = new TextEncoder().encode(f.name);
    if (name.length === 0 || name.length > 100 || f.name.includes('/')) {
      throw new ValueError(
        SUBJECT,
        'file names must be 1–100 bytes, without directories',
        'a plain name',
        f.name,
      );
    }
    const header = out.subarray(at, at + BLOCK);
    header.set(name, 0);
    writeOctal(header, 100, 8, 0o644);
    writeOctal(header, 108, 8, 0);
    writeOctal(header, 116, 8, 0);
    writeOctal(header, 124, 12, f.bytes.length);
    writeOctal(header, 136, 12, 0);
    header[156] = 0x30; // '0': a regular file
    header.set(new TextEncoder().encode('ustar\u000000'), 257);
    writeOctal(header, 148, 8, checksum(header));
    out.set(f.bytes, at + BLOCK);
    at += BLOCK + padded(f.bytes.length);
  }
  return out;
}

/** The regular files of an archive, checked: header checksums, sizes within the archive, no duplicates. */
export function unpackTar(archive: Readonly<Uint8Array>): ArchiveFile[] {
  const files: ArchiveFile[] = [];
  let at = 0;
  while (at + BLOCK <= archive.length) {
    const header = archive.subarray(at, at + BLOCK);
    if (header.every((b) => b === 0)) return files;
    const stored = readOctal(header, 148, 8);
    if (stored !== checksum(header)) {
      throw new ValueError(SUBJECT, `header at byte ${at} is corrupt (checksum)`, stored, checksum(header));
    }
    const nameEnd = header.subarray(0, 100).indexOf(0);
    const name = new TextDecoder().decode(header.subarray(0, nameEnd < 0 ? 100 : nameEnd));
    const size = readOctal(header, 124, 12);
    const type = header[156];
    if (at + BLOCK + size > archive.length) {
      throw new ValueError(
        SUBJECT,
        `'${name}' runs past the end`,
        `≤ ${archive.length - at - BLOCK} bytes`,
        size,
      );
    }
    // Regular files only ('0' or, from old tars, NUL); directories and links are not part of a save.
    if (type !== 0x30 && type !== 0) {
      throw new ValueError(SUBJECT, `'${name}' is not a regular file`, "type '0'", String.fromCharCode(type));
    }
    if (files.some((f) => f.name === name))
      throw new ValueError(SUBJECT, `'${name}' appears twice`, 'once', 2);
    files.push({ name, bytes: archive.slice(at + BLOCK, at + BLOCK + size) });
    at += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
  }
  throw new ValueError(SUBJECT, 'is truncated (no end-of-archive blocks)', 'two zero blocks', 'end of data');
}

/** The header's byte sum with the checksum field counted as eight spaces. */
function checksum(header: Readonly<Uint8Array>): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i];
  return sum;
}

/** Octal digits, zero-padded, ending in NUL (the ustar convention). */
function writeOctal(header: Uint8Array, offset: number, width: number, value: number): void {
  const digits = value.toString(8).padStart(width - 1, '0');
  if (digits.length > width - 1)
    throw new ValueError(SUBJECT, 'a field is too large', `< 8^${width - 1}`, value);
  for (let i = 0; i < digits.length; i++) header[offset + i] = digits.charCodeAt(i);
  header[offset + width - 1] = 0;
}

function readOctal(header: Readonly<Uint8Array>, offset: number, width: number): number {
  const text = new TextDecoder()
    .decode(header.subarray(offset, offset + width))
    .replace(/[\0 ]+$/, '')
    .trim();
  if (!/^[0-7]+$/.test(text))
    throw new ValueError(SUBJECT, 'a header number is malformed', 'octal digits', JSON.stringify(text));
  return parseInt(text, 8);
}
