/**
 * `npm run bench`: the seed model's training step and forward pass through novolstm's model API on its
 * WebAssembly engine (LSTM, NovoLSTM, GRU; all cores and one) against PyTorch (LSTM, GRU; the same model,
 * on as many threads as ours, where a Python here imports torch: bench/torchPeer.ts) and TensorFlow.js 4.22
 * (pure-JS 'cpu' and 'wasm' backends, LSTM), same machine, same run.
 *
 *   npm run -s bench -- [--json] [--rounds N] [--runs N] [--warmup N] [--peer-runs N] [--no-peers]
 *                       [--peers-all] [--build relaxed|simd] [--workers n] [--B n --T n --E n --V n]
 *                       [--H n[,n…]] [--no-generation] [--forward-ab]
 *
 * The machine is shared and its load drifts from minute to minute, so the configurations take turns:
 * each of `--rounds` rounds runs every configuration once (a fresh model, warm-up, `--runs` forward passes,
 * `--runs` training steps), the order reversed every other round, as `bench:web` does. Reported is the
 * median of the rounds' medians, the min and max over all runs, and each round's median. The CPU model and
 * the load average at the start and the end are printed with the tables.
 *
 * Several units (--H 128,256,512) run one configuration after another; TensorFlow.js runs at H ≤ 128 only
 * unless --peers-all (its pure-JS backend takes tens of seconds per step already at 128). After each
 * configuration, inference of the same models exported to ONNX and run by ONNX Runtime, next to our
 * predict (bench/onnxPeer.ts; skipped with --no-peers, or with a reason without onnxruntime-node). Then
 * generation speed at batch 1 for a 2 × 256 character model (bench/generation.ts; --no-generation skips
 * it). Last, the machine's ceiling: one core's 128-bit fused multiply-adds per second with no memory
 * traffic (bench/fmaPeak.ts), times the cores — no kernel can exceed it.
 *
 * --forward-ab also times, on one thread, the forward through the training path with its tape, run by run
 * alternating with the tape-free forward: the before and after of the tape-free path in one sitting.
 *
 * --json prints only JSON on stdout: { machine, torch, training: one result per configuration, onnx,
 * generation: its result or null }; progress goes to stderr. (`npm run -s` keeps npm's own two-line
 * banner off stdout; the wasm build logs to stderr.)
 *
 * Reports per implementation: ms per training step and per forward pass, effective GFLOP/s of the
 * recurrent layer's matrix products (formula printed), and each one's ratio to novolstm LSTM and to
 * PyTorch's same cell on the same threads. No memory figure: every configuration here shares one process
 * with the ones before it and TensorFlow.js, so its peak RSS would be theirs too; `npm run bench:memory`
 * (bench/memory.ts) measures each configuration alone in a fresh process. Not part of `npm test`; test/bench.test.ts runs a
 * tiny version.
 */
import { pathToFileURL } from 'node:url';
import { enableRelaxedSimdInNode, type WasmBuild } from '../src/engine/loader.js';
import { useFastKernels } from '../src/layers/backend.js';
import { availableCores } from '../src/parallel/pool.js';
import { LSTM_FLOP_FORMULA, lstmFlops, SEED_CONFIG, type BenchConfig } from './config.js';
import { formatLoad, loadAverage, machine, type LoadAverage } from './machine.js';
import { acrossRounds, timeRunsWithCpu, warmUp, type RoundTiming } from './measure.js';
import { fmaPeakGflops } from './fmaPeak.js';
import { GENERATION_DEFAULTS, printGeneration, runGenerationBench } from './generation.js';
import { novolstmSeedModel, type RecurrentKind, type SeedModel } from './novolstmStep.js';
import { printOnnxPeer, runOnnxPeer, type OnnxPeerResult } from './onnxPeer.js';
import { startTorchPeer, type TorchFound, type TorchPeer } from './torchPeer.js';

