/**
 * The numbers the report stands on: the median and spread of a measurement over seeds, and each cell's
 * learning curve as the median over seeds at every evaluation point.
 */
import type { CurvePoint as ChartPoint } from '../report/charts.js';
import { quantile, type CellSummary } from './grid.js';

/** Per cell: the median test metric over seeds at each evaluation point, with the min–max spread. */
export function curvePoints(summary: CellSummary): ChartPoint[] {
  const xs = [...new Set(summary.trials.flatMap((t) => t.curve.map((p) => p.sequences)))].sort(
    (a, b) => a - b,
  );
  return xs.map((x) => {
    // A trial that stopped (solved or out of budget) keeps its last value.
    const values = summary.trials.map((t) => {
      const upTo = t.curve.filter((p) => p.sequences <= x);
      return upTo.length > 0 ? upTo[upTo.length - 1].metric : NaN;
    });
    const known = values.filter(Number.isFinite);
    return {
      x,
      series: summary.cell,
      y: quantile(known, 0.5),
      low: Math.min(...known),
      high: Math.max(...known),
    };
  });
}

/** Median, lowest and highest of a list of measurements (over seeds). */
export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly n: number;
}

export function spread(values: readonly number[]): Spread {
  return {
    median: quantile(values, 0.5),
    min: Math.min(...values),
    max: Math.max(...values),
    n: values.length,
  };
}
