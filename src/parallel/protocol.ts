/**
 * The messages between a data-parallel pool (pool.ts) and its workers (replica.ts). Plain data only, so
 * they cross `postMessage` in Node's worker_threads and in browsers' Web Workers alike (no
 * SharedArrayBuffer: pages without cross-origin isolation must work).
 */
import type { BatchTotals } from '../models/totals.js';
import type { ThreadMemory } from './memory.js';
import type { ReplicaCompile } from './replicaBundle.js';

export interface TensorData {
  readonly data: Float32Array | Int32Array;
  readonly shape: readonly number[];
  readonly dtype: 'float32' | 'int32';
}

export type ToWorker =
  /**
   * The model as a save bundle without the optimizer's state (replicaBundle.ts), the loss and metrics to
   * compile it with, and which kernels to run it on.
   */
  | {
      readonly kind: 'init';
      readonly model: Uint8Array;
      readonly compile: ReplicaCompile;
      readonly backend: string;
    }
  /**
   * Forward and backward on this worker's rows, in parts: the worker's whole share, or the micro-batches
   * it runs (models/microbatches.ts), each part's gradient sent back for the pool to sum in order.
   * `values`: the model's weights when they changed since the last step (null: unchanged), in a buffer
   * transferred to the worker, which sends a later gradient back in it (pool.ts). `seeds` seed each part's
   * dropout masks from the model's seed and step, so a rerun or a resumed run draws the same masks.
   */
  | {
      readonly kind: 'step';
      readonly values: Float32Array | null;
      readonly x: TensorData;
      readonly y: TensorData;
      /** This worker's rows of the per-sample loss weights; null: all 1. */
      readonly sampleWeight: TensorData | null;
      /** Rows in each part, in order; they add up to x's rows. */
      readonly parts: readonly number[];
      /** One per part. */
      readonly seeds: readonly number[];
    }
  /** Forward only, dropout off (inference mode): the loss and metric totals of this worker's rows. */
  | {
      readonly kind: 'evaluate';
      readonly values: Float32Array | null;
      readonly x: TensorData;
      readonly y: TensorData;
    }
  /** Outputs of this worker's rows (`model.predict`, dropout off, nothing kept for backward). */
  | { readonly kind: 'predict'; readonly values: Float32Array | null; readonly x: TensorData }
  | { readonly kind: 'getStates' }
  /** What the worker's thread holds in memory (memory.ts). */
  | { readonly kind: 'memory' }
  /** Per recurrent layer: its states for this worker's rows ([h] or [h, c]), or null to reset them. */
  | { readonly kind: 'setStates'; readonly states: readonly (readonly TensorData[] | null)[] }
  | { readonly kind: 'close' };

export type FromWorker =
  | { readonly kind: 'ready' }
  /**
   * `grads`: each part's gradient after the other ([parts × parameters]), transferred, in the buffer the
   * last weights came in when it is large enough (pool.ts); `totals` one per part.
   */
  | { readonly kind: 'stepped'; readonly grads: Float32Array; readonly totals: readonly BatchTotals[] }
  | { readonly kind: 'evaluated'; readonly totals: BatchTotals }
  | { readonly kind: 'predicted'; readonly output: TensorData }
  | { readonly kind: 'states'; readonly states: (TensorData[] | null)[] }
  | { readonly kind: 'memory'; readonly memory: ThreadMemory }
  | { readonly kind: 'done' }
  | { readonly kind: 'error'; readonly error: WorkerError };

/** What a worker threw: the class name (ShapeError, …) and message, and a typed error's parts. */
export interface WorkerError {
  readonly name: string;
  readonly message: string;
  readonly subject?: string;
  readonly problem?: string;
  readonly expected?: unknown;
  readonly actual?: unknown;
}

/**
 * One worker seen from the pool: the small interface that hides whether it is a Node worker thread or a
 * browser Web Worker. Messages are answered in the order they were sent.
 */
export interface WorkerEndpoint {
  post(message: ToWorker, transfer?: ArrayBuffer[]): void;
  /** Called with each reply, and with an 'error' reply if the worker dies. */
  listen(onMessage: (message: FromWorker) => void): void;
  terminate(): Promise<void> | void;
}

/** Starts one worker running `serveReplica` (replica.ts). */
export type SpawnWorker = () => WorkerEndpoint | Promise<WorkerEndpoint>;
