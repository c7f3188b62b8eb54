/**
 * The `.keras` file: a zip of `metadata.json`, `config.json` and `model.weights.h5` (Keras 3's
 * saving_lib), read and written with fflate. Only those three members are extracted; anything else in the
 * archive is left compressed and unread.
 */
import { unzipSync, zipSync } from 'fflate';
import { ValueError } from '../../errors.js';

export const CONFIG_FILE = 'config.json';
export const METADATA_FILE = 'metadata.json';
export const WEIGHTS_FILE = 'model.weights.h5';
const MEMBERS = [METADATA_FILE, CONFIG_FILE, WEIGHTS_FILE];
/** A zip's local-file-header signature, "PK\x03\x04". */
const ZIP_SIGNATURE = [0x50, 0x4b, 0x03, 0x04];

export function isZip(bytes: Uint8Array): boolean {
  return ZIP_SIGNATURE.every((b, i) => bytes[i] === b);
}

export interface KerasArchive {
  readonly config: string;
  readonly weights: Uint8Array;
}

export function readArchive(bytes: Uint8Array, what: string): KerasArchive {
  if (!isZip(bytes))
    throw new ValueError('importModel', `${what} is not a zip archive`, 'a .keras zip', 'other bytes');
  let members: Record<string, Uint8Array>;
  try {
    members = unzipSync(bytes, { filter: (file) => MEMBERS.includes(file.name) });
  } catch (error) {
    throw new ValueError(
      'importModel',
      `${what} is not a readable zip`,
      'a .keras zip',
      (error as Error).message,
    );
  }
  for (const name of [CONFIG_FILE, WEIGHTS_FILE]) {
    if (!members[name])
      throw new ValueError(
        'importModel',
        `${what} has no ${name}`,
        name,
        Object.keys(members).join(', ') || 'nothing',
      );
  }
  return { config: new TextDecoder().decode(members[CONFIG_FILE]), weights: members[WEIGHTS_FILE] };
}

export function writeArchive(metadata: string, config: string, weights: Uint8Array): Uint8Array {
  const text = new TextEncoder();
  // Stored, not deflated, as Keras writes them; the fixed 1980 time keeps the JSON members reproducible.
  const options = { level: 0 as const, mtime: new Date(1980, 0, 1) };
  return zipSync(
    {
      [METADATA_FILE]: [text.encode(metadata), options],
      [CONFIG_FILE]: [text.encode(config), options],
      [WEIGHTS_FILE]: [weights, options],
    },
    options,
  );
}
