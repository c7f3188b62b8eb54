/**
 * The comparison machinery: equal parameter budgets, statistics, the verdict rule, the report, and the
 * CLI's error handling. (The quick grid itself runs in quick-grid.test.ts.)
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  COMPARED_CELLS,
  comparedCell,
  parameterCount,
  unitsForBudget,
  unitsMatchingLstm,
} from '../src/experiments/comparedCells.js';
import { estimateGrid } from '../src/experiments/estimate.js';
import { buildLanguageModel, LM_CELLS } from '../src/lm/index.js';
import { quantile, runCell, summarize, TimeLimitReached } from '../src/experiments/grid.js';
import { verdict, writeReport, type ReportRun } from '../src/experiments/report.js';
import { reportPreset } from '../src/experiments/presets.js';
import { QUICK_TASKS, taskByName } from '../src/experiments/taskSuite.js';
import { runTrial, unitsFor, type TrialResult } from '../src/experiments/trial.js';
import { TrialCache, taskSpecHash } from '../src/experiments/trialCache.js';
import { main } from '../src/cli/main.js';
import { ConfigError } from '../src/errors.js';
import { Random } from '../src/random.js';

describe('equal parameter budgets', () => {
  it("every cell gets the most units that fit the LSTM's parameter count", () => {
    for (const task of [taskByName('adding-100'), taskByName('copy-100'), taskByName('temporal-order-6b')]) {
      const budget = parameterCount(comparedCell('lstm'), task.lstmUnits, task.inputDim, task.outputDim);
      for (const cell of COMPARED_CELLS) {
        const units = unitsFor(task, cell);
        assert.ok(parameterCount(cell, units, task.inputDim, task.outputDim) <= budget, `${cell.id} fits`);
        assert.ok(
          parameterCount(cell, units + 1, task.inputDim, task.outputDim) > budget,
          `${cell.id} is the most`,
        );
      }
      assert.equal(unitsFor(task, comparedCell('lstm')), task.lstmUnits);
    }
  });
  it('parameter counts are those of the built layers (LSTM 4(uD + u² + u) + read-out)', () => {
    const u = 7;
    const D = 3;
    const K = 2;
    assert.equal(parameterCount(comparedCell('lstm'), u, D, K), 4 * (u * D + u * u + u) + u * K + K);
    assert.equal(
      parameterCount(comparedCell('novolstm'), u, D, K),
      5 * (u * D + u * u + u) + 2 * u + u * K + K,
    );
    assert.equal(unitsForBudget(comparedCell('lstm'), 10, D, K), 1, 'at least one unit');
  });
  it("stacked counts match a built language model's weights (embedding aside), for every LM cell", () => {
    const vocabulary = [...'abcdefghij'];
    const E = 4;
    for (const cell of LM_CELLS) {
      const units = unitsMatchingLstm(cell, 9, E, vocabulary.length, 2);
      const model = buildLanguageModel(
        { cell, units, layers: 2, embeddingDim: E, dropout: 0, vocabulary },
        1,
      );
      assert.equal(
        model.values.length,
        vocabulary.length * E + parameterCount(comparedCell(cell), units, E, vocabulary.length, 2),
        cell,
      );
      const lstm = parameterCount(comparedCell('lstm'), 9, E, vocabulary.length, 2);
      assert.ok(parameterCount(comparedCell(cell), units, E, vocabulary.length, 2) <= lstm, `${cell} fits`);
      assert.ok(
        parameterCount(comparedCell(cell), units + 1, E, vocabulary.length, 2) > lstm,
        `${cell} is the most`,
      );
    }
  });
});

describe('the cost estimate', () => {
  it('scales measured per-batch and per-evaluation seconds to the trials of a grid', async () => {
    const task = { ...QUICK_TASKS[1], maxSequences: 64_000, evalEvery: 8_000 };
    const e = await estimateGrid([task], ['lstm', 'gru'], { seeds: 2, search: true, batches: 3 });
    assert.equal(e.measurements.length, 2);
    for (const m of e.measurements) {
      assert.ok(m.secondsPerBatch > 0 && m.secondsPerEvaluation > 0, JSON.stringify(m));
      const full = (64_000 / task.batchSize) * m.secondsPerBatch + 8 * m.secondsPerEvaluation;
      assert.ok(Math.abs(m.secondsPerFullTrial - full) < 1e-9 * full);
      // One declared rate: no search trials, only the seeds.
      assert.equal(m.secondsWorstCase, 2 * m.secondsPerFullTrial);
    }
    assert.equal(e.trialSeconds, e.measurements[0].secondsWorstCase + e.measurements[1].secondsWorstCase);
    // On this thread: one worker, the trials one after another.
    assert.equal(e.workers, 1);
    assert.equal(e.totalSeconds, e.trialSeconds);
    const searched = await estimateGrid([{ ...task, learningRates: [0.01, 0.03] }], ['lstm'], {
      seeds: 2,
      search: true,
      batches: 2,
    });
    const m = searched.measurements[0];
    assert.ok(Math.abs(m.secondsWorstCase - 4 * m.secondsPerFullTrial) < 1e-9 * m.secondsWorstCase);
  });
});

describe('statistics', () => {
  it('quantile interpolates linearly (as numpy)', () => {
    assert.equal(quantile([4, 1, 3, 2], 0.5), 2.5);
    assert.equal(quantile([1, 2, 3, 4, 5], 0.25), 2);
    assert.equal(quantile([10, 20], 0.75), 17.5);
    assert.equal(quantile([7], 0.25), 7);
  });

  const trial = (cell: string, seed: number, solvedAt: number | null, metric = 0): TrialResult => ({
    task: 'adding-100',
    cell,
    units: 8,
    parameters: 100,
    seed,
    learningRate: 0.01,
    solved: solvedAt !== null,
    diverged: false,
    sequencesToSuccess: solvedAt,
    finalMetric: metric,
    seconds: 1,
    trainSeconds: 0.9,
    evaluationSeconds: 0.1,
    batches: 10,
    evaluations: 1,
    curve: [],
  });
  const task = taskByName('adding-100');
  const lstm = summarize(task, [trial('lstm', 1, 1000), trial('lstm', 2, 2000), trial('lstm', 3, 3000)]);

  it('summaries count solved seeds and take medians over the solved ones', () => {
    const s = summarize(task, [trial('gru', 1, 5000), trial('gru', 2, null, 40), trial('gru', 3, 7000)]);
    assert.equal(s.solved, 2);
    assert.equal(s.medianSequences, 6000);
    assert.deepEqual(s.sequencesIqr, [5500, 6500]);
    assert.equal(s.medianFinalMetric, 0);
  });
  it('the verdict reports success rates, overlap and separation plainly', () => {
    const lessOften = summarize(task, [trial('gru', 1, 1000), trial('gru', 2, null), trial('gru', 3, null)]);
    assert.match(verdict(task, lessOften, lstm), /GRU solved it less often than the LSTM \(1\/3 vs 3\/3\)/);
    const similar = summarize(task, [trial('gru', 1, 1500), trial('gru', 2, 2500), trial('gru', 3, 2600)]);
    assert.match(verdict(task, similar, lstm), /no clear difference/);
    const slower = summarize(task, [trial('gru', 1, 9000), trial('gru', 2, 9500), trial('gru', 3, 9900)]);
    assert.match(verdict(task, slower, lstm), /needed more sequences than the LSTM/);
    const none = summarize(task, [trial('gru', 1, null, 50)]);
    const lstmNone = summarize(task, [trial('lstm', 1, null, 60)]);
    assert.match(verdict(task, none, lstmNone), /Neither .* solved it/);
  });
});

/** A report's run record for tests: a quick run with no estimate. */
const reportRun: ReportRun = {
  command: 'npm run report -- --quick',
  preset: 'quick',
  seeds: [1, 2],
  search: false,
  seconds: 3,
  timeLimitSeconds: null,
  loadAverage: [0.5, 0.5],
  backend: 'reference',
  estimate: null,
  fullGrid: { tasks: 10, cells: 5, seeds: 5 },
};

