/**
 * The language model's learning curve per cell, over its seeds: the median held-out bits per character
 * at each point where every run was scored, with the band from the lowest to the highest seed.
 *
 * A time-limited run (the seed's scale) is scored at each `validateEverySeconds` of training and at the
 * limit (charModel.ts); its curve also holds the epochs' ends that fell in between, at times that differ
 * from seed to seed. So the points put side by side are those of the segments' ends: for each end, the
 * first score taken at or after it (the segment stops at the first step past its end, and scores there).
 * An epoch-bounded run is scored at each epoch's end, the same points for every seed.
 */
import { segmentEnds, type CharModelOptions, type CharModelResult } from '../applications/charModel.js';
import type { CurvePoint as ChartPoint } from '../report/charts.js';
import { spread } from './statistics.js';

export interface LanguageModelCurve {
  readonly points: ChartPoint[];
  readonly xTitle: string;
  /** What the band is, for the figure's caption. */
  readonly caption: string;
}

/** One series per cell (`runs`: every seed's result of each cell). */
export function languageModelCurve(
  runsByCell: ReadonlyMap<string, readonly CharModelResult[]>,
  settings: Pick<CharModelOptions, 'timeLimitSeconds' | 'validateEverySeconds'>,
): LanguageModelCurve {
  const { timeLimitSeconds = null, validateEverySeconds = null } = settings;
  const runs = [...runsByCell.values()].flat();
  const timed =
    timeLimitSeconds != null && validateEverySeconds != null && runs.every((r) => r.curve !== undefined);
  const points: ChartPoint[] = [];
  for (const [cell, cellRuns] of runsByCell) {
    if (timed) {
      for (const end of segmentEnds(timeLimitSeconds, validateEverySeconds)) {
        const values = cellRuns.flatMap((r) => {
          const at = r.curve!.find((p) => p.seconds >= end);
          return at ? [at.validationBpc] : [];
        });
        if (values.length === 0) continue;
        const s = spread(values);
        points.push({ x: end / 60, series: cell, y: s.median, low: s.min, high: s.max });
      }
    } else {
      const epochs = Math.max(...cellRuns.map((r) => r.validationBpc.length));
      for (let e = 0; e < epochs; e++) {
        const values = cellRuns.flatMap((r) => (e < r.validationBpc.length ? [r.validationBpc[e]] : []));
        const s = spread(values);
        points.push({ x: e + 1, series: cell, y: s.median, low: s.min, high: s.max });
      }
    }
  }
  return timed
    ? {
        points,
        xTitle: 'minutes of training',
        caption:
          'held-out bits per character against minutes of training: median over seeds, shaded from the lowest to the highest seed',
      }
    : {
        points,
        xTitle: 'epoch',
        caption:
          'held-out bits per character after each epoch: median over seeds, shaded from the lowest to the highest seed',
      };
}
