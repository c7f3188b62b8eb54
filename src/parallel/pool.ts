/**
 * Data parallelism: each training step's batch is split into contiguous shares of rows, one per worker;
 * every worker runs forward and backward on its share with its own copy of the model (its own WebAssembly
 * instance, replica.ts); the pool sums their gradients and the optimizer updates the one model here.
 *
 * Deterministic: the shares are fixed by the batch size and the worker count, the gradients are summed in
 * worker order, and dropout masks are seeded from the model's seed and step — so results never depend on
 * which worker finishes first. The full-batch gradient is the weighted mean of the shares' gradients
 * (g = Σ_k (w_k / w) g_k, w_k the share's row weight), so any worker count computes the same step up to
 * float32 rounding; one worker computes it exactly. With `microbatchSize`, the parts summed are the batch's
 * micro-batches instead, whole ones to each worker (models/microbatches.ts): then any worker count trains
 * bit for bit what one thread trains with the same micro-batches.
 *
 * The weights are sent once per step, and only after they changed. No SharedArrayBuffer: messages copy,
 * which costs ~1 ms per megabyte — small beside a training step, and pages without cross-origin isolation
 * keep working. The weights and gradients travel in buffers of the parameters' length that go round, each
 * transferred: this thread copies the weights into one and sends it, the worker keeps it and sends its
 * gradient back in it, and this thread sends the weights in it the next step. A fresh clone or copy each
 * way per step was garbage that the collector let pile up — at H = 512 on 2 workers the peak RSS of a run
 * rose by about 35 MB from its second step to its eighth (bench/memory.ts).
 */
import { ConfigError, NovoLstmError, ShapeError, ValueError } from '../errors.js';
import { kernelBackend } from '../layers/backend.js';
import { importNodeBuiltin } from '../peers.js';
import { range, takeRows } from '../models/batches.js';
import type { Sequential } from '../models/sequential.js';
import {
  assignMicrobatches,
  checkMicrobatchSize,
  floatsIn,
  hasStatefulBidirectional,
  microbatchRanges,
  microbatchSeed,
  statefulLayers,
  sumParts,
  type RowRange,
} from '../models/microbatches.js';
import { addTotals, type BatchTotals } from '../models/totals.js';
import { Tensor } from '../tensor.js';
import type {
  FromWorker,
  SpawnWorker,
  TensorData,
  ToWorker,
  WorkerEndpoint,
  WorkerError,
} from './protocol.js';
import type { ThreadMemory } from './memory.js';
import { fromTensor, toTensor } from './replica.js';
import { replicaBundle, replicaCompile } from './replicaBundle.js';

export interface DataParallelOptions {
  /** How many workers: a positive integer, or 'auto' (default) for one per core. */
  readonly workers?: number | 'auto';
  /** Starts a worker; default: a Node worker thread (nodeWorkers.ts). Browsers pass a Web Worker maker. */
  readonly spawn?: SpawnWorker;
  /**
   * Aborting it while the workers start (seconds on a busy machine: each thread loads the library and
   * builds its replica) terminates them at once, and `create` rejects with the signal's reason.
   */
  readonly signal?: AbortSignal;
  /**
   * Rows per micro-batch: each batch's gradient is summed over micro-batches of this many rows, each run
   * by one worker, so the weights do not depend on the worker count. Default: none, one share per worker.
   */
  readonly microbatchSize?: number;
}

/** What one worker gets of a batch: its rows, and the parts it computes a gradient for, in order. */
interface Share {
  readonly rows: RowRange;
  /** Rows in each part. */
  readonly parts: readonly number[];
  /** The first part's index in the batch (it seeds the dropout masks). */
  readonly first: number;
}

/** One worker and the replies it owes, answered in the order asked. */
class Channel {
  private readonly waiting: { resolve: (m: FromWorker) => void; reject: (e: Error) => void }[] = [];
  /** The buffer the worker's last gradients came in: the next weights go in it. */
  spare: Float32Array | null = null;

  constructor(private readonly endpoint: WorkerEndpoint) {
    endpoint.listen((message) => {
      const next = this.waiting.shift();
      if (!next) return;
      if (message.kind === 'error') next.reject(rebuildError(message.error));
      else next.resolve(message);
    });
  }

  request(message: ToWorker, transfer: ArrayBuffer[] = []): Promise<FromWorker> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.endpoint.post(message, transfer);
    });
  }

  terminate(): Promise<void> | void {
    return this.endpoint.terminate();
  }
}

