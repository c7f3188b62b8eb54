/**
 * The package's Node entry (src/node.ts) loads the engine at import in a fresh process started with no
 * flag: relaxed SIMD in Node 20 too (it sets V8's flag before compiling), ready before any call.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { it } from 'node:test';

const ROOT = new URL('..', import.meta.url).pathname;

it('importing the Node entry loads the relaxed engine with no flag and no setup call', () => {
  const script =
    "const nl = await import('./src/node.ts'); " +
    'console.log(JSON.stringify({ backend: nl.backend(), flagged: process.execArgv.some((a) => a.startsWith("--experimental-wasm")) }));';
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  assert.equal(result.status, 0, result.stderr);
  assert.deepEqual(JSON.parse(result.stdout), { backend: 'relaxed', flagged: false });
  assert.doesNotMatch(result.stderr, /NOVOLSTM_NO_ENGINE/);
});
