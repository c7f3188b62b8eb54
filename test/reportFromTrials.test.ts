/**
 * The report rebuilt from a trial store without training (`npm run report -- --preset full --trials DIR
 * --no-train`): a store of synthetic trial records — numbers no real run would give, so a table that
 * shows them was read from the store — gives the right tables, learning rates, verdicts and missing-trial
 * count, and nothing runs (the store is unchanged and the full-budget tasks would take minutes a trial).
 * And the store's reading where a run can leave it damaged: a last line cut short, a trial stored twice,
 * a record of another task spec.
 */
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CharModelResult } from '../src/applications/charModel.js';
import { main } from '../src/cli/main.js';
import { enableRelaxedSimdInNode } from '../src/engine/loader.js';
import { useFastKernels, useReferenceKernels } from '../src/layers/backend.js';
import { ApplicationStore } from '../src/experiments/applicationStore.js';
import { bridgedLagsSection, lagText } from '../src/experiments/bridgedLags.js';
import { comparedCell, parameterCount } from '../src/experiments/comparedCells.js';
import { SEARCH_SEED, type CellSummary } from '../src/experiments/grid.js';
import { reportPreset } from '../src/experiments/presets.js';
import { runReport, type ReportOutput } from '../src/experiments/runReport.js';
import { rebuildConfig } from './reportRebuild.js';
import { taskByName, type TaskSpec } from '../src/experiments/taskSuite.js';
import { unitsFor, type TrialResult } from '../src/experiments/trial.js';
import { TrialCache, taskSpecHash } from '../src/experiments/trialCache.js';

const ADDING = taskByName('adding-modern-400');
const ORDER = taskByName('temporal-order-6a');
const [SLOW, FAST, FASTEST] = ADDING.learningRates; // 3e-3, 1e-2, 3e-2

/**
 * A made-up trial: solved after `solvedAt` sequences (null: not solved), with a two-point curve. The
 * seconds are 7777 — no trial of this test could have run that long, so a row that shows it was read.
 */
function trial(
  task: TaskSpec,
  cell: string,
  seed: number,
  learningRate: number,
  solvedAt: number | null,
): TrialResult {
  const units = unitsFor(task, comparedCell(cell));
  const finalMetric = solvedAt === null ? 0.161 : 0.0042;
  return {
    task: task.name,
    cell,
    units,
    parameters: parameterCount(comparedCell(cell), units, task.inputDim, task.outputDim),
    seed,
    learningRate,
    solved: solvedAt !== null,
    diverged: false,
    sequencesToSuccess: solvedAt,
    finalMetric,
    seconds: 7777,
    trainSeconds: 7000,
    evaluationSeconds: 777,
    batches: 10,
    evaluations: 2,
    curve: [
      { sequences: task.evalEvery, metric: 0.17, loss: NaN }, // NaN: JSON stores null, read back as NaN
      { sequences: solvedAt ?? task.maxSequences, metric: finalMetric, loss: 0.01 },
    ],
  };
}

function put(
  store: TrialCache,
  task: TaskSpec,
  cell: string,
  seed: number,
  rate: number,
  solvedAt: number | null,
): void {
  store.put(task, cell, { seed, learningRate: rate }, trial(task, cell, seed, rate, solvedAt));
}

/**
 * adding-modern-400: the LSTM complete (its search picks 1e-2; 3 of 5 seeds solved), the NovoLSTM
 * complete (search picks 3e-2; 5 of 5 solved), the GRU's search complete but only 3 of its 5 seeds.
 * temporal-order-6a: only 2 of the LSTM's 3 search trials. Missing: GRU 2; LSTM 1 + 5; NovoLSTM and GRU
 * 3 + 5 each — 24.
 */
