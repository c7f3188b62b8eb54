/**
 * Optional peers: a missing package becomes one ConfigError naming what to install; any other failure
 * (a module inside an installed package, a bug) passes through unchanged.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { ConfigError } from '../src/errors.js';
import { importPeer, isMissingPackage, MissingPackageError } from '../src/peers.js';
import { requirePeer } from '../src/data/requirePeer.js';

const ABSENT = 'novolstm-no-such-package-7';

it('importPeer: a missing package is a ConfigError naming the package and the feature', async () => {
  await assert.rejects(importPeer(ABSENT, 'the odd feature'), (error: unknown) => {
    assert.ok(error instanceof MissingPackageError && error instanceof ConfigError);
    assert.equal(error.pkg, ABSENT);
    assert.equal(
      error.message,
      `the odd feature: needs the optional package '${ABSENT}': npm install ${ABSENT} — expected '${ABSENT}' installed, got not found`,
    );
    return true;
  });
});

it('requirePeer: the same error for a CommonJS package', () => {
  assert.throws(() => requirePeer(ABSENT, 'the odd data set'), MissingPackageError);
});

it('an installed peer loads', async () => {
  const fflate = await importPeer<typeof import('fflate')>('fflate', 'zip');
  assert.equal(typeof fflate.zipSync, 'function');
});

it('only a missing package itself counts as missing', () => {
  const inner = Object.assign(new Error(`Cannot find module 'other-dependency' imported from ${ABSENT}`), {
    code: 'ERR_MODULE_NOT_FOUND',
  });
  assert.equal(isMissingPackage(inner, 'other-dependency'), true);
  assert.equal(isMissingPackage(new Error(`${ABSENT} failed to start`), ABSENT), false);
  assert.equal(
    isMissingPackage(Object.assign(new Error('x'), { code: 'ERR_MODULE_NOT_FOUND' }), ABSENT),
    false,
  );
});
