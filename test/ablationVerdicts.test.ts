/**
 * The ablation cells compared with NovoLSTM as well as with the LSTM, on a synthetic trial store rebuilt
 * without training (`npm run report -- --preset ablation --trials DIR --no-train`): sequences to success
 * chosen so that each reading of verdicts.ts `ablationReading` occurs once — a variant that carries
 * NovoLSTM's advantage, one that does not, a mixed one, an incomplete one (no verdict), and a task where
 * NovoLSTM and the LSTM do not differ (nothing to carry).
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { comparedCell, parameterCount } from '../src/experiments/comparedCells.js';
import { SEARCH_SEED } from '../src/experiments/grid.js';
import { reportPreset } from '../src/experiments/presets.js';
import { runReport, type ReportOutput } from '../src/experiments/runReport.js';
import { rebuildConfig } from './reportRebuild.js';
import type { TaskSpec } from '../src/experiments/taskSuite.js';
import { unitsFor } from '../src/experiments/trial.js';
import { TrialCache } from '../src/experiments/trialCache.js';
import { ablationReading } from '../src/experiments/verdicts.js';

const PRESET = reportPreset('ablation');
const REBER = PRESET.tasks.find((t) => t.name === 'embedded-reber')!;
const ADDING = PRESET.tasks.find((t) => t.name === 'adding-modern-50')!;

const SOFTMAX = "NovoLSTM (inputGate 'softmax': i = units · softmax(a_i))";
const LN_SIGMOID = "NovoLSTM (inputGate 'lnSigmoid': i = LN(σ(a_i)))";
const LN_ALL = "LSTM (layerNorm 'all')";
const NOVOLSTM = "NovoLSTM (inputGate 'readme')";

/**
 * A cell's trials: the search solves at the task's first rate only (so it is chosen), and the seeds stored
 * solve after the given sequences (null: not solved). The seconds, 7777, no run of this test could take.
 */
function store(cache: TrialCache, task: TaskSpec, cell: string, seeds: readonly (number | null)[]): void {
  const units = unitsFor(task, comparedCell(cell));
  const parameters = parameterCount(comparedCell(cell), units, task.inputDim, task.outputDim);
  const put = (seed: number, learningRate: number, solvedAt: number | null) =>
    cache.put(
      task,
      cell,
      { seed, learningRate },
      {
        task: task.name,
        cell,
        units,
        parameters,
        seed,
        learningRate,
        solved: solvedAt !== null,
        diverged: false,
        sequencesToSuccess: solvedAt,
        finalMetric: solvedAt === null ? 0.3 : 0.01,
        seconds: 7777,
        trainSeconds: 7000,
        evaluationSeconds: 777,
        batches: 10,
        evaluations: 2,
        curve: [
          { sequences: task.evalEvery, metric: 0.5, loss: 1 },
          { sequences: solvedAt ?? task.maxSequences, metric: solvedAt === null ? 0.3 : 0.01, loss: 0.1 },
        ],
      },
    );
  task.learningRates.forEach((rate, i) => put(SEARCH_SEED, rate, i === 0 ? 1000 : null));
  seeds.forEach((at, i) => put(i + 1, task.learningRates[0], at));
}

const steps = (from: number, step: number) => [0, 1, 2, 3, 4].map((i) => from + i * step);