function syntheticStore(dir: string): void {
  const store = new TrialCache(dir, 'abc1234', { kernels: 'relaxed', warn: () => {} });
  put(store, ADDING, 'lstm', SEARCH_SEED, SLOW, null);
  put(store, ADDING, 'lstm', SEARCH_SEED, FAST, 150_000);
  put(store, ADDING, 'lstm', SEARCH_SEED, FASTEST, 210_000);
  for (const [seed, at] of [
    [1, 120_000],
    [2, 140_000],
    [3, null],
    [4, 160_000],
    [5, null],
  ] as const) {
    put(store, ADDING, 'lstm', seed, FAST, at);
  }
  // A decoy at a rate the search did not keep: must not be used.
  put(store, ADDING, 'lstm', 1, SLOW, 10_000);
  put(store, ADDING, 'novolstm', SEARCH_SEED, SLOW, null);
  put(store, ADDING, 'novolstm', SEARCH_SEED, FAST, 90_000);
  put(store, ADDING, 'novolstm', SEARCH_SEED, FASTEST, 50_000);
  for (const [seed, at] of [
    [1, 40_000],
    [2, 50_000],
    [3, 60_000],
    [4, 70_000],
    [5, 80_000],
  ] as const) {
    put(store, ADDING, 'novolstm', seed, FASTEST, at);
  }
  for (const rate of ADDING.learningRates) put(store, ADDING, 'gru', SEARCH_SEED, rate, null);
  for (const seed of [1, 2, 3]) put(store, ADDING, 'gru', seed, SLOW, null);
  put(store, ORDER, 'lstm', SEARCH_SEED, ORDER.learningRates[0], null);
  put(store, ORDER, 'lstm', SEARCH_SEED, ORDER.learningRates[1], null);
}

/** The markdown table row of `cell` in the section whose heading is `heading`. */
function row(markdown: string, heading: string, cell: string): string {
  const section = markdown.split('\n## ').find((s) => s.split('\n')[0] === heading);
  assert.ok(section, `no section '${heading}'`);
  const line = section.split('\n').find((l) => l.startsWith(`| ${cell} |`));
  assert.ok(line, `no row for ${cell} under '${heading}'`);
  return line;
}