export class DataParallel {
  /** The model version the workers hold (undefined: none sent yet). */
  private sentVersion: number | undefined = undefined;
  private closed = false;

  private constructor(
    readonly model: Sequential,
    private readonly channels: Channel[],
    /** Rows per micro-batch; undefined: one share per worker. */
    readonly microbatchSize: number | undefined,
  ) {}

  /** Starts the workers, each with a copy of `model` (built and compiled) on this thread's kernels. */
  static async create(model: Sequential, options: DataParallelOptions = {}): Promise<DataParallel> {
    const count = await resolveWorkers(options.workers ?? 'auto', 'workers');
    const microbatchSize = checkMicrobatchSize(options.microbatchSize, 'microbatchSize');
    if (!model.isBuilt || !model.compiled) {
      throw new ConfigError(
        'DataParallel',
        'the model must be built and compiled',
        'a compiled model with weights',
        model.isBuilt ? 'not compiled' : 'not built',
      );
    }
    if (hasStatefulBidirectional(model)) {
      throw new ConfigError(
        'DataParallel',
        'stateful bidirectional layers cannot be split over workers',
        'workers: 1',
        count,
      );
    }
    const { signal } = options;
    const spawn = options.spawn ?? (await import('./nodeWorkers.js')).spawnNodeWorker;
    const bytes = await replicaBundle(model);
    const compile = replicaCompile(model);
    signal?.throwIfAborted();
    const endpoints = await Promise.all(Array.from({ length: count }, () => spawn()));
    const pool = new DataParallel(
      model,
      endpoints.map((e) => new Channel(e)),
      microbatchSize,
    );
    const start = async () => {
      const backend = kernelBackend();
      // Each worker's copy is transferred, not cloned: a clone left the copies here as garbage, 35 MB at
      // H = 512 on 2 workers, still held at the training step's peak (bench/memory.ts); the last worker
      // takes the original.
      await Promise.all(
        pool.channels.map((c, k) => {
          const model = k === pool.channels.length - 1 ? bytes : bytes.slice();
          return c.request({ kind: 'init', model, compile, backend }, [model.buffer as ArrayBuffer]);
        }),
      );
      // The model's carried states (e.g. restored from a checkpoint) continue in the workers.
      await pool.setStates(statefulLayers(model).map((layer) => layer.getStates()));
    };
    try {
      await (signal ? untilAborted(start(), signal) : start());
    } catch (e) {
      await pool.close();
      throw e;
    }
    return pool;
  }

  get workers(): number {
    return this.channels.length;
  }

  /**
   * One training step on the batch (x, y), split over the workers: forward, backward, the summed gradient
   * in `model.grads`, and the optimizer's update of `model.values`. Returns the batch's totals.
   */
  async trainStep(x: Tensor, y: Tensor, sampleWeight: Tensor | null = null): Promise<BatchTotals> {
    const { model } = this;
    const replies = (await this.scatter(
      x,
      y,
      (values, xs, ys, share, ws) => ({
        kind: 'step',
        values,
        x: xs,
        y: ys!,
        sampleWeight: ws,
        parts: share.parts,
        seeds: share.parts.map((_, j) => microbatchSeed(model, share.first + j)),
      }),
      sampleWeight,
    )) as Extract<FromWorker, { kind: 'stepped' }>[];
    const P = model.grads.length;
    const parts = replies.flatMap((r) =>
      r.totals.map((totals, j) => ({ grads: r.grads.subarray(j * P, (j + 1) * P), totals })),
    );
    const totals = sumParts(model.grads, parts);
    replies.forEach((r, k) => (this.channels[k].spare = r.grads));
    model.applyGradients();
    return totals;
  }

  /**
   * Each worker's rows of a batch of B rows, and the parts it sums a gradient over: one share each
   * (splitRows), or whole micro-batches. Every request of a batch size splits its rows the same way, so a
   * stateful layer's row b stays with one worker.
   */
  private shares(B: number): Share[] {
    const size = this.microbatchSize;
    if (size === undefined) {
      return splitRows(B, this.channels.length).map((rows, k) => ({
        rows,
        parts: [rows[1] - rows[0]],
        first: k,
      }));
    }
    const micro = microbatchRanges(B, size);
    if (micro.length === 0) return [];
    return assignMicrobatches(micro.length, this.channels.length).map(([first, end]) => ({
      rows: [micro[first][0], micro[end - 1][1]],
      parts: micro.slice(first, end).map(([a, b]) => b - a),
      first,
    }));
  }