describe('the ablation cells against NovoLSTM, rebuilt from stored trials', () => {
  let report: ReportOutput;
  let evidence: string;

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'novolstm-ablation-store-'));
    const out = mkdtempSync(join(tmpdir(), 'novolstm-ablation-report-'));
    const cache = new TrialCache(dir, 'abc1234', { warn: () => {} });
    // Embedded Reber: NovoLSTM faster than the LSTM (interquartile ranges 2,500–3,500 vs 5,500–6,500).
    store(cache, REBER, 'lstm', steps(5000, 500));
    store(cache, REBER, 'novolstm', steps(2000, 500));
    store(cache, REBER, 'novolstm-softmax', steps(2200, 500)); // like NovoLSTM: carries it
    store(cache, REBER, 'novolstm-ln-sigmoid', steps(5100, 500)); // like the LSTM: does not
    store(cache, REBER, 'lstm-ln-all', [3000, 3100, 3200, 3300, null]); // fewer solved than both: mixed
    store(cache, REBER, 'lstm-forget5', [3000, 3100, 3200]); // 3 of 5 seeds: no verdict
    // Adding at T = 50: NovoLSTM and the LSTM do not differ (11,000–13,000 vs 11,500–13,500).
    store(cache, ADDING, 'lstm', steps(10_000, 1000));
    store(cache, ADDING, 'novolstm', steps(10_500, 1000));
    store(cache, ADDING, 'novolstm-softmax', steps(30_000, 1000));
    report = await runReport(
      rebuildConfig('ablation', dir, out, { tasks: ['embedded-reber', 'adding-modern-50'] }),
      () => {},
    );
    evidence = report.markdown.split('\n## What the evidence shows')[1].split('\n## Method')[0];
  });

  it('compares each complete ablation cell with NovoLSTM by the rules it is compared with the LSTM by', () => {
    const section = evidence.split('### The ablations against NovoLSTM')[1];
    assert.ok(section, 'a section of the ablations against NovoLSTM');
    for (const line of [
      `- embedded-reber: ${SOFTMAX}: no clear difference from ${NOVOLSTM} (median 3,200 vs 3,000 sequences to success; the interquartile ranges overlap).`,
      `- embedded-reber: ${LN_SIGMOID} needed more sequences than ${NOVOLSTM} (median 6,100 vs 3,000; the interquartile ranges do not overlap).`,
      `- embedded-reber: ${LN_ALL} solved it less often than ${NOVOLSTM} (4/5 vs 5/5).`,
      `- adding-modern-50: ${SOFTMAX} needed more sequences than ${NOVOLSTM} (median 32,000 vs 12,500; the interquartile ranges do not overlap).`,
      `- ${SOFTMAX} against ${NOVOLSTM}, over 2 comparisons: better in 0, worse in 1, no clear difference in 1, neither solved in 0, one seed (no verdict) in 0.`,
      `- ${LN_ALL} against ${NOVOLSTM}, over 1 comparisons: better in 0, worse in 1, no clear difference in 0, neither solved in 0, one seed (no verdict) in 0.`,
    ]) {
      assert.ok(section.split('\n').includes(line), `missing: ${line}\n--- in:\n${section}`);
    }
    assert.doesNotMatch(evidence, /LSTM \(forget-gate bias 5\)/, 'the incomplete cell gets no verdict');
    assert.doesNotMatch(
      section,
      /^- NovoLSTM \(inputGate 'readme'\) against/m,
      'NovoLSTM is not its own ablation',
    );
  });

  it('says which variant carries NovoLSTM’s difference from the LSTM, per task', () => {
    const readings = evidence.split(
      "Which variant carries NovoLSTM's difference from the LSTM, per task:",
    )[1];
    assert.ok(readings, 'the readings');
    for (const line of [
      `- embedded-reber: ${SOFTMAX} carries NovoLSTM's advantage over the LSTM: better than the LSTM, no clear difference from NovoLSTM.`,
      `- embedded-reber: ${LN_SIGMOID} does not carry NovoLSTM's advantage: no clear difference from the LSTM, worse than NovoLSTM.`,
      `- embedded-reber: ${LN_ALL}: mixed — against the LSTM worse, against NovoLSTM worse; it neither clearly carries nor clearly lacks NovoLSTM's advantage.`,
      `- adding-modern-50: ${SOFTMAX}: NovoLSTM and the LSTM show no difference here (no clear difference), so there is no difference for this variant to carry.`,
    ]) {
      assert.ok(readings.split('\n').includes(line), `missing: ${line}\n--- in:\n${readings}`);
    }
  });

  it('keeps the comparisons with the LSTM as they were, the ablations included', () => {
    const lstmPart = evidence.split('### The ablations against NovoLSTM')[0];
    assert.ok(
      lstmPart.includes(
        `- embedded-reber: ${NOVOLSTM} needed fewer sequences than the LSTM (median 3,000 vs 6,000; the interquartile ranges do not overlap).`,
      ),
    );
    assert.ok(
      lstmPart.includes(
        `- embedded-reber: ${LN_SIGMOID}: no clear difference from the LSTM (median 6,100 vs 6,000 sequences to success; the interquartile ranges overlap).`,
      ),
    );
    assert.match(
      lstmPart,
      new RegExp(
        `^- ${NOVOLSTM.replace(/[()']/g, '\\$&')} against the LSTM, over 2 comparisons: better in 1`,
        'm',
      ),
    );
  });

  it('a variant within the spread of both NovoLSTM and the LSTM carries nothing clearly', () => {
    assert.match(
      ablationReading('lstm-ln-all', 'better', 'no clear difference', 'no clear difference'),
      /: mixed — against the LSTM no clear difference, against NovoLSTM no clear difference; it neither clearly carries nor clearly lacks NovoLSTM's advantage\.$/,
    );
  });

  it('the reading of a disadvantage is named as one', () => {
    assert.match(
      ablationReading('novolstm-softmax', 'worse', 'worse', 'no clear difference'),
      /carries NovoLSTM's disadvantage over the LSTM: worse than the LSTM/,
    );
    assert.match(
      ablationReading('lstm-forget5', 'worse', 'better', 'better'),
      /: mixed — against the LSTM better, against NovoLSTM better; .*disadvantage\.$/,
    );
  });

  it('a grid preset has no ablation cells, and no such section', async () => {
    assert.ok(report.results.length === 2);
    assert.equal(
      reportPreset('full').cells.some((c) => comparedCell(c).ablation),
      false,
    );
  });
});
