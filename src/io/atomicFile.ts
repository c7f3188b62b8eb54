/**
 * Writing a whole file atomically: a temporary file in the same directory, written, flushed to disk, then
 * renamed over the final name. A reader (or a crash, even SIGKILL, at any moment) sees the old file or the
 * new one, never half of one.
 */
// Namespace imports: this module is reachable from the package entry, which browsers load too (bundlers
// stub node: modules there, and only a named import fails at load time).
import * as fs from 'node:fs/promises';
import * as fsSync from 'node:fs';
import * as path from 'node:path';

let counter = 0;

/** A name next to `file` that no other writer (process or call) uses. */
function tempName(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${counter++}.tmp`);
}

export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const temp = tempName(file);
  const handle = await fs.open(temp, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await fs.unlink(temp).catch(() => undefined);
    throw error;
  }
  await handle.close();
  await fs.rename(temp, file);
}

/** The same, synchronously: for small files written between long synchronous computations. */
export function writeFileAtomicSync(file: string, data: string | Uint8Array): void {
  const temp = tempName(file);
  const fd = fsSync.openSync(temp, 'w');
  try {
    fsSync.writeFileSync(fd, data);
    fsSync.fsyncSync(fd);
  } catch (error) {
    fsSync.closeSync(fd);
    fsSync.rmSync(temp, { force: true });
    throw error;
  }
  fsSync.closeSync(fd);
  fsSync.renameSync(temp, file);
}