export interface BenchOptions {
  readonly config: BenchConfig;
  /** Rounds in which every configuration takes one turn. */
  readonly rounds: number;
  readonly warmup: number;
  /** Measured forward passes and training steps per round. */
  readonly runs: number;
  /** Measured runs per round for TensorFlow.js (seconds per step). */
  readonly peerRuns: number;
  /** TensorFlow.js (at this configuration). */
  readonly peers: boolean;
  /** PyTorch, when a Python here imports it (startTorchPeer); null: not asked for. */
  readonly torch: TorchPeer | null;
  readonly build: WasmBuild | 'auto';
  /** Worker threads for the "all workers" rows; 0: one per core. */
  readonly workers: number;
  /**
   * Also time the forward pass through the training path with its tape (SeedModel.forwardTaped), run by
   * run alternating with the tape-free one, where a model has it (novolstm on one thread).
   */
  readonly forwardAb?: boolean;
  /** Progress lines (stderr in the CLI); default none. */
  readonly log?: (line: string) => void;
}

export interface ImplementationResult {
  readonly name: string;
  /** The recurrent cell, for the side-by-side ratios. */
  readonly kind: RecurrentKind;
  /** Threads it ran on (workers for novolstm, intra-op threads for PyTorch). */
  readonly threads: number;
  /** Gate blocks of the recurrent layer (4 LSTM, 5 NovoLSTM, 3 GRU), for its FLOP count. */
  readonly gateBlocks: number;
  readonly train: RoundTiming;
  readonly forward: RoundTiming;
  /**
   * CPU ms per step and per forward of the process doing the work, all its threads (novolstm's workers
   * run in this process; PyTorch's in its own): what the machine's load does not change, beside the wall
   * clock that it does.
   */
  readonly trainCpu: RoundTiming;
  readonly forwardCpu: RoundTiming;
  /** With `forwardAb`: the forward through the training path, keeping its tape (wall and CPU); else null. */
  readonly forwardTaped: RoundTiming | null;
  readonly forwardTapedCpu: RoundTiming | null;
  readonly trainGflops: number;
  readonly forwardGflops: number;
  /** Loss at the first and last measured training step of the first round: finite, and falling. */
  readonly firstLoss: number;
  readonly lastLoss: number;
  /** ms per training step of this implementation ÷ novolstm LSTM's (the first row). */
  readonly ratioToNovolstm: number;
  /** ms per forward pass ÷ novolstm LSTM's. */
  readonly forwardRatioToNovolstm: number;
}

export interface BenchResult {
  readonly config: BenchConfig;
  readonly flopFormula: string;
  /** LSTM FLOPs; NovoLSTM's are 5/4 of these. */
  readonly trainFlops: number;
  readonly forwardFlops: number;
  readonly rounds: number;
  readonly results: ImplementationResult[];
  readonly notes: string[];
}

export const DEFAULT_OPTIONS: BenchOptions = {
  config: SEED_CONFIG,
  rounds: 3,
  warmup: 2,
  runs: 5,
  peerRuns: 3,
  peers: true,
  torch: null,
  build: 'auto',
  workers: 0,
};

/** One round's turn of a configuration: forward and training-step ms, and the losses of the steps. */
interface Turn {
  readonly forwardMs: number[];
  readonly forwardTapedMs?: number[];
  readonly trainMs: number[];
  /** CPU ms of the process doing the work (all its threads), per run, in the same order. */
  readonly forwardCpuMs: number[];
  readonly forwardTapedCpuMs?: number[];
  readonly trainCpuMs: number[];
  readonly firstLoss: number;
  readonly lastLoss: number;
}

/** A configuration that takes turns: a fresh model each turn (the same weights and batch every time). */
interface Contender {
  readonly name: string;
  readonly kind: RecurrentKind;
  readonly threads: number;
  readonly gateBlocks: number;
  turn(warmup: number, runs: number): Promise<Turn>;
}

