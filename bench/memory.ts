/**
 * `npm run bench:memory`: peak memory of the seed model (bench/config.ts: B=128, T=100, E=50, V=60, Adam)
 * per configuration — cell, units H, worker threads, training or predict, and which tree — each in a fresh
 * process (bench/memoryChild.mjs), so that no other configuration (and no peer library) has raised the
 * figure first.
 *
 *   npm run -s bench:memory -- [--json] [--from dist,src] [--root DIR] [--cells lstm,novolstm,gru]
 *                              [--H 128,512] [--workers 1,2] [--modes train,predict] [--steps N]
 *
 * --from: `dist` (default) is the built package run by plain Node, what a library user runs (the npm
 * script builds it first); `src` is the sources under tsx, which every thread then carries: a worker
 * registers tsx in its own thread (src/parallel/workerScript.ts): before the first step 15–25 MB more a
 * worker and 30–40 more on the main thread at the time of writing, which a library user never pays. --root: the checkout measured,
 * this one by default; another one (its dist/ built for `dist`) gives a before-and-after by the same
 * measurement.
 *
 * A configuration's process loads the engine, builds the model, starts its workers (none for 1: the
 * model trains on the main thread, as `fit` does), runs `--steps` training steps (or forward passes
 * through `evaluate`, the tape-free path predict runs too), and reports:
 *   - peak RSS: /proc/self/status VmHWM, the process's high-water mark (every thread's: the workers are
 *     threads of it), the same once the workers started (before the first step), and the resident size
 *     at the end (VmRSS);
 *   - per thread (the main one, then each worker): its V8 heap (used, reserved), the memory outside the
 *     heap its objects hold (ArrayBuffers and WebAssembly memories), and each WebAssembly engine
 *     instance's memory with what its arena has handed out (the plan's buffers: the tape and its kin).
 *     A plan's buffers that a configuration never writes (the upstream dh of a layer whose outputs
 *     only the last step's reach the loss) are allocated but not resident: RSS counts touched pages.
 * The load average is printed with every row: the figures are memory, not time, but a loaded machine
 * moves when the garbage collector runs.
 *
 * --json prints only JSON on stdout ({ machine, rows }); progress goes to stderr. Linux only (VmHWM).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import type { ThreadMemory } from '../src/parallel/memory.js';
import { SEED_CONFIG } from './config.js';
import { formatLoad, loadAverage, machine, type LoadAverage } from './machine.js';
import type { RecurrentKind } from './novolstmStep.js';

export type MemoryMode = 'train' | 'predict';
/** The built package run by plain Node, or the sources under tsx. */
export type MemoryTree = 'dist' | 'src';

export interface MemoryConfig {
  readonly cell: RecurrentKind;
  readonly H: number;
  readonly workers: number;
  readonly mode: MemoryMode;
  /** Training steps or forward passes run before the reading. */
  readonly steps: number;
  readonly tree: MemoryTree;
}

export interface MemoryRow extends MemoryConfig {
  /** VmHWM and VmRSS at the end (bytes). */
  readonly peakRss: number;
  readonly rss: number;
  /** VmHWM once the model was built and the workers started, before the first step (bytes). */
  readonly startPeakRss: number;
  /** The main thread, then each worker. */
  readonly threads: ThreadMemory[];
  /** The load average when the configuration ended. */
  readonly load: LoadAverage;
}

const CELLS: readonly RecurrentKind[] = ['lstm', 'novolstm', 'gru'];
const THIS_CHECKOUT = fileURLToPath(new URL('..', import.meta.url));

/**
 * One configuration in a fresh Node process (bench/memoryChild.mjs): plain Node for `dist`, under tsx for
 * `src`; relaxed SIMD on in both, as the other benchmarks run.
 */
export async function runConfig(c: MemoryConfig, root = THIS_CHECKOUT): Promise<MemoryRow> {
  const child = fileURLToPath(new URL('./memoryChild.mjs', import.meta.url));
  const loader = c.tree === 'src' ? ['--import', 'tsx'] : [];
  const config = JSON.stringify({ ...c, ...SEED_CONFIG, H: c.H });
  const args = ['--experimental-wasm-relaxed-simd', ...loader, child, root, c.tree, config];
  const { stdout } = await promisify(execFile)(process.execPath, args, { maxBuffer: 1 << 24 });
  return JSON.parse(stdout) as MemoryRow;
}

