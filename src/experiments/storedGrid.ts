/**
 * The grid as the trial store holds it, with nothing run: for each task × cell, the learning-rate search
 * and the evaluation seeds looked up by the same plan as grid.ts runs them (the same search seed, the same
 * rule for the rate kept), and what is still missing. A cell is summarized only when every one of its
 * trials is there: a cell with fewer seeds than the others is not compared (the report lists it as
 * incomplete, with no verdict).
 */
import { better, SEARCH_SEED, summarize, type CellSummary } from './grid.js';
import type { TaskSpec } from './taskSuite.js';
import type { TrialResult } from './trial.js';
import type { TrialCache } from './trialCache.js';

/** How far one task × cell has got in the store. */
export interface CellProgress {
  readonly task: string;
  readonly cell: string;
  /** Learning-rate search trials the plan has (0 without a search) and how many are stored. */
  readonly searchTrials: number;
  readonly searchStored: number;
  /** The rate the evaluation seeds run at: null until the search is complete. */
  readonly learningRate: number | null;
  /** Evaluation seeds the plan has and how many are stored (at `learningRate`). */
  readonly seeds: number;
  readonly seedsStored: number;
  /** Trials still to run: the search's missing ones and the evaluation seeds not stored. */
  readonly missing: number;
}

/** A task's results as the report shows them: the cells compared, and those it can only list. */
export interface TaskResults {
  readonly task: TaskSpec;
  readonly cells: readonly CellSummary[];
  /** Cells not started because the report's time limit had passed. */
  readonly notRun?: readonly string[];
  /** With a trial store: the cells whose trials are not all stored (listed, not compared). */
  readonly incomplete?: readonly CellProgress[];
}

export interface StoredCell {
  /** The cell's summary when all its trials are stored; null otherwise. */
  readonly summary: CellSummary | null;
  readonly progress: CellProgress;
}

export interface StoredGridOptions {
  readonly seeds: readonly number[];
  readonly search: boolean;
  readonly forgetBias?: number;
}

export function storedCell(
  task: TaskSpec,
  cell: string,
  store: TrialCache,
  options: StoredGridOptions,
): StoredCell {
  const lookUp = (seed: number, learningRate: number): TrialResult | null =>
    store.get(task, cell, { seed, learningRate, forgetBias: options.forgetBias });
  const searching = options.search && task.learningRates.length > 1;
  const searchTrials = searching ? task.learningRates.map((rate) => lookUp(SEARCH_SEED, rate)) : [];
  const searchStored = searchTrials.filter((t) => t !== null).length;
  let learningRate: number | null = task.learningRates[0];
  if (searching) {
    let best: TrialResult | null = null;
    for (const t of searchTrials) if (t && (!best || better(task, t, best))) best = t;
    learningRate = searchStored === searchTrials.length ? best!.learningRate : null;
  }
  const evaluation = learningRate === null ? [] : options.seeds.map((seed) => lookUp(seed, learningRate));
  const stored = evaluation.filter((t): t is TrialResult => t !== null);
  const progress: CellProgress = {
    task: task.name,
    cell,
    searchTrials: searchTrials.length,
    searchStored,
    learningRate,
    seeds: options.seeds.length,
    seedsStored: stored.length,
    missing: searchTrials.length - searchStored + options.seeds.length - stored.length,
  };
  const complete = learningRate !== null && stored.length === options.seeds.length;
  return { summary: complete ? summarize(task, stored) : null, progress };
}
