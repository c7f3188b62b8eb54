/**
 * Micro-batches: a batch's gradient made as the weighted sum, in order, of the gradients of fixed groups of
 * its rows (`microbatchSize` rows each, the last one the rest), each group run forward and backward alone
 * with dropout masks seeded by its index.
 *
 * Why: floating-point sums depend on their order. When the rows are split one share per worker, the
 * shares — and so the order in which every weight's gradient is summed — change with the worker count, and 2
 * or 3 workers train weights that differ from one thread's in the last bits, then more as training goes on.
 * Micro-batches depend only on the batch and their size: a thread, or a worker, runs whole micro-batches, and
 * the sum is taken in micro-batch order on the main thread, so any number of workers (one thread included)
 * trains the same weights bit for bit (test/microbatches.test.ts).
 */
import { ConfigError, ShapeError } from '../errors.js';
import { Bidirectional } from '../layers/bidirectional.js';
import { Recurrent } from '../layers/recurrent.js';
import { Random } from '../random.js';
import { Tensor } from '../tensor.js';
import { range, takeRows } from './batches.js';
import type { Sequential } from './sequential.js';
import { addTotals, type BatchTotals } from './totals.js';

/** Rows [start, end) of a batch. */
export type RowRange = readonly [start: number, end: number];

/** Checks a `microbatchSize` option: undefined (none), or a positive integer. */
export function checkMicrobatchSize(value: unknown, subject: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 0x7fffffff) {
    throw new ConfigError(subject, 'must be a positive integer (rows)', 'an integer ≥ 1', String(value));
  }
  return value;
}

/** [start, end) of each micro-batch of a batch of B rows: `size` rows each, the last one the rest. */
export function microbatchRanges(B: number, size: number): RowRange[] {
  const out: RowRange[] = [];
  for (let start = 0; start < B; start += size) out.push([start, Math.min(B, start + size)]);
  return out;
}

/**
 * [first, end) of the micro-batches each worker runs: contiguous, as equal in number as possible. With
 * fewer micro-batches than workers, only the first `count` workers get one each.
 */
export function assignMicrobatches(count: number, workers: number): RowRange[] {
  const active = Math.max(1, Math.min(workers, count));
  return Array.from({ length: active }, (_, k) => [
    Math.floor((k * count) / active),
    Math.floor(((k + 1) * count) / active),
  ]);
}

/**
 * The seed of the dropout masks of micro-batch (or worker share) k at the model's current step: a function
 * of the model's seed and its optimizer's step count, so masks repeat run to run and after a resume, and
 * the model's own generator (which shuffles the data) is not drawn from.
 */
export function microbatchSeed(model: Sequential, k: number): number {
  const step = model.compiled!.optimizer.iterations;
  return (
    (Math.imul(model.seed, 0x9e3779b1) ^ Math.imul(step + 1, 0x85ebca6b) ^ Math.imul(k + 1, 0xc2b2ae35)) >>> 0
  );
}

/**
 * Forward and backward of each part of (x, y) in turn — `parts` are row ranges of x, `seeds` seed each
 * one's dropout masks (`microbatchSeed` of its index in the whole batch) — writing part j's gradient into
 * `out[j·P, (j+1)·P)` (P: the model's parameter count). Stateful layers' carried rows are split the same
 * way: each part continues its own rows, and the states of all of x's rows are carried on afterwards.
 * Returns each part's totals.
 */
export function partGradients(
  model: Sequential,
  x: Tensor,
  y: Tensor,
  sampleWeight: Tensor | null,
  parts: readonly RowRange[],
  seeds: readonly number[],
  out: Float32Array,
): BatchTotals[] {
  const P = model.grads.length;
  const B = x.shape[0];
  const whole = parts.length === 1 && parts[0][0] === 0 && parts[0][1] === B;
  const stateful = whole ? [] : statefulLayers(model);
  const carried = stateful.map((layer) => layer.getStates());
  for (const states of carried) {
    if (states && states[0].shape[0] !== B) {
      throw new ShapeError(
        'microbatches',
        'a stateful layer needs the same batch size every batch (or resetStates())',
        states[0].shape[0],
        B,
      );
    }
  }
  const finals: (Tensor[] | null)[][] = stateful.map(() => []);
  // The masks are drawn from the model's generator, which also shuffles the data: it is given back as it was.
  const shuffling = model.trainingRng.getState();
  try {
    return parts.map(([start, end], j) => {
      const rows = whole ? null : range(start, end);
      stateful.forEach((layer, i) => {
        const states = carried[i];
        layer.resetStates(states ? states.map((s) => takeRows(s, rows!)) : undefined);
      });
      model.trainingRng.setState(new Random(seeds[j]).getState());
      const totals = model.runBatch(x, y, rows, true, true, sampleWeight);
      out.set(model.grads, j * P);
      stateful.forEach((layer, i) => finals[i].push(layer.getStates()));
      return totals;
    });
  } finally {
    model.trainingRng.setState(shuffling);
    stateful.forEach((layer, i) => layer.resetStates(concatStates(finals[i], parts.length)));
  }
}

