/**
 * The whole report run as a typed config and one function, so that the CLI only turns flags into the
 * config and the tests run exactly what `npm run report` runs. Order: the full grid's cost (measured, so
 * the report can say what it did not run), then the applications (bounded by epochs), then the task grid,
 * which a time limit may cut: no trial starts after it, and a cell it cuts is reported as not run.
 *
 * With a trial store (`trials`), every finished trial is appended to it as it finishes, and the report is
 * then built from the store alone (storedGrid.ts): the same report whether the trials ran now or in
 * earlier sittings, with the trials still missing counted per task × cell. Without training (`train:
 * false`) nothing runs at all — no estimate, no application, no trial: the report is rebuilt from the
 * store in seconds.
 */
import { existsSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { ConfigError } from '../errors.js';
import { kernelBackend } from '../layers/backend.js';
import { ApplicationStore } from './applicationStore.js';
import { runApplications, type ApplicationResults, type ApplicationSettings } from './applications.js';
import { estimateFullGrid } from './estimate.js';
import { runGrid, TimeLimitReached } from './grid.js';
import { reportPreset, type PresetName } from './presets.js';
import { gitCommit, writeReport, type TaskResults } from './report.js';
import { storedCell } from './storedGrid.js';
import { TrialCache } from './trialCache.js';
import { TrialPool } from './trialPool.js';

export interface ReportConfig {
  readonly preset: PresetName;
  /** Overrides of the preset; null keeps the preset's. */
  readonly seeds: number | null;
  readonly cells: readonly string[] | null;
  /** Names of the preset's tasks to run, in this order; null: all of them. */
  readonly tasks: readonly string[] | null;
  /** Run the classifiers and the language model. */
  readonly applications: boolean;
  readonly appEpochs: number | null;
  readonly lmEpochs: number | null;
  /** The language model's character limit (a short run, to see the report); absent or null: the preset's. */
  readonly lmChars?: number | null;
  /** Start no further run after this many seconds; null: no limit. */
  readonly timeLimitSeconds: number | null;
  /** Measure the full grid's cost; null: as the preset says. */
  readonly estimate: boolean | null;
  /** Where results.md and figures/ go. */
  readonly out: string;
  /** The trial store: a directory of finished trials to take and add to (TrialCache); null: none. */
  readonly trials?: string | null;
  /** Trials run side by side (worker threads); null: one per core. */
  readonly workers?: number | null;
  /**
   * Run what is missing (default true). False: run nothing — the report is rebuilt from `trials` (which
   * it then needs), and the trials missing from it are listed, not run.
   */
  readonly train?: boolean;
  /** The command as typed, printed in the report. */
  readonly command: string;
}

export interface ReportOutput {
  readonly results: readonly TaskResults[];
  readonly applications: ApplicationResults | null;
  readonly markdown: string;
}

/** A store that is a file, or (when only reading) one that does not exist, is a mistake to name. */
function checkTrialsDir(dir: string, train: boolean): void {
  if (!existsSync(dir)) {
    if (train) return; // created with the first trial
    throw new ConfigError(
      'report --trials',
      'there is no trial store here to rebuild from',
      'a directory',
      dir,
    );
  }
  if (!statSync(dir).isDirectory()) {
    throw new ConfigError(
      'report --trials',
      'the trial store must be a directory',
      'a directory',
      `the file ${dir}`,
    );
  }
}

export async function runReport(config: ReportConfig, log: (line: string) => void): Promise<ReportOutput> {
  const started = performance.now();
  const loadAtStart = loadavg()[0];
  const commit = gitCommit();
  const preset = reportPreset(config.preset);
  const seeds = Array.from({ length: config.seeds ?? preset.seeds }, (_, i) => i + 1);
  const cells = config.cells ?? preset.cells;
  // In the order given: with a time limit, the tasks named first are the ones sure to run.
  const tasks = (config.tasks ?? preset.tasks.map((t) => t.name)).map((name) => {
    const task = preset.tasks.find((t) => t.name === name);
    if (!task) {
      const names = preset.tasks.map((t) => t.name).join(', ');
      throw new RangeError(`task '${name}' is not in the ${preset.name} setting: one of ${names}`);
    }
    return task;
  });
  const deadline = config.timeLimitSeconds === null ? null : started + config.timeLimitSeconds * 1000;
  const train = config.train ?? true;
  if (!train && !config.trials) {
    throw new ConfigError(
      'report',
      'rebuilds from a trial store without training',
      'a trials directory',
      'none',
    );
  }
  if (!train && config.estimate === true) {
    // The estimate trains every task × cell for a few batches.
    throw new ConfigError(
      'report without training',
      'cannot measure the estimate',
      'no estimate',
      'estimate',
    );
  }
  if (config.trials) checkTrialsDir(config.trials, train);
  const cache = config.trials
    ? new TrialCache(config.trials, commit, { kernels: kernelBackend(), warn: log })
    : null;
  let ran = 0;

  // Trials side by side, one per worker thread (trialPool.ts): the estimate's and the grid's. Their results
  // do not depend on it. Idle threads do not keep the process alive, so an error before close() is no hang.
  const pool = new TrialPool(config.workers ?? undefined);
  const fullGrid = reportPreset('full');
  const estimate = train && (config.estimate ?? preset.estimate) ? await estimateFullGrid(pool) : null;
  if (estimate) {
    log(
      `full grid: at most about ${(estimate.totalSeconds / 3600).toFixed(1)} h on this machine (${estimate.workers} trials at a time)`,
    );
  }

  const a = preset.applications;
  const appSettings: ApplicationSettings = {
    ...a,
    sotu: { ...a.sotu, epochs: config.appEpochs ?? a.sotu.epochs },
    spam: { ...a.spam, epochs: config.appEpochs ?? a.spam.epochs },
    lm: {
      ...a.lm,
      epochs: config.lmEpochs ?? a.lm.epochs,
      charLimit: config.lmChars ?? a.lm.charLimit,
    },
  };
  const appStore = cache
    ? new ApplicationStore(cache.dir, commit, { kernels: kernelBackend(), warn: log })
    : null;
  const applications = config.applications
    ? await runApplications(appSettings, { deadline, log, store: appStore, train })
    : null;

  // Without training the pool stays unused (it starts its threads with the first trial).
  const ranResults: TaskResults[] = !train
    ? []
    : await runGrid(tasks, cells, pool, {
        seeds,
        search: preset.search,
        deadline,
        ...(cache ? { cache } : {}),
        onTrial: (t, phase, cached) => {
          if (!cached) ran++;
          log(
            `${t.task} ${phase} ${t.cell} seed ${t.seed} lr ${t.learningRate}: ${t.solved ? `solved after ${t.sequencesToSuccess}` : 'not solved'}${t.diverged ? ' (diverged)' : ''} (${t.seconds.toFixed(1)} s${cached ? ', from the trial store' : ''})`,
          );
        },
      }).finally(() => pool.close());
  // Whole cells only: a cell cut after some of its seeds would be compared on fewer seeds.
  for (const { task, notRun } of ranResults) {
    for (const cell of notRun ?? []) log(new TimeLimitReached(task.name, cell).message);
  }
  // With a store, the report of what it holds: the trials just run are in it, with earlier sittings'.
  const results: TaskResults[] = cache
    ? tasks.map((task) => {
        const stored = cells.map((cell) => storedCell(task, cell, cache, { seeds, search: preset.search }));
        return {
          task,
          cells: stored.flatMap((c) => (c.summary ? [c.summary] : [])),
          incomplete: stored.flatMap((c) => (c.summary ? [] : [c.progress])),
        };
      })
    : ranResults;
  // Trials and application runs alike.
  const reused = [...(cache?.reused ?? []), ...(appStore?.reused ?? [])];
  const markdown = await writeReport(
    results,
    applications,
    {
      command: config.command,
      preset: preset.name,
      seeds,
      search: preset.search,
      seconds: (performance.now() - started) / 1000,
      timeLimitSeconds: config.timeLimitSeconds,
      loadAverage: [loadAtStart, loadavg()[0]],
      backend: kernelBackend(),
      commit,
      estimate,
      scope: narrowedScope(preset.scope, appSettings.lm, a.lm, config.applications),
      fullGrid: { tasks: fullGrid.tasks.length, cells: fullGrid.cells.length, seeds: fullGrid.seeds },
      trialCache: cache && {
        dir: cache.dir,
        reused: reused.length,
        ran: ran + (appStore?.added ?? 0),
        commits: [...new Set(reused.map((c) => c.commit))],
        machines: [...new Set(reused.map((c) => c.machine))],
        loads: reused.flatMap((c) => (c.load === null ? [] : [c.load])),
        trained: train,
        seconds: storedSeconds(cache.reused, appStore?.reused ?? []),
      },
    },
    config.out,
  );
  return { results, applications, markdown };
}

/**
 * What the trials and runs taken from the store took, each its own wall time (see `trialCache.seconds` in
 * renderReport.ts).
 */
function storedSeconds(
  trials: readonly { readonly trial: { readonly seconds: number } }[],
  runs: readonly { readonly seconds: number | null }[],
): { trials: number; runs: number; untimedRuns: number } {
  return {
    trials: trials.reduce((sum, t) => sum + t.trial.seconds, 0),
    runs: runs.reduce((sum, r) => sum + (r.seconds ?? 0), 0),
    untimedRuns: runs.filter((r) => r.seconds === null).length,
  };
}

/**
 * The preset's scope, and where --lm-chars or --lm-epochs changed its language model's budget, a sentence
 * saying so: the scope describes the preset's runs, which this report's are then not.
 */
export function narrowedScope(
  scope: string | undefined,
  lm: ApplicationSettings['lm'],
  presetLm: ApplicationSettings['lm'],
  applications: boolean,
): string | undefined {
  if (!scope || !applications) return scope;
  const chars = (n: number | null | undefined) =>
    n == null ? 'no character limit' : `${n.toLocaleString('en-US')} characters of training per run`;
  const epochs = (n: number | null | undefined) => (n == null ? 'no epoch limit' : `${n} epochs`);
  const changes = [
    lm.charLimit !== presetLm.charLimit &&
      `${chars(lm.charLimit)} (--lm-chars), not the setting's ${chars(presetLm.charLimit)}`,
    lm.epochs !== presetLm.epochs &&
      `${epochs(lm.epochs)} (--lm-epochs), not the setting's ${epochs(presetLm.epochs)}`,
  ].filter((c): c is string => c !== false);
  if (changes.length === 0) return scope;
  return `${scope} **This run's language model is narrowed**: ${changes.join('; ')} — its figures are not the setting's comparison.`;
}