  /**
   * Loss and metric totals of (x, y), forward only with dropout off, split over the workers. Stateful
   * layers carry their states on from it, as `model.evaluate` does.
   */
  async evaluate(x: Tensor, y: Tensor): Promise<BatchTotals> {
    const replies = (await this.scatter(x, y, (values, xs, ys) => ({
      kind: 'evaluate',
      values,
      x: xs,
      y: ys!,
    }))) as Extract<FromWorker, { kind: 'evaluated' }>[];
    const totals: BatchTotals = { lossSum: 0, weight: 0, metrics: [] };
    for (const r of replies) addTotals(totals, r.totals);
    return totals;
  }

  /**
   * `model.predict(x)` with the rows split over the workers, in row order. Each row's outputs are
   * computed by the same kernel calls whatever the split (rows are independent), so they are bit for bit
   * those of any other worker count. Stateful layers carry their states on from it, as predict does.
   */
  async predict(x: Tensor): Promise<Tensor> {
    const replies = (await this.scatter(x, null, (values, xs) => ({
      kind: 'predict',
      values,
      x: xs,
    }))) as Extract<FromWorker, { kind: 'predicted' }>[];
    return concatRows(replies.map((r) => toTensor(r.output)));
  }

  /**
   * Sends each worker its rows of x, of y (when given) and of the sample weights, if any (and the
   * model's weights, if they changed), and collects the replies.
   */
  private async scatter(
    x: Tensor,
    y: Tensor | null,
    message: (
      values: Float32Array | null,
      x: TensorData,
      /** null when scatter got no y (predict). */
      y: TensorData | null,
      /** The worker's rows and the parts it sums a gradient over. */
      share: Share,
      sampleWeight: TensorData | null,
    ) => ToWorker,
    sampleWeight: Tensor | null = null,
  ): Promise<FromWorker[]> {
    this.checkOpen();
    const B = x.shape[0];
    if (y && y.shape[0] !== B) {
      throw new ShapeError('DataParallel', 'x and y have different numbers of rows', B, y.shape[0]);
    }
    const changed = this.sentVersion !== this.model.weightsVersion;
    const replies = await Promise.all(
      this.shares(B).map((share, k) => {
        const [start, end] = share.rows;
        const xs = rowSlice(x, start, end);
        const ys = y ? rowSlice(y, start, end) : null;
        const ws = sampleWeight ? rowSlice(sampleWeight, start, end) : null;
        const values = changed ? this.weightsFor(this.channels[k]) : null;
        const transfer = [xs.data.buffer as ArrayBuffer];
        if (values) transfer.push(values.buffer as ArrayBuffer);
        if (ys) transfer.push(ys.data.buffer as ArrayBuffer);
        if (ws) transfer.push(ws.data.buffer as ArrayBuffer);
        return this.channels[k].request(
          message(values, fromTensor(xs), ys && fromTensor(ys), share, ws && fromTensor(ws)),
          transfer,
        );
      }),
    );
    this.sentVersion = this.model.weightsVersion;
    return replies;
  }

  /**
   * A copy of the model's weights to transfer to the channel's worker, at the start of its spare buffer if
   * it has one (a worker running several micro-batches sends their gradients in one larger buffer).
   */
  private weightsFor(channel: Channel): Float32Array {
    const { values } = this.model;
    const buffer = floatsIn(channel.spare, values.length);
    channel.spare = null;
    buffer.set(values);
    return buffer;
  }

  /**
   * The carried states of the model's stateful recurrent layers, gathered from the workers (rows in batch
   * order): per layer [h] or [h, c], or null before the first step and after a reset.
   */
  async getStates(): Promise<(Tensor[] | null)[]> {
    this.checkOpen();
    const replies = await Promise.all(this.channels.map((c) => c.request({ kind: 'getStates' })));
    const perWorker = replies.map((r) => (r as Extract<FromWorker, { kind: 'states' }>).states);
    return perWorker[0].map((_, layer) => {
      const parts = perWorker.map((states) => states[layer]);
      if (parts.some((p) => p === null)) return null;
      return parts[0]!.map((_, s) => concatRows(parts.map((p) => toTensor(p![s]))));
    });
  }

