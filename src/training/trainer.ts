/**
 * One training step, whoever computes it: `trainer.step(x, y)` runs forward, backward and the optimizer's
 * update on a batch and returns the batch's totals. The local trainer computes it on this thread; the pooled
 * one splits the batch's rows over worker threads (parallel/pool.ts) and applies the summed gradient here.
 * `fit`, the character language model's trainer (lm/trainer.ts), the page's worker (web/worker.ts) and the
 * benchmark (bench/novolstmStep.ts) all step through this interface, so none of them asks which it has.
 *
 * Carried states: stateful layers keep theirs in the model locally, and in each worker's replica (for its
 * own rows) with a pool; `syncStates` hands the workers' back to the model before it is saved or used.
 */
import { takeRows } from '../models/batches.js';
import { microbatchGradient } from '../models/microbatches.js';
import type { Sequential } from '../models/sequential.js';
import type { BatchTotals } from '../models/totals.js';
import { DataParallel, resolveWorkers } from '../parallel/pool.js';
import type { SpawnWorker } from '../parallel/protocol.js';
import type { Tensor } from '../tensor.js';

export interface Trainer {
  readonly model: Sequential;
  /** Threads each batch is split over; 1: this one. */
  readonly workers: number;
  /**
   * One update on the given rows of (x, y) (all when null or absent): forward, backward, the optimizer's
   * step on `model.values`. Returns the batch's totals (`model.report` turns them into the loss).
   */
  step(
    x: Tensor,
    y: Tensor,
    rows?: readonly number[] | null,
    /** Per-sample loss weights, rows as y's (fit's sampleWeight × classWeight); absent: all 1. */
    sampleWeight?: Tensor | null,
  ): Promise<BatchTotals>;
  /** Forgets every carried state: the model's, and the workers'. */
  resetStates(): Promise<void>;
  /** Copies the carried states to the model's own layers (a pool's workers hold them while training). */
  syncStates(): Promise<void>;
  /** Stops the workers, if any. The trainer cannot step afterwards. */
  close(): Promise<void>;
}

/** The step on this thread: `model.trainRows`, or with a micro-batch size, the sum over micro-batches. */
export class LocalTrainer implements Trainer {
  readonly workers = 1;
  /** The micro-batches' gradients, kept from step to step. */
  private scratch: Float32Array | null = null;

  constructor(
    readonly model: Sequential,
    /** Rows per micro-batch (models/microbatches.ts); undefined: the whole batch at once. */
    readonly microbatchSize?: number,
  ) {}

  async step(
    x: Tensor,
    y: Tensor,
    rows: readonly number[] | null = null,
    sampleWeight: Tensor | null = null,
  ): Promise<BatchTotals> {
    const { model, microbatchSize } = this;
    if (microbatchSize === undefined) return model.trainRows(x, y, rows, sampleWeight);
    const w = rows && sampleWeight ? takeRows(sampleWeight, rows) : sampleWeight;
    const xs = rows ? takeRows(x, rows) : x;
    const ys = rows ? takeRows(y, rows) : y;
    const { totals, scratch } = microbatchGradient(model, xs, ys, w, microbatchSize, this.scratch);
    this.scratch = scratch;
    model.applyGradients();
    return totals;
  }

  async resetStates(): Promise<void> {
    this.model.resetStates();
  }

  async syncStates(): Promise<void> {
    // The model's own layers carry the states already.
  }

  async close(): Promise<void> {
    // Nothing was started.
  }
}

/** The step split over a pool's workers (`DataParallel.trainStep`). */
export class PooledTrainer implements Trainer {
  constructor(readonly pool: DataParallel) {}

  get model(): Sequential {
    return this.pool.model;
  }

  get workers(): number {
    return this.pool.workers;
  }

  step(
    x: Tensor,
    y: Tensor,
    rows: readonly number[] | null = null,
    sampleWeight: Tensor | null = null,
  ): Promise<BatchTotals> {
    // The rows are copied out: they travel to the workers.
    if (!rows) return this.pool.trainStep(x, y, sampleWeight);
    const w = sampleWeight ? takeRows(sampleWeight, rows) : null;
    return this.pool.trainStep(takeRows(x, rows), takeRows(y, rows), w);
  }

  async resetStates(): Promise<void> {
    this.model.resetStates();
    await this.pool.resetStates();
  }

  syncStates(): Promise<void> {
    return this.pool.copyStatesToModel();
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

export interface TrainerOptions {
  /** A positive integer, or 'auto' for one per core; 1 trains on this thread. Checked. */
  readonly workers: unknown;
  /** Starts one worker (default: a Node worker thread; browsers pass a Web Worker maker). */
  readonly spawn?: SpawnWorker;
  /** Names the workers option in errors, e.g. 'fit: workers'. */
  readonly subject: string;
  /** At most this many workers (a TBPTT batch has one stream per row, and each worker needs a row). */
  readonly maxWorkers?: number;
  /** Aborting it while a pool's workers start terminates them; `openTrainer` rejects with its reason. */
  readonly signal?: AbortSignal;
  /**
   * Rows per micro-batch: the gradient is summed over micro-batches of this many rows, whole ones to each
   * worker, so every worker count (1 included) trains the same weights bit for bit (checked by the caller,
   * `checkMicrobatchSize`). Default: none.
   */
  readonly microbatchSize?: number;
}

/** How many threads `openTrainer` trains on with these options (1: this one). */
export async function trainerThreads(
  options: Pick<TrainerOptions, 'workers' | 'subject' | 'maxWorkers'>,
): Promise<number> {
  const wanted = await resolveWorkers(options.workers, options.subject);
  return Math.min(wanted, options.maxWorkers ?? wanted);
}

/** A local trainer for one worker, else a pool of `workers` replicas of `model` (built and compiled). */
export async function openTrainer(model: Sequential, options: TrainerOptions): Promise<Trainer> {
  const { microbatchSize } = options;
  const workers = await trainerThreads(options);
  if (workers <= 1) return new LocalTrainer(model, microbatchSize);
  return new PooledTrainer(
    await DataParallel.create(model, {
      workers,
      spawn: options.spawn,
      signal: options.signal,
      microbatchSize,
    }),
  );
}
