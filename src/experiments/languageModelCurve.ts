/**
 * The language model's learning curve per cell, over its seeds: the median held-out bits per character
 * at each point where every run was scored, with the band from the lowest to the highest seed.
 *
 * A run with a character limit (the seed's scale) is scored at each `validateEveryChars` of training and
 * at the limit (charModel.ts); its curve also holds the epochs' ends that fell in between. The points put
 * side by side are those of the segments' ends: for each end, the first score taken at or after it (the
 * segment stops at the first window reaching its end, and scores there). Every cell and seed reads the
 * same windows of the same text, so these are the same characters in every run. A time-limited run is
 * put side by side the same way at each `validateEverySeconds` (its scores then fall at characters that
 * differ from run to run). An epoch-bounded run is scored at each epoch's end, the same points for every
 * seed.
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

const BAND = 'median over seeds, shaded from the lowest to the highest seed';

/** One series per cell (`runs`: every seed's result of each cell). */
export function languageModelCurve(
  runsByCell: ReadonlyMap<string, readonly CharModelResult[]>,
  settings: Pick<
    CharModelOptions,
    'charLimit' | 'validateEveryChars' | 'timeLimitSeconds' | 'validateEverySeconds'
  >,
): LanguageModelCurve {
  const { charLimit = null, validateEveryChars = null } = settings;
  const { timeLimitSeconds = null, validateEverySeconds = null } = settings;
  const runs = [...runsByCell.values()].flat();
  const curved = runs.every((r) => r.curve !== undefined);
  // Each segment end's score: the first point of each run at or past it.
  const atSegmentEnds = (
    ends: readonly number[],
    reached: (p: NonNullable<CharModelResult['curve']>[number], end: number) => boolean,
    x: (end: number) => number,
  ): ChartPoint[] =>
    [...runsByCell].flatMap(([cell, cellRuns]) =>
      ends.flatMap((end) => {
        const values = cellRuns.flatMap((r) => {
          const at = r.curve!.find((p) => reached(p, end));
          return at ? [at.validationBpc] : [];
        });
        if (values.length === 0) return [];
        const s = spread(values);
        return [{ x: x(end), series: cell, y: s.median, low: s.min, high: s.max }];
      }),
    );

  if (curved && charLimit != null && validateEveryChars != null) {
    return {
      points: atSegmentEnds(
        segmentEnds(charLimit, validateEveryChars),
        (p, end) => p.chars >= end,
        (end) => end / 1e6,
      ),
      xTitle: 'million characters trained',
      caption: `held-out bits per character against characters trained: ${BAND}`,
    };
  }
  if (curved && timeLimitSeconds != null && validateEverySeconds != null) {
    return {
      points: atSegmentEnds(
        segmentEnds(timeLimitSeconds, validateEverySeconds),
        (p, end) => p.seconds >= end,
        (end) => end / 60,
      ),
      xTitle: 'minutes of training',
      caption: `held-out bits per character against minutes of training: ${BAND}`,
    };
  }
  const points: ChartPoint[] = [];
  for (const [cell, cellRuns] of runsByCell) {
    const epochs = Math.max(...cellRuns.map((r) => r.validationBpc.length));
    for (let e = 0; e < epochs; e++) {
      const values = cellRuns.flatMap((r) => (e < r.validationBpc.length ? [r.validationBpc[e]] : []));
      const s = spread(values);
      points.push({ x: e + 1, series: cell, y: s.median, low: s.min, high: s.max });
    }
  }
  return { points, xTitle: 'epoch', caption: `held-out bits per character after each epoch: ${BAND}` };
}
