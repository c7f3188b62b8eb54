/**
 * gitCommit: a checkout whose code has uncommitted changes says so; changes under docs/ (the trial store a
 * running grid appends to, the reports built from it) do not count.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { gitCommit } from '../src/experiments/provenance.js';

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: dir, encoding: 'utf8' }).trim();
}

describe('gitCommit', () => {
  const dir = mkdtempSync(join(tmpdir(), 'novolstm-provenance-'));
  git(dir, 'init', '-q');
  git(dir, 'config', 'user.email', 'test@example.com');
  git(dir, 'config', 'user.name', 'test');
  mkdirSync(join(dir, 'src'));
  mkdirSync(join(dir, 'docs', 'results', 'trials'), { recursive: true });
  writeFileSync(join(dir, 'src', 'cell.ts'), 'export const units = 7;\n');
  writeFileSync(join(dir, 'docs', 'results', 'trials', 'adding-100.jsonl'), '{"seed":1}\n');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'first');
  const commit = git(dir, 'rev-parse', '--short', 'HEAD');

  it('a clean checkout: the commit alone', () => {
    assert.equal(gitCommit(dir), commit);
  });

  it('a trial appended to the store under docs/: still the commit alone', () => {
    appendFileSync(join(dir, 'docs', 'results', 'trials', 'adding-100.jsonl'), '{"seed":2}\n');
    assert.equal(gitCommit(dir), commit);
  });

  it('changed code: the commit with uncommitted changes', () => {
    writeFileSync(join(dir, 'src', 'cell.ts'), 'export const units = 9;\n');
    assert.equal(gitCommit(dir), `${commit} with uncommitted changes`);
  });

  it('not a git checkout: unknown', () => {
    assert.equal(gitCommit(mkdtempSync(join(tmpdir(), 'novolstm-no-git-'))), 'unknown (not a git checkout)');
  });
});
