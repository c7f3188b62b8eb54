/**
 * A model as one file: the save directory of format.ts (model.json and its binary files, byte for byte)
 * packed in a tar archive (tar.ts). `tar -xf model.tar -C dir` gives a directory that `loadModel(dir)`
 * and the CLI read; `modelFromBytes` reads the archive directly. Browser-safe: this is how a page saves
 * to a download and loads from a picked file.
 */
import { ValueError } from '../errors.js';
import type { Sequential } from '../models/sequential.js';
import { decodeModel } from './decode.js';
import { encodeModel } from './encode.js';
import { BINARY_FILE_PATTERN, DESCRIPTION_FILE, MAX_DESCRIPTION_BYTES } from './format.js';
import { packTar, unpackTar } from './tar.js';

const SUBJECT = 'model file';

/** model.json first, so a reader (or `tar -t`) sees the description before the weights. */
export async function modelToBytes(model: Sequential): Promise<Uint8Array> {
  const { json, binaries } = await encodeModel(model);
  return packTar([
    { name: DESCRIPTION_FILE, bytes: json },
    ...binaries.map((b) => ({ name: b.file, bytes: b.bytes })),
  ]);
}

export async function modelFromBytes(bytes: Readonly<Uint8Array>): Promise<Sequential> {
  // Any other file (a program, an image, a text) is named as such, before its bytes are read as a header.
  const magic = new TextDecoder().decode(bytes.subarray(257, 262));
  if (bytes.length < 512 || magic !== 'ustar') {
    throw new ValueError(
      SUBJECT,
      'is not a model file (a tar archive of a save)',
      'a tar archive',
      `${bytes.length} bytes without a tar header`,
    );
  }
  return modelFromFiles(unpackTar(bytes));
}

/**
 * A model from the files of a save, however they arrived: unpacked from an archive, or picked one by one
 * (model.json and its .bin files from a CLI save directory). Files of other names are refused.
 */
export async function modelFromFiles(
  files: readonly { readonly name: string; readonly bytes: Uint8Array }[],
): Promise<Sequential> {
  for (const f of files) {
    if (f.name !== DESCRIPTION_FILE && !BINARY_FILE_PATTERN.test(f.name)) {
      throw new ValueError(
        SUBJECT,
        `holds an unexpected file '${f.name}'`,
        `${DESCRIPTION_FILE} and *.bin`,
        f.name,
      );
    }
  }
  const description = files.find((f) => f.name === DESCRIPTION_FILE);
  if (!description) throw new ValueError(SUBJECT, `has no ${DESCRIPTION_FILE}`, DESCRIPTION_FILE, 'nothing');
  if (description.bytes.length > MAX_DESCRIPTION_BYTES) {
    throw new ValueError(
      SUBJECT,
      `${DESCRIPTION_FILE} is too large`,
      `≤ ${MAX_DESCRIPTION_BYTES} bytes`,
      description.bytes.length,
    );
  }
  const json = new TextDecoder().decode(description.bytes);
  return decodeModel(json, async (file) => files.find((f) => f.name === file)?.bytes ?? null);
}
