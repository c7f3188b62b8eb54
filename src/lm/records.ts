/**
 * The language model trainer's records in its model directory: metrics.csv (one row per epoch, and one
 * for a partial epoch cut short by the time limit), steps.csv (a training point every few windows,
 * curve.ts) and learning-curve.svg, rewritten whole each time. metrics.csv keeps its columns and rows as
 * before the step points existed; they have a file of their own.
 */
// Namespace import: this module is reachable from the package entry (nl.lm), which browsers load too;
// bundlers stub node: modules there, and only a named import fails at load time.
import * as path from 'node:path';
import { writeFileAtomic } from '../io/atomicFile.js';
import { MissingPackageError } from '../peers.js';
import { lineChartSvg, type CurvePoint } from '../report/charts.js';
import type { StepRecord } from './curve.js';

/** The missing-Vega warning is given once per process, not once per epoch. */
let chartSkipNoted = false;

export interface EpochRecord {
  readonly epoch: number;
  readonly chars: number;
  readonly trainBpc: number;
  readonly validationBpc: number;
  readonly seconds: number;
}

/** metrics.csv, steps.csv and learning-curve.svg from the epoch records and the step points. */
export async function writeRecords(
  dir: string,
  history: readonly EpochRecord[],
  steps: readonly StepRecord[] = [],
): Promise<void> {
  const csv = [
    'epoch,chars,train_bpc,validation_bpc,seconds',
    ...history.map((r) =>
      [
        Number(r.epoch.toFixed(4)),
        r.chars,
        r.trainBpc.toFixed(5),
        r.validationBpc.toFixed(5),
        r.seconds.toFixed(1),
      ].join(','),
    ),
  ].join('\n');
  await writeFileAtomic(path.join(dir, 'metrics.csv'), `${csv}\n`);
  const stepsCsv = [
    'epoch,chars,train_bpc',
    ...steps.map((r) => [Number(r.epoch.toFixed(4)), r.chars, r.trainBpc.toFixed(5)].join(',')),
  ].join('\n');
  await writeFileAtomic(path.join(dir, 'steps.csv'), `${stepsCsv}\n`);
  const points = learningCurvePoints(history, steps);
  if (points.length === 0) return;
  let svg: string;
  try {
    svg = await lineChartSvg(points, {
      title: 'Learning curve',
      xTitle: 'epoch',
      yTitle: 'bits per character',
    });
  } catch (error) {
    // Charts need Vega, an optional peer: without it training goes on, metrics.csv and steps.csv hold the curve.
    if (!(error instanceof MissingPackageError)) throw error;
    if (!chartSkipNoted) process.emitWarning(`${error.message}; learning-curve.svg is not drawn`);
    chartSkipNoted = true;
    return;
  }
  await writeFileAtomic(path.join(dir, 'learning-curve.svg'), svg);
}

/**
 * The chart's points: training from the step points (from the epoch means while there are none yet, e.g.
 * a run shorter than one point), validation from the epochs.
 */
export function learningCurvePoints(
  history: readonly EpochRecord[],
  steps: readonly StepRecord[],
): CurvePoint[] {
  const training = steps.length > 0 ? steps : history;
  return [
    ...training.map((r) => ({ x: r.epoch, series: 'training', y: r.trainBpc })),
    ...history.map((r) => ({ x: r.epoch, series: 'validation', y: r.validationBpc })),
  ];
}
