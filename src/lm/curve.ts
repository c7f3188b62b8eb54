/**
 * The learning curve's training points between epochs: the mean bits per character of every `every`
 * windows, so that a short run (two minutes of `npm start`, or one long epoch) draws a curve rather than
 * one point per epoch. The running sums live in the checkpoint's state, so a resumed run draws the same
 * points as one that never stopped.
 *
 * Browser-safe: nothing here imports node: modules.
 */
import { ConfigError } from '../errors.js';

/**
 * Windows per point when the caller does not say. The two-minute demo (`npm start`: 32 streams × 64
 * characters a window) trains about 19,800 characters a second on 2 cores (README), ~9.7 windows a second:
 * ~1,160 windows, so ~46 points rather than its two epoch ends, and still few enough to read as a line.
 */
export const DEFAULT_CURVE_EVERY = 25;

export interface StepRecord {
  /** Where the point's last window ends, in epochs (fractional). */
  readonly epoch: number;
  /** Characters trained in all when the point was taken. */
  readonly chars: number;
  /** Mean training bits per character over the point's windows. */
  readonly trainBpc: number;
}

/** The points so far, and the sums of the windows since the last one (JSON, kept in the checkpoint). */
export interface StepCurve {
  points: StepRecord[];
  nats: number;
  chars: number;
  windows: number;
}

/** `curveEvery` as given (a positive integer) or the default; anything else is refused by name. */
export function curveEvery(value: number | undefined): number {
  if (value === undefined) return DEFAULT_CURVE_EVERY;
  if (!Number.isInteger(value) || value < 1) {
    throw new ConfigError('curveEvery', 'is the number of windows per point', 'an integer ≥ 1', value);
  }
  return value;
}

export function emptyStepCurve(): StepCurve {
  return { points: [], nats: 0, chars: 0, windows: 0 };
}

/**
 * Adds one window's mean loss (nats per character) over `chars` characters; every `every` windows the
 * mean of those windows becomes a point at `epoch` (fractional) with `totalChars` characters trained.
 */
export function addWindow(
  curve: StepCurve,
  every: number,
  loss: number,
  chars: number,
  epoch: number,
  totalChars: number,
): void {
  curve.nats += loss * chars;
  curve.chars += chars;
  curve.windows++;
  if (curve.windows < every) return;
  curve.points.push({ epoch, chars: totalChars, trainBpc: curve.nats / curve.chars / Math.LN2 });
  curve.nats = 0;
  curve.chars = 0;
  curve.windows = 0;
}
