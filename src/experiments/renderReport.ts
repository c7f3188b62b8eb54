/**
 * The report as markdown, with a learning-curve figure per task and per application (SVG, beside it):
 * the setting it ran, the machine, the versions and the commit, what the full grid would cost unless it
 * ran, which cells bridge which lags (bridgedLags.ts), the evidence (verdicts.ts), the method, and a
 * section per task and application.
 */
import { mkdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomicFile.js';
import { lineChartSvg } from '../report/charts.js';
import type { CharModelResult } from '../applications/charModel.js';
import type { ApplicationResults } from './applications.js';
import { bridgedLagsSection } from './bridgedLags.js';
import { COMPARED_CELLS } from './comparedCells.js';
import type { GridEstimate } from './estimate.js';
import { bits, formatCount, formatMetric, formatSpread, hours, percent } from './formatting.js';
import type { PresetName } from './presets.js';
import { languageModelCurve, type LanguageModelCurve } from './languageModelCurve.js';
import { machineDescription } from './provenance.js';
import { curvePoints, spread, type Spread } from './statistics.js';
import type { CellProgress, TaskResults } from './storedGrid.js';
import { GLOBAL_CLIP_NORM } from './trial.js';
import {
  ablationReading,
  cellName,
  compareCells,
  compareSpreads,
  compareWithLstm,
  isAblation,
  tally,
  type Comparison,
  type Outcome,
} from './verdicts.js';

export type { TaskResults };

/** How the report was produced: printed at its top, so a reader knows what the numbers stand for. */
export interface ReportRun {
  /** The command as typed, e.g. `npm run report -- --preset medium`. */
  readonly command: string;
  readonly preset: PresetName;
  readonly seeds: readonly number[];
  readonly search: boolean;
  readonly seconds: number;
  readonly timeLimitSeconds: number | null;
  /** 1-minute load averages at the start and the end (the CPU may be shared). */
  readonly loadAverage: readonly [number, number];
  /** The kernels the layers ran on: 'relaxed', 'simd' or 'reference'. */
  readonly backend: string;
  /** The commit at the start of the run (see gitCommit); absent: read when the report is written. */
  readonly commit?: string;
  /** The full grid's measured cost; null when not measured. */
  readonly estimate: GridEstimate | null;
  /** What the setting can and cannot show, declared with it (see presets.ts). */
  readonly scope?: string;
  /** The full grid's shape, for the "not run" statement: tasks × cells, seeds, search. */
  readonly fullGrid: { readonly tasks: number; readonly cells: number; readonly seeds: number };
  /**
   * With a trial store (`--trials DIR`): how many trials came from it, the commits and machines they ran
   * on, and whether this run trained the missing ones (false: a rebuild, `--no-train`).
   */
  readonly trialCache?: {
    readonly dir: string;
    readonly reused: number;
    readonly ran: number;
    readonly commits: readonly string[];
    readonly machines?: readonly string[];
    /** The 1-minute load averages recorded as the stored trials finished (their wall times depend on it). */
    readonly loads?: readonly number[];
    readonly trained?: boolean;
    /**
     * The wall seconds the stored task trials and application runs took, each its own run's (the
     * classifiers' runs record none): what the grid cost on the machines above, added up.
     */
    readonly seconds?: { readonly trials: number; readonly runs: number; readonly untimedRuns: number };
  } | null;
}

/**
 * What the stored trials and runs cost, added up: each one's wall time on the worker(s) it ran on, so trials
 * that ran side by side on separate cores count in full, and time a run spent paused counts too.
 */
function storedCostLine(
  seconds: { trials: number; runs: number; untimedRuns: number },
  complete: boolean,
): string {
  const parts: string[] = [];
  if (seconds.trials > 0) parts.push(`the task trials ${hours(seconds.trials)}`);
  if (seconds.runs > 0) parts.push(`the language model's runs ${hours(seconds.runs)}`);
  if (seconds.untimedRuns > 0) {
    parts.push(
      `${seconds.untimedRuns} classifier run${seconds.untimedRuns === 1 ? '' : 's'} not timed in the store`,
    );
  }
  return `Its cost${complete ? '' : ' so far'}, from the store: **${hours(seconds.trials + seconds.runs)}** of wall time added up over the stored trials and runs (${parts.join('; ')}), each its own run's on the machine and load above — trials that ran side by side on separate cores each count in full, and a run's paused minutes count too.`;
}

/** The full grid's measured cost, as a short table: per task, all cells together. */
export function estimateSection(estimate: GridEstimate): string[] {
  const tasks = [...new Set(estimate.measurements.map((m) => m.task))];
  const lines = [
    `Measured at the start of this run (${ESTIMATE_NOTE}; ${estimate.measuredInSeconds.toFixed(0)} s of measuring): every task × cell trained for a few batches and evaluated once on its test set, scaled to ${estimate.search ? 'the learning-rate search plus ' : ''}${estimate.seeds} seeds, each trial run to its full budget.`,
    '',
    '| task | one trial to the full budget, fastest–slowest cell | trials per cell | all cells |',
    '| --- | ---: | ---: | ---: |',
  ];
  for (const task of tasks) {
    const ms = estimate.measurements.filter((m) => m.task === task);
    const perTrial = ms.map((m) => m.secondsPerFullTrial);
    const trials = Math.round(ms[0].secondsWorstCase / ms[0].secondsPerFullTrial);
    lines.push(
      `| ${task} | ${hours(Math.min(...perTrial))}–${hours(Math.max(...perTrial))} | ${trials} | ${hours(ms.reduce((s, m) => s + m.secondsWorstCase, 0))} |`,
    );
  }
  lines.push(`| **total** | | | **${hours(estimate.trialSeconds)}** of trials |`);
  lines.push(
    `| **wall time, ${estimate.workers} trials at a time** | | | **${hours(estimate.totalSeconds)}** |`,
  );
  return lines;
}

const ESTIMATE_NOTE = 'an upper bound: a trial that solves its task stops early';

/**
 * How long each language-model run trained: its character limit, its epochs, or its time limit, and where it
 * was scored.
 */
function lmBudget(o: ApplicationResults['settings']['lm']): string {
  const workers =
    o.workers === undefined || o.workers === 1
      ? 'one thread'
      : `${o.workers === 'auto' ? 'one worker per core' : `${o.workers} data-parallel workers`}`;
  const atMostEpochs = o.epochs == null ? '' : ` (at most ${o.epochs} epochs)`;
  if (o.charLimit != null) {
    const window = (o.seqLen ?? 64) * (o.batch ?? 32);
    const windows = o.charLimit % window === 0 ? ` (${formatCount(o.charLimit / window)} windows)` : '';
    // An interval as long as the limit (a run narrowed by --lm-chars) scores at the limit only.
    const every =
      o.validateEveryChars == null || o.validateEveryChars >= o.charLimit
        ? ''
        : `, scored every ${formatCount(o.validateEveryChars)} characters of training`;
    return `${formatCount(o.charLimit)} characters of training per run${windows}${atMostEpochs} on ${workers}, one run at a time (the same characters for every cell, ending at the same window on any machine and under any load, so a seed reproduces its run; the wall and CPU time each run took are in the table, and the cells' speed is compared on its own by the bench)${every}`;
  }
  if (o.timeLimitSeconds == null)
    return `${o.epochs} epochs (the same characters for every cell), on ${workers}`;
  const every =
    o.validateEverySeconds == null ? '' : `, scored every ${minutes(o.validateEverySeconds)} of training`;
  return `${minutes(o.timeLimitSeconds)} of training per run${atMostEpochs} on ${workers}, one run at a time (the same training time for every cell: a cell slower per character sees fewer characters)${every}`;
}

/** The characters the runs trained: one number when a character limit made them the same. */
function trainedChars(runs: readonly CharModelResult[]): string {
  const s = spread(runs.map((r) => r.trainedChars));
  return s.min === s.max ? formatCount(s.median) : formatSpread(s, formatCount);
}

/** Seconds per run: the median, and the range over the runs (e.g. `1330.0 s (1310.2–1351.9)`). */
function secondsSpread(values: readonly number[]): string {
  const s = spread(values);
  const range = s.n > 1 ? ` (${s.min.toFixed(1)}–${s.max.toFixed(1)})` : '';
  return `${s.median.toFixed(1)} s${range}`;
}

/** The runs' CPU times; a dash when a run was stored before they were recorded. */
function cpuTimes(runs: readonly CharModelResult[]): string {
  const cpu = runs.flatMap((r) => (r.cpuSeconds === undefined ? [] : [r.cpuSeconds]));
  return cpu.length === runs.length ? secondsSpread(cpu) : '–';
}

const minutes = (seconds: number): string =>
  seconds % 60 === 0 ? `${seconds / 60} minute${seconds === 60 ? '' : 's'}` : `${seconds} s`;

function applicationSections(
  apps: ApplicationResults,
  figures: Map<string, LanguageModelCurve>,
): { lines: string[]; comparisons: { subject: string; cell: string; comparison: Comparison }[] } {
  const lines: string[] = [];
  const comparisons: { subject: string; cell: string; comparison: Comparison }[] = [];
  const { settings } = apps;
  // `counted`: the application's headline metric, which goes into the tally (the others are printed only).
  const compare = (
    subject: string,
    what: string,
    byCell: Map<string, Spread>,
    higherBetter: boolean,
    format: (v: number) => string,
    counted = true,
  ) => {
    const lstm = byCell.get('lstm');
    if (!lstm) return;
    for (const [cell, s] of byCell) {
      if (cell === 'lstm') continue;
      const comparison = compareSpreads(what, cell, s, lstm, higherBetter, format);
      if (counted) comparisons.push({ subject, cell, comparison });
      lines.push(`- ${comparison.text}`);
    }
  };
  const seedsRun = (n: number, of: number) => (n === of ? `${n}` : `${n} of ${of} (time limit)`);

  if (apps.sotu.length > 0) {
    const o = settings.sotu;
    lines.push(
      '## Seed 000: State of the Union passages by party (classifier)',
      '',
      `Embedding(${o.embeddingDim}, maskZero) → recurrent layer → Dense(3, softmax); ${o.passages ?? 'all'} random passages of at least ${o.passageWords} words, the first ${o.maxLen} kept, vocabulary ${o.vocabularySize}; a fifth of the addresses held out whole (per class); Adam ${o.learningRate}, batch ${o.batchSize ?? 32}, ${o.epochs} epochs; LSTM ${o.units} units, the other cells matched in parameters (recurrent layer + read-out). Seeds: ${seedsRun(apps.sotu.length, settings.classifierSeeds.length)} (each seed: its own sample, split, weights and batch order). The baseline is the best constant answer on each seed's test passages.`,
      '',
      '| cell | units | parameters | held-out accuracy, median (range) | minus the baseline, percentage points, median (range) | seeds above the baseline | training accuracy, median | wall time, median |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    );
    const accuracy = new Map<string, Spread>();
    for (const cell of settings.cells) {
      const rows = apps.sotu
        .map((r) => ({ s: r.scores[cell], baseline: r.majorityBaseline }))
        .filter((r) => r.s);
      if (rows.length === 0) continue;
      const acc = spread(rows.map((r) => r.s.accuracy));
      accuracy.set(cell, acc);
      const margin = spread(rows.map((r) => r.s.accuracy - r.baseline));
      const above = rows.filter((r) => r.s.accuracy > r.baseline).length;
      lines.push(
        `| ${cell} | ${rows[0].s.units} | ${formatCount(rows[0].s.parameters)} | ${formatSpread(acc, percent)} | ${formatSpread(margin, (v) => `${v >= 0 ? '+' : ''}${(100 * v).toFixed(1)}`)} | ${above}/${rows.length} | ${percent(spread(rows.map((r) => r.s.trainAccuracy)).median)} | ${spread(rows.map((r) => r.s.seconds)).median.toFixed(1)} s |`,
      );
    }
    lines.push(
      '',
      `- Baselines per seed: ${apps.sotu.map((r) => percent(r.majorityBaseline)).join(', ')} (${apps.sotu.map((r) => `${r.testPassages} passages from ${r.testAddresses} addresses`).join('; ')}).`,
    );
    compare('sotu', 'held-out accuracy', accuracy, true, percent);
    lines.push('');
  }

  if (apps.spam.length > 0) {
    const o = settings.spam;
    lines.push(
      '## Seed 002: spam or ham (classifier)',
      '',
      `Embedding(${o.embeddingDim}) → Dropout(0.2) → recurrent layer (dropout 0.2, recurrentDropout 0.2) → Dense(${o.denseUnits}, relu) → Dropout(0.2) → Dense(1, sigmoid); ${o.emails ?? 'all'} random SpamAssassin emails, the first ${o.maxLen} words, vocabulary ${o.vocabularySize}; random 80/20 split; Adam ${o.learningRate}, batch ${o.batchSize ?? 32}, ${o.epochs} epochs; LSTM ${o.units} units, the other cells matched in parameters (recurrent layer + the dense layer after it). Seeds: ${seedsRun(apps.spam.length, settings.classifierSeeds.length)}.`,
      '',
      '| cell | units | parameters | held-out accuracy, median (range) | F1 of spam, median (range) | seeds above the baseline | wall time, median |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    );
    const accuracy = new Map<string, Spread>();
    const f1 = new Map<string, Spread>();
    for (const cell of settings.cells) {
      const rows = apps.spam
        .map((r) => ({ c: r.cells[cell], baseline: r.majorityBaseline }))
        .filter((r) => r.c);
      if (rows.length === 0) continue;
      accuracy.set(cell, spread(rows.map((r) => r.c.scores.accuracy)));
      f1.set(cell, spread(rows.map((r) => r.c.scores.f1)));
      const above = rows.filter((r) => r.c.scores.accuracy > r.baseline).length;
      lines.push(
        `| ${cell} | ${rows[0].c.units} | ${formatCount(rows[0].c.parameters)} | ${formatSpread(accuracy.get(cell)!, percent)} | ${formatSpread(f1.get(cell)!, bits)} | ${above}/${rows.length} | ${spread(rows.map((r) => r.c.seconds)).median.toFixed(1)} s |`,
      );
    }
    lines.push(
      '',
      `- Majority (ham) baselines per seed: ${apps.spam.map((r) => percent(r.majorityBaseline)).join(', ')}.`,
    );
    compare('spam', 'held-out accuracy', accuracy, true, percent);
    compare('spam', 'F1', f1, true, bits, false);
    lines.push('');
  }

  if (apps.lm.length > 0) {
    const o = settings.lm;
    const unigram = apps.lm[0].result.unigramBpc;
    lines.push(
      '## Seed 004: character language model (bits per character)',
      '',
      `Embedding(${o.embeddingDim}) → ${o.layers} stacked recurrent layers → Dense(V, softmax), trained with truncated backpropagation through time (windows of ${o.seqLen} × ${o.batch} streams, state carried) on the first ${formatCount(o.trainChars ?? 0)} characters of Moby-Dick from "Call me Ishmael.", scored on the ${formatCount(apps.lm[0].result.validationChars)} characters after them; Adam ${o.learningRate}, clip norm 5, ${lmBudget(o)}; LSTM ${o.units} units per layer, the other cells matched in parameters (recurrent stack + read-out). Seeds: ${[...new Set(apps.lm.map((r) => r.seed))].join(', ')}. Unigram baseline (character frequencies of the training text): ${bits(unigram)} bits per character.`,
      '',
      '| cell | units per layer | parameters (all) | held-out bits per character, median (range) | training bits per character, at the end, median | characters trained, median (range) | wall time per run, median (range) | CPU time per run, median (range) |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    );
    const bpc = new Map<string, Spread>();
    const runsByCell = new Map<string, CharModelResult[]>();
    for (const cell of settings.cells) {
      const runs = apps.lm.filter((r) => r.result.cell === cell).map((r) => r.result);
      if (runs.length === 0) continue;
      bpc.set(cell, spread(runs.map((r) => r.validationBpc.at(-1)!)));
      lines.push(
        `| ${cell} | ${runs[0].units} | ${formatCount(runs[0].parameters)} | ${formatSpread(bpc.get(cell)!, bits)} | ${bits(spread(runs.map((r) => r.trainBpc.at(-1)!)).median)} | ${trainedChars(runs)} | ${secondsSpread(runs.map((r) => r.seconds))} | ${cpuTimes(runs)} |`,
      );
      runsByCell.set(cell, runs);
    }
    lines.push('');
    for (const [cell, s] of bpc) {
      const gain = unigram - s.median;
      lines.push(
        `- ${cellName(cell)}: ${bits(s.median)} bits per character, ${gain >= 0 ? `${bits(gain)} below the unigram baseline` : `${bits(-gain)} above the unigram baseline (worse than the character frequencies alone)`}.`,
      );
    }
    compare('language model', 'held-out bits per character', bpc, false, bits);
    const curve = languageModelCurve(runsByCell, o);
    figures.set('language-model', curve);
    lines.push('', `![language model: ${curve.caption}](figures/language-model.svg)`, '');
  }
  if (apps.failed.length > 0) {
    lines.push('Diverged (no score):', '', ...apps.failed.map((f) => `- ${f}`), '');
  }
  if (apps.skipped.length > 0) {
    lines.push(`Not run (the report's time limit had passed): ${apps.skipped.join(', ')}.`, '');
  }
  if (apps.notShown && apps.notShown.length > 0) {
    lines.push(
      `Not shown, since some of their seeds are not in the trial store yet (no spread and no verdict from fewer seeds than declared): ${apps.notShown.join('; ')}.`,
      '',
    );
  }
  if (apps.missing && apps.missing.length > 0) {
    lines.push(`Not in the trial store yet: ${apps.missing.join(', ')}.`, '');
  }
  return { lines, comparisons };
}

/** What a cell still lacks, e.g. "learning-rate search 1 of 3 rates stored" or "3 of 5 seeds stored". */
function progressText(c: CellProgress): string {
  if (c.learningRate === null) {
    return `learning-rate search ${c.searchStored} of ${c.searchTrials} rates stored, seeds not started`;
  }
  return `${c.seedsStored} of ${c.seeds} seeds stored`;
}

/** Under "What this run is": how many trials of this setting the store lacks, or that it lacks none. */
function missingSummary(
  results: readonly TaskResults[],
  dir: string,
  missing: number,
  appsMissing: number,
  withApps: boolean,
): string[] {
  const cells = results.reduce((n, r) => n + r.cells.length + (r.incomplete?.length ?? 0), 0);
  const complete = results.reduce((n, r) => n + r.cells.length, 0);
  if (missing === 0) {
    return [
      `**Missing trials: 0.** Every trial of the ${cells} task × cell pairs below${withApps ? ', and every run of the applications,' : ''} is in \`${dir}\`.`,
    ];
  }
  const apps =
    appsMissing > 0 ? ` (of them ${appsMissing} run${appsMissing === 1 ? '' : 's'} of the applications)` : '';
  return [
    `**Missing trials: ${missing}${apps}.** ${complete} of the ${cells} task × cell pairs have all their trials in \`${dir}\` and are compared below; the other ${cells - complete} are listed as incomplete, with no verdict (a cell is compared only on all its seeds). See "Trials still missing".`,
  ];
}

/** The trials the store lacks, per task × cell, and the command that adds them. */
function missingSection(
  incomplete: readonly CellProgress[],
  appsMissing: readonly string[],
  dir: string,
  preset: PresetName,
): string[] {
  return [
    '## Trials still missing',
    '',
    `To extend the grid, run \`npm run report -- --preset ${preset} --trials ${dir} --out /tmp/grid\` (in the background, as long as it may: each trial is appended to \`${dir}/<task>.jsonl\` as it finishes, and a later run starts where this one stopped); commit \`${dir}\`, then rebuild this page with \`npm run report -- --preset ${preset} --trials ${dir} --no-train\`.`,
    '',
    ...(incomplete.length === 0
      ? []
      : [
          '| task | cell | learning-rate search stored | evaluation seeds stored | missing trials |',
          '| --- | --- | ---: | ---: | ---: |',
          ...incomplete.map(
            (c) =>
              `| ${c.task} | ${c.cell} | ${c.searchTrials === 0 ? 'no search' : `${c.searchStored}/${c.searchTrials}`} | ${c.learningRate === null ? '—' : `${c.seedsStored}/${c.seeds}`} | ${c.missing} |`,
          ),
          `| **total** | | | | **${incomplete.reduce((sum, c) => sum + c.missing, 0)}** |`,
          '',
        ]),
    ...(appsMissing.length > 0
      ? [
          `Applications, ${appsMissing.length} run${appsMissing.length === 1 ? '' : 's'}: ${appsMissing.join(', ')}.`,
          '',
        ]
      : []),
  ];
}

export async function writeReport(
  results: readonly TaskResults[],
  apps: ApplicationResults | null,
  run: ReportRun,
  dir: string,
): Promise<string> {
  mkdirSync(join(dir, 'figures'), { recursive: true });
  const rebuilt = run.trialCache?.trained === false;
  const incomplete = results.flatMap((r) => r.incomplete ?? []);
  const appsMissing = apps?.missing?.length ?? 0;
  const missing = incomplete.reduce((sum, c) => sum + c.missing, 0) + appsMissing;
  // The full grid: every task of it, every cell of every task, the search, and at least its seeds.
  const ranFullGrid =
    run.preset === 'full' &&
    run.search &&
    run.seeds.length >= run.fullGrid.seeds &&
    missing === 0 &&
    results.length === run.fullGrid.tasks &&
    results.every((r) => r.cells.length === run.fullGrid.cells);
  const lines: string[] = [
    '# Does NovoLSTM help? Results',
    '',
    rebuilt
      ? `Rebuilt from the trial store by \`${run.command}\` (setting \`${run.preset}\`) in ${run.seconds.toFixed(1)} s, training nothing, on:`
      : `Generated by \`${run.command}\` (setting \`${run.preset}\`) in ${(run.seconds / 60).toFixed(1)} minutes${run.timeLimitSeconds === null ? '' : ` (time limit ${hours(run.timeLimitSeconds)})`} on:`,
    '',
    machineDescription(run.backend, run.commit),
  ];
  // A rebuild's own load says nothing about the trials' wall times: theirs is on the trials line.
  if (!rebuilt) {
    lines.push(
      `- load average (1 min) ${run.loadAverage[0].toFixed(1)} at the start, ${run.loadAverage[1].toFixed(1)} at the end, on ${cpus().length} cores${run.loadAverage[0] > 1 || run.loadAverage[1] > 1 ? ': the CPU was shared with other work, so the wall times below are inflated and noisy — compare cells by sequences and metrics, not by seconds' : ''}`,
    );
  }
  if (run.trialCache) {
    const { dir, reused, ran, commits, machines = [], loads = [] } = run.trialCache;
    const where = machines.length > 0 ? `, on ${machines.join('; ')}` : '';
    const shared = loads.some((l) => l > 1)
      ? ': the CPU was shared, so compare cells by sequences and metrics, not by seconds'
      : '';
    const load =
      loads.length > 0
        ? `, 1-min load average ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)} as they finished${shared}`
        : '';
    lines.push(
      `- trials: ${ran} run now, ${reused} taken from \`${dir}\`${reused > 0 ? ` (run on commit${commits.length === 1 ? '' : 's'} ${commits.join(', ')}${where}${load}; wall times are those of their own runs)` : ''}`,
    );
  }
  lines.push('', '## What this run is', '');
  // Only a rebuild took every trial from the store, so only there do the stored times add up to the cost.
  const storedCost =
    rebuilt && run.trialCache?.seconds ? storedCostLine(run.trialCache.seconds, missing === 0) : null;
  if (ranFullGrid) {
    lines.push(
      `This is the full grid: ${run.fullGrid.tasks} tasks × ${run.fullGrid.cells} cells, the learning-rate search and ${run.fullGrid.seeds} seeds.`,
    );
    if (storedCost) lines.push('', storedCost);
  } else {
    lines.push(
      `**The full grid has not been run.** This report is the \`${run.preset}\` setting: ${results.length} task${results.length === 1 ? '' : 's'} × ${new Set(results.flatMap((r) => [...r.cells, ...(r.incomplete ?? [])].map((c) => c.cell))).size} cells, ${run.search ? 'the learning-rate search' : 'one learning rate per task (no search)'}, ${run.seeds.length} seeds, with the budgets printed under each task; the full grid is ${run.fullGrid.tasks} tasks × ${run.fullGrid.cells} cells with the search and ${run.fullGrid.seeds} seeds at the full budgets.`,
    );
    lines.push('');
    if (run.estimate) {
      lines.push(
        `Its cost on this machine: at most about **${hours(run.estimate.totalSeconds)}** (${ESTIMATE_NOTE}).`,
        '',
        ...estimateSection(run.estimate),
      );
    } else if (storedCost) {
      lines.push(storedCost);
    } else {
      lines.push(
        rebuilt
          ? 'Its cost was not measured (a rebuild from the trial store runs nothing).'
          : 'Its cost was not measured in this setting (the `medium` and `full` settings measure it at the start).',
      );
    }
  }
  if (run.trialCache) {
    lines.push('', ...missingSummary(results, run.trialCache.dir, missing, appsMissing, apps !== null));
  }
  if (run.scope) lines.push('', run.scope);
  if (!apps) lines.push('', 'The classifiers and the language model were not run in this report.');
  lines.push('');

  // The task sections are written first (they also decide the verdicts), the summary goes above them.
  const body: string[] = [];
  const comparisons: { subject: string; cell: string; comparison: Comparison }[] = [];
  const ablationComparisons: { subject: string; cell: string; comparison: Comparison }[] = [];
  const readings: string[] = [];
  for (const { task, cells, notRun = [], incomplete: unfinished = [] } of results) {
    body.push(`## ${task.name}`, '', `${task.description}.`, '');
    body.push(`- Solved when: ${task.criterion}.`);
    body.push(
      `- Budget: batch ${task.batchSize}, at most ${formatCount(task.maxSequences)} sequences, checked every ${formatCount(task.evalEvery)}; learning rates ${task.learningRates.join(', ')}; LSTM units ${task.lstmUnits}.`,
    );
    if (task.paper) body.push(`- Hochreiter & Schmidhuber (1997): ${task.paper}.`);
    if (task.modern) {
      // Trials stop at the first check that meets the criterion: their final metric is where they stood
      // then, not where longer training would end.
      body.push(
        `- Modern baseline (the issue's): ${task.modern}. These trials stop at the first check that meets the criterion, so their final ${task.metricName} below is where they stood then, not where longer training ends.`,
      );
    }
    body.push(
      '',
      `| cell | units | parameters | learning rate | solved | sequences to success, median (IQR) | final ${task.metricName}, median | wall time, median |`,
      '| --- | ---: | ---: | ---: | ---: | --- | ---: | ---: |',
    );
    for (const s of cells) {
      const seqs =
        s.medianSequences === null
          ? '—'
          : `${formatCount(s.medianSequences)} (${formatCount(s.sequencesIqr![0])}–${formatCount(s.sequencesIqr![1])})`;
      body.push(
        `| ${s.cell} | ${s.units} | ${formatCount(s.parameters)} | ${s.learningRate} | ${s.solved}/${s.seeds}${s.diverged > 0 ? ` (${s.diverged} diverged)` : ''} | ${seqs} | ${formatMetric(task, s.medianFinalMetric)} | ${s.medianSeconds.toFixed(1)} s |`,
      );
    }
    for (const id of notRun) body.push(`| ${id} | | | | not run (time limit) | | | |`);
    for (const c of unfinished) {
      body.push(
        `| ${c.cell} | | | ${c.learningRate ?? '—'} | incomplete: ${progressText(c)} (no verdict) | | | |`,
      );
    }
    const lstm = cells.find((c) => c.cell === 'lstm');
    const againstLstm = new Map<string, Outcome>();
    if (lstm) {
      body.push('');
      for (const s of cells) {
        if (s === lstm) continue;
        const comparison = compareWithLstm(task, s, lstm);
        againstLstm.set(s.cell, comparison.outcome);
        comparisons.push({ subject: task.name, cell: s.cell, comparison });
        body.push(`- ${comparison.text}`);
      }
    }
    // The ablations, also against NovoLSTM: which of them carries its difference from the LSTM.
    const novolstm = cells.find((c) => c.cell === 'novolstm');
    const ablations = cells.filter((c) => isAblation(c.cell));
    if (novolstm && ablations.length > 0) {
      body.push('', 'The ablations against NovoLSTM:', '');
      for (const s of ablations) {
        const comparison = compareCells(task, s, novolstm);
        ablationComparisons.push({ subject: task.name, cell: s.cell, comparison });
        body.push(`- ${comparison.text}`);
        const novolstmVsLstm = againstLstm.get('novolstm');
        const vsLstm = againstLstm.get(s.cell);
        if (novolstmVsLstm && vsLstm) {
          const reading = ablationReading(s.cell, novolstmVsLstm, vsLstm, comparison.outcome);
          readings.push(`- ${task.name}: ${reading}`);
          body.push(`- ${reading}`);
        }
      }
    }
    if (cells.length === 0) {
      body.push(''); // no cell with all its trials: nothing to draw
      continue;
    }
    const figure = `figures/${task.name}.svg`;
    const svg = await lineChartSvg(cells.flatMap(curvePoints), {
      title: task.description,
      xTitle: 'training sequences',
      yTitle: task.metricName,
    });
    await writeFileAtomic(join(dir, figure), svg);
    body.push('', `![${task.name}: ${task.metricName} against training sequences](${figure})`, '');
  }
  const figures = new Map<string, LanguageModelCurve>();
  if (apps) {
    const sections = applicationSections(apps, figures);
    body.push(...sections.lines);
    comparisons.push(...sections.comparisons);
  }
  const lm = figures.get('language-model');
  if (lm) {
    const svg = await lineChartSvg(lm.points, {
      title: 'Character language model: held-out bits per character',
      xTitle: lm.xTitle,
      yTitle: 'bits per character',
    });
    await writeFileAtomic(join(dir, 'figures', 'language-model.svg'), svg);
  }

  lines.push(
    ...bridgedLagsSection(results),
    '## What the evidence shows',
    '',
    `Every comparison below is against the LSTM (the ablations are also compared with NovoLSTM, in their own list after it), by the fixed rules of the Method section; "no clear difference" means the spread over seeds does not separate the two — not that they are equal. Tasks that no cell solved within this setting's budget say nothing about the cells.`,
    '',
    ...tally(comparisons),
    '',
    ...comparisons.map((c) => `- ${c.subject}: ${c.comparison.text}`),
    '',
    ...(ablationComparisons.length === 0
      ? []
      : [
          '### The ablations against NovoLSTM',
          '',
          "Each ablation of NovoLSTM's input gate compared with NovoLSTM by the same rules, and what its two verdicts say: a variant with no clear difference from NovoLSTM, and NovoLSTM's difference from the LSTM, carries that difference; on a task where NovoLSTM and the LSTM do not differ there is nothing for a variant to carry.",
          '',
          ...tally(ablationComparisons, 'novolstm'),
          '',
          ...ablationComparisons.map((c) => `- ${c.subject}: ${c.comparison.text}`),
          '',
          ...(readings.length === 0
            ? []
            : ["Which variant carries NovoLSTM's difference from the LSTM, per task:", '', ...readings, '']),
        ]),
    ...(missing > 0 && run.trialCache
      ? missingSection(incomplete, apps?.missing ?? [], run.trialCache.dir, run.preset)
      : []),
    '## Method',
    '',
    `- Cells: ${COMPARED_CELLS.map((c) => `\`${c.id}\` (${c.description})`).join(', ')}. The classifiers and the language model run \`lstm\`, \`novolstm\` and \`gru\` (the language model builds only these).`,
    "- Equal parameter budgets: each task fixes the LSTM's units; every other cell gets the largest number of units whose model (recurrent layer + dense read-out) has no more parameters than the LSTM's. The applications use the same rule (layers every cell shares, such as the embedding, are not counted).",
    `- Training: online (a fresh batch every step), Adam with global gradient-norm clipping at ${GLOBAL_CLIP_NORM}, the task's batch size and budget. The criterion is checked on a fixed test set (its own seed) every \`evalEvery\` sequences; a run stops at success or at the budget, or when a step makes the weights non-finite (a gradient that overflowed float32: "diverged", unsolved, its final metric that of the last finite weights).`,
    run.search
      ? "- Learning rate: the same search for every cell — each rate of the task's list tried once on a separate search seed; the one that solved in the fewest sequences (or had the best final metric) is kept. The applications have one declared rate each, the same for every cell (no search)."
      : '- One learning rate per task, no search; the applications have one declared rate each, the same for every cell.',
    `- Seeds: ${run.seeds.join(', ')}. Sequences to success: median over the solved seeds, with the interquartile range.`,
    '- Verdicts on tasks: a different number of solved seeds is reported as such; with the same number, interquartile ranges of sequences-to-success that overlap are "no clear difference". The ablation cells are compared with NovoLSTM as well, by the same rule. On the applications: ranges over seeds (lowest to highest) that overlap are "no clear difference"; one seed gives no verdict.',
    '- Curves: median test metric over seeds at each evaluation, shaded from the lowest to the highest seed; a run that stopped keeps its last value.',
    '',
    ...body,
  );
  const markdown = lines.join('\n');
  await writeFileAtomic(join(dir, 'results.md'), markdown);
  return markdown;
}
