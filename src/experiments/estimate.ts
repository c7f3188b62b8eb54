/**
 * What a grid would cost on this machine, measured rather than guessed: for every task × cell a short
 * timed trial (a few training batches and one test evaluation), scaled to the grid's trial count.
 *
 * The figure is an upper bound on the trials' own time: it assumes every trial runs to its budget, while
 * a trial that solves its task stops early. It is measured on whatever else the machine is doing at the
 * time, so a shared CPU inflates it (and any run made under the same load) alike.
 */
import { comparedCell } from './comparedCells.js';
import type { TaskSpec } from './taskSuite.js';
import { runTrial } from './trial.js';

export interface CostMeasurement {
  readonly task: string;
  readonly cell: string;
  /** Seconds per training batch and per evaluation of the test set, as measured. */
  readonly secondsPerBatch: number;
  readonly secondsPerEvaluation: number;
  /** One trial run to the task's whole budget: batches plus evaluations. */
  readonly secondsPerFullTrial: number;
  /** Learning-rate search trials plus evaluation seeds, each to the full budget. */
  readonly secondsWorstCase: number;
}

export interface GridEstimate {
  readonly seeds: number;
  readonly search: boolean;
  readonly measurements: readonly CostMeasurement[];
  readonly totalSeconds: number;
  /** Seconds the measuring itself took. */
  readonly measuredInSeconds: number;
}

/** Batches timed per task × cell: enough to see past the first step's warm-up, few enough to be quick. */
export const ESTIMATE_BATCHES = 16;

export function estimateGrid(
  tasks: readonly TaskSpec[],
  cells: readonly string[],
  options: { readonly seeds: number; readonly search: boolean; readonly batches?: number },
): GridEstimate {
  const started = performance.now();
  const batches = options.batches ?? ESTIMATE_BATCHES;
  const measurements: CostMeasurement[] = [];
  for (const task of tasks) {
    for (const id of cells) {
      // One evaluation, at the end: evalEvery beyond the shortened budget.
      const short = { ...task, maxSequences: batches * task.batchSize, evalEvery: Infinity };
      const trial = runTrial(short, comparedCell(id), { seed: 1, learningRate: task.learningRates[0] });
      const secondsPerBatch = trial.trainSeconds / trial.batches;
      const secondsPerEvaluation = trial.evaluationSeconds / trial.evaluations;
      const fullBatches = Math.ceil(task.maxSequences / task.batchSize);
      const fullEvaluations = Math.ceil(task.maxSequences / task.evalEvery);
      const secondsPerFullTrial = fullBatches * secondsPerBatch + fullEvaluations * secondsPerEvaluation;
      const searchTrials = options.search && task.learningRates.length > 1 ? task.learningRates.length : 0;
      const trials = options.seeds + searchTrials;
      measurements.push({
        task: task.name,
        cell: id,
        secondsPerBatch,
        secondsPerEvaluation,
        secondsPerFullTrial,
        secondsWorstCase: trials * secondsPerFullTrial,
      });
    }
  }
  return {
    seeds: options.seeds,
    search: options.search,
    measurements,
    totalSeconds: measurements.reduce((s, m) => s + m.secondsWorstCase, 0),
    measuredInSeconds: (performance.now() - started) / 1000,
  };
}
