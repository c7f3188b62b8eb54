/** How the report writes numbers: counts, metrics, percentages, bits, spreads over seeds and durations. */
import { higherIsBetter } from './grid.js';
import type { Spread } from './statistics.js';
import type { TaskSpec } from './taskSuite.js';

export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function formatMetric(task: TaskSpec, v: number): string {
  if (!Number.isFinite(v)) return '—';
  // Accuracies as percentages (1 is 100.0%, not a count); counts as integers; errors to 4 places.
  if (higherIsBetter(task)) return `${(100 * v).toFixed(1)}%`;
  return Number.isInteger(v) ? String(v) : v.toFixed(4);
}

export function formatSpread(s: Spread, format: (v: number) => string): string {
  return s.n > 1 ? `${format(s.median)} (${format(s.min)}–${format(s.max)})` : format(s.median);
}

export const percent = (v: number): string => `${(100 * v).toFixed(1)}%`;
export const bits = (v: number): string => v.toFixed(3);

export function hours(seconds: number): string {
  return seconds >= 3600 ? `${(seconds / 3600).toFixed(1)} h` : `${(seconds / 60).toFixed(0)} min`;
}
