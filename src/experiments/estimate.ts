/**
 * What a grid would cost on this machine, measured rather than guessed: for every task × cell a short
 * timed trial (a few training batches and one test evaluation), scaled to the grid's trial count, then
 * spread over the trial pool's workers.
 *
 * The short trials run on the same pool as the grid (`runner`), as many at once as it has workers, so the
 * per-batch times include what trials side by side cost each other (shared caches and memory).
 *
 * The figure is an upper bound on the trials' own time: it assumes every trial runs to its budget, while
 * a trial that solves its task stops early. It is measured on whatever else the machine is doing at the
 * time, so a shared CPU inflates it (and any run made under the same load) alike.
 */
import { reportPreset } from './presets.js';
import type { TaskSpec } from './taskSuite.js';
import { localTrialRunner, type TrialRunner } from './trialPool.js';

export interface CostMeasurement {
  readonly task: string;
  readonly cell: string;
  /** Seconds per training batch and per evaluation of the test set, as measured. */
  readonly secondsPerBatch: number;
  readonly secondsPerEvaluation: number;
  /** One trial run to the task's whole budget: batches plus evaluations. */
  readonly secondsPerFullTrial: number;
  /** Learning-rate search trials plus evaluation seeds, each to the full budget, one after another. */
  readonly secondsWorstCase: number;
}

export interface GridEstimate {
  readonly seeds: number;
  readonly search: boolean;
  readonly measurements: readonly CostMeasurement[];
  /** Trials run side by side (the pool's workers). */
  readonly workers: number;
  /** Every trial's seconds added up: the grid on one worker. */
  readonly trialSeconds: number;
  /**
   * The grid's wall time on `workers`: the trials shared evenly, but no less than the slowest cell's
   * search trial followed by its slowest seed (a cell's seeds wait for its search).
   */
  readonly totalSeconds: number;
  /** Seconds the measuring itself took. */
  readonly measuredInSeconds: number;
}

/** Batches timed per task × cell: enough to see past the first step's warm-up, few enough to be quick. */
export const ESTIMATE_BATCHES = 16;

export async function estimateGrid(
  tasks: readonly TaskSpec[],
  cells: readonly string[],
  options: {
    readonly seeds: number;
    readonly search: boolean;
    readonly batches?: number;
    /** Where the short trials run; default: this thread, one at a time. */
    readonly runner?: TrialRunner;
  },
): Promise<GridEstimate> {
  const started = performance.now();
  const batches = options.batches ?? ESTIMATE_BATCHES;
  const runner = options.runner ?? localTrialRunner();
  const pairs = tasks.flatMap((task) => cells.map((cell) => ({ task, cell })));
  const trials = await Promise.all(
    pairs.map(({ task, cell }) =>
      runner.run({
        // One evaluation, at the end: evalEvery beyond the shortened budget.
        task: { ...task, maxSequences: batches * task.batchSize, evalEvery: Infinity },
        cell,
        key: { seed: 1, learningRate: task.learningRates[0] },
      }),
    ),
  );
  const measurements = pairs.map(({ task, cell }, i): CostMeasurement => {
    const trial = trials[i];
    const secondsPerBatch = trial.trainSeconds / trial.batches;
    const secondsPerEvaluation = trial.evaluationSeconds / trial.evaluations;
    const fullBatches = Math.ceil(task.maxSequences / task.batchSize);
    const fullEvaluations = Math.ceil(task.maxSequences / task.evalEvery);
    const secondsPerFullTrial = fullBatches * secondsPerBatch + fullEvaluations * secondsPerEvaluation;
    const searchTrials = options.search && task.learningRates.length > 1 ? task.learningRates.length : 0;
    return {
      task: task.name,
      cell,
      secondsPerBatch,
      secondsPerEvaluation,
      secondsPerFullTrial,
      secondsWorstCase: (options.seeds + searchTrials) * secondsPerFullTrial,
    };
  });
  const trialSeconds = measurements.reduce((s, m) => s + m.secondsWorstCase, 0);
  const longestCell = Math.max(0, ...measurements.map((m) => 2 * m.secondsPerFullTrial));
  return {
    seeds: options.seeds,
    search: options.search,
    measurements,
    workers: runner.workers,
    trialSeconds,
    totalSeconds: Math.max(trialSeconds / runner.workers, longestCell),
    measuredInSeconds: (performance.now() - started) / 1000,
  };
}

/** The full grid's cost (the `full` preset: every task, cell, the search and its seeds), measured on `runner`. */
export function estimateFullGrid(runner?: TrialRunner): Promise<GridEstimate> {
  const full = reportPreset('full');
  return estimateGrid(full.tasks, full.cells, {
    seeds: full.seeds,
    search: full.search,
    ...(runner ? { runner } : {}),
  });
}
