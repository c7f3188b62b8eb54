/**
 * A tiny run of `npm run bench` (bench/bench.ts) so the benchmark cannot rot: both implementations
 * train a few steps at small sizes and report finite timings and losses, and the generation line
 * (bench/generation.ts) runs every cell on a small model; the FMA ceiling (bench/fmaPeak.ts) compiles and runs.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { DEFAULT_OPTIONS, runBenchmark } from '../bench/bench.js';
import { lstmFlops, SEED_CONFIG } from '../bench/config.js';
import { fmaPeakGflops } from '../bench/fmaPeak.js';
import { GENERATION_DEFAULTS, runGenerationBench } from '../bench/generation.js';
import { startTorchPeer } from '../bench/torchPeer.js';
import { enableRelaxedSimdInNode } from '../src/engine/loader.js';
import { LM_CELLS } from '../src/lm/languageModel.js';

describe('benchmark smoke run', () => {
  it("measures the machine's FMA ceiling: a positive rate, or null without relaxed SIMD", async () => {
    const relaxed = await enableRelaxedSimdInNode();
    const peak = await fmaPeakGflops(200_000, 1);
    if (relaxed) assert.ok(peak !== null && peak > 0.1 && peak < 1e4, `peak ${peak}`);
    else assert.equal(peak, null);
  });
  it('runs novolstm (2 workers and 1 thread) and TensorFlow.js at tiny sizes', async () => {
    const config = { B: 3, T: 4, E: 5, H: 6, V: 7 };
    const r = await runBenchmark({
      ...DEFAULT_OPTIONS,
      config,
      rounds: 2,
      warmup: 1,
      runs: 3,
      peerRuns: 3,
      workers: 2,
    });
    assert.deepEqual(
      r.results.map((x) => x.name.replace(/wasm \w+, /, '').replace(/, LSTM.*/, '')),
      [
        'novolstm LSTM (2 workers)',
        'novolstm NovoLSTM (2 workers)',
        'novolstm GRU (2 workers)',
        'novolstm LSTM (1 thread)',
        'novolstm NovoLSTM (1 thread)',
        'novolstm GRU (1 thread)',
        'TensorFlow.js 4.22 cpu (pure JS)',
        'TensorFlow.js 4.22 wasm',
      ],
    );
    for (const x of r.results) {
      // Two rounds, each its own median; the reported median lies between them.
      assert.equal(x.train.roundMedians.length, 2, x.name);
      const [a, b] = x.forward.roundMedians;
      assert.ok(Math.min(a, b) <= x.forward.medianMs && x.forward.medianMs <= Math.max(a, b), x.name);
      for (const value of [x.train.medianMs, x.forward.medianMs, x.trainGflops, x.firstLoss, x.lastLoss]) {
        assert.ok(Number.isFinite(value) && value > 0, `${x.name}: ${value}`);
      }
      // Same model, same initial loss scale: log V for near-uniform predictions.
      assert.ok(Math.abs(x.firstLoss - Math.log(config.V)) < 0.5, `${x.name}: first loss ${x.firstLoss}`);
      assert.ok(x.lastLoss < x.firstLoss, `${x.name}: Adam on one fixed batch must lower the loss`);
    }
  });

  it('--json prints only JSON on stdout: the machine, its load, and the rows (logs go to stderr)', () => {
    const run = spawnSync(
      process.execPath,
      [
        '--experimental-wasm-relaxed-simd',
        '--import',
        'tsx',
        'bench/bench.ts',
        ...['--json', '--no-peers', '--no-generation', '--rounds', '1', '--runs', '1', '--warmup', '0'],
        ...['--B', '3', '--T', '4', '--H', '5', '--E', '3', '--V', '7'],
      ],
      { encoding: 'utf8' },
    );
    assert.equal(run.status, 0, run.stderr);
    const json = JSON.parse(run.stdout) as {
      machine: { cpuModel: string; loadStart: number[]; loadEnd: number[] };
      training: { results: { name: string }[] }[];
    };
    assert.ok(json.machine.cpuModel.length > 0);
    assert.equal(json.machine.loadStart.length, 3);
    assert.equal(json.machine.loadEnd.length, 3);
    assert.equal(json.training[0].results.length, 6);
    assert.match(run.stderr, /round 1\/1: novolstm LSTM/);
  });

  it('finds PyTorch or says why not; where found, it trains the seed model at tiny sizes', async (t) => {
    const peer = await startTorchPeer();
    if ('skipped' in peer) {
      assert.match(peer.skipped, /python3/);
      t.skip(peer.skipped);
      return;
    }
    try {
      assert.match(peer.found.torchVersion, /^\d+\.\d+/);
      const r = await peer.measure('gru', { B: 3, T: 4, E: 5, H: 6, V: 7 }, 1, 1, 3);
      assert.equal(r.trainMs.length, 3);
      assert.ok(r.forwardMs.every((ms) => ms > 0));
      assert.ok(
        r.lastLoss < r.firstLoss,
        `Adam on one fixed batch must lower the loss: ${r.firstLoss} → ${r.lastLoss}`,
      );
    } finally {
      peer.close();
    }
  });

  it('measures generation at batch 1 for every cell, on the engine', async () => {
    const r = await runGenerationBench({
      ...GENERATION_DEFAULTS,
      units: 9,
      embeddingDim: 4,
      length: 30,
      runs: 2,
    });
    assert.match(r.title, /^generation speed at batch 1 \(characters per second, 2 × 9 model\)$/);
    assert.notEqual(r.runsOn, 'reference', 'this machine has WebAssembly SIMD, so the engine must load');
    assert.deepEqual(
      r.rows.map((x) => `${x.cell} ${x.threads}`),
      LM_CELLS.flatMap((cell) => [`${cell} 1`, `${cell} 2`]),
    );
    for (const x of r.rows) {
      const { median, min, max } = x.charsPerSecond;
      assert.ok(Number.isFinite(median) && min > 0 && min <= median && median <= max, `${x.cell}: ${median}`);
      assert.ok(Number.isFinite(x.firstCharMs.medianMs) && x.firstCharMs.medianMs > 0, `${x.cell}: first`);
      assert.ok(x.charsPerCpuSecond > 0, `${x.cell}: ${x.charsPerCpuSecond} per CPU-second`);
    }
  });

  it('counts the seed configuration at 7.0 GFLOP per training step', () => {
    // 24·T·B·H·(E+H) = 24·100·128·128·178
    assert.equal(lstmFlops(SEED_CONFIG, true), 6_999_244_800);
    assert.equal(lstmFlops(SEED_CONFIG, false) * 3, lstmFlops(SEED_CONFIG, true));
  });
});
