/**
 * Learning-rate schedules (Keras' names): the rate as a function of the optimizer's step count
 * (`iterations` before the update, so the first update uses step 0).
 *
 *   exponentialDecay       η₀ · rate^(step / decaySteps)   (staircase: the exponent floored)
 *   cosineDecay            η₀ · ((1 − α) · ½(1 + cos(π · min(step, decaySteps) / decaySteps)) + α)
 *   piecewiseConstantDecay values[i] for boundaries[i−1] < step ≤ boundaries[i]   (a step schedule)
 */
import { ConfigError } from '../errors.js';
import { checkOptionKeys } from '../layers/options.js';

export type ScheduleConfig = Readonly<Record<string, number | boolean | readonly number[]>>;

export interface LearningRateSchedule {
  readonly className: 'ExponentialDecay' | 'CosineDecay' | 'PiecewiseConstantDecay';
  /** The learning rate for the update at `step` (0 for the first update). */
  at(step: number): number;
  getConfig(): ScheduleConfig;
}

export interface ExponentialDecayOptions {
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly decayRate: number;
  readonly staircase?: boolean;
}

export function exponentialDecay(options: ExponentialDecayOptions): LearningRateSchedule {
  const label = 'schedules.exponentialDecay';
  const o = checkOptionKeys(label, options, ['initialLearningRate', 'decaySteps', 'decayRate', 'staircase']);
  const lr0 = positive(label, 'initialLearningRate', o.initialLearningRate);
  const steps = positive(label, 'decaySteps', o.decaySteps);
  const rate = positive(label, 'decayRate', o.decayRate);
  const staircase = o.staircase ?? false;
  if (typeof staircase !== 'boolean')
    throw new ConfigError(label, 'staircase must be true or false', 'a boolean', String(staircase));
  return {
    className: 'ExponentialDecay',
    at: (step) => lr0 * rate ** (staircase ? Math.floor(step / steps) : step / steps),
    getConfig: () => ({ initialLearningRate: lr0, decaySteps: steps, decayRate: rate, staircase }),
  };
}

export interface CosineDecayOptions {
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  /** The final rate as a fraction of the initial one. Default 0. */
  readonly alpha?: number;
}

export function cosineDecay(options: CosineDecayOptions): LearningRateSchedule {
  const label = 'schedules.cosineDecay';
  const o = checkOptionKeys(
    label,
    options,
    ['initialLearningRate', 'decaySteps', 'alpha'],
    ['warmupTarget', 'warmupSteps'],
  );
  const lr0 = positive(label, 'initialLearningRate', o.initialLearningRate);
  const steps = positive(label, 'decaySteps', o.decaySteps);
  const alpha = o.alpha ?? 0;
  if (typeof alpha !== 'number' || !(alpha >= 0 && alpha <= 1))
    throw new ConfigError(label, 'alpha must be in [0, 1]', '0 ≤ alpha ≤ 1', String(alpha));
  return {
    className: 'CosineDecay',
    at: (step) => {
      const cosine = 0.5 * (1 + Math.cos((Math.PI * Math.min(step, steps)) / steps));
      return lr0 * ((1 - alpha) * cosine + alpha);
    },
    getConfig: () => ({ initialLearningRate: lr0, decaySteps: steps, alpha }),
  };
}

export interface PiecewiseConstantDecayOptions {
  /** Increasing step numbers. */
  readonly boundaries: readonly number[];
  /** One more value than boundaries. */
  readonly values: readonly number[];
}

export function piecewiseConstantDecay(options: PiecewiseConstantDecayOptions): LearningRateSchedule {
  const label = 'schedules.piecewiseConstantDecay';
  const o = checkOptionKeys(label, options, ['boundaries', 'values']);
  const boundaries = o.boundaries;
  const values = o.values;
  if (
    !Array.isArray(boundaries) ||
    !boundaries.every(
      (b, i) => typeof b === 'number' && Number.isFinite(b) && (i === 0 || b > boundaries[i - 1]),
    )
  ) {
    throw new ConfigError(
      label,
      'boundaries must be increasing numbers',
      'e.g. [100, 200]',
      JSON.stringify(boundaries),
    );
  }
  if (!Array.isArray(values) || values.length !== boundaries.length + 1) {
    throw new ConfigError(
      label,
      'values must have one more entry than boundaries',
      boundaries.length + 1,
      Array.isArray(values) ? values.length : typeof values,
    );
  }
  values.forEach((v, i) => positive(label, `values[${i}]`, v));
  const b = [...(boundaries as number[])];
  const v = [...(values as number[])];
  return {
    className: 'PiecewiseConstantDecay',
    at: (step) => {
      let i = 0;
      while (i < b.length && step > b[i]) i++;
      return v[i];
    },
    getConfig: () => ({ boundaries: b, values: v }),
  };
}

/** A schedule from its saved class name and config. */
export function scheduleFromConfig(saved: unknown): LearningRateSchedule {
  const s = saved as { className?: unknown; config?: unknown };
  if (typeof s !== 'object' || s === null || typeof s.config !== 'object' || s.config === null) {
    throw new ConfigError(
      'learningRate',
      'a saved schedule must be { className, config }',
      'an object',
      String(saved),
    );
  }
  // The saved options as they are: each factory checks every one, as it does a user's.
  const config = s.config;
  if (s.className === 'ExponentialDecay') return exponentialDecay(config as ExponentialDecayOptions);
  if (s.className === 'CosineDecay') return cosineDecay(config as CosineDecayOptions);
  if (s.className === 'PiecewiseConstantDecay')
    return piecewiseConstantDecay(config as PiecewiseConstantDecayOptions);
  throw new ConfigError(
    'learningRate',
    'unknown schedule',
    'ExponentialDecay, CosineDecay or PiecewiseConstantDecay',
    String(s.className),
  );
}

function positive(label: string, key: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ConfigError(label, `${key} must be a positive number`, '> 0', String(value));
  }
  return value;
}
