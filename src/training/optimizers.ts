/**
 * Optimizers over the model's flat parameter array: one update loop over all N parameters, with
 * per-optimizer moments in ONE flat Float32Array (`slots`, [k, N]: k named views of N values), so a
 * checkpoint writes them as one blob.
 *
 * Gradient clipping (Keras' semantics, applied in this order before the update):
 *   clipNorm        each weight tensor g ← g · clipNorm / max(‖g‖, clipNorm)
 *   globalClipNorm  all gradients together, by their joint norm
 *   clipValue       each element into [−clipValue, clipValue]
 * clipNorm and globalClipNorm exclude each other (as in Keras).
 *
 * Updates (t = the step number, from 1):
 *   SGD             v ← μ v − η g;  θ ← θ + v   (nesterov: θ ← θ + μ v − η g);  μ = 0: θ ← θ − η g
 *   Adam            m ← m + (1 − β₁)(g − m);  v ← v + (1 − β₂)(g² − v)
 *                   θ ← θ − η_t m / (√v + ε),  η_t = η √(1 − β₂ᵗ) / (1 − β₁ᵗ)   (Keras' form, ε = 1e-7)
 *   AdamW           θ ← θ − η λ θ (decoupled weight decay λ), then the Adam update
 *   RMSprop         s ← ρ s + (1 − ρ) g²;  (centered: a ← ρ a + (1 − ρ) g, s − a² in place of s)
 *                   Δ = η g / √(s + ε);  θ ← θ − Δ   (momentum μ: v ← μ v + Δ; θ ← θ − v)
 * η may be a schedule (schedules.ts), evaluated at the step count before the update. Each update is
 * computed in float64 and rounded once to float32.
 *
 * Frozen weights (`layer.trainable = false`): the model passes only the trainable weights' entries. Clipping
 * and the update run over those entries' spans of the flat arrays alone, so a frozen weight, its moments
 * and the joint clipping norm are exactly as if the weight were not there (AdamW's decay skips it too).
 */
import { ConfigError } from '../errors.js';
import { checkOptionKeys } from '../layers/options.js';
import type { ParameterEntry } from '../layers/parameters.js';
import { scheduleFromConfig, type LearningRateSchedule, type ScheduleConfig } from './schedules.js';

// The flat arrays' layout belongs to the layers' floor (layers/parameters.ts); re-exported for the optimizers'
// callers, who pass it to applyGradients.
export type { ParameterEntry };

export interface ClipOptions {
  readonly clipNorm?: number;
  readonly clipValue?: number;
  readonly globalClipNorm?: number;
}

export type OptimizerConfig = Readonly<
  Record<string, number | boolean | { readonly className: string; readonly config: ScheduleConfig }>
>;

export abstract class Optimizer {
  abstract readonly className: 'SGD' | 'Adam' | 'AdamW' | 'RMSprop';
  /** Names of the moment views in `slots`, in order. */
  abstract readonly slotNames: readonly string[];
  /** A fixed rate, or a schedule over the step count. */
  learningRate: number | LearningRateSchedule;
  readonly clip: ClipOptions;
  /** The rate of the update being applied (the schedule's value at this step). */
  protected rate = 0;
  /** Updates applied so far (Keras' `iterations`). */
  iterations = 0;
  /** All moments: [slotNames.length, N]. */
  slots = new Float32Array(0);

  constructor(label: string, options: Record<string, unknown>, defaultLearningRate: number) {
    const lr = options.learningRate ?? defaultLearningRate;
    if (typeof lr === 'object' && lr !== null && 'at' in lr) this.learningRate = lr as LearningRateSchedule;
    else if (typeof lr === 'object' && lr !== null) this.learningRate = scheduleFromConfig(lr);
    else this.learningRate = positiveNumber(label, 'learningRate', lr);
    const clip: Record<string, number> = {};
    for (const key of ['clipNorm', 'clipValue', 'globalClipNorm'] as const) {
      if (options[key] !== undefined) clip[key] = positiveNumber(label, key, options[key]);
    }
    if (clip.clipNorm !== undefined && clip.globalClipNorm !== undefined) {
      throw new ConfigError(label, 'clipNorm and globalClipNorm cannot both be set', 'one of them', 'both');
    }
    this.clip = clip;
  }

