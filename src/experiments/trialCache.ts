/**
 * Finished trials kept on disk, so that a grid too long for one sitting runs in pieces — over several
 * sessions, or in several processes each given other tasks (`--tasks`) — and a later run reports them
 * without training again.
 *
 * A trial is found by what decides its result: the task and its budget (batch, sequences, evaluation
 * interval, LSTM units — the quick, medium and full settings differ there), the cell, the seed, the
 * learning rate and the forget-bias control. Each file records the commit it ran on; the report lists
 * those commits, since results from older code are kept, not re-run.
 *
 * Layout: DIR/<task>/b<batch>-n<sequences>-e<interval>-u<units>/<cell>/seed<seed>-lr<rate>[-fb<bias>].json,
 * each written atomically.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomicSync } from '../io/atomicFile.js';
import type { TaskSpec } from './taskSuite.js';
import type { TrialResult } from './trial.js';

const FORMAT = 'novolstm-trial';
const FORMAT_VERSION = 1;

export interface TrialKey {
  readonly seed: number;
  readonly learningRate: number;
  readonly forgetBias?: number;
}

export interface CachedTrial {
  readonly trial: TrialResult;
  readonly commit: string;
}

/** What of a task decides its trials' results, besides the key. */
function budget(task: TaskSpec): Pick<TaskSpec, 'batchSize' | 'maxSequences' | 'evalEvery' | 'lstmUnits'> {
  const { batchSize, maxSequences, evalEvery, lstmUnits } = task;
  return { batchSize, maxSequences, evalEvery, lstmUnits };
}

export class TrialCache {
  /** Trials taken from the cache in this run, and the commits they ran on. */
  readonly reused: CachedTrial[] = [];

  constructor(
    readonly dir: string,
    private readonly commit: string,
  ) {}

  private file(task: TaskSpec, cell: string, key: TrialKey): string {
    const fb = key.forgetBias === undefined ? '' : `-fb${key.forgetBias}`;
    const { batchSize, maxSequences, evalEvery, lstmUnits } = budget(task);
    const b = `b${batchSize}-n${maxSequences}-e${evalEvery}-u${lstmUnits}`;
    return path.join(this.dir, task.name, b, cell, `seed${key.seed}-lr${key.learningRate}${fb}.json`);
  }

  /** The stored trial, or null when there is none for this key and budget (or the file is unreadable). */
  get(task: TaskSpec, cell: string, key: TrialKey): TrialResult | null {
    let stored: {
      format?: unknown;
      formatVersion?: unknown;
      budget?: unknown;
      commit?: unknown;
      trial?: unknown;
    };
    try {
      stored = JSON.parse(fs.readFileSync(this.file(task, cell, key), 'utf8'));
    } catch {
      return null;
    }
    const matches =
      stored.format === FORMAT &&
      stored.formatVersion === FORMAT_VERSION &&
      JSON.stringify(stored.budget) === JSON.stringify(budget(task));
    if (!matches || typeof stored.trial !== 'object' || stored.trial === null) return null;
    const raw = stored.trial as TrialResult;
    if (!Array.isArray(raw.curve)) return null; // not a trial this code wrote: run it again
    // JSON has no NaN: a curve point without a training loss (a first step that diverged) comes back null.
    const trial = { ...raw, curve: raw.curve.map((p) => ({ ...p, loss: p.loss ?? NaN })) };
    this.reused.push({ trial, commit: String(stored.commit) });
    return trial;
  }

  put(task: TaskSpec, cell: string, key: TrialKey, trial: TrialResult): void {
    const file = this.file(task, cell, key);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const record = {
      format: FORMAT,
      formatVersion: FORMAT_VERSION,
      budget: budget(task),
      commit: this.commit,
      trial,
    };
    writeFileAtomicSync(file, JSON.stringify(record));
  }
}