const MB = 1e6;
const mb = (bytes: number) => (bytes / MB).toFixed(0);

/** One line per configuration, then one per thread with its heap and engines. */
export function formatRow(r: MemoryRow): string[] {
  const lines = [
    `${r.tree.padEnd(4)} ${r.cell.padEnd(8)} H=${String(r.H).padEnd(4)} ` +
      `${r.workers} worker${r.workers > 1 ? 's' : ' '} ${r.mode.padEnd(7)}  peak RSS ${mb(r.peakRss).padStart(4)} MB  (before the first step ` +
      `${mb(r.startPeakRss)}, at the end ${mb(r.rss)})  ` +
      `load ${formatLoad(r.load)}`,
  ];
  r.threads.forEach((t, i) => {
    const wasm = t.engines.reduce((s, e) => s + e.memoryBytes, 0);
    const plans = t.engines.reduce((s, e) => s + e.allocatedBytes, 0);
    const each = t.engines.map((e) => `${mb(e.memoryBytes)}/${mb(e.allocatedBytes)}`).join(' ');
    lines.push(
      `    ${(i === 0 ? 'main' : `worker ${i}`).padEnd(9)} heap ${mb(t.heapUsed)}/${mb(t.heapTotal)} MB, ` +
        `external ${mb(t.external)} MB; wasm ${mb(wasm)} MB in ${t.engines.length} ` +
        `(memory/allocated: ${each}), plans ${mb(plans)} MB`,
    );
  });
  return lines;
}

function list(value: string): string[] {
  return value.split(',').filter((s) => s !== '');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      from: { type: 'string', default: 'dist' },
      root: { type: 'string', default: THIS_CHECKOUT },
      json: { type: 'boolean', default: false },
      cells: { type: 'string', default: CELLS.join(',') },
      H: { type: 'string', default: '128,512' },
      workers: { type: 'string', default: '1,2' },
      modes: { type: 'string', default: 'train,predict' },
      steps: { type: 'string', default: '2' },
    },
  });
  const trees = list(values.from!);
  for (const tree of trees) {
    if (tree !== 'dist' && tree !== 'src') throw new Error(`--from: expected dist or src, got '${tree}'`);
  }
  const root = resolve(values.root!);
  const built = join(root, 'dist', 'node.js');
  if (trees.includes('dist') && !existsSync(built)) {
    throw new Error(`--from dist: ${built} is missing; run \`npm run build\` (npm run bench:memory does)`);
  }
  const cells = list(values.cells!);
  for (const cell of cells) {
    if (!CELLS.includes(cell as RecurrentKind)) throw new Error(`--cells: unknown cell '${cell}'`);
  }
  const modes = list(values.modes!);
  for (const mode of modes) {
    if (mode !== 'train' && mode !== 'predict') throw new Error(`--modes: unknown mode '${mode}'`);
  }
  const positive = (flag: string, s: string) => {
    const n = Number(s);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${flag}: expected a positive integer, got '${s}'`);
    return n;
  };
  const units = list(values.H!).map((s) => positive('--H', s));
  const workerCounts = list(values.workers!).map((s) => positive('--workers', s));
  const steps = positive('--steps', values.steps!);
  const log = (line: string) => (values.json ? process.stderr : process.stdout).write(`${line}\n`);
  const m = machine();
  log(`${m.cpuModel}, ${m.cores} cores, Node ${m.node}; load average ${formatLoad(loadAverage())}`);
  log(
    `seed model B=${SEED_CONFIG.B} T=${SEED_CONFIG.T} E=${SEED_CONFIG.E} V=${SEED_CONFIG.V}, Adam; ` +
      `${steps} steps per configuration, each in a fresh process; checkout ${root}`,
  );
  const rows: MemoryRow[] = [];
  for (const H of units) {
    for (const cell of cells as RecurrentKind[]) {
      for (const workers of workerCounts) {
        for (const mode of modes as MemoryMode[]) {
          for (const tree of trees as MemoryTree[]) {
            const row = await runConfig({ cell, H, workers, mode, steps, tree }, root);
            rows.push(row);
            for (const line of formatRow(row)) log(line);
          }
        }
      }
    }
  }
  if (values.json) process.stdout.write(`${JSON.stringify({ machine: m, rows })}\n`);
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) await main();
