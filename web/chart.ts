/**
 * The live learning curve: bits per character against training characters seen, one line for training
 * (a moving average over recent windows) and one for validation. Drawn by Vega-Lite into SVG; new points
 * are inserted into the running view rather than redrawing from scratch.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

export interface CurvePoint {
  readonly chars: number;
  readonly bpc: number;
  readonly series: 'training' | 'validation';
}

const DATASET = 'points';

export class LearningCurve {
  private readonly view: vega.View;
  private pending: CurvePoint[] = [];
  private scheduled = false;
  /** Vega evaluates one change at a time: every change waits for the previous one to be drawn. */
  private drawn: Promise<unknown> = Promise.resolve();

  constructor(container: HTMLElement) {
    const spec = {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      width: 560,
      height: 240,
      // Re-measured on every update: the axis labels and titles only take their room once data arrives.
      autosize: { type: 'pad', resize: true },
      data: { name: DATASET },
      mark: { type: 'line', interpolate: 'monotone' },
      encoding: {
        x: { field: 'chars', type: 'quantitative', title: 'training characters seen' },
        y: { field: 'bpc', type: 'quantitative', title: 'bits per character', scale: { zero: false } },
        color: {
          field: 'series',
          type: 'nominal',
          title: null,
          scale: { domain: ['training', 'validation'], range: ['#4c78a8', '#e45756'] },
        },
      },
    } as TopLevelSpec;
    this.view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'svg', container, hover: false });
    this.apply(() => undefined);
  }

  private apply(change: (view: vega.View) => void): void {
    this.drawn = this.drawn
      .then(() => {
        change(this.view);
        return this.view.runAsync();
      })
      .catch((error: Error) => console.error(`learning curve: ${error.message}`));
  }

  /** Points are drawn at most once per animation frame, however fast they arrive. */
  add(point: CurvePoint): void {
    this.pending.push(point);
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => {
      const points = this.pending;
      this.pending = [];
      this.scheduled = false;
      this.apply((view) => view.insert(DATASET, points));
    });
  }

  clear(): void {
    this.pending = [];
    this.apply((view) => view.remove(DATASET, () => true));
  }
}
