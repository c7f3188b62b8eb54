/**
 * The one place the recurrent layers call the sequence kernels, always through a RecurrentPlan
 * (engine/plan.ts, the one plan factory): the fused WebAssembly engine when `backend.ts` has loaded it,
 * else the float32 reference kernels (`kernels/reference/recurrence.ts`).
 *
 * Layout: batch-major, as the layers hold their batches: x [B, T, D] in time order, the output sequence
 * h [B, T, u] and its upstream gradient in processing order (as Keras returns goBackwards sequences), dx
 * [B, T, D] in time order (engine/steps.ts, SequenceLayout); the engine reorders inside WebAssembly memory,
 * the reference path in JavaScript. See recurrence.ts for masks ([T, B]), `reverse` and the
 * accumulate-into-gradients contract, which both paths keep.
 *
 * The engine works on plans made for fixed sizes (T, B) that keep their buffers in WebAssembly memory. Each
 * cell (one per layer) keeps the plan of its last batch shape and the engine instance under it; a new
 * shape gets a new plan in that same instance's memory, from its start (the old plan is retired: it
 * refuses every later call). WebAssembly memory only grows, so the instance keeps the largest plan's
 * size, but a fresh instance per shape held the old one's memory until the collector freed it: NovoLSTM
 * at H = 512 on 2 workers, trained on batches alternating between 128 and 96 rows (an epoch's last batch,
 * then the next epoch's first), peaked at 697 MB with an instance per shape and 439 with the one kept (the
 * built package, measured by hand; the same model's steady batches: 440–465). A plan holds
 * one forward's state for its backward, which is how the model calls them: forward, then backward, per
 * batch.
 */
import type {
  CellKernel,
  Params,
  SequenceGradients,
  SequenceOptions,
  SequenceUpstream,
} from '../kernels/contract.js';
import { recurrentPlan, type RecurrentPlan } from '../engine/plan.js';
import type { InputRows } from '../engine/steps.js';
import type { Engine } from '../engine/loader.js';
import { newEngine, sharedEngine } from './backend.js';

/** What backward needs: the plan that ran the forward (it holds the forward's state). */
export interface SavedRun {
  readonly plan: RecurrentPlan;
}

export interface RunOutput {
  /** [B, T, u] in processing order, zero at masked steps; empty unless `sequence` was asked for */
  readonly h: Float32Array;
  /** [B, u] */
  readonly hT: Float32Array;
  /** [B, u]; null for GRU */
  readonly cT: Float32Array | null;
  readonly saved: SavedRun;
}

interface KeptPlan {
  readonly T: number;
  readonly B: number;
  readonly engine: Engine;
  readonly plan: RecurrentPlan;
  /** The weights the plan holds: which arrays, at which model weightsVersion (undefined: unknown). */
  params: Params | null;
  version: number | undefined;
}

const plans = new WeakMap<CellKernel, KeptPlan>();

function planFor(cell: CellKernel, T: number, B: number): KeptPlan {
  const kept = plans.get(cell);
  if (kept && kept.T === T && kept.B === B) return kept;
  kept?.plan.retire();
  // The kept instance unless the kernels were switched to another build since (tests compare builds).
  const engine = kept && kept.engine.build === sharedEngine()?.build ? kept.engine : newEngine()!;
  engine.arena.reset();
  const fresh: KeptPlan = {
    T,
    B,
    engine,
    plan: recurrentPlan(engine, cell, T, B),
    params: null,
    version: undefined,
  };
  plans.set(cell, fresh);
  return fresh;
}

/**
 * x [B, T, D]; `sequence`: return the output sequence h (else only the final states); `gradient: false`:
 * no backward follows, so the plan's tape-free `infer` runs (the same outputs) and `saved` cannot be
 * taken backward.
 */
export function sequenceForward(
  cell: CellKernel,
  params: Params,
  x: Float32Array,
  options: SequenceOptions & {
    readonly sequence: boolean;
    readonly gradient?: boolean;
    /** x as an embedding's rows (engine/steps.ts); backward's dx is then empty when the gradient went in. */
    readonly inputRows?: InputRows;
  },
  /** The model's weightsVersion; when it and the arrays are those of the last call, the copy held is kept. */
  weightsVersion?: number,
): RunOutput {
  const { T, B, gradient = true, ...rest } = options;
  let plan: RecurrentPlan;
  if (sharedEngine() && !options.recurrentMask) {
    const kept = planFor(cell, T, B);
    // Copying (and packing) the weights into the engine costs as much as a step at batch 1, so it is done
    // only when they may have changed: after an update, or when the version is unknown.
    if (weightsVersion === undefined || kept.version !== weightsVersion || kept.params !== params) {
      kept.plan.setWeights(params);
      kept.params = params;
      kept.version = weightsVersion;
    }
    plan = kept.plan;
  } else {
    // The reference kernels (no engine, or a recurrent dropout mask, which the engine has not): a plan per
    // batch, holding nothing but the weights' arrays and this forward's saved state.
    plan = recurrentPlan(null, cell, T, B);
    plan.setWeights(params);
  }
  const out = gradient
    ? plan.forward(x, { ...rest, batchMajor: true })
    : plan.infer(x, { ...rest, batchMajor: true });
  return { h: out.h, hT: out.hT, cT: out.cT, saved: { plan } };
}

/** Adds the parameter gradients into `grads`; upstream dh [B, T, u]; returns dx [B, T, D], dh0, dc0. */
export function sequenceBackward(
  grads: Params,
  saved: SavedRun,
  upstream: SequenceUpstream,
): SequenceGradients {
  return saved.plan.backward(grads, upstream);
}
