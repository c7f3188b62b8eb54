/**
 * `model.save(dir)`: writes the format of format.ts atomically. Every file is written to a temporary
 * name, flushed to disk, and renamed into place; model.json goes last, so a crash (even SIGKILL) at any
 * point leaves either the previous save or the new one, both complete. Binary files from earlier saves
 * that the new model.json no longer names are removed afterwards.
 *
 * Node only (node:fs); imported lazily so the package entry stays importable in a browser.
 */
import { open, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, ValueError } from '../errors.js';
import { writeFileAtomic } from './atomicFile.js';
import type { Sequential } from '../models/sequential.js';
import { encodeModel } from './encode.js';
import { BINARY_FILE_PATTERN, DESCRIPTION_FILE } from './format.js';
import { makeOutputDirectory, reasonOf } from './outputDirectory.js';

export async function saveModel(model: Sequential, dir: string): Promise<void> {
  if (typeof dir !== 'string' || dir.length === 0)
    throw new ConfigError('save', 'dir must be a directory path', 'a non-empty string', String(dir));
  const { json, binaries } = await encodeModel(model);
  makeOutputDirectory(dir, 'save');
  try {
    for (const { file, bytes } of binaries) await writeFileAtomic(join(dir, file), bytes);
    await writeFileAtomic(join(dir, DESCRIPTION_FILE), json);
  } catch (error) {
    // E.g. a full disk: the temporaries are gone (atomicFile.ts) and the previous save is still complete.
    throw new ValueError('save', `cannot write to '${dir}': ${reasonOf(error)}`, 'a writable directory', dir);
  }
  await syncDirectory(dir);
  await removeUnreferenced(
    dir,
    binaries.map((b) => b.file),
  );
}

/** Makes the renames durable; not every platform can fsync a directory, which is then skipped. */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Windows cannot open a directory for fsync; the renames are still atomic there.
  }
}

/** Removes our binary files and stale temporaries that the current model.json does not name. */
async function removeUnreferenced(dir: string, keep: readonly string[]): Promise<void> {
  for (const name of await readdir(dir)) {
    const ours =
      BINARY_FILE_PATTERN.test(name) ||
      /^\.(weights|optimizer)-[0-9a-f]{16}\.bin\.\d+\.\d+\.tmp$/.test(name) ||
      /^\.model\.json\.\d+\.\d+\.tmp$/.test(name);
    const stillBeingWritten = name.includes(`.${process.pid}.`) && name.endsWith('.tmp');
    if (ours && !keep.includes(name) && !stillBeingWritten)
      await unlink(join(dir, name)).catch(() => undefined);
  }
}