  /** Sizes the moments for N parameters (zeroed) unless they already fit. */
  prepare(N: number): void {
    if (this.slots.length !== this.slotNames.length * N) {
      this.slots = new Float32Array(this.slotNames.length * N);
      this.iterations = 0;
    }
  }

  /** The named view of one moment, [N]. */
  slot(name: string): Float32Array {
    const k = this.slotNames.indexOf(name);
    const N = this.slots.length / this.slotNames.length;
    return this.slots.subarray(k * N, (k + 1) * N);
  }

  /**
   * Clips `grads` in place, then updates `params`, both the model's flat arrays [N], over the weights in
   * `entries` only (the trainable ones): values, gradients and moments outside them are left untouched.
   */
  applyGradients(params: Float32Array, grads: Float32Array, entries: readonly ParameterEntry[]): void {
    this.prepare(params.length);
    const spans = contiguousSpans(entries);
    clipGradients(grads, entries, this.clip, spans);
    this.rate = this.currentLearningRate();
    this.iterations += 1;
    for (const [from, to] of spans) this.update(params, grads, from, to);
  }

  /** The update of params[from … to − 1] (and the moments' same elements). */
  protected abstract update(
    params: Float32Array,
    grads: Readonly<Float32Array>,
    from: number,
    to: number,
  ): void;

  /** The rate the next update will use. */
  currentLearningRate(): number {
    return typeof this.learningRate === 'number' ? this.learningRate : this.learningRate.at(this.iterations);
  }

  /** Constructor options that rebuild this optimizer. */
  getConfig(): OptimizerConfig {
    const lr = this.learningRate;
    const learningRate = typeof lr === 'number' ? lr : { className: lr.className, config: lr.getConfig() };
    return { learningRate, ...this.clip, ...this.ownConfig() };
  }

  protected abstract ownConfig(): OptimizerConfig;
}

/** [from, to) ranges of the flat arrays covered by `entries` (in offset order), adjacent ones merged. */
export function contiguousSpans(entries: readonly ParameterEntry[]): [number, number][] {
  const spans: [number, number][] = [];
  for (const e of [...entries].sort((a, b) => a.offset - b.offset)) {
    const last = spans[spans.length - 1];
    if (last && last[1] === e.offset) last[1] = e.offset + e.size;
    else spans.push([e.offset, e.offset + e.size]);
  }
  return spans;
}

/** Clips the gradients of `entries` (spans: theirs, from contiguousSpans; default: computed here). */
export function clipGradients(
  grads: Float32Array,
  entries: readonly ParameterEntry[],
  clip: ClipOptions,
  spans: readonly (readonly [number, number])[] = contiguousSpans(entries),
): void {
  if (clip.clipNorm !== undefined) {
    for (const e of entries) scaleToNorm([grads.subarray(e.offset, e.offset + e.size)], clip.clipNorm);
  }
  if (clip.globalClipNorm !== undefined) {
    scaleToNorm(
      spans.map(([from, to]) => grads.subarray(from, to)),
      clip.globalClipNorm,
    );
  }
  if (clip.clipValue !== undefined) {
    const c = clip.clipValue;
    for (const [from, to] of spans) {
      for (let i = from; i < to; i++) grads[i] = Math.min(c, Math.max(-c, grads[i]));
    }
  }
}

/** Scales the parts together so that their joint norm is at most maxNorm. */
function scaleToNorm(parts: readonly Float32Array[], maxNorm: number): void {
  let sq = 0;
  for (const g of parts) for (let i = 0; i < g.length; i++) sq += g[i] * g[i];
  const norm = Math.sqrt(sq);
  if (norm <= maxNorm) return;
  const scale = maxNorm / norm;
  for (const g of parts) for (let i = 0; i < g.length; i++) g[i] *= scale;
}

export interface SgdOptions extends ClipOptions {
  readonly learningRate?: number | LearningRateSchedule;
  readonly momentum?: number;
  readonly nesterov?: boolean;
}

export class SGD extends Optimizer {
  readonly className = 'SGD';
  readonly slotNames: readonly string[];
  readonly momentum: number;
  readonly nesterov: boolean;

