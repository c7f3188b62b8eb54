/**
 * One recurrent layer's sequence computation for fixed sizes, whichever way it runs: fused in WebAssembly
 * (FastLstm, FastGru) when an engine loaded, else the plain reference kernels — the fallback where
 * WebAssembly SIMD is missing, and what runs a batch with recurrent dropout (the engine has no recurrent
 * masks). Callers (the layers) hold a RecurrentPlan and need not know which. The one place a plan is made.
 */
import { ConfigError } from '../errors.js';
import type { CellKernel, Params, SequenceOptions, SequenceUpstream } from '../kernels/contract.js';
import { recurrentBackward, recurrentForward, type SavedSequence } from '../kernels/reference/recurrence.js';
import { FastGru } from './gru.js';
import type { Engine } from './loader.js';
import { FastLstm } from './lstm.js';
import { toBatchMajor, toTimeMajor, type ForwardInput } from './steps.js';

export interface PlanOutput {
  /**
   * [T, B, u] at the time index, or batch-major [B, T, u] in processing order (SequenceLayout); zero at
   * masked steps; empty with `sequence: false`.
   */
  readonly h: Float32Array;
  /** [B, u] */
  readonly hT: Float32Array;
  /** [B, u]; null for GRU */
  readonly cT: Float32Array | null;
}

export interface PlanGradients {
  /** [T, B, D], or [B, T, D] batch-major */
  readonly dx: Float32Array;
  /** [B, u] */
  readonly dh0: Float32Array;
  /** [B, u]; null for GRU */
  readonly dc0: Float32Array | null;
}

export interface RecurrentPlan {
  /** 'relaxed' or 'simd' (the WebAssembly build), or 'reference'. */
  readonly runsOn: string;
  setWeights(p: Params): void;
  /** x [T, B, D], or [B, T, D] with `batchMajor` (then the upstream dh and dx are batch-major too). */
  forward(x: Float32Array, options?: Omit<SequenceOptions, 'T' | 'B'> & ForwardInput): PlanOutput;
  /**
   * The same outputs as `forward` with nothing kept for backward (predict, evaluate, scoring): bit for
   * bit forward's on the engine and on the reference. A `backward` after it refuses, as before any forward.
   */
  infer(x: Float32Array, options?: Omit<SequenceOptions, 'T' | 'B'> & ForwardInput): PlanOutput;
  /**
   * Adds the weight gradients into g. Once per forward: the engine writes the gradients over the forward's
   * tape, so a second backward refuses until the next forward (on the reference kernels too, alike).
   */
  backward(g: Params, upstream: SequenceUpstream): PlanGradients;
  /**
   * Gives the plan's buffers up (its engine is to hold another plan): every later call refuses. Callers
   * that make a plan for a new shape on the old one's engine (src/layers/recurrentKernels.ts) retire it.
   */
  retire(): void;
}

/**
 * A plan for `cell` over T steps of B rows: on `engine` when given, else on the reference kernels. The
 * engine's kernel is chosen by the cell's kind (its spec), FastGru for 'gru', FastLstm for the others.
 */
export function recurrentPlan(engine: Engine | null, cell: CellKernel, T: number, B: number): RecurrentPlan {
  if (!engine) return referencePlan(cell, T, B);
  if (cell.spec.kind === 'gru') {
    const gru = new FastGru(engine, cell, T, B);
    return {
      runsOn: engine.build,
      setWeights: (p) => gru.setWeights(p),
      forward: (x, options = {}) => ({ ...gru.forward(x, options), cT: null }),
      infer: (x, options = {}) => ({ ...gru.infer(x, options), cT: null }),
      backward: (g, upstream) => ({ ...gru.backward(g, upstream), dc0: null }),
      retire: () => gru.retire(),
    };
  }
  const lstm = new FastLstm(engine, cell, T, B);
  return {
    runsOn: engine.build,
    setWeights: (p) => lstm.setWeights(p),
    forward: (x, options = {}) => lstm.forward(x, options),
    infer: (x, options = {}) => lstm.infer(x, options),
    backward: (g, upstream) => lstm.backward(g, upstream),
    retire: () => lstm.retire(),
  };
}

/** The reference driver behind the plan interface (float32 in, float32 out). */
function referencePlan(cell: CellKernel, T: number, B: number): RecurrentPlan {
  let weights: Params | null = null;
  let saved: SavedSequence | null = null;
  let batchMajor = false;
  let retired = false;
  const checkLive = (call: string) => {
    if (retired) {
      throw new ConfigError(cell.label, `${call} on a retired plan`, 'a plan made again', 'a retired plan');
    }
  };
  const f32 = (a: ArrayLike<number> | null) => (a ? Float32Array.from(a) : null);
  const plan: RecurrentPlan = {
    runsOn: 'reference',
    setWeights(p) {
      checkLive('setWeights');
      weights = p;
      saved = null;
    },
    retire() {
      retired = true;
      weights = null;
      saved = null;
    },
    // The reference driver always records its tape; inference drops it at once.
    infer(x, options = {}) {
      const out = plan.forward(x, options);
      saved = null;
      return out;
    },
    forward(x, options = {}) {
      checkLive('forward');
      if (!weights) throw new ConfigError(cell.label, 'forward before setWeights', 'setWeights(p)', 'none');
      // inputRows only lets the engine skip work: the reference computes from x and returns dx.
      const { batchMajor: major = false, sequence = true, inputRows: _, ...rest } = options;
      batchMajor = major;
      const u = cell.units;
      const xt = major ? toTimeMajor(x, T, B, cell.inputDim, false) : x;
      const out = recurrentForward(cell, weights, xt, { ...rest, T, B });
      saved = out.saved;
      // The reference driver computes in x's precision: float32 here.
      const hs = out.h as Float32Array;
      const h = !sequence ? new Float32Array(0) : major ? toBatchMajor(hs, T, B, u, saved.reverse) : f32(hs)!;
      return { h, hT: f32(out.hT)!, cT: f32(out.cT) };
    },
    backward(g, upstream) {
      checkLive('backward');
      if (!saved || !weights) {
        throw new ConfigError(cell.label, 'backward before forward', 'forward(x) first', 'none');
      }
      const dh =
        upstream.dh && batchMajor
          ? toTimeMajor(upstream.dh as Float32Array, T, B, cell.units, saved.reverse)
          : null;
      const grad = recurrentBackward(g, saved, weights, dh ? { ...upstream, dh } : upstream);
      saved = null; // once per forward, as on the engine
      const dxt = grad.dx as Float32Array;
      const dx = batchMajor ? toBatchMajor(dxt, T, B, cell.inputDim, false) : f32(dxt)!;
      return { dx, dh0: f32(grad.dh0)!, dc0: f32(grad.dc0) };
    },
  };
  return plan;
}
