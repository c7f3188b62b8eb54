/**
 * The generation target: characters per second of `generateText` at batch 1 for a 2 × 256
 * character model (≥ 10,000), one row per cell and thread count (1, and 2: src/lm/sharedStepper.ts, the
 * second thread waited for before the clock starts — it steps alone until then), on the WebAssembly
 * engine.
 *
 * The model is `buildLanguageModel` with the CLI's defaults (embedding 64) and the vocabulary of the
 * built-in Moby-Dick (89 characters), with its initial weights: the work per character does not depend on
 * the values. Each run generates `length` characters after a one-word prime at temperature 0.8 (the CLI's
 * default) and is timed twice: from the call (making the stepper included) to the first character, and
 * the characters after it — the steady rate. Median, min and max over the runs after one warm-up run; the
 * rows take turns run by run (every cell and thread count once per round), so that a change in the
 * machine's load falls on all of them alike.
 * On a shared machine the wall-clock rate falls with the load; characters per CPU-second of this process
 * (user + system time over the same characters) shows what the code does when it has the core; the load
 * average at the start is printed with the table. Two threads step in lockstep, so they suffer most from
 * other work on the machine.
 *
 * Alone: node --experimental-wasm-relaxed-simd --import tsx bench/generation.ts [--units 256[,n…]]
 *          [--layers 2] [--cells lstm,novolstm,gru] [--threads 1,2[,auto]] [--runs 5] [--length 2000] [--no-fma]
 * 'auto' is the stepper's default: two threads where they are timed faster than one as the text goes on
 * (its row says on how many characters they were); on a busy machine it should stay near one thread.
 * bench/generationThreads.ts profiles the two-thread step.
 * Several units measure where two threads start to gain (TWO_THREADS_FROM_BYTES in src/lm/stepper.ts).
 * Alone it also prints one core's multiply-add ceiling (bench/fmaPeak.ts), so that figures from other
 * machines compare; bench/generationSteps.ts splits a character's time into its parts.
 */
