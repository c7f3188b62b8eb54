/**
 * `npm run bench`: the seed model's training step through novolstm's model API on its WebAssembly engine
 * (LSTM, NovoLSTM, GRU; all cores and one) against TensorFlow.js 4.22 (pure-JS 'cpu' and 'wasm' backends,
 * LSTM), same machine, same run.
 *
 *   npm run bench -- [--json] [--runs N] [--warmup N] [--peer-runs N] [--no-peers] [--peers-all]
 *                    [--build relaxed|simd] [--workers n] [--B n --T n --E n --V n] [--H n[,n…]]
 *                    [--no-generation]
 *
 * Several units (--H 128,256,512) run one configuration after another; the peers run at H ≤ 128 only
 * unless --peers-all (TensorFlow.js's pure-JS backend takes tens of seconds per step already at 128).
 * After each configuration, inference of the same models exported to ONNX and run by ONNX Runtime, next
 * to our predict (bench/onnxPeer.ts; skipped with --no-peers, or with a reason without onnxruntime-node).
 * Then generation speed at batch 1 for a 2 × 256 character model (bench/generation.ts; --no-generation
 * skips it). --json prints { training: one result per configuration, generation: its result or null }.
 *
 * Last, the machine's ceiling: one core's 128-bit fused multiply-adds per second with no memory traffic
 * (bench/fmaPeak.ts), times the cores — no kernel can exceed it.
 *
 * Reports per implementation: ms per training step and per forward pass (median of the measured runs
 * after warm-up), effective GFLOP/s of the LSTM's matrix products (formula printed), peak RSS so far, and
 * the ratio of each peer to novolstm. Not part of `npm test`; test/bench.test.ts runs a tiny version.
 * Timings on a shared machine are noisy: the min and max are reported alongside the median.
 */
import { pathToFileURL } from 'node:url';
import { enableRelaxedSimdInNode, type WasmBuild } from '../src/engine/loader.js';
import { useFastKernels } from '../src/layers/backend.js';
import { availableCores } from '../src/parallel/pool.js';
import { LSTM_FLOP_FORMULA, lstmFlops, SEED_CONFIG, type BenchConfig } from './config.js';
import { peakRssMb, time, warmUp, type Timing } from './measure.js';
import { fmaPeakGflops } from './fmaPeak.js';
import { GENERATION_DEFAULTS, printGeneration, runGenerationBench } from './generation.js';
import { novolstmSeedModel, type SeedModel } from './novolstmStep.js';
import { printOnnxPeer, runOnnxPeer, type OnnxPeerResult } from './onnxPeer.js';

export interface BenchOptions {
  readonly config: BenchConfig;
  readonly warmup: number;
  readonly runs: number;
  /** Measured runs for the peers (TF.js takes seconds per step). */
  readonly peerRuns: number;
  readonly peers: boolean;
  readonly build: WasmBuild | 'auto';
  /** Worker threads for the "all workers" rows; 0: one per core. */
  readonly workers: number;
}

export interface ImplementationResult {
  readonly name: string;
  /** Gate blocks of the recurrent layer (4 LSTM, 5 NovoLSTM), for its FLOP count. */
  readonly gateBlocks: number;
  readonly train: Timing;
  readonly forward: Timing;
  readonly trainGflops: number;
  readonly forwardGflops: number;
  /**
   * Peak RSS of the process after this implementation ran: cumulative (it includes the rows before it and
   * Node itself, ~75 MB with tsx).
   */
  readonly peakRssMb: number;
  /** Loss at the first and last measured training step: finite, and falling as Adam trains. */
  readonly firstLoss: number;
  readonly lastLoss: number;
  /** ms per training step of this implementation ÷ novolstm LSTM's. */
  readonly ratioToNovolstm: number;
}

export interface BenchResult {
  readonly config: BenchConfig;
  readonly flopFormula: string;
  /** LSTM FLOPs; NovoLSTM's are 5/4 of these. */
  readonly trainFlops: number;
  readonly forwardFlops: number;
  readonly results: ImplementationResult[];
  readonly notes: string[];
}

export const DEFAULT_OPTIONS: BenchOptions = {
  config: SEED_CONFIG,
  warmup: 2,
  runs: 7,
  peerRuns: 5,
  peers: true,
  build: 'auto',
  workers: 0,
};