describe('the report rebuilt from a trial store, without training', () => {
  const dir = mkdtempSync(join(tmpdir(), 'novolstm-trial-store-'));
  const out = mkdtempSync(join(tmpdir(), 'novolstm-rebuilt-report-'));
  syntheticStore(dir);
  const before = ['adding-modern-400', 'temporal-order-6a'].map((t) =>
    readFileSync(join(dir, `${t}.jsonl`), 'utf8'),
  );
  const log: string[] = [];
  let report: ReportOutput;
  let seconds = 0;

  it('runs nothing: the store is unchanged, and it takes seconds (one real trial of these tasks takes minutes)', async () => {
    const started = performance.now();
    report = await runReport(
      rebuildConfig('full', dir, out, {
        cells: ['lstm', 'novolstm', 'gru'],
        tasks: ['adding-modern-400', 'temporal-order-6a'],
      }),
      (line) => log.push(line),
    );
    seconds = (performance.now() - started) / 1000;
    assert.ok(seconds < 20, `${seconds} s`);
    const after = ['adding-modern-400', 'temporal-order-6a'].map((t) =>
      readFileSync(join(dir, `${t}.jsonl`), 'utf8'),
    );
    assert.deepEqual(after, before);
    assert.deepEqual(log, [], 'no trial logged, no warning');
    assert.equal(report.applications, null);
    assert.match(
      report.markdown,
      /^Rebuilt from the trial store by `npm run report -- --preset full --trials DIR --no-train` \(setting `full`\) in \d+\.\d s, training nothing, on:/m,
    );
    // Its cost from the store: the 24 trials taken (decoys and the searches included), 7,777 s each.
    assert.ok(
      report.markdown.includes(
        'Its cost so far, from the store: **51.8 h** of wall time added up over the stored trials and runs (the task trials 51.8 h),',
      ),
      'the stored cost',
    );
    // The modern adding problem's baseline, and what the stopped trials' final MSE means beside it.
    assert.match(
      report.markdown,
      /^- Modern baseline \(the issue's\): a well-trained LSTM or GRU reaches a test MSE below 0\.001 \(chance: 0\.167\)\. These trials stop at the first check that meets the criterion/m,
    );
    assert.equal(report.markdown.split('- Modern baseline').length - 1, 1, 'only under adding-modern-400');
    assert.match(
      report.markdown,
      /1-min load average [\d.]+–[\d.]+ as they finished(: the CPU was shared, .*)?; wall times are those of their own runs\)/,
    );
    assert.match(
      report.markdown,
      new RegExp(`^- trials: 0 run now, 24 taken from \`${dir}\` \\(run on commit abc1234, on \\d+ × `, 'm'),
    );
  });

  it('compares only the complete cells, at the rates their stored search chose', () => {
    const [adding, order] = report.results;
    assert.deepEqual(
      adding.cells.map((c) => [c.cell, c.learningRate, c.solved, c.seeds]),
      [
        ['lstm', FAST, 3, 5],
        ['novolstm', FASTEST, 5, 5],
      ],
    );
    assert.deepEqual(order.cells, []);
    const lstm = adding.cells[0];
    assert.equal(lstm.medianSequences, 140_000, 'median of 120k, 140k, 160k: the decoy at 3e-3 is not used');
    assert.deepEqual(lstm.trials[0].curve[0].loss, NaN);
    const units = unitsFor(ADDING, comparedCell('lstm'));
    assert.equal(
      row(report.markdown, 'adding-modern-400', 'lstm'),
      `| lstm | ${units} | ${parameterCount(comparedCell('lstm'), units, 2, 1).toLocaleString('en-US')} | 0.01 | 3/5 | 140,000 (130,000–150,000) | 0.0042 | 7777.0 s |`,
    );
    assert.match(
      row(report.markdown, 'adding-modern-400', 'novolstm'),
      /\| 0\.03 \| 5\/5 \| 60,000 \(50,000–70,000\) \|/,
    );
    assert.equal(
      row(report.markdown, 'adding-modern-400', 'gru'),
      '| gru | | | 0.003 | incomplete: 3 of 5 seeds stored (no verdict) | | | |',
    );
    assert.equal(
      row(report.markdown, 'temporal-order-6a', 'lstm'),
      '| lstm | | | — | incomplete: learning-rate search 2 of 3 rates stored, seeds not started (no verdict) | | | |',
    );
  });

  it('gives verdicts for complete cells only', () => {
    const md = report.markdown;
    assert.match(
      md,
      /- adding-modern-400: NovoLSTM \(inputGate 'readme'\) solved it more often than the LSTM \(5\/5 vs 3\/5\)\./,
    );
    assert.doesNotMatch(md, /- adding-modern-400: GRU/);
    assert.doesNotMatch(md, /- temporal-order-6a:/);
    assert.match(md, /over 1 comparisons: better in 1, worse in 0/);
  });

  it('says per task which cells bridged its lag, on every seed, on some, and which are not compared', () => {
    const section = report.markdown.split('\n## ').find((s) => s.startsWith('Which cells bridge which lags'));
    assert.ok(section, 'a section of the lags');
    for (const line of [
      '| task | lag | lstm | novolstm | gru |',
      '| adding-modern-400 | 200–399 steps | 3/5 · 140,000 | 5/5 · 60,000 | incomplete |',
      '| temporal-order-6a | 79–99 steps | incomplete | incomplete | incomplete |',
      '- **adding-modern-400** (lag 200–399 steps): bridged on every seed by `novolstm` (60,000); on some seeds by `lstm` (3/5); not yet compared: `gru` (trials missing). Modern baseline: a well-trained LSTM or GRU reaches a test MSE below 0.001 (chance: 0.167).',
      '- **temporal-order-6a** (lag 79–99 steps): not yet compared: `lstm`, `novolstm`, `gru` (trials missing).',
    ]) {
      assert.ok(section.split('\n').includes(line), line);
    }
  });

  it('states the missing-trial count, per task × cell, with the command that adds them', () => {
    const md = report.markdown;
    assert.match(md, /\*\*Missing trials: 24\.\*\* 2 of the 6 task × cell pairs have all their trials/);
    assert.match(md, /\*\*The full grid has not been run\.\*\*/);
    const missing = md.split('\n## ').find((s) => s.startsWith('Trials still missing'))!;
    assert.ok(missing, 'a section of the missing trials');
    for (const line of [
      '| adding-modern-400 | gru | 3/3 | 3/5 | 2 |',
      '| temporal-order-6a | lstm | 2/3 | — | 6 |',
      '| temporal-order-6a | novolstm | 0/3 | — | 8 |',
      '| temporal-order-6a | gru | 0/3 | — | 8 |',
      '| **total** | | | | **24** |',
    ]) {
      assert.ok(missing.includes(line), line);
    }
    assert.match(missing, /`npm run report -- --preset full --trials .* --out \/tmp\/grid`/);
    assert.match(existsSync(join(out, 'figures', 'adding-modern-400.svg')) ? 'yes' : 'no', /yes/);
    assert.equal(
      existsSync(join(out, 'figures', 'temporal-order-6a.svg')),
      false,
      'no figure without a complete cell',
    );
    assert.equal(readFileSync(join(out, 'results.md'), 'utf8'), md);
  });

  it('the CLI does the same rebuild, and refuses what would run something', async () => {
    const cliOut = mkdtempSync(join(tmpdir(), 'novolstm-rebuilt-cli-'));
    const args = [
      'report',
      '--preset',
      'full',
      '--tasks',
      'adding-modern-400',
      '--cell',
      'lstm,novolstm',
      '--trials',
      dir,
    ];
    assert.equal(await main([...args, '--no-train', '--no-applications', '--out', cliOut]), 0);
    const md = readFileSync(join(cliOut, 'results.md'), 'utf8');
    assert.match(md, /\*\*Missing trials: 0\.\*\* Every trial of the 2 task × cell pairs below is in/);
    assert.equal(await main([...args, '--no-train', '--out', cliOut, '--time-limit', '1h']), 1);
    assert.equal(await main([...args, '--no-train', '--out', cliOut, '--estimate']), 1);
    assert.equal(await main(['report', '--preset', 'full', '--no-train', '--out', cliOut]), 1);
    const nowhere = join(cliOut, 'no-such-store');
    assert.equal(
      await main(['report', '--preset', 'full', '--trials', nowhere, '--no-train', '--out', cliOut]),
      1,
    );
    const file = join(cliOut, 'results.md');
    assert.equal(
      await main(['report', '--preset', 'full', '--trials', file, '--no-train', '--out', cliOut]),
      1,
    );
  });
});

