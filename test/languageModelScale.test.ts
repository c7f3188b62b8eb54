/**
 * The language model at the seed's scale (issue #18), tested at tiny sizes (seconds, not 20 minutes):
 * charModel's time limit with a validation at each interval of training, the runs' curves kept in the
 * trial store and read back unchanged, and the report rebuilt from stored runs of the `lm` preset — the
 * bits per character with their spread over seeds, and a learning-curve figure with one band per cell.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { charModel, segmentEnds, type CharModelResult } from '../src/applications/charModel.js';
import { ConfigError } from '../src/errors.js';
import { ApplicationStore, applicationSpecHash } from '../src/experiments/applicationStore.js';
import { runApplications, type ApplicationSettings } from '../src/experiments/applications.js';
import { languageModelCurve } from '../src/experiments/languageModelCurve.js';
import { reportPreset } from '../src/experiments/presets.js';
import { runReport } from '../src/experiments/runReport.js';
import { rebuildConfig } from './reportRebuild.js';

/** A tiny model, trained 1.6 s per run and scored every 0.8 s: two segments. */
const TINY: ApplicationSettings['lm'] = {
  trainChars: 6_000,
  validationChars: 1_001,
  layers: 2,
  units: 13,
  embeddingDim: 7,
  epochs: null,
  timeLimitSeconds: 1.6,
  validateEverySeconds: 0.8,
  seqLen: 17,
  batch: 6,
  learningRate: 0.01,
  sampleLength: 0,
};

describe('charModel with a time limit', () => {
  it('segmentEnds: each interval, then the limit', () => {
    assert.deepEqual(segmentEnds(120, 50), [50, 100, 120]);
    assert.deepEqual(segmentEnds(1200, 120), [120, 240, 360, 480, 600, 720, 840, 960, 1080, 1200]);
    assert.deepEqual(segmentEnds(10, 30), [10]);
  });

  it('stops at the limit with a final validation, scored at each interval of training time on the way', async () => {
    const r = await charModel({
      ...TINY,
      cell: 'novolstm',
      matchParameters: true,
      seed: 3,
      verbose: false,
      workers: 2,
    });
    const curve = r.curve!;
    assert.equal(curve.length, r.validationBpc.length);
    // Each segment (to 0.8 s, then to 1.6 s of training) ends with a score at or past its end: a record
    // part-way through an epoch (an epoch's end adds a record at a whole epoch). How far past depends on
    // the machine's load (a step, and the time counted around an epoch's validation), so only the order is
    // checked, not a margin in seconds.
    const segmentScores = curve.filter((p) => !Number.isInteger(p.epoch));
    assert.equal(segmentScores.length, 2, JSON.stringify(curve));
    assert.ok(segmentScores[0].seconds >= 0.8, JSON.stringify(curve));
    assert.ok(segmentScores[1].seconds >= 1.6, JSON.stringify(curve));
    assert.ok(curve.at(-1)!.seconds >= 1.6);
    assert.equal(r.validationBpc.at(-1), curve.at(-1)!.validationBpc);
    assert.equal(r.trainedChars, curve.at(-1)!.chars);
    for (let i = 1; i < curve.length; i++) {
      assert.ok(curve[i].chars > curve[i - 1].chars, 'training went on between the points');
      assert.ok(curve[i].seconds > curve[i - 1].seconds);
    }
    assert.ok(curve.every((p) => Number.isFinite(p.validationBpc) && p.validationBpc > 0));
    assert.ok(r.validationBpc.at(-1)! < Math.log2(60), 'better than a uniform guess over the characters');
  });

  it('refuses a run that would never end, and an interval without a limit', async () => {
    await assert.rejects(
      charModel({ ...TINY, timeLimitSeconds: null, validateEverySeconds: null }),
      (e: Error) => {
        assert.ok(e instanceof ConfigError);
        assert.match(e.message, /the run would never end — expected epochs or timeLimitSeconds, got neither/);
        return true;
      },
    );
    await assert.rejects(charModel({ ...TINY, epochs: 3, timeLimitSeconds: null }), ConfigError);
    await assert.rejects(
      charModel({ ...TINY, validateEverySeconds: -1 }),
      /validateEverySeconds must be a positive number/,
    );
  });
});

