/**
 * The whole report run as a typed config and one function, so that the CLI only turns flags into the
 * config and the tests run exactly what `npm run report` runs. Order: the full grid's cost (measured, so
 * the report can say what it did not run), then the applications (bounded by epochs), then the task grid,
 * which a time limit may cut: no trial starts after it, and a cell it cuts is reported as not run.
 */
import { loadavg } from 'node:os';
import { kernelBackend } from '../layers/backend.js';
import { runApplications, type ApplicationResults, type ApplicationSettings } from './applications.js';
import { estimateFullGrid } from './estimate.js';
import { runGrid, TimeLimitReached } from './grid.js';
import { reportPreset, type PresetName } from './presets.js';
import { gitCommit, writeReport, type TaskResults } from './report.js';
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
  /** Start no further run after this many seconds; null: no limit. */
  readonly timeLimitSeconds: number | null;
  /** Measure the full grid's cost; null: as the preset says. */
  readonly estimate: boolean | null;
  /** Where results.md and figures/ go. */
  readonly out: string;
  /** A directory of finished trials to take and add to (TrialCache); null: none. */
  readonly trials?: string | null;
  /** Trials run side by side (worker threads); null: one per core. */
  readonly workers?: number | null;
  /** The command as typed, printed in the report. */
  readonly command: string;
}

export interface ReportOutput {
  readonly results: readonly TaskResults[];
  readonly applications: ApplicationResults | null;
  readonly markdown: string;
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
  const cache = config.trials ? new TrialCache(config.trials, commit) : null;
  let ran = 0;

  // Trials side by side, one per worker thread (trialPool.ts): the estimate's and the grid's. Their results
  // do not depend on it. Idle threads do not keep the process alive, so an error before close() is no hang.
  const pool = new TrialPool(config.workers ?? undefined);
  const fullGrid = reportPreset('full');
  const estimate = (config.estimate ?? preset.estimate) ? await estimateFullGrid(pool) : null;
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
    lm: { ...a.lm, epochs: config.lmEpochs ?? a.lm.epochs },
  };
  const applications = config.applications ? await runApplications(appSettings, { deadline, log }) : null;

  const results: TaskResults[] = await runGrid(tasks, cells, pool, {
    seeds,
    search: preset.search,
    deadline,
    ...(cache ? { cache } : {}),
    onTrial: (t, phase, cached) => {
      if (!cached) ran++;
      log(
        `${t.task} ${phase} ${t.cell} seed ${t.seed} lr ${t.learningRate}: ${t.solved ? `solved after ${t.sequencesToSuccess}` : 'not solved'}${t.diverged ? ' (diverged)' : ''} (${t.seconds.toFixed(1)} s${cached ? ', from the trial cache' : ''})`,
      );
    },
  }).finally(() => pool.close());
  // Whole cells only: a cell cut after some of its seeds would be compared on fewer seeds.
  for (const { task, notRun } of results) {
    for (const cell of notRun ?? []) log(new TimeLimitReached(task.name, cell).message);
  }
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
      scope: preset.scope,
      fullGrid: { tasks: fullGrid.tasks.length, cells: fullGrid.cells.length, seeds: fullGrid.seeds },
      trialCache: cache && {
        dir: cache.dir,
        reused: cache.reused.length,
        ran,
        commits: [...new Set(cache.reused.map((c) => c.commit))],
      },
    },
    config.out,
  );
  return { results, applications, markdown };
}
