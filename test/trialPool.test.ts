/**
 * The grid on a pool of trial workers (trialPool.ts, grid.ts runGrid): the same results as each trial run
 * alone on this thread, whatever the scheduling; the search chosen before the seeds; the cache written
 * from this thread as trials finish; the deadline; a worker's typed error coming back as the same class.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import '../src/node.js';
import { ConfigError } from '../src/errors.js';
import { comparedCell } from '../src/experiments/comparedCells.js';
import { estimateGrid } from '../src/experiments/estimate.js';
import { runCell, runGrid, SEARCH_SEED } from '../src/experiments/grid.js';
import { taskByName, type TaskSpec } from '../src/experiments/taskSuite.js';
import { runTrial, type TrialResult } from '../src/experiments/trial.js';
import { TrialCache } from '../src/experiments/trialCache.js';
import { localTrialRunner, TrialPool } from '../src/experiments/trialPool.js';

/** A trial without its wall-clock fields. */
function resultOf(t: TrialResult) {
  const { seconds: _s, trainSeconds: _t, evaluationSeconds: _e, ...rest } = t;
  return rest;
}

// Two odd-sized budgets of suite tasks, small enough for a test; three rates for the search.
const reber: TaskSpec = { ...taskByName('embedded-reber'), maxSequences: 5 * 16, evalEvery: 3 * 16 };
const adding: TaskSpec = {
  ...taskByName('adding-modern-50'),
  maxSequences: 3 * 32,
  evalEvery: 2 * 32,
  learningRates: [3e-3, 1e-2, 3e-2],
};
const cells = ['lstm', 'gru', 'novolstm'];
const seeds = [1, 2];

describe('the grid on a pool of trial workers', () => {
  const pool = new TrialPool(2);
  after(() => pool.close());

  it('gives every trial exactly the result it has run alone, and the cells runCell gives', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'novolstm-pool-'));
    const cache = new TrialCache(dir, 'abc1234');
    const seen: { result: TrialResult; phase: string; cached: boolean }[] = [];
    const order: string[] = [];
    const grid = await runGrid([reber, adding], cells, pool, {
      seeds,
      search: true,
      cache,
      onTrial: (result, phase, cached) => {
        // Written from this thread as the trial finished, before onTrial.
        assert.ok(cache.get(taskOf(result.task), result.cell, result) !== null, 'in the cache');
        seen.push({ result, phase, cached });
        order.push(`${result.task} ${result.cell} ${phase}`);
      },
    });
    assert.deepEqual(
      grid.map((g) => [g.task.name, g.cells.map((c) => c.cell), g.notRun]),
      [
        [reber.name, cells, []],
        [adding.name, cells, []],
      ],
    );
    // 2 tasks × 3 cells × (3 search rates + 2 seeds), none from the cache.
    assert.equal(seen.length, 2 * 3 * (3 + 2));
    assert.ok(seen.every((s) => !s.cached));
    for (const { result } of seen) {
      const alone = runTrial(taskOf(result.task), comparedCell(result.cell), {
        seed: result.seed,
        learningRate: result.learningRate,
      });
      assert.deepStrictEqual(
        resultOf(result),
        resultOf(alone),
        `${result.task} ${result.cell} seed ${result.seed}`,
      );
    }
    // Each cell's seeds ran only after its whole search.
    for (const task of [reber, adding]) {
      for (const cell of cells) {
        const mine = order.flatMap((o, i) =>
          o.startsWith(`${task.name} ${cell} `) ? [[o, i] as const] : [],
        );
        const lastSearch = Math.max(...mine.filter(([o]) => o.endsWith('search')).map(([, i]) => i));
        const firstSeed = Math.min(...mine.filter(([o]) => o.endsWith('evaluation')).map(([, i]) => i));
        assert.ok(lastSearch < firstSeed, `${task.name} ${cell}: search before seeds`);
      }
    }
    // The same summaries as runCell on this thread (trials from the cache: runCell's own choice of rate).
    for (const g of grid) {
      for (const summary of g.cells) {
        const local = runCell(g.task, summary.cell, { seeds, search: true, cache });
        assert.deepEqual(
          { ...summary, trials: summary.trials.map(resultOf), medianSeconds: 0 },
          { ...local, trials: local.trials.map(resultOf), medianSeconds: 0 },
        );
        assert.ok(summary.trials.every((t) => t.seed !== SEARCH_SEED));
      }
    }
    // A second run takes every trial from the cache and runs nothing.
    const again: boolean[] = [];
    await runGrid([reber, adding], cells, pool, {
      seeds,
      search: true,
      cache,
      onTrial: (_, __, c) => again.push(c),
    });
    assert.equal(again.length, seen.length);
    assert.ok(again.every((c) => c));
  });

  it('starts no trial after the deadline: every cell not complete is reported as not run', async () => {
    const grid = await runGrid([reber], ['lstm', 'gru'], pool, {
      seeds: [1],
      search: false,
      deadline: performance.now() - 1,
    });
    assert.deepEqual(grid[0].cells, []);
    assert.deepEqual(grid[0].notRun, ['lstm', 'gru']);
  });

  it("a worker's typed error comes back as the same class, and the grid stops with it", async () => {
    await assert.rejects(
      runGrid([reber], ['gru'], pool, { seeds: [1], search: false, forgetBias: 5 }),
      (e: unknown) => e instanceof ConfigError && /no forget gate/.test(e.message),
    );
  });

  it('refuses a task that is not the suite’s, before anything runs', async () => {
    const other: TaskSpec = { ...reber, description: 'another generator' };
    await assert.rejects(
      runGrid([other], ['lstm'], pool, { seeds: [1], search: false }),
      (e: unknown) => e instanceof ConfigError && /cannot be run by the trial pool/.test(e.message),
    );
  });

  it('the cost estimate measures on the pool and spreads the trials over its workers', async () => {
    const task = { ...reber, maxSequences: 64_000, evalEvery: 8_000 };
    const e = await estimateGrid([task], ['lstm', 'gru'], {
      seeds: 2,
      search: true,
      batches: 2,
      runner: pool,
    });
    assert.equal(e.workers, 2);
    assert.equal(e.trialSeconds, e.measurements[0].secondsWorstCase + e.measurements[1].secondsWorstCase);
    const longestCell = 2 * Math.max(...e.measurements.map((m) => m.secondsPerFullTrial));
    assert.equal(e.totalSeconds, Math.max(e.trialSeconds / 2, longestCell));
    assert.ok(e.totalSeconds < e.trialSeconds);
  });

  it('runs on this thread with localTrialRunner to the same results', async () => {
    const grid = await runGrid([reber], ['lstm'], localTrialRunner(), { seeds: [2], search: false });
    const alone = runTrial(reber, comparedCell('lstm'), { seed: 2, learningRate: reber.learningRates[0] });
    assert.deepStrictEqual(resultOf(grid[0].cells[0].trials[0]), resultOf(alone));
  });
});

function taskOf(name: string): TaskSpec {
  const task = [reber, adding].find((t) => t.name === name);
  assert.ok(task, name);
  return task;
}
