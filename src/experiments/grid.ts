/**
 * The comparison grid: every task × cell, a learning-rate search declared up front and identical for
 * every cell, then the evaluation seeds, and the summary statistics the report prints.
 *
 * Learning-rate search: each rate of the task's list is tried once on SEARCH_SEED (never an evaluation
 * seed); the rate kept is the one that solved the task in the fewest sequences, or, if none solved it,
 * the one with the best final metric. Every cell gets exactly this search.
 */
import { comparedCell, type ComparedCell } from './comparedCells.js';
import type { TaskSpec } from './taskSuite.js';
import { runTrial, type TrialResult } from './trial.js';
import type { TrialCache, TrialKey } from './trialCache.js';
import type { TrialRunner } from './trialPool.js';

export const SEARCH_SEED = 1000;

export interface GridOptions {
  readonly seeds: readonly number[];
  /** Skip the search and use the task's first learning rate (the quick grid lists only one). */
  readonly search: boolean;
  /** See TrialOptions.forgetBias: a control run outside the report. */
  readonly forgetBias?: number;
  /** Finished trials on disk: those found are not run again, those run are added. */
  readonly cache?: TrialCache;
  readonly onTrial?: (result: TrialResult, phase: 'search' | 'evaluation', cached: boolean) => void;
  /**
   * performance.now() after which no further trial starts: the cell is then abandoned with
   * TimeLimitReached (a cell with fewer seeds than the others would not be comparable).
   */
  readonly deadline?: number | null;
}

/** Thrown by runCell when the deadline passes before the cell's last trial; its trials are dropped. */
export class TimeLimitReached extends Error {
  override name = 'TimeLimitReached';
  constructor(
    readonly task: string,
    readonly cell: string,
  ) {
    super(`${task}, ${cell}: the time limit passed before the cell's trials were done`);
  }
}

function checkDeadline(task: TaskSpec, cell: ComparedCell, options: GridOptions): void {
  if (options.deadline != null && performance.now() > options.deadline) {
    throw new TimeLimitReached(task.name, cell.id);
  }
}

export interface CellSummary {
  readonly task: string;
  readonly cell: string;
  readonly units: number;
  readonly parameters: number;
  readonly learningRate: number;
  readonly seeds: number;
  readonly solved: number;
  /** Seeds whose training stopped because the weights became non-finite (TrialResult.diverged). */
  readonly diverged: number;
  /** Over the solved seeds only; null when none solved. */
  readonly medianSequences: number | null;
  readonly sequencesIqr: readonly [number, number] | null;
  readonly medianFinalMetric: number;
  readonly medianSeconds: number;
  readonly trials: readonly TrialResult[];
}

/** Whether a task's metric is better when higher (accuracies) or lower (error counts, MSE). */
export function higherIsBetter(task: TaskSpec): boolean {
  return /accuracy|recalled/.test(task.metricName);
}

/** The learning-rate search's rule: solved beats unsolved, then fewer sequences, then the final metric. */
export function better(task: TaskSpec, a: TrialResult, b: TrialResult): boolean {
  if (a.solved !== b.solved) return a.solved;
  if (a.solved && b.solved) return a.sequencesToSuccess! < b.sequencesToSuccess!;
  return higherIsBetter(task) ? a.finalMetric > b.finalMetric : a.finalMetric < b.finalMetric;
}

/** Whether the task's learning rates are searched (else the first is used). */
function searches(task: TaskSpec, options: GridOptions): boolean {
  return options.search && task.learningRates.length > 1;
}

/** The search's choice among its trials, one per rate in the task's order: the first best. */
function bestRate(task: TaskSpec, trials: readonly TrialResult[]): number {
  let best: TrialResult | null = null;
  for (const trial of trials) if (!best || better(task, trial, best)) best = trial;
  return best!.learningRate;
}

export function chooseLearningRate(task: TaskSpec, cell: ComparedCell, options: GridOptions): number {
  if (!searches(task, options)) return task.learningRates[0];
  return bestRate(
    task,
    task.learningRates.map((rate) => trialOf(task, cell, SEARCH_SEED, rate, 'search', options)),
  );
}

