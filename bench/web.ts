/**
 * `npm run bench:web`: the seed model's training step (config.ts: B=128, T=100, E=50, H=128, V=60, LSTM,
 * Adam, the loss at the last step) timed in a browser page and in Node in the same run — on one worker
 * and on one per core — with the same code on both sides (seedSteps.ts). The page is web/bench.html,
 * built with Vite and served on 127.0.0.1, in Debian's Chromium (test/web/browser.ts).
 *
 * The machine is shared and its load drifts from minute to minute, so the two sides take turns: each of
 * `--rounds` rounds measures the page and Node (the first of the two alternating), each the median of
 * `--runs` steps after warm-up; reported is the median of the rounds' medians, and their range. Never
 * both at once.
 *
 *   npm run bench:web [-- --rounds 3 --runs 5 --warmup 2 --kind lstm --json]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { benchInPage, buildPage, launchChromium } from '../test/web/browser.js';
import { serveStatic } from '../test/web/serve.js';
import { SEED_CONFIG } from './config.js';
import type { RecurrentKind } from './novolstmStep.js';
import { measureSeedSteps, type SeedStepRequest, type SeedStepResult } from './seedSteps.js';

const KINDS: readonly RecurrentKind[] = ['lstm', 'novolstm', 'gru'];

interface Row {
  readonly runtime: string;
  readonly backend: string;
  readonly workers: number;
  /** The median step time of each round, ms, in round order. */
  readonly roundMs: number[];
  /** The first step's loss (the same batch and weights everywhere: it must agree). */
  readonly firstLoss: number;
}

function integerOption(name: string, value: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) {
    throw new RangeError(`--${name} must be an integer ≥ ${min}, got '${value}'`);
  }
  return n;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Adds a round's result to the rows of `runtime` (one row per worker count). */
function record(rows: Row[], runtime: string, result: SeedStepResult): void {
  for (const r of result.results) {
    let row = rows.find((x) => x.runtime === runtime && x.workers === r.workers);
    if (!row) {
      row = { runtime, backend: result.backend, workers: r.workers, roundMs: [], firstLoss: r.firstLoss };
      rows.push(row);
    }
    row.roundMs.push(r.timing.medianMs);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '3' },
      runs: { type: 'string', default: '5' },
      warmup: { type: 'string', default: '2' },
      kind: { type: 'string', default: 'lstm' },
      json: { type: 'boolean', default: false },
    },
  });
  const kind = values.kind as RecurrentKind;
  if (!KINDS.includes(kind)) throw new RangeError(`--kind must be one of ${KINDS.join(', ')}, got '${kind}'`);
  const rounds = integerOption('rounds', values.rounds, 1);
  const request: SeedStepRequest = {
    config: SEED_CONFIG,
    kind,
    workers: [1, 'auto'],
    warmup: integerOption('warmup', values.warmup, 0),
    runs: integerOption('runs', values.runs, 1),
  };
  const outDir = await mkdtemp(join(tmpdir(), 'novolstm-bench-web-'));
  const rows: Row[] = [];
  let cores = 0;
  const loadBefore = loadavg();
  try {
    await buildPage(outDir);
    const server = await serveStatic(outDir);
    const browser = await launchChromium();
    try {
      const label = `Chromium ${browser.version()}`;
      const page = await browser.newPage();
      const sides = [
        async () => {
          const result = await benchInPage(page, server.url, request);
          cores = result.cores;
          record(rows, label, result);
        },
        async () => record(rows, `Node ${process.version}`, await measureSeedSteps(request)),
      ];
      for (let round = 0; round < rounds; round++) {
        const order = round % 2 === 0 ? sides : [...sides].reverse();
        for (const side of order) await side();
      }
    } finally {
      await browser.close();
      await server.close();
    }
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
  const loadAfter = loadavg();
  rows.sort((a, b) => a.runtime.localeCompare(b.runtime) || a.workers - b.workers);
  const summary = rows.map((r) => ({
    ...r,
    medianMs: median(r.roundMs),
    minMs: Math.min(...r.roundMs),
    maxMs: Math.max(...r.roundMs),
  }));
  if (values.json) {
    console.log(JSON.stringify({ request, rounds, cores, loadBefore, loadAfter, rows: summary }, null, 2));
    return;
  }
  const c = SEED_CONFIG;
  console.log(
    `${kind} training step, B=${c.B} T=${c.T} E=${c.E} H=${c.H} V=${c.V}, Adam, loss at the last step: ` +
      `ms per step, the median over ${rounds} rounds of each round's median of ${request.runs} steps ` +
      `(after ${request.warmup + 1} warm-up), the rounds' range in brackets`,
  );
  for (const r of summary) {
    console.log(
      `  ${r.runtime.padEnd(23)} ${r.backend.padEnd(9)} ${String(r.workers).padStart(2)} worker${r.workers === 1 ? ' ' : 's'}` +
        `  ${r.medianMs.toFixed(0).padStart(5)} ms [${r.minMs.toFixed(0)}–${r.maxMs.toFixed(0)}]` +
        `  first-step loss ${r.firstLoss.toFixed(6)}`,
    );
  }
  const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');
  console.log(`  load average before ${load(loadBefore)}, after ${load(loadAfter)} (${cores} cores)`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