describe('the trial store, read where a run can leave it damaged', () => {
  const key = { seed: 1, learningRate: FAST };

  it('a last line cut short is skipped with a warning, and the next write drops it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'novolstm-trial-store-'));
    syntheticStore(dir);
    const file = join(dir, 'adding-modern-400.jsonl');
    const whole = readFileSync(file, 'utf8');
    appendFileSync(file, whole.split('\n')[0].slice(0, 300)); // a kill in the middle of a write
    const warnings: string[] = [];
    const store = new TrialCache(dir, 'def5678', { warn: (w) => warnings.push(w) });
    assert.equal(store.get(ADDING, 'lstm', key)!.sequencesToSuccess, 120_000);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /adding-modern-400\.jsonl: the last line is cut short/);
    store.put(ADDING, 'gru', { seed: 4, learningRate: SLOW }, trial(ADDING, 'gru', 4, SLOW, 77_000));
    const lines = readFileSync(file, 'utf8').split('\n');
    assert.equal(lines.at(-1), '', 'ends with a newline');
    assert.equal(lines.slice(0, -2).join('\n') + '\n', whole, 'the whole lines are kept as they were');
    assert.equal(JSON.parse(lines.at(-2)!).commit, 'def5678');
    const again: string[] = [];
    const reread = new TrialCache(dir, 'def5678', { warn: (w) => again.push(w) });
    assert.equal(reread.get(ADDING, 'gru', { seed: 4, learningRate: SLOW })!.sequencesToSuccess, 77_000);
    assert.deepEqual(again, []);
  });

  it('a trial stored twice: the first record is used, with a warning', () => {
    const dir = mkdtempSync(join(tmpdir(), 'novolstm-trial-store-'));
    syntheticStore(dir);
    const file = join(dir, 'adding-modern-400.jsonl');
    const first = readFileSync(file, 'utf8')
      .split('\n')
      .find((l) => /"cell":"lstm","seed":1,"learningRate":0.01,/.test(l))!;
    const second = JSON.parse(first);
    second.trial.sequencesToSuccess = 999;
    second.commit = 'later00';
    appendFileSync(file, `${JSON.stringify(second)}\n`);
    const warnings: string[] = [];
    const store = new TrialCache(dir, 'def5678', { warn: (w) => warnings.push(w) });
    assert.equal(store.get(ADDING, 'lstm', key)!.sequencesToSuccess, 120_000);
    assert.deepEqual(
      store.reused.map((r) => r.commit),
      ['abc1234'],
    );
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /1 record is stored twice: the first of each is used/);
    // And the store never writes a key it holds.
    const length = readFileSync(file).length;
    store.put(ADDING, 'lstm', key, trial(ADDING, 'lstm', 1, FAST, 5));
    assert.equal(readFileSync(file).length, length);
  });

  it("a record of another version of the task spec (another budget) is not this spec's trial", () => {
    const dir = mkdtempSync(join(tmpdir(), 'novolstm-trial-store-'));
    syntheticStore(dir);
    const shorter = { ...ADDING, maxSequences: 30_000 };
    assert.notEqual(taskSpecHash(shorter), taskSpecHash(ADDING));
    assert.equal(
      taskSpecHash({ ...ADDING, learningRates: [1e-2, 1e-1] }),
      taskSpecHash(ADDING),
      'rates are in the key',
    );
    const warnings: string[] = [];
    const store = new TrialCache(dir, 'def5678', { warn: (w) => warnings.push(w) });
    assert.equal(store.get(shorter, 'lstm', key), null);
    assert.equal(warnings.length, 1);
    assert.match(
      warnings[0],
      /23 records of another version of the spec \([0-9a-f]{12}; this run's is [0-9a-f]{12}: another budget.*kept, not used/,
    );
    store.put(shorter, 'lstm', key, trial(shorter, 'lstm', 1, FAST, 20_000));
    const reread = new TrialCache(dir, 'def5678', { warn: () => {} });
    assert.equal(reread.get(shorter, 'lstm', key)!.sequencesToSuccess, 20_000);
    assert.equal(
      reread.get(ADDING, 'lstm', key)!.sequencesToSuccess,
      120_000,
      'both versions kept side by side',
    );
  });

  it('a trial whose model is not the one the cell builds now (the cell changed) is not used', () => {
    const dir = mkdtempSync(join(tmpdir(), 'novolstm-trial-store-'));
    const old = new TrialCache(dir, 'abc1234', { warn: () => {} });
    old.put(ADDING, 'lstm', key, { ...trial(ADDING, 'lstm', 1, FAST, 50_000), parameters: 12_345 });
    const warnings: string[] = [];
    const store = new TrialCache(dir, 'def5678', { warn: (w) => warnings.push(w) });
    assert.equal(store.get(ADDING, 'lstm', key), null);
    assert.match(
      warnings[0],
      /adding-modern-400\.jsonl: 1 trial of lstm for another model of it \(\d+ units, 12345 parameters; it now builds \d+ and \d+\): kept, not used/,
    );
    // Run again, it is stored beside the old one and found.
    store.put(ADDING, 'lstm', key, trial(ADDING, 'lstm', 1, FAST, 60_000));
    const reread = new TrialCache(dir, 'def5678', { warn: () => {} });
    assert.equal(reread.get(ADDING, 'lstm', key)!.sequencesToSuccess, 60_000);
  });

  it('a line that is not a record is skipped with a warning naming it; one line per trial, in the documented fields', () => {
    const dir = mkdtempSync(join(tmpdir(), 'novolstm-trial-store-'));
    const file = join(dir, 'adding-modern-400.jsonl');
    const record = {
      v: 1,
      task: ADDING.name,
      spec: taskSpecHash(ADDING),
      cell: 'lstm',
      seed: 1,
      learningRate: FAST,
      forgetBias: null,
      commit: 'abc1234',
      machine: { cpu: 'Test CPU', cores: 3 },
      kernels: 'simd',
      trial: { ...trial(ADDING, 'lstm', 1, FAST, 33_000), finalMetric: null },
    };
    writeFileSync(file, `<<<<<<< HEAD\n${JSON.stringify(record)}\n{"v":1}\n`);
    const warnings: string[] = [];
    const store = new TrialCache(dir, 'def5678', { warn: (w) => warnings.push(w) });
    const t = store.get(ADDING, 'lstm', key)!;
    assert.equal(t.sequencesToSuccess, 33_000);
    assert.ok(Number.isNaN(t.finalMetric));
    assert.deepEqual(
      store.reused.map((r) => r.machine),
      ['3 × Test CPU'],
    );
    assert.deepEqual(
      warnings.map((w) => w.replace(/^.*\.jsonl: /, '')),
      ['line 1 is not a record of this store: skipped', 'line 3 is not a record of this store: skipped'],
    );
  });
});

