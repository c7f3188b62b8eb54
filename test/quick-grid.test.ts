/**
 * The reduced comparison grid (`npm run report -- --quick`): a working LSTM must solve the adding problem
 * (modern form, T = 50) and the embedded Reber grammar on each of 3 seeds within the quick budget. If the
 * cells, the layers or the training loop break, this fails.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { runCell } from '../src/experiments/grid.js';
import { QUICK_TASKS } from '../src/experiments/taskSuite.js';

for (const task of QUICK_TASKS) {
  it(`LSTM solves ${task.name} on 3 of 3 seeds`, () => {
    const summary = runCell(task, 'lstm', { seeds: [1, 2, 3], search: false });
    const outcomes = summary.trials.map(
      (t) => `seed ${t.seed}: ${t.solved ? t.sequencesToSuccess : `not solved (${t.finalMetric})`}`,
    );
    assert.equal(summary.solved, 3, outcomes.join('; '));
  });
}