describe('trials and the report', () => {
  const reber = { ...QUICK_TASKS[1], maxSequences: 2000, evalEvery: 1000 };
  it('different seeds give different runs; the same seed the same run', () => {
    const a = runTrial(reber, comparedCell('novolstm'), { seed: 1, learningRate: 0.01 });
    const b = runTrial(reber, comparedCell('novolstm'), { seed: 2, learningRate: 0.01 });
    const a2 = runTrial(reber, comparedCell('novolstm'), { seed: 1, learningRate: 0.01 });
    assert.notDeepEqual(
      a.curve.map((p) => p.loss),
      b.curve.map((p) => p.loss),
    );
    assert.deepEqual(
      a.curve.map((p) => p.loss),
      a2.curve.map((p) => p.loss),
    );
    assert.equal(a.curve.length, 2);
  });
  it("forgetBias writes the f block of the cell's bias: 1 is Keras' default, 5 another run; GRU refuses it", () => {
    const run = (forgetBias?: number) =>
      runTrial(reber, comparedCell('lstm'), { seed: 1, learningRate: 0.01, forgetBias }).curve.map(
        (p) => p.loss,
      );
    const keras = run();
    assert.deepEqual(run(1), keras);
    assert.notDeepEqual(run(5), keras);
    assert.throws(
      () => runTrial(reber, comparedCell('gru'), { seed: 1, learningRate: 0.01, forgetBias: 5 }),
      (e: unknown) => e instanceof ConfigError && /has no forget gate/.test(e.message),
    );
  });
  it('a step that makes the weights non-finite stops the trial: diverged, unsolved, the last finite weights', () => {
    // Targets near float32's largest value: the gradient of the squared error overflows on the first step.
    const adding = taskByName('adding-modern-50');
    const huge = (data: ReturnType<typeof adding.generate>) => (data.y.fill(3e38), data);
    const task = {
      ...adding,
      maxSequences: 10 * adding.batchSize,
      generate: (count: number, rng: Random) => huge(adding.generate(count, rng)),
    };
    const r = runTrial(task, comparedCell('lstm'), { seed: 1, learningRate: 0.01 });
    assert.equal(r.diverged, true);
    assert.equal(r.solved, false);
    assert.equal(r.batches, 1);
    assert.ok(Number.isFinite(r.finalMetric), `final metric ${r.finalMetric}`);
    assert.equal(r.curve.length, 1);
    const s = summarize(task, [r, runTrial(reber, comparedCell('lstm'), { seed: 1, learningRate: 0.03 })]);
    assert.equal(s.diverged, 1);
  });
  it('writes results.md with a table row per cell and an SVG figure per task', async () => {
    const trials = [1, 2].map((seed) => runTrial(reber, comparedCell('gru'), { seed, learningRate: 0.01 }));
    const dir = mkdtempSync(join(tmpdir(), 'novolstm-report-'));
    await writeReport([{ task: reber, cells: [summarize(reber, trials)] }], null, reportRun, dir);
    const md = readFileSync(join(dir, 'results.md'), 'utf8');
    assert.match(md, /\| gru \| \d+ \| [\d,]+ \| 0.01 \| \d\/2 \|/);
    assert.match(md, /Node\.js v\d+/);
    assert.match(readFileSync(join(dir, 'figures', 'embedded-reber.svg'), 'utf8'), /^<svg/);
    assert.doesNotMatch(md, /^- trials:/m);
    const trialCache = { dir: 'runs/t', reused: 2, ran: 0, commits: ['abc1234'] };
    const cached = await writeReport(
      [{ task: reber, cells: [summarize(reber, trials)] }],
      null,
      { ...reportRun, trialCache },
      dir,
    );
    assert.match(cached, /^- trials: 0 run now, 2 taken from `runs\/t` \(run on commit abc1234;/m);
  });
  it('a time limit abandons the whole cell, so no cell is summarized on fewer seeds', () => {
    assert.throws(
      () => runCell(reber, 'lstm', { seeds: [1], search: false, deadline: performance.now() - 1 }),
      (e: unknown) => e instanceof TimeLimitReached && e.cell === 'lstm' && e.task === reber.name,
    );
    const s = runCell(reber, 'lstm', { seeds: [1], search: false, deadline: performance.now() + 600_000 });
    assert.equal(s.trials.length, 1);
  });
  it('a trial cache gives back finished trials, not for another budget, and reruns an unreadable one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'novolstm-trials-'));
    const cachedFlags = (task: typeof reber, cache: TrialCache) => {
      const flags: boolean[] = [];
      const s = runCell(task, 'lstm', {
        seeds: [1, 2],
        search: false,
        cache,
        onTrial: (_, __, c) => flags.push(c),
      });
      return { s, flags };
    };
    const first = cachedFlags(reber, new TrialCache(dir, 'abc1234'));
    assert.deepEqual(first.flags, [false, false]);
    const again = new TrialCache(dir, 'def5678', { warn: () => {} });
    const second = cachedFlags(reber, again);
    assert.deepEqual(second.flags, [true, true]);
    assert.deepEqual(second.s, first.s);
    assert.deepEqual(
      again.reused.map((r) => r.commit),
      ['abc1234', 'abc1234'],
    );
    // Another budget is another trial, kept beside the first.
    assert.deepEqual(cachedFlags({ ...reber, maxSequences: 1000 }, again).flags, [false, false]);
    assert.deepEqual(cachedFlags(reber, again).flags, [true, true]);
    // A record damaged on disk is skipped (with a warning) and its trial run again.
    const file = join(dir, `${reber.name}.jsonl`);
    const lines = readFileSync(file, 'utf8').split('\n');
    const seed1 = lines.findIndex((l) =>
      l.includes(`"spec":"${taskSpecHash(reber)}","cell":"lstm","seed":1,`),
    );
    lines[seed1] = '{ not json';
    writeFileSync(file, lines.join('\n'));
    const warnings: string[] = [];
    const third = new TrialCache(dir, 'def5678', { warn: (w) => warnings.push(w) });
    assert.deepEqual(cachedFlags(reber, third).flags, [false, true]);
    assert.match(warnings[0], /line \d+ is not a record of this store: skipped/);
    assert.equal(JSON.parse(readFileSync(file, 'utf8').trim().split('\n').at(-1)!).commit, 'def5678');
  });
  it('a full-preset run on a subset of the tasks does not call itself the full grid', async () => {
    const trials = [1, 2].map((seed) => runTrial(reber, comparedCell('lstm'), { seed, learningRate: 0.03 }));
    const dir = mkdtempSync(join(tmpdir(), 'novolstm-report-'));
    const run = { ...reportRun, preset: 'full' as const, search: true, seeds: [1, 2, 3, 4, 5] };
    const md = await writeReport([{ task: reber, cells: [summarize(reber, trials)] }], null, run, dir);
    assert.match(md, /\*\*The full grid has not been run\.\*\*/);
    assert.doesNotMatch(md, /This is the full grid/);
    assert.match(md, /The classifiers and the language model were not run in this report\./);
  });
  it('the full setting claims nothing from fewer than 5 seeds (3 for the language model)', () => {
    const full = reportPreset('full');
    assert.ok(full.seeds >= 5, `task seeds ${full.seeds}`);
    assert.deepEqual(full.applications.classifierSeeds, [1, 2, 3, 4, 5]);
    assert.deepEqual(full.applications.lmSeeds, [1, 2, 3]);
  });
});

