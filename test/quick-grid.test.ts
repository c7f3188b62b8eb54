/**
 * `npm run report -- --quick`, run as the CLI runs it (the WebAssembly engine, the quick preset): a working
 * LSTM must solve the adding problem (modern form, T = 50) and the embedded Reber grammar on each of 3
 * seeds within the quick budget, and the report must carry the classifiers' and the language model's rows
 * with the numbers those runs measured. If the cells, the layers, the training loop or the report break,
 * this fails.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { enableRelaxedSimdInNode } from '../src/engine/loader.js';
import { useFastKernels, useReferenceKernels } from '../src/layers/backend.js';
import { runReport, type ReportOutput } from '../src/experiments/runReport.js';

/** The report's number formats, so that a row can be checked against the value measured. */
const percent = (v: number): string => `${(100 * v).toFixed(1)}%`;
const bits = (v: number): string => v.toFixed(3);

/** The markdown table row of `cell` in the section whose heading contains `heading`. */
function row(markdown: string, heading: string, cell: string): string {
  const section = markdown.split('\n## ').find((s) => s.split('\n')[0].includes(heading));
  assert.ok(section, `no section '${heading}'`);
  const line = section.split('\n').find((l) => l.startsWith(`| ${cell} |`));
  assert.ok(line, `no row for ${cell} under '${heading}'`);
  return line;
}

describe('npm run report -- --quick', () => {
  const dir = mkdtempSync(join(tmpdir(), 'novolstm-quick-report-'));
  let out: ReportOutput;
  before(async () => {
    await enableRelaxedSimdInNode();
    await useFastKernels();
    out = await runReport(
      {
        preset: 'quick',
        seeds: null,
        cells: null,
        tasks: null,
        applications: true,
        appEpochs: null,
        lmEpochs: null,
        timeLimitSeconds: null,
        estimate: null,
        out: dir,
        command: 'npm run report -- --quick',
      },
      () => {},
    );
  });
  after(() => {
    useReferenceKernels();
    rmSync(dir, { recursive: true });
  });

  for (const name of ['adding-modern-50', 'embedded-reber']) {
    it(`LSTM solves ${name} on 3 of 3 seeds`, () => {
      const summary = out.results.find((r) => r.task.name === name)!.cells.find((c) => c.cell === 'lstm')!;
      const outcomes = summary.trials.map(
        (t) => `seed ${t.seed}: ${t.solved ? t.sequencesToSuccess : `not solved (${t.finalMetric})`}`,
      );
      assert.equal(summary.solved, 3, outcomes.join('; '));
      assert.match(row(out.markdown, name, 'lstm'), /\| 3\/3 \|/);
    });
  }

  it('the classifiers run every application cell, and their rows carry the measured numbers', () => {
    const apps = out.applications!;
    const sotu = apps.sotu[0];
    const spam = apps.spam[0];
    for (const cell of apps.settings.cells) {
      assert.ok(
        row(out.markdown, 'State of the Union', cell).includes(` ${percent(sotu.scores[cell].accuracy)} `),
      );
      const spamRow = row(out.markdown, 'spam or ham', cell);
      assert.ok(spamRow.includes(` ${percent(spam.cells[cell].scores.accuracy)} `), spamRow);
      assert.ok(spamRow.includes(` ${bits(spam.cells[cell].scores.f1)} `), spamRow);
    }
    // Measured at this size (seed 1): LSTM 0.938 against a baseline of 0.625 — a model that learned
    // nothing sits at the baseline.
    assert.ok(
      spam.cells.lstm.scores.accuracy > spam.majorityBaseline + 0.1,
      `spam accuracy ${spam.cells.lstm.scores.accuracy} vs baseline ${spam.majorityBaseline}`,
    );
    // Equal parameters, not equal units: the NovoLSTM gets fewer units than the LSTM.
    assert.ok(sotu.scores.novolstm.units < sotu.scores.lstm.units);
    assert.ok(sotu.scores.novolstm.parameters <= sotu.scores.lstm.parameters);
  });

  it('the language model runs each cell for the declared epochs, and its rows carry the measured bits per character', () => {
    const apps = out.applications!;
    const epochs = apps.settings.lm.epochs!;
    for (const cell of apps.settings.cells) {
      const run = apps.lm.find((r) => r.result.cell === cell)!.result;
      assert.equal(run.validationBpc.length, epochs);
      const bpc = run.validationBpc.at(-1)!;
      assert.ok(bpc > 0 && bpc < 8, `${cell}: ${bpc} bits per character`);
      assert.ok(row(out.markdown, 'language model', cell).includes(` ${bits(bpc)} `));
    }
    // Different cells train differently: identical scores would mean the cell option was ignored.
    const [a, b] = apps.settings.cells.map((c) => apps.lm.find((r) => r.result.cell === c)!.result);
    assert.notEqual(a.validationBpc.at(-1), b.validationBpc.at(-1));
    assert.match(readFileSync(join(dir, 'figures', 'language-model.svg'), 'utf8'), /^<svg/);
  });

  it('says which setting produced it and that the full grid has not been run', () => {
    assert.match(out.markdown, /Generated by `npm run report -- --quick` \(setting `quick`\)/);
    assert.match(out.markdown, /\*\*The full grid has not been run\.\*\*/);
    assert.match(out.markdown, /kernels: (relaxed|simd) \(the WebAssembly engine\)/);
  });
});
