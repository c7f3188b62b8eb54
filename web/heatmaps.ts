/**
 * NovoLSTM's gates over a sample of text, as heatmaps: time (one column per character) across, units down,
 * one chart per map of lm/gates.ts (input gate, its sigmoid-LayerNorm and softmax branches, forget and
 * output gates, cell state; the GRU's own gates). Drawn by Vega-Lite on a canvas: thousands of cells.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { LayerGates } from '../src/index.js';

/** Shown in place of characters that would be invisible as axis labels. */
function visible(c: string): string {
  return c === ' ' ? '␣' : c === '\n' ? '⏎' : c === '\t' ? '⇥' : c;
}

let current: vega.View | null = null;

export async function drawGates(
  container: HTMLElement,
  chars: readonly string[],
  layer: LayerGates,
): Promise<void> {
  const T = chars.length;
  const u = layer.units;
  const cell = Math.max(2, Math.min(12, Math.floor(660 / T)));
  const charts = layer.maps.map((map) => {
    const values: { t: string; unit: number; value: number }[] = [];
    for (let t = 0; t < T; t++) {
      // The step number keeps columns apart and in order; the label shows only the character.
      const key = `${String(t).padStart(5, '0')}|${visible(chars[t])}`;
      for (let j = 0; j < u; j++) values.push({ t: key, unit: j, value: map.values[t * u + j] });
    }
    const diverging = map.name === 'cellState' || map.name === 'sigmoidBranch' || map.name === 'hiddenState';
    return {
      title: { text: map.title, anchor: 'start', fontSize: 12 },
      data: { values },
      mark: 'rect',
      width: { step: cell },
      height: { step: Math.max(2, Math.min(8, Math.floor(240 / u))) },
      encoding: {
        x: {
          field: 't',
          type: 'ordinal',
          title: null,
          axis: { labelExpr: "split(datum.value, '|')[1]", labelAngle: 0, labelFontSize: 10, ticks: false },
        },
        y: { field: 'unit', type: 'ordinal', title: 'unit', axis: { labels: u <= 16, ticks: false } },
        color: {
          field: 'value',
          type: 'quantitative',
          title: null,
          scale: diverging ? { scheme: 'redblue', domainMid: 0, reverse: true } : { scheme: 'viridis' },
          legend: { gradientLength: 90 },
        },
      },
    };
  });
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    vconcat: charts,
    resolve: { scale: { color: 'independent' } },
  } as TopLevelSpec;
  current?.finalize();
  container.replaceChildren();
  current = new vega.View(vega.parse(compile(spec).spec), { renderer: 'canvas', container, hover: false });
  await current.runAsync();
}