/** One trial: from the cache if it holds it, else run (if the deadline allows) and stored there. */
function trialOf(
  task: TaskSpec,
  cell: ComparedCell,
  seed: number,
  learningRate: number,
  phase: 'search' | 'evaluation',
  options: GridOptions,
): TrialResult {
  const key = { seed, learningRate, forgetBias: options.forgetBias };
  const cached = options.cache?.get(task, cell.id, key) ?? null;
  if (cached) {
    options.onTrial?.(cached, phase, true);
    return cached;
  }
  checkDeadline(task, cell, options);
  const trial = runTrial(task, cell, key);
  options.cache?.put(task, cell.id, key, trial);
  options.onTrial?.(trial, phase, false);
  return trial;
}

export function runCell(task: TaskSpec, cellId: string, options: GridOptions): CellSummary {
  const cell = comparedCell(cellId);
  const learningRate = chooseLearningRate(task, cell, options);
  const trials = options.seeds.map((seed) => trialOf(task, cell, seed, learningRate, 'evaluation', options));
  return summarize(task, trials);
}

/** One task's cells from runGrid: those whose every trial is done, in order, and those cut short. */
export interface TaskGrid {
  readonly task: TaskSpec;
  readonly cells: readonly CellSummary[];
  readonly notRun: readonly string[];
}

/** A trial of the grid waiting for a worker: its cell, phase, and where it sorts among the others. */
interface PendingTrial {
  readonly cell: GridCell;
  readonly phase: 'search' | 'evaluation';
  /** Its place in the cell's search rates or evaluation seeds. */
  readonly index: number;
  readonly key: TrialKey;
}

/** A task × cell of the grid and its trials as they finish. */
interface GridCell {
  readonly task: TaskSpec;
  readonly taskIndex: number;
  readonly cell: ComparedCell;
  readonly cellIndex: number;
  readonly search: (TrialResult | undefined)[];
  evaluation: (TrialResult | undefined)[] | null;
}

/** Which pending trial a free worker takes first: the earliest task, then cell, search before seeds. */
function runsBefore(a: PendingTrial, b: PendingTrial): boolean {
  const order = (p: PendingTrial) => [
    p.cell.taskIndex,
    p.cell.cellIndex,
    p.phase === 'search' ? 0 : 1,
    p.index,
  ];
  const [x, y] = [order(a), order(b)];
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i] < y[i];
  return false;
}

/**
 * Every task × cell, its trials run on `runner` (a TrialPool: one per core) — the same trials, searched
 * and chosen by the same rule as runCell, so each cell's summary is the one runCell gives. Scheduling: a
 * free worker takes the earliest pending trial by task, cell, then search before evaluation seeds; a
 * cell's seeds become pending once its search is done, so the search still chooses before the seeds
 * run, the other cells' trials keep every worker busy meanwhile, and the tasks named first finish first.
 * Trials found in the cache are taken at once; each trial run is put in the cache here, on this thread,
 * as it finishes, so a stopped run loses only the trials then running. After the deadline no trial
 * starts; the running ones finish (and are cached), and every cell not complete is reported as not run.
 */
