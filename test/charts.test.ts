/**
 * Charts render to SVG headless, with the lines, the band and the titles asked for.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { lineChartSvg } from '../src/report/charts.js';

it('a learning curve: two series, a band, axis titles; non-finite points dropped', async () => {
  const points = [1, 2, 3, 4, 5].flatMap((epoch) => [
    { x: epoch, series: 'training', y: 3 / epoch },
    { x: epoch, series: 'validation', y: 3.2 / epoch, low: 3 / epoch, high: 3.4 / epoch },
  ]);
  const svg = await lineChartSvg([...points, { x: 6, series: 'training', y: NaN }], {
    title: 'NovoLSTM on Moby-Dick',
    xTitle: 'epoch',
    yTitle: 'bits per character',
  });
  assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  for (const text of ['NovoLSTM on Moby-Dick', 'epoch', 'bits per character', 'training', 'validation']) {
    assert.ok(svg.includes(text), `missing ${text}`);
  }
  assert.equal((svg.match(/class="mark-line/g) ?? []).length, 2, 'a line for each series');
  assert.equal((svg.match(/class="mark-area/g) ?? []).length, 1, 'a band for the series with a spread');
  assert.ok(!svg.includes('NaN'), 'no NaN coordinates');
});