  constructor(options: SgdOptions = {}) {
    const label = 'optimizers.sgd';
    const o = checkOptionKeys(
      label,
      options,
      ['learningRate', 'momentum', 'nesterov', 'clipNorm', 'clipValue', 'globalClipNorm'],
      ['decay', 'weightDecay'],
    );
    super(label, o, 0.01);
    this.momentum = fraction(label, 'momentum', o.momentum ?? 0);
    if (o.nesterov !== undefined && typeof o.nesterov !== 'boolean') {
      throw new ConfigError(label, 'nesterov must be true or false', 'a boolean', String(o.nesterov));
    }
    this.nesterov = (o.nesterov as boolean | undefined) ?? false;
    // Plain SGD keeps no moments.
    this.slotNames = this.momentum > 0 ? ['velocity'] : [];
  }

  protected update(params: Float32Array, grads: Readonly<Float32Array>, from: number, to: number): void {
    const lr = this.rate;
    const mu = this.momentum;
    if (mu === 0) {
      for (let i = from; i < to; i++) params[i] = params[i] - lr * grads[i];
      return;
    }
    const v = this.slot('velocity');
    for (let i = from; i < to; i++) {
      const vi = mu * v[i] - lr * grads[i];
      v[i] = vi;
      params[i] = this.nesterov ? params[i] + mu * vi - lr * grads[i] : params[i] + vi;
    }
  }

  protected ownConfig(): OptimizerConfig {
    return { momentum: this.momentum, nesterov: this.nesterov };
  }
}

export interface AdamOptions extends ClipOptions {
  readonly learningRate?: number | LearningRateSchedule;
  readonly beta1?: number;
  readonly beta2?: number;
  readonly epsilon?: number;
}

export class Adam extends Optimizer {
  readonly className: 'Adam' | 'AdamW' = 'Adam';
  readonly slotNames = ['m', 'v'] as const;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;

  constructor(options: AdamOptions = {}, label = 'optimizers.adam', extraOptions: readonly string[] = []) {
    const o = checkOptionKeys(
      label,
      options,
      [
        'learningRate',
        'beta1',
        'beta2',
        'epsilon',
        'clipNorm',
        'clipValue',
        'globalClipNorm',
        ...extraOptions,
      ],
      ['amsgrad', 'decay', ...(extraOptions.includes('weightDecay') ? [] : ['weightDecay'])],
    );
    super(label, o, 0.001);
    this.beta1 = fraction(label, 'beta1', o.beta1 ?? 0.9);
    this.beta2 = fraction(label, 'beta2', o.beta2 ?? 0.999);
    this.epsilon = positiveNumber(label, 'epsilon', o.epsilon ?? 1e-7);
  }

  protected update(params: Float32Array, grads: Readonly<Float32Array>, from: number, to: number): void {
    const t = this.iterations;
    this.decayWeights(params, from, to);
    const lrT = (this.rate * Math.sqrt(1 - this.beta2 ** t)) / (1 - this.beta1 ** t);
    const m = this.slot('m');
    const v = this.slot('v');
    for (let i = from; i < to; i++) {
      const g = grads[i];
      const mi = m[i] + (1 - this.beta1) * (g - m[i]);
      const vi = v[i] + (1 - this.beta2) * (g * g - v[i]);
      m[i] = mi;
      v[i] = vi;
      params[i] = params[i] - (lrT * mi) / (Math.sqrt(vi) + this.epsilon);
    }
  }

  /** Adam has no weight decay; AdamW overrides this. */
  protected decayWeights(_params: Float32Array, _from: number, _to: number): void {}

  protected ownConfig(): OptimizerConfig {
    return { beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
  }
}

export interface AdamWOptions extends AdamOptions {
  /** Decoupled weight decay λ (Keras' default 0.004). */
  readonly weightDecay?: number;
}

export class AdamW extends Adam {
  override readonly className = 'AdamW';
  readonly weightDecay: number;

  constructor(options: AdamWOptions = {}) {
    super(options, 'optimizers.adamW', ['weightDecay']);
    const wd = (options as { weightDecay?: unknown }).weightDecay ?? 0.004;
    if (typeof wd !== 'number' || !(wd >= 0) || !Number.isFinite(wd)) {
      throw new ConfigError(
        'optimizers.adamW',
        'weightDecay must be a non-negative number',
        '≥ 0',
        String(wd),
      );
    }
    this.weightDecay = wd;
  }

  /** θ ← θ − η λ θ, before the Adam step (decoupled: not part of the gradient or its moments). */
  protected override decayWeights(params: Float32Array, from: number, to: number): void {
    const factor = this.rate * this.weightDecay;
    for (let i = from; i < to; i++) params[i] = params[i] - factor * params[i];
  }

