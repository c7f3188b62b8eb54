/**
 * Trials side by side, one per core: a pool of worker threads, each running one trial at a time on its own
 * WebAssembly engine (one thread per trial; the trials are independent). A trial's result depends only on
 * its task, cell, seed, learning rate and forget-bias control (trial.ts derives every random stream from the
 * seed), so which worker runs it, and when, changes nothing but its timing fields.
 *
 * A task crosses to a worker as its name and budget — what the trial cache keys it by — and the worker
 * takes the task of that name from the suite (taskSuite.ts) with that budget. A task that is not the
 * suite's (another generator under a suite name) is refused before anything runs.
 *
 * `localTrialRunner` is the same interface on this thread, one trial at a time.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { ConfigError } from '../errors.js';
import { rebuildError } from '../parallel/pool.js';
import type { WorkerError } from '../parallel/protocol.js';
import { workerScript } from '../parallel/workerScript.js';
import { comparedCell } from './comparedCells.js';
import { MEDIUM_TASKS, QUICK_TASKS, TASKS, type TaskSpec } from './taskSuite.js';
import { runTrial, type TrialResult } from './trial.js';
import type { TrialKey } from './trialCache.js';

/** One trial to run. */
export interface TrialJob {
  readonly task: TaskSpec;
  readonly cell: string;
  readonly key: TrialKey;
}

/** Runs trials: `workers` of them at once at most. */
export interface TrialRunner {
  readonly workers: number;
  run(job: TrialJob): Promise<TrialResult>;
  close(): Promise<void>;
}

/** What identifies a task across threads: the suite's name and the budget the trial cache keys by. */
export interface TaskReference {
  readonly name: string;
  readonly batchSize: number;
  readonly maxSequences: number;
  readonly evalEvery: number;
  readonly lstmUnits: number;
}

export interface TrialRequest {
  readonly id: number;
  readonly task: TaskReference;
  readonly cell: string;
  readonly key: TrialKey;
}

export type TrialReply =
  | { readonly id: number; readonly result: TrialResult }
  | { readonly id: number; readonly error: WorkerError };

/** Every task of the suite, the first of each name (the presets' versions share their data functions). */
function suiteTask(name: string): TaskSpec | undefined {
  return [...TASKS, ...MEDIUM_TASKS, ...QUICK_TASKS].find((t) => t.name === name);
}

export function taskReference(task: TaskSpec): TaskReference {
  const base = suiteTask(task.name);
  const same =
    base !== undefined &&
    base.description === task.description &&
    base.inputDim === task.inputDim &&
    base.outputDim === task.outputDim &&
    base.perStep === task.perStep &&
    base.head.loss === task.head.loss &&
    base.head.activation === task.head.activation;
  if (!same) {
    throw new ConfigError(
      `task '${task.name}'`,
      'cannot be run by the trial pool: a worker rebuilds a task from its name and budget',
      'a task of the suite (taskSuite.ts), with any budget',
      base ? 'another task under that name' : 'a name not in the suite',
    );
  }
  const { name, batchSize, maxSequences, evalEvery, lstmUnits } = task;
  return { name, batchSize, maxSequences, evalEvery, lstmUnits };
}

/** The task a reference names, with its budget (in the worker). */
export function referencedTask(reference: TaskReference): TaskSpec {
  const base = suiteTask(reference.name);
  if (!base) {
    throw new ConfigError(
      `task '${reference.name}'`,
      'is not in the suite',
      'a task of taskSuite.ts',
      reference.name,
    );
  }
  return { ...base, ...reference };
}

/** Runs one request (the worker's whole job). */
export function runRequest(request: TrialRequest): TrialResult {
  return runTrial(referencedTask(request.task), comparedCell(request.cell), request.key);
}

/** Trials on this thread, one at a time. */
export function localTrialRunner(): TrialRunner {
  return {
    workers: 1,
    run: async (job) => runTrial(job.task, comparedCell(job.cell), job.key),
    close: async () => {},
  };
}

interface Waiting {
  readonly resolve: (result: TrialResult) => void;
  readonly reject: (error: Error) => void;
}

/** One worker thread running trialWorker.ts, one trial at a time. */
class TrialThread {
  private readonly worker: Worker;
  private waiting: Waiting | null = null;
  private nextId = 0;
  private gone: string | null = null;

  constructor() {
    const { script, eval: isEval } = workerScript(import.meta.url, 'trialWorker');
    this.worker = new Worker(script, { eval: isEval });
    this.worker.unref();
    this.worker.on('message', (reply: TrialReply) => {
      const waiting = this.settle();
      if ('error' in reply) waiting?.reject(rebuildError(reply.error));
      else waiting?.resolve(reply.result);
    });
    this.worker.on('error', (e) => this.fail(`the trial worker failed: ${e.message}`));
    this.worker.on('exit', (code) => this.fail(`the trial worker exited (code ${code})`));
  }

  get busy(): boolean {
    return this.waiting !== null;
  }

  run(task: TaskReference, job: TrialJob): Promise<TrialResult> {
    return new Promise((resolve, reject) => {
      if (this.gone !== null) return reject(new Error(this.gone));
      this.waiting = { resolve, reject };
      this.worker.ref();
      const request: TrialRequest = { id: this.nextId++, task, cell: job.cell, key: job.key };
      this.worker.postMessage(request);
    });
  }

  async terminate(): Promise<void> {
    this.gone ??= 'the trial pool was closed';
    await this.worker.terminate();
  }

  private settle(): Waiting | null {
    const waiting = this.waiting;
    this.waiting = null;
    this.worker.unref();
    return waiting;
  }

  private fail(message: string): void {
    this.gone ??= message;
    this.settle()?.reject(new Error(this.gone));
  }
}

/**
 * `workers` threads (default: the cores of this machine), started as trials need them, each running one
 * trial at a time; a trial given while all are busy waits for the first that frees, in the order given.
 */
export class TrialPool implements TrialRunner {
  readonly workers: number;
  /** Started when first needed, up to `workers`. */
  private readonly threads: TrialThread[] = [];
  private readonly queue: (() => void)[] = [];

  constructor(workers = availableParallelism()) {
    if (!Number.isInteger(workers) || workers < 1 || workers > 256) {
      throw new ConfigError('trial pool', 'needs a whole number of workers', '1…256', workers);
    }
    this.workers = workers;
  }

  async run(job: TrialJob): Promise<TrialResult> {
    const task = taskReference(job.task); // refused here, before it waits for a thread
    let thread = this.freeThread();
    while (!thread) {
      await new Promise<void>((wake) => this.queue.push(wake));
      thread = this.freeThread();
    }
    try {
      return await thread.run(task, job);
    } finally {
      this.queue.shift()?.();
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.terminate()));
  }

  private freeThread(): TrialThread | undefined {
    const idle = this.threads.find((t) => !t.busy);
    if (idle || this.threads.length === this.workers) return idle;
    const started = new TrialThread();
    this.threads.push(started);
    return started;
  }
}