  /** Sets (or with null, resets) the carried states; rows are shared out as the batches are. */
  async setStates(states: readonly (readonly Tensor[] | null)[]): Promise<void> {
    this.checkOpen();
    const B = states.find((s) => s !== null)?.[0].shape[0] ?? 0;
    const shares = this.shares(B);
    await Promise.all(
      this.channels.map((c, k) => {
        const [start, end] = shares[k]?.rows ?? [0, 0];
        const mine = states.map((s) =>
          s && end > start ? s.map((t) => fromTensor(rowSlice(t, start, end))) : null,
        );
        return c.request({ kind: 'setStates', states: mine });
      }),
    );
  }

  /** What each worker's thread holds in memory, in worker order (bench/memory.ts). */
  async memory(): Promise<ThreadMemory[]> {
    this.checkOpen();
    const replies = await Promise.all(this.channels.map((c) => c.request({ kind: 'memory' })));
    return replies.map((r) => (r as Extract<FromWorker, { kind: 'memory' }>).memory);
  }

  /** Hands the workers' carried states back to the model's own stateful layers (before a save, after fit). */
  async copyStatesToModel(): Promise<void> {
    const states = await this.getStates();
    statefulLayers(this.model).forEach((layer, i) => layer.resetStates(states[i] ?? undefined));
  }

  /** Forgets every carried state (as `model.resetStates()` does for the model itself). */
  resetStates(): Promise<void> {
    return this.setStates(statefulLayers(this.model).map(() => null));
  }

  /** Stops the workers. The pool cannot be used afterwards; calling close again does nothing. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.channels.map((c) => c.terminate()));
  }

  private checkOpen(): void {
    if (this.closed) throw new ConfigError('DataParallel', 'the pool is closed', 'an open pool', 'closed');
  }
}

/**
 * `work`, or the signal's reason as soon as it is aborted. The work is left to settle by itself (a Web
 * Worker's terminate answers no pending request), its failure then unobserved.
 */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  work.catch(() => undefined);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) {
      onAbort();
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** 'auto' → the number of cores; else a positive integer, checked. */
export async function resolveWorkers(workers: unknown, subject: string): Promise<number> {
  if (workers === 'auto') return availableCores();
  if (typeof workers !== 'number' || !Number.isInteger(workers) || workers < 1 || workers > 256) {
    throw new ConfigError(
      subject,
      "must be a positive integer or 'auto'",
      "1…256 or 'auto'",
      String(workers),
    );
  }
  return workers;
}

/** Cores this runtime can run threads on: Node's availableParallelism, a browser's hardwareConcurrency. */
export async function availableCores(): Promise<number> {
  if (typeof process !== 'undefined' && process.versions?.node) {
    const os = await importNodeBuiltin<typeof import('node:os')>('os');
    return os.availableParallelism();
  }
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  return Math.max(1, nav?.hardwareConcurrency ?? 1);
}

/**
 * [start, end) of each worker's rows: contiguous and as equal as possible; with fewer rows than workers,
 * only the first B workers get one row each.
 */
export function splitRows(B: number, workers: number): RowRange[] {
  const active = Math.max(1, Math.min(workers, B));
  return Array.from({ length: active }, (_, k) => [
    Math.floor((k * B) / active),
    Math.floor(((k + 1) * B) / active),
  ]);
}

/** Rows [start, end) of t, copied (they are transferred to a worker). */
function rowSlice(t: Tensor, start: number, end: number): Tensor {
  return takeRows(t, range(start, end));
}

function concatRows(parts: Tensor[]): Tensor {
  const rows = parts.reduce((n, p) => n + p.shape[0], 0);
  const data = new Float32Array(rows * (parts[0].size / parts[0].shape[0]));
  let offset = 0;
  for (const p of parts) {
    data.set(p.data, offset);
    offset += p.size;
  }
  return new Tensor(data, [rows, ...parts[0].shape.slice(1)]);
}

export function rebuildError(e: WorkerError): Error {
  const classes: Record<string, typeof NovoLstmError> = {
    ShapeError,
    ValueError,
    ConfigError,
    NovoLstmError,
  };
  if (e.subject !== undefined && e.problem !== undefined && Object.hasOwn(classes, e.name)) {
    return new classes[e.name](e.subject, e.problem, e.expected, e.actual);
  }
  const error = new Error(`worker: ${e.message}`);
  error.name = e.name;
  return error;
}