/** A turn of a SeedModel made by `make`: warm-up training steps, then forward passes, then steps. */
async function seedModelTurn(
  make: () => Promise<SeedModel>,
  warmup: number,
  runs: number,
  forwardAb = false,
): Promise<Turn> {
  const model = await make();
  try {
    // Warm-up training steps run every kernel (forward ones too), so both timings see optimised code.
    await warmUp(() => model.trainStep(), warmup);
    const taped = forwardAb && model.forwardTaped ? model.forwardTaped.bind(model) : null;
    const forward = { wall: [] as number[], cpu: [] as number[] };
    const withTape = { wall: [] as number[], cpu: [] as number[] };
    if (taped) await warmUp(taped, 1);
    for (let i = 0; i < runs; i++) {
      // With --forward-ab, A then B run by run, so that both see the same load.
      const a = await timeRunsWithCpu(() => model.forward(), 0, 1);
      forward.wall.push(...a.wall);
      forward.cpu.push(...a.cpu);
      if (!taped) continue;
      const b = await timeRunsWithCpu(taped, 0, 1);
      withTape.wall.push(...b.wall);
      withTape.cpu.push(...b.cpu);
    }
    const losses: number[] = [];
    const train = await timeRunsWithCpu(async () => losses.push(await model.trainStep()), 0, runs);
    return {
      forwardMs: forward.wall,
      forwardCpuMs: forward.cpu,
      ...(taped ? { forwardTapedMs: withTape.wall, forwardTapedCpuMs: withTape.cpu } : {}),
      trainMs: train.wall,
      trainCpuMs: train.cpu,
      firstLoss: losses[0],
      lastLoss: losses[losses.length - 1],
    };
  } finally {
    await model.dispose();
  }
}

const CELLS = [
  ['lstm', 'LSTM', 4],
  ['novolstm', 'NovoLSTM', 5],
  ['gru', 'GRU', 3],
] as const;

