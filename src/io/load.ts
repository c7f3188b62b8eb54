/**
 * `loadModel(path)`: reads a save directory (format.ts), or the one-file bundle of it (bundle.ts, as the
 * web page downloads), and hands its files to decodeModel (decode.ts), which checks everything. Node only (node:fs); imported lazily so the package entry stays importable in
 * a browser.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, ValueError } from '../errors.js';
import type { Sequential } from '../models/sequential.js';
import { modelFromBytes } from './bundle.js';
import { decodeModel } from './decode.js';
import { DESCRIPTION_FILE, MAX_DESCRIPTION_BYTES } from './format.js';

const SUBJECT = 'loadModel';

export async function loadModel(dir: string): Promise<Sequential> {
  if (typeof dir !== 'string' || dir.length === 0)
    throw new ConfigError(
      SUBJECT,
      'dir must be a directory path (or a model file)',
      'a non-empty string',
      String(dir),
    );
  const info = await stat(dir).catch(() => null);
  if (info?.isFile()) return modelFromBytes(await readFile(dir));
  const path = join(dir, DESCRIPTION_FILE);
  const size = (await stat(path).catch(() => null))?.size;
  if (size === undefined)
    throw new ValueError(SUBJECT, `no ${DESCRIPTION_FILE} in '${dir}'`, 'a saved model directory', dir);
  if (size > MAX_DESCRIPTION_BYTES)
    throw new ValueError(
      SUBJECT,
      `${DESCRIPTION_FILE} is too large`,
      `≤ ${MAX_DESCRIPTION_BYTES} bytes`,
      size,
    );
  // The reader only ever gets names that matched BINARY_FILE_PATTERN (no paths), checked in decode.ts.
  return decodeModel(await readFile(path, 'utf8'), (file) => readFile(join(dir, file)));
}
