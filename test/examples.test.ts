/**
 * The examples run in CI on small settings with a target: an example that stops learning fails here.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { markerData, quickstart } from '../examples/quickstart.js';

describe('examples', () => {
  it('quickstart: the NovoLSTM classifier beats the majority class clearly, and reloads exactly', async () => {
    const { test, reloadedMatches, history } = await quickstart({ samples: 360, epochs: 12, verbose: 0 });
    const labels = Array.from(markerData(2, 90).y.data);
    const majority = Math.max(...[0, 1, 2].map((c) => labels.filter((l) => l === c).length)) / labels.length;
    assert.ok(test[1] > majority + 0.2, `accuracy ${test[1]} vs majority baseline ${majority}`);
    assert.ok(history.history.loss.at(-1)! < 0.6 * history.history.loss[0]);
    assert.ok(reloadedMatches);
  });
});