export async function runBenchmark(options: BenchOptions): Promise<BenchResult> {
  const { config, torch } = options;
  const log = options.log ?? (() => {});
  const trainFlops = lstmFlops(config, true);
  const forwardFlops = lstmFlops(config, false);
  const notes: string[] = [];

  await enableRelaxedSimdInNode();
  const build = await useFastKernels({ build: options.build });
  if (build === 'reference')
    throw new Error('bench: this runtime has no WebAssembly SIMD; nothing to measure');
  const allWorkers = options.workers || (await availableCores());
  const threadCounts = allWorkers > 1 ? [allWorkers, 1] : [1];
  const contenders: Contender[] = [];
  for (const workers of threadCounts) {
    for (const [kind, label, blocks] of CELLS) {
      const threads = workers === 1 ? '1 thread' : `${workers} workers`;
      contenders.push({
        name: `novolstm ${label} (wasm ${build}, ${threads})`,
        kind,
        threads: workers,
        gateBlocks: blocks,
        turn: (warmup, runs) =>
          seedModelTurn(() => novolstmSeedModel(config, kind, workers), warmup, runs, options.forwardAb),
      });
    }
  }
  notes.push(
    'novolstm: the model API through a Trainer (training/trainer.ts, as fit and novolstm train step): on this thread, or the batch split over worker threads as in fit({ workers }); recurrent layers fused in WebAssembly. Forward: evaluate (the loss, no gradient), split over the same workers.',
    "GFLOP/s count only the recurrent layer's matrix products (formula above), so they understate the work done.",
    "novolstm's recurrent layer reads the Embedding's rows: x·W is gathered from the table's product and dz summed by id (README, \"An embedding's rows\"), so it does fewer multiplies than the formula counts; its GFLOP/s and its forward against the ceiling are those of the work a framework multiplying every row does.",
  );
  if (torch) {
    for (const threads of threadCounts) {
      for (const [kind, label, blocks] of CELLS) {
        if (kind === 'novolstm') continue;
        contenders.push({
          name: `PyTorch ${torch.found.torchVersion} ${label} (${threads} thread${threads === 1 ? '' : 's'})`,
          kind,
          threads,
          gateBlocks: blocks,
          turn: async (warmup, runs) => torch.measure(kind, config, threads, warmup, runs),
        });
      }
    }
    notes.push(
      `PyTorch ${torch.found.torchVersion} (Python ${torch.found.pythonVersion}, ${torch.found.python}, BLAS ${torch.found.blas}): torch.nn.Embedding → LSTM/GRU → Linear, cross-entropy on the last step, Adam; ${torch.found.blasThreadsSet ? "OpenBLAS runs the products on the row's threads (openblas_set_num_threads) and torch's intra-op pool stays at 1, the fastest of the combinations measured (bench/torch_peer.py)" : "torch.set_num_threads = the row's threads"}; forward under torch.no_grad(). Timed inside Python around the step alone (bench/torch_peer.py). NovoLSTM has no PyTorch module.`,
    );
  }
  if (options.peers) {
    for (const [backend, label] of [
      ['cpu', 'TensorFlow.js 4.22 cpu (pure JS), LSTM'],
      ['wasm', 'TensorFlow.js 4.22 wasm, LSTM without Embedding*'],
    ] as const) {
      contenders.push({
        name: label,
        kind: 'lstm',
        threads: 1,
        gateBlocks: 4,
        turn: async (_warmup, runs) => {
          // Loaded only now: novolstm's rows run before TensorFlow.js takes its share of the process.
          const { tfjsSeedModel } = await import('./tfjsStep.js');
          return seedModelTurn(() => tfjsSeedModel(config, backend), 1, Math.min(runs, options.peerRuns));
        },
      });
    }
    notes.push(
      '* TensorFlow.js wasm cannot train an Embedding (no UnsortedSegmentSum kernel): it gets random embeddings as input, so it does slightly less work than the others.',
    );
  }

  const turns: Turn[][] = contenders.map(() => []);
  for (let round = 0; round < options.rounds; round++) {
    const order = contenders.map((_, i) => i);
    if (round % 2 === 1) order.reverse();
    for (const i of order) {
      log(`round ${round + 1}/${options.rounds}: ${contenders[i].name}, H=${config.H}`);
      turns[i].push(await contenders[i].turn(options.warmup, options.runs));
    }
  }

  const results: ImplementationResult[] = [];
  contenders.forEach((c, i) => {
    const train = acrossRounds(turns[i].map((t) => t.trainMs));
    const forward = acrossRounds(turns[i].map((t) => t.forwardMs));
    const taped = turns[i].every((t) => t.forwardTapedMs && t.forwardTapedCpuMs);
    const base = results[0] ?? { train, forward };
    results.push({
      name: c.name,
      kind: c.kind,
      threads: c.threads,
      gateBlocks: c.gateBlocks,
      train,
      forward,
      trainCpu: acrossRounds(turns[i].map((t) => t.trainCpuMs)),
      forwardCpu: acrossRounds(turns[i].map((t) => t.forwardCpuMs)),
      forwardTaped: taped ? acrossRounds(turns[i].map((t) => t.forwardTapedMs!)) : null,
      forwardTapedCpu: taped ? acrossRounds(turns[i].map((t) => t.forwardTapedCpuMs!)) : null,
      trainGflops: lstmFlops(config, true, c.gateBlocks) / train.medianMs / 1e6,
      forwardGflops: lstmFlops(config, false, c.gateBlocks) / forward.medianMs / 1e6,
      firstLoss: turns[i][0].firstLoss,
      lastLoss: turns[i][0].lastLoss,
      ratioToNovolstm: train.medianMs / base.train.medianMs,
      forwardRatioToNovolstm: forward.medianMs / base.forward.medianMs,
    });
  });
  return {
    config,
    flopFormula: LSTM_FLOP_FORMULA,
    trainFlops,
    forwardFlops,
    rounds: options.rounds,
    results,
    notes,
  };
}

