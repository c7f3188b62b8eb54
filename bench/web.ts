/**
 * `npm run bench:web`: the seed model's training step (config.ts: B=128, T=100, E=50, H=128, V=60, LSTM,
 * Adam, the loss at the last step) timed in a browser page and in Node in the same run — on one worker
 * and on one per core, the median of `--runs` steps after `--warmup` — with the same code on both sides
 * (seedSteps.ts). The page is web/bench.html, built with Vite and served on 127.0.0.1, in Debian's
 * Chromium (test/web/browser.ts). The browser runs first, then Node, never both at once.
 *
 *   npm run bench:web [-- --runs 7 --warmup 2 --kind lstm --json]
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

function positiveInteger(name: string, value: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new RangeError(`--${name} must be an integer ≥ ${min}, got '${value}'`);
  return n;
}

/** The page's timings for `request`: web/ built into a temporary folder, served, opened in Chromium. */
async function measureInChromium(
  request: SeedStepRequest,
): Promise<{ label: string; result: SeedStepResult }> {
  const outDir = await mkdtemp(join(tmpdir(), 'novolstm-bench-web-'));
  try {
    await buildPage(outDir);
    const server = await serveStatic(outDir);
    const browser = await launchChromium();
    try {
      const result = await benchInPage(await browser.newPage(), server.url, request);
      return { label: `Chromium ${browser.version()}`, result };
    } finally {
      await browser.close();
      await server.close();
    }
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '5' },
      warmup: { type: 'string', default: '2' },
      kind: { type: 'string', default: 'lstm' },
      json: { type: 'boolean', default: false },
    },
  });
  const kind = values.kind as RecurrentKind;
  if (!KINDS.includes(kind)) throw new RangeError(`--kind must be one of ${KINDS.join(', ')}, got '${kind}'`);
  const request: SeedStepRequest = {
    config: SEED_CONFIG,
    kind,
    workers: [1, 'auto'],
    warmup: positiveInteger('warmup', values.warmup, 0),
    runs: positiveInteger('runs', values.runs, 1),
  };
  const loadBefore = loadavg();
  const page = await measureInChromium(request);
  const node = await measureSeedSteps(request);
  const loadAfter = loadavg();
  const rows = [
    { runtime: page.label, ...page.result },
    { runtime: `Node ${process.version}`, ...node },
  ];
  if (values.json) {
    console.log(JSON.stringify({ request, loadBefore, loadAfter, rows }, null, 2));
    return;
  }
  const c = SEED_CONFIG;
  console.log(
    `${kind} training step, B=${c.B} T=${c.T} E=${c.E} H=${c.H} V=${c.V}, Adam, loss at the last step; ` +
      `median of ${request.runs} after ${request.warmup + 1} warm-up steps`,
  );
  for (const row of rows) {
    const cells = row.results.map(
      (r) =>
        `${r.workers} worker${r.workers === 1 ? ' ' : 's'} ${r.timing.medianMs.toFixed(0).padStart(6)} ms ` +
        `(${r.timing.minMs.toFixed(0)}–${r.timing.maxMs.toFixed(0)})`,
    );
    console.log(`  ${row.runtime.padEnd(22)} ${row.backend.padEnd(9)} ${cells.join('   ')}`);
  }
  const ratios = page.result.results.map(
    (r, i) => `${r.workers}: ${(r.timing.medianMs / node.results[i].timing.medianMs).toFixed(2)}×`,
  );
  console.log(`  page / Node per worker count: ${ratios.join(', ')}`);
  console.log(
    `  first-step loss: page ${page.result.results.map((r) => r.firstLoss.toFixed(6)).join(', ')}; ` +
      `Node ${node.results.map((r) => r.firstLoss.toFixed(6)).join(', ')}`,
  );
  const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');
  console.log(
    `  load average before ${load(loadBefore)}, after ${load(loadAfter)} (${page.result.cores} cores)`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
