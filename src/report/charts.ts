/**
 * Charts as standalone SVG files, drawn by Vega-Lite (rendered headless by Vega: no browser, no canvas,
 * nothing fetched — the data is inline).
 *
 * Vega and Vega-Lite are optional peers, imported when the first chart is drawn: they take about 0.4 s to
 * load and 12 MB to install, which a program that never draws should not pay.
 */
import type * as Vega from 'vega';
import type * as VegaLite from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import { importPeer } from '../peers.js';

const FEATURE = 'lineChartSvg (charts)';

export interface CurvePoint {
  /** The x value: epoch, step, or training sequences seen. */
  readonly x: number;
  /** Which line this point belongs to, e.g. 'training' or 'validation', or a cell name. */
  readonly series: string;
  /** The y value (e.g. bits per character), or the median over seeds when low/high are given. */
  readonly y: number;
  /** Optional spread (e.g. the lowest and highest over seeds), drawn as a shaded band. */
  readonly low?: number;
  readonly high?: number;
}

export interface ChartOptions {
  readonly title: string;
  readonly xTitle: string;
  readonly yTitle: string;
  readonly width?: number;
  readonly height?: number;
}

/** One line per series, with a shaded band where points carry low/high. */
export async function lineChartSvg(points: readonly CurvePoint[], options: ChartOptions): Promise<string> {
  const finite = points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  const x = { field: 'x', type: 'quantitative', title: options.xTitle } as const;
  const color = { field: 'series', type: 'nominal', title: null } as const;
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: options.title,
    width: options.width ?? 560,
    height: options.height ?? 300,
    data: { values: finite.map((p) => ({ ...p })) },
    layer: [
      ...(finite.some((p) => p.low !== undefined && p.high !== undefined)
        ? [
            {
              mark: { type: 'area', opacity: 0.2 },
              transform: [{ filter: 'isValid(datum.low) && isValid(datum.high)' }],
              encoding: {
                x,
                y: { field: 'low', type: 'quantitative' },
                y2: { field: 'high' },
                color,
              },
            },
          ]
        : []),
      {
        mark: { type: 'line', point: finite.length <= 60 },
        encoding: {
          x,
          y: { field: 'y', type: 'quantitative', title: options.yTitle, scale: { zero: false } },
          color,
        },
      },
    ],
  } as TopLevelSpec;
  const vega = await importPeer<typeof Vega>('vega', FEATURE);
  const { compile } = await importPeer<typeof VegaLite>('vega-lite', FEATURE);
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