import { cpus, loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { CharVocabulary } from '../src/data/text/charVocabulary.js';
import { loadCorpus } from '../src/data/text/corpus.js';
import { useFastKernels } from '../src/layers/backend.js';
import { generateTextOn } from '../src/lm/generate.js';
import { languageModelStepper } from '../src/lm/stepper.js';
import { buildLanguageModel, LM_CELLS, type LmCell } from '../src/lm/languageModel.js';
import type { WasmBuild } from '../src/engine/loader.js';
import { fmaPeakGflops } from './fmaPeak.js';
import type { Timing } from './measure.js';

export interface GenerationBenchOptions {
  readonly units: number;
  readonly layers: number;
  readonly embeddingDim: number;
  /** Characters generated per run. */
  readonly length: number;
  readonly runs: number;
  readonly cells: readonly LmCell[];
  /** Thread counts (or the stepper's 'auto' choice), each a row per cell. */
  readonly threads: readonly Threads[];
  readonly build: WasmBuild | 'auto';
}

type Threads = 1 | 2 | 'auto';

export const GENERATION_DEFAULTS: GenerationBenchOptions = {
  units: 256,
  layers: 2,
  embeddingDim: 64,
  length: 2000,
  runs: 5,
  cells: LM_CELLS,
  threads: [1, 2],
  build: 'auto',
};

export interface GenerationRow {
  readonly cell: LmCell;
  /** Threads the steps ran on, or 'auto'. */
  readonly threads: Threads;
  /** The share of the characters stepped on two threads (median over the runs). */
  readonly sharedShare: number;
  /** Characters per second after the first character (median, min, max over the runs). */
  readonly charsPerSecond: { readonly median: number; readonly min: number; readonly max: number };
  /** The same characters per second of CPU time used by this process (median over the runs). */
  readonly charsPerCpuSecond: number;
  /**
   * ms from the call to the first character: making the stepper (weights copied in and packed; with two
   * threads, the worker started and ready) and the prime.
   */
  readonly firstCharMs: Timing;
}

export interface GenerationResult {
  readonly title: string;
  /** The kernels generation ran on: 'relaxed', 'simd' or 'reference'. */
  readonly runsOn: string;
  readonly units: number;
  readonly layers: number;
  readonly embeddingDim: number;
  readonly vocabulary: number;
  readonly length: number;
  /** The CPU's model name (os.cpus). */
  readonly cpu: string;
  /** The 1-minute load average when the bench started and when it ended (os.loadavg). */
  readonly load: number;
  readonly loadAtEnd: number;
  readonly rows: GenerationRow[];
}

/** Loads the engine for the layers (as the CLI does), then times each cell. */
export async function runGenerationBench(options: GenerationBenchOptions): Promise<GenerationResult> {
  const { units, layers, embeddingDim, length, runs } = options;
  if (!(Number.isInteger(runs) && runs >= 1)) throw new Error(`bench: runs must be ≥ 1, got ${runs}`);
  if (!(Number.isInteger(length) && length >= 2)) throw new Error(`bench: length must be ≥ 2, got ${length}`);
  const runsOn = await useFastKernels({ build: options.build });
  const vocabulary = CharVocabulary.fromText(loadCorpus('builtin:moby-dick')).toJSON();
  const load = loadavg()[0];
  const models = new Map(
    options.cells.map((cell) => [
      cell,
      buildLanguageModel({ cell, units, layers, embeddingDim, dropout: 0, vocabulary }, 1),
    ]),
  );
  interface Samples {
    readonly firstMs: number[];
    readonly restMs: number[];
    readonly restCpuMs: number[];
    readonly sharedShare: number[];
  }
  const samples = new Map<string, Samples>();
  const generate = async (cell: LmCell, threads: Threads, into: Samples | null) => {
    const model = models.get(cell)!;
    const start = performance.now();
    const stepper = languageModelStepper(model, { threads });
    const ready = await stepper.whenReady();
    if (threads !== 'auto' && ready !== threads) throw new Error(`bench: ${threads} threads did not start`);
    const pieces = generateTextOn(stepper, model, { prime: 'The ', length, temperature: 0.8, seed: 1 });
    pieces.next();
    const first = performance.now();
    const cpu = process.cpuUsage();
    let shared = 0;
    for (const piece of pieces) {
      void piece;
      if (stepper.threads === 2) shared++;
    }
    const used = process.cpuUsage(cpu);
    if (!into) return;
    into.firstMs.push(first - start);
    into.restMs.push(performance.now() - first);
    into.restCpuMs.push((used.user + used.system) / 1000);
    into.sharedShare.push(shared / (length - 1));
  };
  const configurations = options.cells.flatMap((cell) =>
    options.threads.map((threads) => ({ cell, threads })),
  );
  // A warm-up run each (the JIT and the instance's memory), then the rounds.
  for (const { cell, threads } of configurations) await generate(cell, threads, null);
  for (let run = 0; run < runs; run++) {
    for (const { cell, threads } of configurations) {
      const key = `${cell} ${threads}`;
      if (!samples.has(key)) samples.set(key, { firstMs: [], restMs: [], restCpuMs: [], sharedShare: [] });
      await generate(cell, threads, samples.get(key)!);
    }
  }
  const rows: GenerationRow[] = configurations.map(({ cell, threads }) => {
    const { firstMs, restMs, restCpuMs, sharedShare } = samples.get(`${cell} ${threads}`)!;
    const rates = restMs.map((ms) => ((length - 1) / ms) * 1000).sort((a, b) => a - b);
    const firsts = [...firstMs].sort((a, b) => a - b);
    const cpuRates = restCpuMs.map((ms) => ((length - 1) / ms) * 1000).sort((a, b) => a - b);
    return {
      cell,
      threads,
      charsPerSecond: { median: median(rates), min: rates[0], max: rates[rates.length - 1] },
      charsPerCpuSecond: median(cpuRates),
      sharedShare: median([...sharedShare].sort((a, b) => a - b)),
      firstCharMs: { medianMs: median(firsts), minMs: firsts[0], maxMs: firsts[firsts.length - 1], runs },
    };
  });
  return {
    title: `generation speed at batch 1 (characters per second, ${layers} × ${units} model)`,
    runsOn,
    units,
    layers,
    embeddingDim,
    vocabulary: vocabulary.length,
    length,
    cpu: cpus()[0]?.model ?? 'unknown',
    load,
    loadAtEnd: loadavg()[0],
    rows,
  };
}

function median(sorted: readonly number[]): number {
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function printGeneration(r: GenerationResult): void {
  console.log(
    `${r.title}: embedding ${r.embeddingDim}, vocabulary ${r.vocabulary}, ${r.length} characters per run, on ${r.runsOn}; ${r.cpu}, ${cpus().length} cores, load average ${r.load.toFixed(2)} at the start, ${r.loadAtEnd.toFixed(2)} at the end`,
  );
  const header = [
    'cell',
    'threads',
    'chars/s (min–max)',
    'chars per CPU-second',
    'first character ms (stepper made, prime read)',
  ];
  const rows = r.rows.map((x) => [
    x.cell,
    x.threads === 'auto' ? `auto (2 on ${Math.round(100 * x.sharedShare)}%)` : String(x.threads),
    `${Math.round(x.charsPerSecond.median)} (${Math.round(x.charsPerSecond.min)}–${Math.round(x.charsPerSecond.max)}, n=${x.firstCharMs.runs})`,
    String(Math.round(x.charsPerCpuSecond)),
    x.firstCharMs.medianMs.toFixed(1),
  ]);
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

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const flag = (name: string): string | undefined => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const list = (name: string): string[] | undefined => flag(name)?.split(',');
  const options: GenerationBenchOptions = {
    ...GENERATION_DEFAULTS,
    layers: Number(flag('layers') ?? GENERATION_DEFAULTS.layers),
    runs: Number(flag('runs') ?? GENERATION_DEFAULTS.runs),
    length: Number(flag('length') ?? GENERATION_DEFAULTS.length),
    cells: (list('cells') as LmCell[] | undefined) ?? GENERATION_DEFAULTS.cells,
    threads:
      (list('threads')?.map((t) => (t === 'auto' ? t : Number(t))) as Threads[] | undefined) ??
      GENERATION_DEFAULTS.threads,
  };
  for (const units of list('units')?.map(Number) ?? [GENERATION_DEFAULTS.units]) {
    printGeneration(await runGenerationBench({ ...options, units }));
  }
  if (!args.includes('--no-fma')) {
    const ceiling = await fmaPeakGflops();
    console.log(
      ceiling === null
        ? 'multiply-add ceiling: no relaxed SIMD here'
        : `multiply-add ceiling (bench/fmaPeak.ts): ${ceiling.toFixed(1)} GFLOP/s per core`,
    );
  }
}