  protected override ownConfig(): OptimizerConfig {
    return { ...super.ownConfig(), weightDecay: this.weightDecay };
  }
}

export interface RmspropOptions extends ClipOptions {
  readonly learningRate?: number | LearningRateSchedule;
  /** Decay of the squared-gradient average. Default 0.9. */
  readonly rho?: number;
  readonly momentum?: number;
  readonly epsilon?: number;
  /** Normalise by the gradient's variance rather than its second moment. Default false. */
  readonly centered?: boolean;
}

export class RMSprop extends Optimizer {
  readonly className = 'RMSprop';
  readonly slotNames: readonly string[];
  readonly rho: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly centered: boolean;

  constructor(options: RmspropOptions = {}) {
    const label = 'optimizers.rmsprop';
    const o = checkOptionKeys(
      label,
      options,
      ['learningRate', 'rho', 'momentum', 'epsilon', 'centered', 'clipNorm', 'clipValue', 'globalClipNorm'],
      ['decay', 'weightDecay'],
    );
    super(label, o, 0.001);
    this.rho = fraction(label, 'rho', o.rho ?? 0.9);
    this.momentum = fraction(label, 'momentum', o.momentum ?? 0);
    this.epsilon = positiveNumber(label, 'epsilon', o.epsilon ?? 1e-7);
    if (o.centered !== undefined && typeof o.centered !== 'boolean') {
      throw new ConfigError(label, 'centered must be true or false', 'a boolean', String(o.centered));
    }
    this.centered = (o.centered as boolean | undefined) ?? false;
    this.slotNames = [
      'velocity',
      ...(this.centered ? ['average'] : []),
      ...(this.momentum > 0 ? ['momentum'] : []),
    ];
  }

  protected update(params: Float32Array, grads: Readonly<Float32Array>, from: number, to: number): void {
    const { rho, epsilon } = this;
    const s = this.slot('velocity');
    const a = this.centered ? this.slot('average') : null;
    const m = this.momentum > 0 ? this.slot('momentum') : null;
    for (let i = from; i < to; i++) {
      const g = grads[i];
      const si = rho * s[i] + (1 - rho) * g * g;
      s[i] = si;
      let denominator = si;
      if (a) {
        const ai = rho * a[i] + (1 - rho) * g;
        a[i] = ai;
        denominator = si - ai * ai;
      }
      const increment = (this.rate * g) / Math.sqrt(denominator + epsilon);
      if (m) {
        const mi = this.momentum * m[i] + increment;
        m[i] = mi;
        params[i] = params[i] - mi;
      } else params[i] = params[i] - increment;
    }
  }

  protected ownConfig(): OptimizerConfig {
    return { rho: this.rho, momentum: this.momentum, epsilon: this.epsilon, centered: this.centered };
  }
}

export function sgd(options: SgdOptions = {}): SGD {
  return new SGD(options);
}

export function adam(options: AdamOptions = {}): Adam {
  return new Adam(options);
}

export function adamW(options: AdamWOptions = {}): AdamW {
  return new AdamW(options);
}

export function rmsprop(options: RmspropOptions = {}): RMSprop {
  return new RMSprop(options);
}

/** An optimizer from its class name and config (compile's string form, and loading a save). */
export function optimizerFromConfig(className: string, config: Record<string, unknown>): Optimizer {
  if (className === 'SGD' || className === 'sgd') return new SGD(config);
  if (className === 'Adam' || className === 'adam') return new Adam(config);
  if (className === 'AdamW' || className === 'adamW' || className === 'adamw') return new AdamW(config);
  if (className === 'RMSprop' || className === 'rmsprop') return new RMSprop(config);
  throw new ConfigError('optimizer', 'is not supported', "'sgd', 'adam', 'adamW' or 'rmsprop'", className);
}

function positiveNumber(label: string, key: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ConfigError(label, `${key} must be a positive finite number`, '> 0', String(value));
  }
  return value;
}

function fraction(label: string, key: string, value: unknown): number {
  if (typeof value !== 'number' || !(value >= 0 && value < 1)) {
    throw new ConfigError(label, `${key} must be in [0, 1)`, '0 ≤ value < 1', String(value));
  }
  return value;
}