describe('the language model runs in the trial store, and the report rebuilt from them', () => {
  it('time-limited runs, one at a time on two workers, stored with their curves and read back unchanged', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'novolstm-lm-store-'));
    const settings: ApplicationSettings = {
      ...reportPreset('lm').applications,
      cells: ['lstm', 'gru'],
      lmSeeds: [1, 2],
      lm: { ...TINY, workers: 2 },
    };
    const store = new ApplicationStore(dir, 'abc1234', { warn: () => {} });
    const log: string[] = [];
    const ran = await runApplications(settings, { deadline: null, log: (l) => log.push(l), store });
    assert.equal(store.added, 4);
    assert.deepEqual(ran.failed, []);
    assert.deepEqual(ran.sotu, [], 'the lm preset runs no classifier');
    const again = new ApplicationStore(dir, 'def5678', { warn: (w) => assert.fail(w) });
    const read = await runApplications(settings, {
      deadline: null,
      log: () => {},
      store: again,
      train: false,
    });
    assert.deepEqual(read.missing, []);
    assert.deepEqual(
      read.lm.map((r) => r.result),
      ran.lm.map((r) => JSON.parse(JSON.stringify(r.result)) as CharModelResult),
    );
    // The figure's points: one series per cell, at each segment's end (in minutes), the band around the median.
    const byCell = new Map(
      ['lstm', 'gru'].map((c) => [c, read.lm.filter((r) => r.result.cell === c).map((r) => r.result)]),
    );
    const { points, xTitle } = languageModelCurve(byCell, settings.lm);
    assert.equal(xTitle, 'minutes of training');
    assert.deepEqual(
      points.map((p) => [p.series, p.x]),
      [
        ['lstm', 0.8 / 60],
        ['lstm', 1.6 / 60],
        ['gru', 0.8 / 60],
        ['gru', 1.6 / 60],
      ],
    );
    for (const p of points) {
      const values = byCell
        .get(p.series)!
        .map((r) => r.curve!.find((c) => c.seconds >= p.x * 60)!.validationBpc);
      assert.equal(p.low, Math.min(...values));
      assert.equal(p.high, Math.max(...values));
      assert.equal(p.y, (values[0] + values[1]) / 2, 'the median of two seeds');
    }
  });

  it('the lm preset is the full preset’s language model, and leaves the medium one’s stored runs found', () => {
    assert.equal(
      applicationSpecHash('lm', reportPreset('lm').applications),
      applicationSpecHash('lm', reportPreset('full').applications),
    );
    const lm = reportPreset('lm').applications.lm;
    assert.deepEqual(
      [lm.layers, lm.units, lm.timeLimitSeconds, lm.workers, reportPreset('lm').applications.lmSeeds],
      [2, 256, 1200, 2, [1, 2, 3]],
    );
    // The committed medium runs (docs/results/trials) keep their spec: medium's settings did not change.
    const committed = new ApplicationStore('docs/results/trials', 'abc1234', { warn: () => {} });
    assert.ok(committed.get('lm', reportPreset('medium').applications, 1, 'lstm')?.result);
  });

  it('a rebuild of the lm preset: bits per character with the spread over seeds, one shaded band per cell', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'novolstm-lm-store-'));
    const out = mkdtempSync(join(tmpdir(), 'novolstm-lm-report-'));
    const settings = reportPreset('lm').applications;
    const store = new ApplicationStore(dir, 'abc1234', { warn: () => {} });
    const ends = segmentEnds(settings.lm.timeLimitSeconds!, settings.lm.validateEverySeconds!);
    // Made-up runs: final bits per character per cell and seed; the curve falls to it over the 20 minutes.
    const finals = { lstm: [1.91, 1.95, 1.93], novolstm: [1.81, 1.84, 1.8], gru: [1.7, 1.72, 1.75] };
    for (const [cell, values] of Object.entries(finals)) {
      values.forEach((final, i) => {
        const curve = ends.map((end, k) => ({
          epoch: (k + 1) / 5,
          chars: (k + 1) * 111_111,
          seconds: end + 0.3,
          trainBpc: final + 0.1 + 1 / (k + 1),
          validationBpc: final + 1 / (k + 1) - 0.1,
        }));
        const result: CharModelResult = {
          cell: cell as 'lstm',
          units: 256,
          parameters: 777_777,
          validationChars: 50_000,
          trainedChars: curve.at(-1)!.chars + i,
          trainBpc: curve.map((p) => p.trainBpc),
          validationBpc: curve.map((p) => p.validationBpc),
          curve,
          unigramBpc: 4.4,
          sample: '',
          seconds: 1330,
        };
        store.put('lm', settings, i + 1, cell, { result, failure: null });
      });
    }
    const report = await runReport(rebuildConfig('lm', dir, out, { applications: true }), () => {});
    const md = report.markdown;
    assert.match(md, /\*\*Missing trials: 0\.\*\*/);
    assert.match(
      md,
      /20 minutes of training per run on 2 data-parallel workers, one run at a time .*, scored every 2 minutes of training;/,
    );
    const section = md.split('\n## Seed 004: character language model (bits per character)')[1];
    assert.ok(section, 'the language-model section');
    const row = (cell: string) => section.split('\n').find((l) => l.startsWith(`| ${cell} |`))!;
    assert.match(
      row('lstm'),
      /^\| lstm \| 256 \| 777,777 \| 1\.930 \(1\.910–1\.950\) \| 2\.130 \| 1,111,111 \(1,111,110–1,111,112\) \| 1330\.0 s \|$/,
    );
    assert.match(row('novolstm'), /\| 1\.810 \(1\.800–1\.840\) \|/);
    assert.match(row('gru'), /\| 1\.720 \(1\.700–1\.750\) \|/);
    assert.match(
      md,
      /- language model: GRU: lower held-out bits per character than the LSTM on every seed \(median 1\.720 vs 1\.930; the ranges over 3 seeds do not overlap\)\./,
    );
    assert.match(
      md,
      /!\[language model: held-out bits per character against minutes of training: median over seeds, shaded from the lowest to the highest seed\]\(figures\/language-model\.svg\)/,
    );
    const svg = readFileSync(join(out, 'figures', 'language-model.svg'), 'utf8');
    assert.match(svg, /minutes of training/);
    // One shaded area (min–max over the seeds) per cell, and one line per cell.
    const marks = (kind: string) =>
      [
        ...svg.matchAll(
          new RegExp(
            `aria-label="[^"]*series: (\\w+)" role="graphics-symbol" aria-roledescription="${kind} mark"`,
            'g',
          ),
        ),
      ].map((m) => m[1]);
    assert.deepEqual(marks('area'), ['lstm', 'novolstm', 'gru']);
    assert.deepEqual(marks('line'), ['lstm', 'novolstm', 'gru']);
    assert.match(
      svg,
      /aria-label="minutes of training: 2; low: 2\.81; high: 2\.85; series: lstm"/,
      'the band of the first point: 1.91 + 1 − 0.1 to 1.95 + 1 − 0.1, at 2 minutes',
    );
  });
});
