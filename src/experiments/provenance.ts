/**
 * Where a report's numbers came from: the commit (and whether the checkout had uncommitted changes), the
 * machine, the Node.js and novolstm versions, and the kernels the layers ran on.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The commit the code runs from; taken when a run starts, since commits made meanwhile are not in it. */
export function gitCommit(root = ROOT): string {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: root,
      encoding: 'utf8',
    }).trim();
    // docs/ is left out: it holds the trial store, which a grid run appends to as it goes, and the reports
    // built from it; neither changes what the code computes, and counting them marked every trial of a
    // running grid as run from uncommitted code.
    const dirty = execFileSync(
      'git',
      ['status', '--porcelain', '--untracked-files=no', '--', '.', ':(exclude)docs'],
      { cwd: root, encoding: 'utf8' },
    ).trim();
    // A report from uncommitted code cannot be reproduced from its commit: say so.
    return dirty ? `${commit} with uncommitted changes` : commit;
  } catch {
    // Leave it unknown: a report from an unpacked tarball is still a report.
    return 'unknown (not a git checkout)';
  }
}

export function machineDescription(backend?: string, commit = gitCommit()): string {
  const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string })
    .version;
  const cpu = cpus();
  return [
    `- machine: ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`,
    `- Node.js ${process.version} on ${process.platform}/${process.arch}; novolstm ${version}, commit ${commit}`,
    ...(backend
      ? [
          `- kernels: ${backend} (${backend === 'reference' ? 'the plain float32 reference kernels' : 'the WebAssembly engine'})`,
        ]
      : []),
  ].join('\n');
}