export async function runGrid(
  tasks: readonly TaskSpec[],
  cellIds: readonly string[],
  runner: TrialRunner,
  options: GridOptions,
): Promise<TaskGrid[]> {
  const cells: GridCell[] = tasks.flatMap((task, taskIndex) =>
    cellIds.map((id, cellIndex) => ({
      task,
      taskIndex,
      cell: comparedCell(id),
      cellIndex,
      search: [],
      evaluation: null,
    })),
  );
  const pending: PendingTrial[] = [];
  const key = (seed: number, learningRate: number): TrialKey => ({
    seed,
    learningRate,
    forgetBias: options.forgetBias,
  });
  const finish = (trial: PendingTrial, result: TrialResult) => {
    const { cell } = trial;
    if (trial.phase === 'evaluation') {
      cell.evaluation![trial.index] = result;
      return;
    }
    cell.search[trial.index] = result;
    const rates = cell.task.learningRates;
    if (rates.every((_, i) => cell.search[i] !== undefined)) {
      evaluate(cell, bestRate(cell.task, cell.search as TrialResult[]));
    }
  };
  /** A trial becomes pending, or is done at once if the cache has it. */
  const add = (trial: PendingTrial) => {
    const { cell } = trial;
    const cached = options.cache?.get(cell.task, cell.cell.id, trial.key) ?? null;
    if (!cached) {
      pending.push(trial);
      return;
    }
    options.onTrial?.(cached, trial.phase, true);
    finish(trial, cached);
  };
  const evaluate = (cell: GridCell, learningRate: number) => {
    cell.evaluation = options.seeds.map(() => undefined);
    options.seeds.forEach((seed, index) =>
      add({ cell, phase: 'evaluation', index, key: key(seed, learningRate) }),
    );
  };
  for (const cell of cells) {
    if (searches(cell.task, options)) {
      cell.task.learningRates.forEach((rate, index) =>
        add({ cell, phase: 'search', index, key: key(SEARCH_SEED, rate) }),
      );
    } else {
      evaluate(cell, cell.task.learningRates[0]);
    }
  }

  await new Promise<void>((resolve, reject) => {
    let running = 0;
    let failure: { error: unknown } | null = null;
    let stopped = false;
    const next = () => {
      while (running < runner.workers && pending.length > 0 && !failure && !stopped) {
        if (options.deadline != null && performance.now() > options.deadline) {
          stopped = true;
          break;
        }
        let first = 0;
        for (let i = 1; i < pending.length; i++) if (runsBefore(pending[i], pending[first])) first = i;
        const [trial] = pending.splice(first, 1);
        running++;
        const { task, cell } = trial.cell;
        runner
          .run({ task, cell: cell.id, key: trial.key })
          .then((result) => {
            options.cache?.put(task, cell.id, trial.key, result);
            options.onTrial?.(result, trial.phase, false);
            finish(trial, result);
          })
          .catch((error: unknown) => {
            failure ??= { error };
          })
          .finally(() => {
            running--;
            next();
          });
      }
      if (running > 0) return;
      if (failure) reject(failure.error);
      else resolve();
    };
    next();
  });

  return tasks.map((task, taskIndex) => {
    const done: CellSummary[] = [];
    const notRun: string[] = [];
    for (const cell of cells.filter((c) => c.taskIndex === taskIndex)) {
      const trials = cell.evaluation;
      if (trials && trials.every((t) => t !== undefined)) done.push(summarize(task, trials as TrialResult[]));
      else notRun.push(cell.cell.id);
    }
    return { task, cells: done, notRun };
  });
}

export function summarize(task: TaskSpec, trials: readonly TrialResult[]): CellSummary {
  const solvedAt = trials.flatMap((t) => (t.sequencesToSuccess === null ? [] : [t.sequencesToSuccess]));
  return {
    task: task.name,
    cell: trials[0].cell,
    units: trials[0].units,
    parameters: trials[0].parameters,
    learningRate: trials[0].learningRate,
    seeds: trials.length,
    solved: solvedAt.length,
    diverged: trials.filter((t) => t.diverged).length,
    medianSequences: solvedAt.length > 0 ? quantile(solvedAt, 0.5) : null,
    sequencesIqr: solvedAt.length > 0 ? [quantile(solvedAt, 0.25), quantile(solvedAt, 0.75)] : null,
    medianFinalMetric: quantile(
      trials.map((t) => t.finalMetric),
      0.5,
    ),
    medianSeconds: quantile(
      trials.map((t) => t.seconds),
      0.5,
    ),
    trials,
  };
}

/** Linear-interpolated quantile (the same rule as numpy's default). */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const lo = Math.floor(position);
  const hi = Math.ceil(position);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (position - lo);
}
