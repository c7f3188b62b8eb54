/**
 * The language model at the seed's scale (issue #18), tested at tiny sizes (seconds, not 20 minutes):
 * charModel's character limit with a validation at each interval of training characters (every cell and
 * seed scored at the same characters, a seed's run made again bit for bit), its time limit the same way,
 * the runs' curves kept in the trial store and read back unchanged, and the report rebuilt from stored
 * runs of the `lm` preset — the bits per character with their spread over seeds, the wall and CPU time of
 * the runs, and a learning-curve figure against characters with one band per cell.
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

/**
 * A tiny model, trained 70 windows of 17 × 6 = 102 characters and scored every 14: five segments. The
 * epoch (6 streams of 999 characters: the 6,000 but the last, which only is predicted) ends after 59 windows,
 * the last of 13 × 6 characters.
 */
const TINY_CHARS: ApplicationSettings['lm'] = {
  trainChars: 6_000,
  validationChars: 1_001,
  layers: 2,
  units: 13,
  embeddingDim: 7,
  epochs: null,
  charLimit: 70 * 102,
  validateEveryChars: 14 * 102,
  seqLen: 17,
  batch: 6,
  learningRate: 0.01,
  sampleLength: 0,
};
const EPOCH_CHARS = 6 * 999;
/**
 * Where each run is scored: at the first window reaching each multiple of 1,428 characters, at the
 * epoch's end, and at the window reaching the limit of 7,140 (12 windows into the second epoch).
 */
const SCORED_AT = [1428, 2856, 4284, 5712, EPOCH_CHARS, EPOCH_CHARS + 12 * 102];

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

/** A result without what differs from run to run (the times). */
function withoutTimes(r: CharModelResult) {
  const { seconds: _s, cpuSeconds: _c, curve, ...rest } = r;
  return { ...rest, curve: curve!.map(({ seconds: _ps, cpuSeconds: _pc, ...p }) => p) };
}

describe('charModel with a character limit', () => {
  it('refuses a limit or interval that is not a positive whole number, an interval without its limit, and two intervals', async () => {
    for (const [options, message] of [
      [
        { charLimit: 1.5 },
        /charLimit must be a positive whole number of characters or null — expected e\.g\. 2048000, got 1\.5/,
      ],
      [{ charLimit: 0 }, /charLimit must be a positive whole number .* got 0/],
      [{ charLimit: -1 }, /charLimit must be a positive whole number .* got -1/],
      [{ charLimit: NaN }, /charLimit must be a positive whole number .* got NaN/],
      [{ charLimit: Infinity }, /charLimit must be a positive whole number .* got Infinity/],
      [{ validateEveryChars: 0.5 }, /validateEveryChars must be a positive whole number .* got 0\.5/],
      [
        { charLimit: null, epochs: 2 },
        /charModel validateEveryChars: is an interval within the character limit — expected a charLimit, got none/,
      ],
      [
        { validateEverySeconds: 60, timeLimitSeconds: 600 },
        /the run is scored at the multiples of one interval — expected validateEveryChars or validateEverySeconds, got both/,
      ],
    ] as const) {
      await assert.rejects(charModel({ ...TINY_CHARS, ...options, verbose: false }), (e: Error) => {
        assert.ok(e instanceof ConfigError, e.message);
        assert.match(e.message, message);
        return true;
      });
    }
  });
});

