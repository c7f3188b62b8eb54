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
import type { TrialCache } from './trialCache.js';

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

export function chooseLearningRate(task: TaskSpec, cell: ComparedCell, options: GridOptions): number {
  if (!options.search || task.learningRates.length === 1) return task.learningRates[0];
  let best: TrialResult | null = null;
  for (const learningRate of task.learningRates) {
    const trial = trialOf(task, cell, SEARCH_SEED, learningRate, 'search', options);
    if (!best || better(task, trial, best)) best = trial;
  }
  return best!.learningRate;
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