describe("the applications' runs in the trial store", () => {
  const settings = reportPreset('full').applications;

  /** A made-up language-model run whose held-out bits per character end at `bpc`. */
  function lmRun(cell: 'lstm' | 'novolstm' | 'gru', bpc: number): CharModelResult {
    return {
      cell,
      units: 61,
      parameters: 54_321,
      validationChars: 5_000,
      trainedChars: 250_000,
      trainBpc: [3.9, bpc + 0.1],
      validationBpc: [3.8, bpc],
      unigramBpc: 4.1,
      sample: '',
      seconds: 888,
    };
  }

  it('a rebuild shows the language-model cells with all their seeds stored, and lists what is missing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'novolstm-trial-store-'));
    const out = mkdtempSync(join(tmpdir(), 'novolstm-rebuilt-report-'));
    const trials = new TrialCache(dir, 'abc1234', { warn: () => {} });
    for (const cell of ['lstm', 'novolstm']) {
      for (const rate of ADDING.learningRates) put(trials, ADDING, cell, SEARCH_SEED, rate, 100_000);
      for (const seed of [1, 2, 3, 4, 5]) put(trials, ADDING, cell, seed, SLOW, 100_000 + seed);
    }
    const apps = new ApplicationStore(dir, 'abc1234', { warn: () => {} });
    const bpc = { lstm: [2.5, 2.55, 2.6], novolstm: [2.3, 2.32, 2.35], gru: [2.0, 2.1] } as const;
    for (const [cell, values] of Object.entries(bpc)) {
      values.forEach((v, i) => {
        apps.put('lm', settings, i + 1, cell, { result: lmRun(cell as 'lstm', v), failure: null });
      });
    }
    const log: string[] = [];
    const report = await runReport(
      rebuildConfig('full', dir, out, {
        cells: ['lstm', 'novolstm'],
        tasks: ['adding-modern-400'],
        applications: true,
      }),
      (line) => log.push(line),
    );
    const md = report.markdown;
    const lm = report.applications!.lm;
    assert.deepEqual(
      lm.map((r) => [r.result.cell, r.seed]),
      [
        ['lstm', 1],
        ['novolstm', 1],
        ['lstm', 2],
        ['novolstm', 2],
        ['lstm', 3],
        ['novolstm', 3],
      ],
    );
    assert.match(
      row(md, 'Seed 004: character language model (bits per character)', 'lstm'),
      /\| 2\.550 \(2\.500–2\.600\) \|/,
    );
    assert.match(
      md,
      /- language model: NovoLSTM \(inputGate 'readme'\): lower held-out bits per character than the LSTM on every seed \(median 2\.320 vs 2\.550; the ranges over 3 seeds do not overlap\)\./,
    );
    assert.doesNotMatch(md, /\| gru \| 61 \|/, 'the GRU, with 2 of 3 seeds, is not shown');
    assert.match(
      md,
      /Not shown, since some of their seeds are not in the trial store yet .*: language model, gru: 2 of 3 seeds stored\./,
    );
    // The full setting's classifiers run 5 seeds (none stored here), the language model 3.
    assert.match(md, /\*\*Missing trials: 11 \(of them 11 runs of the applications\)\.\*\*/);
    assert.match(
      md,
      /Applications, 11 runs: sotu seed 1, sotu seed 2, sotu seed 3, sotu seed 4, sotu seed 5, spam seed 1, spam seed 2, spam seed 3, spam seed 4, spam seed 5, language model gru seed 3\./,
    );
    assert.match(md, /^- trials: 0 run now, 24 taken from/m, '16 trials and 8 language-model runs');
    assert.ok(existsSync(join(out, 'figures', 'language-model.svg')));
    assert.ok(
      log.every((l) => l.includes('from the trial store')),
      log.join('\n'),
    );
  });

  it('a run is found by the settings it ran with: other epochs are another spec', () => {
    const dir = mkdtempSync(join(tmpdir(), 'novolstm-trial-store-'));
    const apps = new ApplicationStore(dir, 'abc1234', { warn: () => {} });
    apps.put('lm', settings, 1, 'lstm', { result: lmRun('lstm', 2.5), failure: null });
    apps.put('lm', settings, 2, 'gru', { result: null, failure: 'the loss became NaN at step 7' });
    const warnings: string[] = [];
    const again = new ApplicationStore(dir, 'def5678', { warn: (w) => warnings.push(w) });
    assert.equal(again.get('lm', settings, 1, 'lstm')!.result!.validationBpc.at(-1), 2.5);
    assert.deepEqual(again.get('lm', settings, 2, 'gru'), {
      result: null,
      failure: 'the loss became NaN at step 7',
    });
    assert.equal(again.get('lm', settings, 1, 'novolstm'), null);
    const longer = { ...settings, lm: { ...settings.lm, epochs: settings.lm.epochs! + 1 } };
    assert.equal(again.get('lm', longer, 1, 'lstm'), null);
    assert.match(warnings.join('\n'), /2 records of another version of the spec/);
    assert.ok(existsSync(join(dir, 'lm-moby-dick.jsonl')));
  });
});