function printTable(r: BenchResult): void {
  const c = r.config;
  console.log(`configuration: B=${c.B} T=${c.T} E=${c.E} H=${c.H} V=${c.V}; loss on the last step, Adam`);
  console.log(`FLOPs: ${LSTM_FLOP_FORMULA}`);
  console.log(
    `  LSTM: ${(r.trainFlops / 1e9).toFixed(2)} GFLOP per training step, ${(r.forwardFlops / 1e9).toFixed(2)} per forward (NovoLSTM × 5/4, GRU × 3/4)`,
  );
  console.log(
    `ms: the median of ${r.rounds} rounds' medians (min–max over all runs); each round's median in brackets; ` +
      'CPU ms: the CPU time of the process doing the work, all its threads (median of the rounds)',
  );
  const ms = (t: RoundTiming) =>
    `${t.medianMs.toFixed(1)} (${t.minMs.toFixed(0)}–${t.maxMs.toFixed(0)}) [${t.roundMedians.map((x) => x.toFixed(0)).join(' ')}]`;
  const header = [
    'implementation',
    'train ms',
    'GFLOP/s',
    'CPU ms',
    'forward ms',
    'GFLOP/s',
    'CPU ms',
    'loss first→last',
    '× novolstm LSTM train, forward',
  ];
  const rows = r.results.map((x) => [
    x.name,
    ms(x.train),
    x.trainGflops.toFixed(1),
    x.trainCpu.medianMs.toFixed(1),
    ms(x.forward),
    x.forwardGflops.toFixed(1),
    x.forwardCpu.medianMs.toFixed(1),
    `${x.firstLoss.toFixed(4)}→${x.lastLoss.toFixed(4)}`,
    `${x.ratioToNovolstm.toFixed(2)}, ${x.forwardRatioToNovolstm.toFixed(2)}`,
  ]);
  printColumns(header, rows);
  console.log(
    'memory: `npm run bench:memory` (peak RSS of each configuration alone in a fresh process, per thread)',
  );
  const ab = r.results.filter((x) => x.forwardTaped);
  if (ab.length > 0) {
    console.log(
      'forward A/B, run by run in the same turns: tape-free (evaluate) against the training path with its tape:',
    );
    printColumns(
      [
        'implementation',
        'tape-free ms',
        'with tape ms',
        'ratio',
        'tape-free CPU ms',
        'with tape CPU ms',
        'ratio',
      ],
      ab.map((x) => [
        x.name,
        ms(x.forward),
        ms(x.forwardTaped!),
        (x.forward.medianMs / x.forwardTaped!.medianMs).toFixed(2),
        x.forwardCpu.medianMs.toFixed(1),
        x.forwardTapedCpu!.medianMs.toFixed(1),
        (x.forwardCpu.medianMs / x.forwardTapedCpu!.medianMs).toFixed(2),
      ]),
    );
  }
  const torchRows = r.results.filter((x) => x.name.startsWith('PyTorch'));
  if (torchRows.length > 0) {
    console.log('novolstm ÷ PyTorch, same cell, same threads (below 1: novolstm is faster):');
    const pairs = torchRows.flatMap((t) => {
      const ours = r.results.find(
        (x) => x.name.startsWith('novolstm') && x.kind === t.kind && x.threads === t.threads,
      );
      if (!ours) return [];
      return [
        [
          `${t.kind}, ${t.threads} thread${t.threads === 1 ? '' : 's'}`,
          (ours.train.medianMs / t.train.medianMs).toFixed(2),
          (ours.forward.medianMs / t.forward.medianMs).toFixed(2),
        ],
      ];
    });
    printColumns(['cell, threads', 'training step', 'forward'], pairs);
  }
  for (const note of r.notes) console.log(`note: ${note}`);
}