describe('the CLI', () => {
  it('an unknown task is one line on stderr and exit code 1', async () => {
    const errors: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((s: string) => errors.push(s) > 0) as typeof process.stderr.write;
    try {
      assert.equal(await main(['task', 'sorting']), 1);
      assert.equal(await main(['task', 'embedded-reber', '--forget-bias', 'five']), 1);
    } finally {
      process.stderr.write = write;
    }
    assert.equal(errors.length, 2);
    assert.match(errors[0], /^novolstm: unknown task 'sorting': one of adding-100, /);
    assert.match(errors[1], /^novolstm: .*--forget-bias.*expected a number, got 'five'/);
  });
  it('report: --quick with another preset, and a task not in the preset, are one-line errors', async () => {
    const errors: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((s: string) => errors.push(s) > 0) as typeof process.stderr.write;
    try {
      assert.equal(await main(['report', '--quick', '--preset', 'medium']), 1);
      assert.equal(await main(['report', '--preset', 'medium', '--tasks', 'copy-100']), 1);
    } finally {
      process.stderr.write = write;
    }
    assert.match(
      errors[0],
      /^novolstm: --quick is --preset quick; it cannot be combined with --preset medium/,
    );
    assert.match(errors[1], /^novolstm: --tasks: 'copy-100' is not a task of the medium setting: one of /);
  });
});