describe('a report run with a trial store, resumed, then rebuilt', () => {
  before(async () => {
    await enableRelaxedSimdInNode();
    await useFastKernels();
  });
  after(() => useReferenceKernels());

  /** The quick setting's embedded Reber grammar, the LSTM only: a few seconds a trial. */
  const quickReber = (dir: string, out: string, seeds: number, train: boolean, log: string[]) =>
    runReport(
      {
        preset: 'quick',
        seeds,
        cells: null,
        tasks: ['embedded-reber'],
        applications: false,
        appEpochs: null,
        lmEpochs: null,
        timeLimitSeconds: null,
        estimate: null,
        out,
        trials: dir,
        train,
        command: 'npm run report -- --quick',
      },
      (line) => log.push(line),
    );
  const section = (md: string) => md.slice(md.indexOf('\n## embedded-reber'));

  it('a second run takes the trials the first stored and runs only the rest; a rebuild gives the same section', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'novolstm-trial-store-'));
    const out = mkdtempSync(join(tmpdir(), 'novolstm-report-'));
    const first: string[] = [];
    await quickReber(dir, out, 2, true, first);
    assert.equal(first.filter((l) => /^embedded-reber evaluation lstm seed \d/.test(l)).length, 2);
    assert.ok(
      first.every((l) => !l.includes('from the trial store')),
      first.join('\n'),
    );
    const second: string[] = [];
    const resumed = await quickReber(dir, out, 3, true, second);
    assert.deepEqual(
      second.map((l) => l.replace(/: solved.*?(, from the trial store)?\)$/, '$1')),
      [
        'embedded-reber evaluation lstm seed 1 lr 0.03, from the trial store',
        'embedded-reber evaluation lstm seed 2 lr 0.03, from the trial store',
        'embedded-reber evaluation lstm seed 3 lr 0.03',
      ],
    );
    assert.match(resumed.markdown, /^- trials: 1 run now, 2 taken from/m);
    assert.equal(readFileSync(join(dir, 'embedded-reber.jsonl'), 'utf8').trim().split('\n').length, 3);
    const rebuilt = await quickReber(dir, mkdtempSync(join(tmpdir(), 'novolstm-report-')), 3, false, []);
    assert.equal(section(rebuilt.markdown), section(resumed.markdown));
    assert.deepEqual(rebuilt.results[0].cells[0].trials, resumed.results[0].cells[0].trials);
  });
});

