/**
 * The loader fuzzer (loaderFuzzer.ts) in CI: a fixed seed and 2,000 mutations of a trained model's save —
 * no crash, no hang, only typed errors or a model that loads and generates. `npm run fuzz -- --iterations
 * 100000` runs the same for longer.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as nl from '../src/index.js';
import { fuzzImport, fuzzLoader, trainedSave } from './loaderFuzzer.js';

describe('the loader fuzzer', () => {
  it('2,000 mutated saves: typed errors or valid models, none slow', async (t) => {
    const report = await fuzzLoader(await trainedSave(), { seed: 15, iterations: 2000 });
    t.diagnostic(
      `${report.typedErrors} typed errors, ${report.loaded} loaded, ${report.failures.length} failures; slowest read ${report.slowestMs.toFixed(1)} ms`,
    );
    assert.deepEqual(report.failures, []);
    assert.equal(report.loaded + report.typedErrors, 2000);
    // Neither outcome may be empty: a fuzzer whose every mutant fails to parse would test nothing.
    assert.ok(report.loaded >= 20, `only ${report.loaded} mutants loaded`);
    assert.ok(report.typedErrors >= 1000, `only ${report.typedErrors} mutants were refused`);
    assert.ok(report.slowestMs < 5000, `a read took ${report.slowestMs.toFixed(0)} ms`);
  });

  for (const format of ['safetensors', 'keras'] as const) {
    it(`500 damaged .${format} exports: typed errors or models`, async (t) => {
      const model = nl.sequential({
        seed: 3,
        layers: [nl.layers.lstm({ units: 3, inputShape: [null, 5] }), nl.layers.dense({ units: 7 })],
      });
      const dir = mkdtempSync(join(tmpdir(), 'novolstm-fuzz-export-'));
      try {
        await nl.exportModel(model, join(dir, `m.${format}`), { format });
        const bytes = new Uint8Array(readFileSync(join(dir, `m.${format}`)));
        const report = await fuzzImport(bytes, { seed: 15, iterations: 500 });
        t.diagnostic(`${report.typedErrors} typed errors, ${report.loaded} loaded`);
        assert.deepEqual(report.failures, []);
        assert.ok(report.typedErrors >= 250, `only ${report.typedErrors} damaged files were refused`);
        assert.ok(report.slowestMs < 5000, `a read took ${report.slowestMs.toFixed(0)} ms`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