describe('charModel with a time limit', () => {
  it('segmentEnds: each interval, then the limit', () => {
    assert.deepEqual(segmentEnds(120, 50), [50, 100, 120]);
    assert.deepEqual(segmentEnds(1200, 120), [120, 240, 360, 480, 600, 720, 840, 960, 1080, 1200]);
    assert.deepEqual(segmentEnds(10, 30), [10]);
  });

  it('stops at the limit with a final validation, scored at each interval of training time on the way', async () => {
    const r = await charModel({
      ...TINY,
      // An epoch far longer than the run (about 30 s of training here), so that no epoch's end falls in
      // it: every score is a segment's, at 0.8 s and at the limit. With TINY's epochs of 0.4 s one could
      // land on a segment's end and stand for it, or come just past it, depending on the load.
      trainChars: 400_000,
      cell: 'novolstm',
      matchParameters: true,
      seed: 3,
      verbose: false,
      workers: 2,
    });
    const curve = r.curve!;
    assert.equal(curve.length, r.validationBpc.length);
    // Each segment (to 0.8 s, then to 1.6 s of training) ends with a score at or past its end, part-way
    // through the first epoch. How far past depends on the machine's load (a step), so only the order is
    // checked, not a margin in seconds.
    assert.equal(curve.length, 2, JSON.stringify(curve));
    assert.ok(
      curve.every((p) => p.epoch > 0 && p.epoch < 1),
      JSON.stringify(curve),
    );
    assert.ok(curve[0].seconds >= 0.8, JSON.stringify(curve));
    assert.ok(curve[1].seconds >= 1.6, JSON.stringify(curve));
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
        assert.match(
          e.message,
          /the run would never end — expected epochs, charLimit or timeLimitSeconds, got none of them/,
        );
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
  it('runs with a character limit, one at a time on two workers: every cell and seed scored at the same characters, stored and read back unchanged, a seed made again bit for bit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'novolstm-lm-store-'));
    const settings: ApplicationSettings = {
      ...reportPreset('lm').applications,
      cells: ['lstm', 'gru'],
      lmSeeds: [1, 2],
      lm: { ...TINY_CHARS, workers: 2 },
    };
    const store = new ApplicationStore(dir, 'abc1234', { warn: () => {} });
    const log: string[] = [];
    const ran = await runApplications(settings, { deadline: null, log: (l) => log.push(l), store });
    assert.equal(store.added, 4);
    assert.deepEqual(ran.failed, []);
    assert.deepEqual(ran.sotu, [], 'the lm preset runs no classifier');
    for (const { result } of ran.lm) {
      const curve = result.curve!;
      assert.deepEqual(
        curve.map((p) => p.chars),
        SCORED_AT,
        `${result.cell}: ${JSON.stringify(curve)}`,
      );
      assert.deepEqual(
        curve.map((p) => p.epoch),
        [14, 28, 42, 56, 59, 59 + 12].map((w) => w / 59),
      );
      assert.equal(result.trainedChars, SCORED_AT.at(-1));
      // The times by each point: training seconds and the run's CPU seconds, growing.
      for (let i = 1; i < curve.length; i++) {
        assert.ok(curve[i].seconds > curve[i - 1].seconds);
        assert.ok(curve[i].cpuSeconds! > curve[i - 1].cpuSeconds!);
      }
      assert.ok(result.cpuSeconds! >= curve.at(-1)!.cpuSeconds! && result.seconds > curve.at(-1)!.seconds);
    }
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
    // The same seed again: the same scores, weights' sample and characters, only the times differ.
    const lstm1 = ran.lm.find((r) => r.seed === 1 && r.result.cell === 'lstm')!.result;
    const remade = await charModel({
      ...settings.lm,
      cell: 'lstm',
      matchParameters: true,
      seed: 1,
      verbose: false,
    });
    assert.deepEqual(withoutTimes(remade), withoutTimes(lstm1));
    // The figure's points: one series per cell, at each segment's end (in millions of characters), the band
    // around the median.
    const byCell = new Map(
      ['lstm', 'gru'].map((c) => [c, read.lm.filter((r) => r.result.cell === c).map((r) => r.result)]),
    );
    const { points, xTitle } = languageModelCurve(byCell, settings.lm);
    assert.equal(xTitle, 'million characters trained');
    const ends = [1428, 2856, 4284, 5712, 7140];
    assert.deepEqual(
      points.map((p) => [p.series, p.x]),
      ['lstm', 'gru'].flatMap((cell) => ends.map((end) => [cell, end / 1e6])),
    );
    for (const p of points) {
      const values = byCell
        .get(p.series)!
        .map((r) => r.curve!.find((c) => c.chars >= p.x * 1e6)!.validationBpc);
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
      [lm.layers, lm.units, lm.workers, reportPreset('lm').applications.lmSeeds],
      [2, 256, 2, [1, 2, 3]],
    );
    // A budget in whole windows, scored every tenth of it, and no time limit (a seed reproduces its run).
    const window = lm.seqLen! * lm.batch!;
    assert.deepEqual([lm.charLimit! / window, lm.validateEveryChars! / window], [8000, 800]);
    assert.equal(lm.timeLimitSeconds, undefined);
    assert.equal(lm.validateEverySeconds, undefined);
    // The committed medium runs (docs/results/trials) keep their spec: medium's settings did not change.
    const committed = new ApplicationStore('docs/results/trials', 'abc1234', { warn: () => {} });
    assert.ok(committed.get('lm', reportPreset('medium').applications, 1, 'lstm')?.result);
  });

  it('a rebuild of the lm preset: bits per character with the spread over seeds, one shaded band per cell', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'novolstm-lm-store-'));
    const out = mkdtempSync(join(tmpdir(), 'novolstm-lm-report-'));
    const settings = reportPreset('lm').applications;
    const store = new ApplicationStore(dir, 'abc1234', { warn: () => {} });
    const ends = segmentEnds(settings.lm.charLimit!, settings.lm.validateEveryChars!);
    assert.equal(ends.length, 10);
    // Made-up runs: final bits per character per cell and seed; the curve falls to it over the characters.
    const finals = { lstm: [1.91, 1.95, 1.93], novolstm: [1.81, 1.84, 1.8], gru: [1.7, 1.72, 1.75] };
    for (const [cell, values] of Object.entries(finals)) {
      values.forEach((final, i) => {
        const curve = ends.map((end, k) => ({
          epoch: end / 1_099_999,
          chars: end,
          seconds: (k + 1) * 130 + i,
          cpuSeconds: (k + 1) * 250 + i,
          trainBpc: final + 0.1 + 1 / (k + 1),
          validationBpc: final + 1 / (k + 1) - 0.1,
        }));
        const result: CharModelResult = {
          cell: cell as 'lstm',
          units: 256,
          parameters: 777_777,
          validationChars: 50_000,
          trainedChars: curve.at(-1)!.chars,
          trainBpc: curve.map((p) => p.trainBpc),
          validationBpc: curve.map((p) => p.validationBpc),
          curve,
          unigramBpc: 4.4,
          sample: '',
          seconds: 1330 + 10 * i,
          cpuSeconds: 2600 + 20 * i,
        };
        store.put('lm', settings, i + 1, cell, { result, failure: null });
      });
    }
    const report = await runReport(rebuildConfig('lm', dir, out, { applications: true }), () => {});
    const md = report.markdown;
    assert.match(md, /\*\*Missing trials: 0\.\*\*/);
    // What the runs took, added up: 3 cells × (1330 + 1340 + 1350) s.
    assert.ok(
      md.includes(
        `Its cost, from the store: **${(12_060 / 3600).toFixed(1)} h** of wall time added up over the stored trials and runs (the language model's runs ${(12_060 / 3600).toFixed(1)} h), each`,
      ),
      'the stored cost',
    );
    assert.match(
      md,
      /16,384,000 characters of training per run \(8,000 windows\) on 2 data-parallel workers, one run at a time \(the same characters for every cell, ending at the same window on any machine and under any load.*\), scored every 1,638,400 characters of training;/,
    );
    assert.doesNotMatch(md, /the same training time for every cell/);
    const section = md.split('\n## Seed 004: character language model (bits per character)')[1];
    assert.ok(section, 'the language-model section');
    const row = (cell: string) => section.split('\n').find((l) => l.startsWith(`| ${cell} |`))!;
    assert.match(
      row('lstm'),
      /^\| lstm \| 256 \| 777,777 \| 1\.930 \(1\.910–1\.950\) \| 2\.130 \| 16,384,000 \| 1340\.0 s \(1330\.0–1350\.0\) \| 2620\.0 s \(2600\.0–2640\.0\) \|$/,
    );
    assert.match(row('novolstm'), /\| 1\.810 \(1\.800–1\.840\) \|/);
    assert.match(row('gru'), /\| 1\.720 \(1\.700–1\.750\) \|/);
    assert.match(
      md,
      /- language model: GRU: lower held-out bits per character than the LSTM on every seed \(median 1\.720 vs 1\.930; the ranges over 3 seeds do not overlap\)\./,
    );
    assert.match(
      md,
      /!\[language model: held-out bits per character against characters trained: median over seeds, shaded from the lowest to the highest seed\]\(figures\/language-model\.svg\)/,
    );
    const svg = readFileSync(join(out, 'figures', 'language-model.svg'), 'utf8');
    assert.match(svg, /million characters trained/);
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
      /aria-label="million characters trained: 1\.6384; low: 2\.81; high: 2\.85; series: lstm"/,
      'the band of the first point: 1.91 + 1 − 0.1 to 1.95 + 1 − 0.1, at 1,638,400 characters',
    );
  });
});