/**
 * `grads` = Σ_j (w_j / w) g_j over the parts in order (w_j a part's loss weight, w their sum): the mean
 * gradient of the whole batch. Returns the summed totals.
 */
export function sumParts(
  grads: Float32Array,
  parts: readonly { readonly grads: Float32Array; readonly totals: BatchTotals }[],
): BatchTotals {
  const totals: BatchTotals = { lossSum: 0, weight: 0, metrics: [] };
  for (const part of parts) addTotals(totals, part.totals);
  grads.fill(0);
  if (totals.weight > 0) {
    for (const part of parts) {
      const share = part.totals.weight / totals.weight;
      if (share === 0) continue;
      const g = part.grads;
      for (let i = 0; i < grads.length; i++) grads[i] += share * g[i];
    }
  }
  return totals;
}

/**
 * One training step's gradient on this thread in micro-batches of `size` rows: `model.grads` holds the
 * batch's mean gradient, summed as a pool of workers sums it. Returns the batch's totals. The parts'
 * gradients go in `scratch` when it is large enough (a trainer keeps one: a fresh array per step is
 * garbage the collector lets pile up, as the pool's buffers once did).
 */
export function microbatchGradient(
  model: Sequential,
  x: Tensor,
  y: Tensor,
  sampleWeight: Tensor | null,
  size: number,
  scratch: Float32Array | null = null,
): { totals: BatchTotals; scratch: Float32Array } {
  if (hasStatefulBidirectional(model)) {
    throw new ConfigError(
      'microbatchSize',
      'stateful bidirectional layers cannot be split into micro-batches',
      'no microbatchSize',
      size,
    );
  }
  const parts = microbatchRanges(x.shape[0], size);
  const P = model.grads.length;
  const out = floatsIn(scratch, parts.length * P);
  const seeds = parts.map((_, k) => microbatchSeed(model, k));
  const totals = partGradients(model, x, y, sampleWeight, parts, seeds, out);
  const summed = sumParts(
    model.grads,
    totals.map((t, j) => ({ grads: out.subarray(j * P, (j + 1) * P), totals: t })),
  );
  return { totals: summed, scratch: out };
}

/**
 * `length` floats at the start of `spare`'s buffer when it holds that many, else a new array: the
 * gradient and weight buffers that go round between steps (and between a pool and its workers) are reused
 * rather than made anew each step, which left garbage the collector let pile up.
 */
export function floatsIn(spare: Float32Array | null, length: number): Float32Array {
  return spare && spare.buffer.byteLength >= length * 4
    ? new Float32Array(spare.buffer, 0, length)
    : new Float32Array(length);
}

/** The layers that carry state between batches, in model order (a pool addresses them by index). */
export function statefulLayers(model: Sequential): Recurrent[] {
  return model.layers.filter((l): l is Recurrent => l instanceof Recurrent && l.stateful);
}

/**
 * Whether a stateful layer sits inside a Bidirectional: its carried states are not among `statefulLayers`,
 * whose rows are split and put back together, so neither micro-batches nor workers can split its batch.
 */
export function hasStatefulBidirectional(model: Sequential): boolean {
  return model.layers.some((l) => l instanceof Bidirectional && l.forwardLayer.stateful);
}

/**
 * One layer's states, part after part, as the states of all the rows; none (zeros next batch) unless every
 * one of the `count` parts ran and left states.
 */
function concatStates(parts: (Tensor[] | null)[], count: number): Tensor[] | undefined {
  if (parts.length !== count || parts.some((p) => p === null)) return undefined;
  return parts[0]!.map((_, s) => {
    const pieces = parts.map((p) => p![s]);
    const units = pieces[0].shape[1];
    const data = new Float32Array(pieces.reduce((n, t) => n + t.size, 0));
    let offset = 0;
    for (const t of pieces) {
      data.set(t.data as Float32Array, offset);
      offset += t.size;
    }
    return new Tensor(data, [data.length / units, units]);
  });
}
