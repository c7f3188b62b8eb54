/**
 * The grid's speed-ups leave every trial's result as it was: short trials of every cell (see
 * trialIdentityCases.ts) give exactly — to the bit — the results recorded from the code before them.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import '../src/node.js';
import { kernelBackend } from '../src/layers/backend.js';
import { decode, identityCases, resultOf, runCase } from './trialIdentityCases.js';

const fixture = decode(readFileSync(new URL('fixtures/trialIdentity.json', import.meta.url), 'utf8')) as {
  commit: string;
  backend: string;
  results: ReturnType<typeof resultOf>[];
};

describe('trial results are those of the code before the speed-ups', () => {
  const cases = identityCases();
  it('the fixture holds one result per case', () => {
    assert.equal(fixture.results.length, cases.length);
  });
  for (const [i, c] of cases.entries()) {
    it(`${c.task.name}, ${c.cell}: identical to commit ${fixture.commit}`, (t) => {
      // The relaxed build fuses multiply-adds, the plain SIMD build does not: their results differ.
      if (kernelBackend() !== fixture.backend) {
        t.skip(`recorded on the '${fixture.backend}' build, running on '${kernelBackend()}'`);
        return;
      }
      assert.deepStrictEqual(resultOf(runCase(c)), fixture.results[i]);
    });
  }
});