export async function runBenchmark(options: BenchOptions): Promise<BenchResult> {
  const { config } = options;
  const trainFlops = lstmFlops(config, true);
  const forwardFlops = lstmFlops(config, false);
  const results: ImplementationResult[] = [];
  const notes: string[] = [];

  async function measure(name: string, gateBlocks: number, model: SeedModel, warmup: number, runs: number) {
    const losses: number[] = [];
    // Warm-up training steps run every kernel (forward ones too), so both timings below see optimised code.
    await warmUp(() => model.trainStep(), warmup);
    const forward = await time(() => model.forward(), 0, runs);
    const train = await time(async () => losses.push(await model.trainStep()), 0, runs);
    const base = results[0]?.train.medianMs ?? train.medianMs;
    results.push({
      name,
      gateBlocks,
      train,
      forward,
      trainGflops: lstmFlops(config, true, gateBlocks) / train.medianMs / 1e6,
      forwardGflops: lstmFlops(config, false, gateBlocks) / forward.medianMs / 1e6,
      peakRssMb: peakRssMb(),
      firstLoss: losses[0],
      lastLoss: losses[losses.length - 1],
      ratioToNovolstm: train.medianMs / base,
    });
  }

  await enableRelaxedSimdInNode();
  const build = await useFastKernels({ build: options.build });
  if (build === 'reference')
    throw new Error('bench: this runtime has no WebAssembly SIMD; nothing to measure');
  const allWorkers = options.workers || (await availableCores());
  for (const workers of allWorkers > 1 ? [allWorkers, 1] : [1]) {
    for (const [kind, label, blocks] of [
      ['lstm', 'LSTM', 4],
      ['novolstm', 'NovoLSTM', 5],
      ['gru', 'GRU', 3],
    ] as const) {
      const model = await novolstmSeedModel(config, kind, workers);
      const threads = workers === 1 ? '1 thread' : `${workers} workers`;
      await measure(
        `novolstm ${label} (wasm ${build}, ${threads})`,
        blocks,
        model,
        options.warmup,
        options.runs,
      );
      await model.dispose();
    }
  }
  notes.push(
    'novolstm: the model API (sequential → trainOnBatch, or the batch split over worker threads as in fit({ workers }) and novolstm train); recurrent layers fused in WebAssembly.',
    "GFLOP/s count only the recurrent layer's matrix products (formula above), so they understate the work done.",
  );

  if (options.peers) {
    // Loaded only now, so that the rows above do not count TensorFlow.js in their peak RSS.
    const { tfjsSeedModel } = await import('./tfjsStep.js');
    for (const [backend, label] of [
      ['cpu', 'TensorFlow.js 4.22 cpu (pure JS), LSTM'],
      ['wasm', 'TensorFlow.js 4.22 wasm, LSTM without Embedding*'],
    ] as const) {
      const tfjs = await tfjsSeedModel(config, backend);
      await measure(label, 4, tfjs, 1, options.peerRuns);
      await tfjs.dispose();
    }
    notes.push(
      '* TensorFlow.js wasm cannot train an Embedding (no UnsortedSegmentSum kernel): it gets random embeddings as input, so it does slightly less work than the others.',
    );
  }
  return { config, flopFormula: LSTM_FLOP_FORMULA, trainFlops, forwardFlops, results, notes };
}