function printColumns(header: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  for (const row of [header, ...rows]) {
    console.log(
      row
        .map((cell, i) => cell.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    );
  }
}

/**
 * The machine's ceiling (bench/fmaPeak.ts), and each configuration's forward pass on all cores as a
 * multiple of the time the ceiling allows for its matrix products (the targets: ≤ 1.3×).
 */
function printCeiling(perCore: number | null, cores: number, results: readonly BenchResult[]): void {
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
  console.log(
    "forward on all cores against the time its products take at that ceiling (the issue's target: ≤ 1.3×); " +
      'the CPU time ÷ cores is what the wall clock approaches on a quiet machine:',
  );
  for (const r of results) {
    for (const x of r.results) {
      if (!x.name.startsWith('novolstm') || x.threads !== cores) continue;
      const limitMs = lstmFlops(r.config, false, x.gateBlocks) / all / 1e6;
      const cpuPerCore = x.forwardCpu.medianMs / cores;
      console.log(
        `  H=${r.config.H} ${x.kind}: ${limitMs.toFixed(1)} ms at the ceiling; forward ${x.forward.medianMs.toFixed(1)} ms wall ` +
          `(${(x.forward.medianMs / limitMs).toFixed(2)}×), CPU ÷ ${cores} ${cpuPerCore.toFixed(1)} ms (${(cpuPerCore / limitMs).toFixed(2)}×)`,
      );
    }
  }
}

/** How many units TensorFlow.js still runs at without --peers-all. */
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
    else if (arg === '--forward-ab') o.forwardAb = true;
    else if (arg === '--no-peers') o.peers = false;
    else if (arg === '--peers-all') peersAll = true;
    else if (arg === '--no-generation') generation = false;
    else if (arg === '--H') {
      const list = value();
      units = list.split(',').map(Number);
      if (!units.every((h) => Number.isInteger(h) && h >= 1))
        throw new Error(`bench: --H n[,n…], got ${list}`);
    } else if (arg === '--rounds') o.rounds = Math.max(1, count());
    else if (arg === '--runs') o.runs = Math.max(1, count());
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
  const { options: parsed, units, json, peersAll, generation } = parseArgs(process.argv.slice(2));
  // stdout carries the tables, or with --json the JSON alone: everything else goes to stderr.
  const log = (line: string) => console.error(line);
  const host = machine();
  const loadStart: LoadAverage = loadAverage();
  const header = `${host.cpuModel}, ${host.cores} cores, Node ${host.node}; load average at the start ${formatLoad(loadStart)}`;
  if (json) log(header);
  else console.log(`${header}\n`);
  let torchFound: TorchFound | { skipped: string } = { skipped: '--no-peers' };
  let torch: TorchPeer | null = null;
  if (parsed.peers) {
    const started = await startTorchPeer();
    if ('skipped' in started) torchFound = started;
    else {
      torch = started;
      torchFound = started.found;
    }
    const found =
      'skipped' in torchFound
        ? `PyTorch: not run — ${torchFound.skipped}`
        : `PyTorch: found torch ${torchFound.torchVersion} (Python ${torchFound.pythonVersion}, ${torchFound.python}), BLAS: ${torchFound.blas}`;
    if (json) log(found);
    else console.log(`${found}\n`);
  }
  const options: BenchOptions = { ...parsed, torch, log };
  const results: BenchResult[] = [];
  const onnx: OnnxPeerResult[] = [];
  try {
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
        log(`ONNX Runtime, H=${H}`);
        onnx.push(await runOnnxPeer(result.config, options.warmup, options.runs));
        if (!json) {
          printOnnxPeer(onnx[onnx.length - 1], result.config);
          console.log();
        }
      }
    }
  } finally {
    torch?.close();
  }
  if (generation) log('generation');
  const speed = generation
    ? await runGenerationBench({ ...GENERATION_DEFAULTS, build: options.build })
    : null;
  if (speed && !json) printGeneration(speed);
  // Last: the compiler it loads (AssemblyScript, Binaryen) takes over a gigabyte of memory.
  log('FMA ceiling');
  await enableRelaxedSimdInNode();
  const ceiling = await fmaPeakGflops();
  const cores = await availableCores();
  const loadEnd = loadAverage();
  if (!json) {
    printCeiling(ceiling, cores, results);
    console.log(
      `\nload average at the start ${formatLoad(loadStart)}, at the end ${formatLoad(loadEnd)} (${cores} cores)`,
    );
  } else {
    const machineJson = { ...host, loadStart, loadEnd, fmaPeakGflopsPerCore: ceiling, cores };
    console.log(
      JSON.stringify(
        { machine: machineJson, torch: torchFound, training: results, onnx, generation: speed },
        null,
        2,
      ),
    );
  }
}
