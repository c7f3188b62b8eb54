/**
 * The package's version, read from its package.json at run time, so `novolstm --version` cannot drift from
 * what npm installed. This file sits two folders below the package root both as src/cli/version.ts (tsx,
 * the repository) and as dist/cli/version.js (the installed package).
 */
import { readFileSync } from 'node:fs';

export function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version?: unknown;
  };
  return String(manifest.version);
}
