/**
 * Where a save or a training run writes: checked, then created one level at a time.
 *
 * `mkdir(dir, { recursive: true })` is not used: on a path below a file it throws raw EEXIST/ENOTDIR
 * errors, and on a path under a pseudo-filesystem such as /proc (where creating fails with ENOENT although
 * the parent exists) Node 20's recursive mkdir retries forever. Walking the path ourselves gives one typed
 * error naming the path and the reason, and never loops.
 *
 * Node only (node:fs); imported where a directory is written (save.ts, the language-model trainer, the CLI).
 */
// Namespace import: reachable from the package entry, which browsers load too (bundlers stub node:
// modules there, and only a named import fails at load time).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ValueError } from '../errors.js';

/** Why the system refused, in words, for the errno codes a bad output path gives. */
const REASONS: Readonly<Record<string, string>> = {
  EEXIST: 'a file is in the way',
  ENOTDIR: 'a part of the path is a file, not a directory',
  ENOENT: 'the parent directory does not accept new directories',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  ENOSPC: 'the disk is full',
  ENAMETOOLONG: 'the name is too long',
  ELOOP: 'too many symbolic links',
};

function refused(subject: string, dir: string, reason: string): ValueError {
  return new ValueError(subject, `cannot write to '${dir}': ${reason}`, 'a writable directory', dir);
}

/** The words for an errno error (its code when it has no entry above). */
export function reasonOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException)?.code;
  return code ? (REASONS[code] ?? code) : String((error as Error)?.message ?? error);
}

/**
 * Checks, without creating anything, that `dir` is a directory or can be made one: the nearest existing
 * ancestor must be a directory we may write into, and `dir` itself, if it exists, a directory.
 * `subject` names the argument in the error (e.g. `--out`, `save`).
 */
export function checkOutputDirectory(dir: string, subject: string): void {
  if (typeof dir !== 'string' || dir.length === 0 || dir.includes('\0'))
    throw new ValueError(subject, 'needs a directory path', 'a non-empty path', JSON.stringify(dir));
  let at = path.resolve(dir);
  for (;;) {
    let info: fs.Stats | undefined;
    try {
      info = fs.statSync(at, { throwIfNoEntry: false });
    } catch (error) {
      throw refused(subject, dir, reasonOf(error));
    }
    if (info) {
      if (!info.isDirectory())
        throw refused(
          subject,
          dir,
          at === path.resolve(dir) ? 'it is a file, not a directory' : `'${at}' is a file, not a directory`,
        );
      try {
        fs.accessSync(at, fs.constants.W_OK);
      } catch (error) {
        throw refused(subject, dir, reasonOf(error));
      }
      return;
    }
    const parent = path.dirname(at);
    if (parent === at) return;
    at = parent;
  }
}

/** Makes `dir` (and its missing parents) a directory, or throws one typed error naming it. Never loops. */
export function makeOutputDirectory(dir: string, subject: string): void {
  checkOutputDirectory(dir, subject);
  const missing: string[] = [];
  for (let at = path.resolve(dir); !fs.existsSync(at); at = path.dirname(at)) missing.unshift(at);
  for (const at of missing) {
    try {
      fs.mkdirSync(at);
    } catch (error) {
      // Another process made it in the meantime: that is what we wanted.
      if ((error as NodeJS.ErrnoException).code === 'EEXIST' && fs.statSync(at).isDirectory()) continue;
      throw refused(subject, dir, reasonOf(error));
    }
  }
}