function printTable(r: BenchResult): void {
  const c = r.config;
  console.log(`configuration: B=${c.B} T=${c.T} E=${c.E} H=${c.H} V=${c.V}; loss on the last step, Adam`);
  console.log(`FLOPs: ${LSTM_FLOP_FORMULA}`);
  console.log(
    `  LSTM: ${(r.trainFlops / 1e9).toFixed(2)} GFLOP per training step, ${(r.forwardFlops / 1e9).toFixed(2)} per forward (NovoLSTM × 5/4, GRU × 3/4)`,
  );
  const header = [
    'implementation',
    'train ms (min–max)',
    'GFLOP/s',
    'forward ms',
    'GFLOP/s',
    'peak RSS MB',
    'loss first→last',
    '× novolstm LSTM',
  ];
  const rows = r.results.map((x) => [
    x.name,
    `${x.train.medianMs.toFixed(1)} (${x.train.minMs.toFixed(0)}–${x.train.maxMs.toFixed(0)}, n=${x.train.runs})`,
    x.trainGflops.toFixed(1),
    x.forward.medianMs.toFixed(1),
    x.forwardGflops.toFixed(1),
    x.peakRssMb.toFixed(0),
    `${x.firstLoss.toFixed(4)}→${x.lastLoss.toFixed(4)}`,
    x.ratioToNovolstm.toFixed(1),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  for (const row of [header, ...rows]) console.log(row.map((cell, i) => cell.padEnd(widths[i])).join('  '));
  for (const note of r.notes) console.log(`note: ${note}`);
}

/** The machine's ceiling (bench/fmaPeak.ts), and what the 90 ms step asks of it. */
function printCeiling(perCore: number | null, cores: number): void {
  if (perCore === null) {
    console.log('\nceiling: not measured (no relaxed SIMD in this runtime)');
    return;
  }
  const all = perCore * cores;
  const target = lstmFlops(SEED_CONFIG, true) / 0.09 / 1e9;
  console.log(
    `\nceiling: ${perCore.toFixed(1)} GFLOP/s per core (128-bit FMA, no memory traffic), ${all.toFixed(1)} on ${cores} cores; ` +
      `a 90 ms seed step is ${target.toFixed(1)} GFLOP/s, ${((100 * target) / all).toFixed(0)}% of that`,
  );
}

/** How many units the peers still run at without --peers-all. */
const PEER_MAX_UNITS = 128;

function parseArgs(argv: readonly string[]): {
  options: BenchOptions;
  units: number[];
  json: boolean;
  peersAll: boolean;
  generation: boolean;
} {
  let json = false;
  let peersAll = false;
  let generation = true;
  let units: number[] = [SEED_CONFIG.H];
  const o = { ...DEFAULT_OPTIONS, config: { ...SEED_CONFIG } };
  const config = o.config as { -readonly [K in keyof BenchConfig]: number };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`bench: ${arg} needs a value`);
      return v;
    };
    const count = () => {
      const v = Number(value());
      if (!Number.isInteger(v) || v < 0)
        throw new Error(`bench: ${arg} must be an integer ≥ 0, got ${argv[i]}`);
      return v;
    };
    if (arg === '--json') json = true;
    else if (arg === '--no-peers') o.peers = false;
    else if (arg === '--peers-all') peersAll = true;
    else if (arg === '--no-generation') generation = false;
    else if (arg === '--H') {
      const list = value();
      units = list.split(',').map(Number);
      if (!units.every((h) => Number.isInteger(h) && h >= 1))
        throw new Error(`bench: --H n[,n…], got ${list}`);
    } else if (arg === '--runs') o.runs = Math.max(1, count());
    else if (arg === '--warmup') o.warmup = count();
    else if (arg === '--peer-runs') o.peerRuns = Math.max(1, count());
    else if (arg === '--workers') o.workers = count();
    else if (arg === '--build') {
      const b = value();
      if (b !== 'relaxed' && b !== 'simd' && b !== 'auto')
        throw new Error(`bench: --build relaxed|simd|auto, got ${b}`);
      o.build = b;
    } else if (/^--[BTEV]$/.test(arg)) config[arg.slice(2) as keyof BenchConfig] = Math.max(1, count());
    else throw new Error(`bench: unknown argument ${arg}`);
  }
  return { options: o, units, json, peersAll, generation };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { options, units, json, peersAll, generation } = parseArgs(process.argv.slice(2));
  const results: BenchResult[] = [];
  const onnx: OnnxPeerResult[] = [];
  for (const H of units) {
    const peers = options.peers && (peersAll || H <= PEER_MAX_UNITS);
    const result = await runBenchmark({ ...options, config: { ...options.config, H }, peers });
    if (options.peers && !peers) {
      result.notes.push(`TensorFlow.js: not run at H=${H} (minutes per step; --peers-all runs it).`);
    }
    results.push(result);
    if (!json) {
      printTable(result);
      console.log();
    }
    if (options.peers) {
      onnx.push(await runOnnxPeer(result.config, options.warmup, options.runs));
      if (!json) {
        printOnnxPeer(onnx[onnx.length - 1], result.config);
        console.log();
      }
    }
  }
  const speed = generation
    ? await runGenerationBench({ ...GENERATION_DEFAULTS, build: options.build })
    : null;
  if (speed && !json) printGeneration(speed);
  // Last: the compiler it loads (AssemblyScript, Binaryen) takes over a gigabyte of memory.
  await enableRelaxedSimdInNode();
  const ceiling = await fmaPeakGflops();
  const cores = await availableCores();
  if (!json) printCeiling(ceiling, cores);
  if (json) {
    const machine = { fmaPeakGflopsPerCore: ceiling, cores };
    console.log(JSON.stringify({ machine, training: results, onnx, generation: speed }, null, 2));
  }
}