describe('which cells bridge which lags', () => {
  /** A complete cell's summary with `solved` of 5 seeds (the section reads nothing else). */
  const cell = (id: string, solved: number, medianSequences: number | null): CellSummary => ({
    task: 'copy-200',
    cell: id,
    units: 64,
    parameters: 17_801,
    learningRate: 1e-3,
    seeds: 5,
    solved,
    diverged: 0,
    medianSequences,
    sequencesIqr: medianSequences === null ? null : [medianSequences, medianSequences],
    medianFinalMetric: 0,
    medianSeconds: 7777,
    trials: [],
  });

  it('a task no cell bridged says so, naming them and the budget; one bridged by some names each kind, and a cell not run', () => {
    const copy = taskByName('copy-200');
    const reber = taskByName('embedded-reber');
    const lines = bridgedLagsSection([
      { task: copy, cells: [cell('lstm', 0, null), cell('gru', 0, null)] },
      {
        task: reber,
        cells: [cell('lstm', 5, 6_000), cell('novolstm', 5, 3_008), cell('gru', 2, 5_504)],
        notRun: ['novolstm-ln-all'],
      },
    ]);
    for (const line of [
      '| task | lag | lstm | gru | novolstm | novolstm-ln-all |',
      '| copy-200 | 210 steps | 0/5 | 0/5 |  |  |',
      '| embedded-reber | 5 steps or more | 5/5 · 6,000 | 2/5 · 5,504 | 5/5 · 3,008 | not run |',
      '- **copy-200** (lag 210 steps): bridged by none of `lstm`, `gru` within 300,000 sequences.',
      '- **embedded-reber** (lag 5 steps or more): bridged on every seed by `lstm` (6,000), `novolstm` (3,008); on some seeds by `gru` (2/5); not run: `novolstm-ln-all` (time limit). The 1997 LSTM: 148 of 150 runs solved; best setting after 8,440 training sequences.',
    ]) {
      assert.ok(lines.includes(line), line);
    }
    assert.equal(lagText({ min: 90, max: 109 }), '90–109 steps');
    assert.deepEqual(bridgedLagsSection([]), [], 'no tasks, no section');
  });
});
