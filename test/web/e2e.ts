/**
 * The web page in a real browser: builds web/ with Vite, serves it on 127.0.0.1, and drives Debian's
 * Chromium (/usr/bin/chromium, installed by .ci/run) through playwright-core. Trains a small NovoLSTM for
 * a few seconds and checks that the loss fell and the chart drew, that pause holds training and the page
 * stays responsive, that text streams out, and that a model file round-trips — including through Node's
 * loadModel and the CLI's directory format, generating the same text in both. Checks that training runs
 * on the WebAssembly engine split over Web Workers (one per core), that the reference kernels take over
 * when the engine cannot run, that the page also trains when served cross-origin isolated (COOP/COEP),
 * and runs a tiny version of `npm run bench:web` against Node. Saves a
 * screenshot to build/web-test/page.png. Run with `npm run test:web`.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { stripVTControlCharacters } from 'node:util';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { measureSeedSteps, type SeedStepRequest } from '../../bench/seedSteps.js';
import * as nl from '../../src/index.js';
import { benchInPage, buildPage, freePort, launchChromium, ROOT } from './browser.js';
import { serveStatic, type StaticServer } from './serve.js';

const SCREENSHOTS = join(
  ROOT,
  'build/web-test',
); /** Training must lower the smoothed loss by at least this many bits per character in a few seconds. */
const MIN_BPC_DROP = 0.5;
/** The longest the page's main thread may be blocked while the worker trains. */
const MAX_MAIN_THREAD_STALL_MS = 250;
const PRIME = 'Call me ';
/**
 * Run in the page while the worker trains: the longest gap (ms) between 10 ms timer ticks over two
 * seconds. A string, not a function: tsx would wrap a named inner function in a helper the page lacks.
 */
const MAIN_THREAD_STALL_PROBE = `new Promise((done) => {
  let last = performance.now();
  let worst = 0;
  const end = last + 2000;
  const tick = () => {
    const now = performance.now();
    worst = Math.max(worst, now - last);
    last = now;
    if (now < end) setTimeout(tick, 10);
    else done(worst);
  };
  setTimeout(tick, 10);
})`;
const GREEDY_LENGTH = 60;
/** The benchmark's smoke run: sizes that do not divide the engine's tiles, an odd batch to split. */
const SMOKE_BENCH: SeedStepRequest = {
  config: { B: 5, T: 7, E: 6, H: 9, V: 13 },
  kind: 'lstm',
  workers: [1, 2],
  warmup: 1,
  runs: 2,
};
/** Page and Node run the same WebAssembly build on the same batch: their losses agree to rounding. */
const LOSS_TOLERANCE = 1e-5;
/** The page's script names: the app's training worker, and the data-parallel replicas it starts. */
const TRAINING_WORKER = /\/worker(-[\w-]+)?\.js$/;
const REPLICA_WORKER = /\/replicaWorker(-[\w-]+)?\.js$/;

interface Point {
  step: number;
  chars: number;
  bpc: number;
}
interface PageHistory {
  training: Point[];
  validation: Point[];
}
interface PageEngine {
  engine: { backend: string; cores: number; problem: string | null } | null;
  workers: number | null;
}

let server: StaticServer;
/** The built page's folder. */
let pageRoot: string;
let browser: Browser;
let page: Page;
let scratch: string;
/** The model file the page saved (a trained NovoLSTM). */
let savedFile = '';
const pageErrors: string[] = [];

const history = (): Promise<PageHistory> =>
  page.evaluate(() => (window as unknown as { novolstmPage: { history: PageHistory } }).novolstmPage.history);

/** Trains a small model on page `p` until `points` points of its learning curve are in. */
const trainSmallModel = async (p: Page, points = 3): Promise<void> => {
  await p.selectOption('#units', '16');
  await p.fill('#seq-len', '16');
  await p.fill('#batch', '4');
  await p.click('#train');
  // The predicate runs in the page: the count goes in as its argument.
  await p.waitForFunction(
    (n) =>
      (window as unknown as { novolstmPage: { history: PageHistory } }).novolstmPage.history.training
        .length >= n,
    points,
    { timeout: 60_000 },
  );
};
const engine = async (p: Page = page): Promise<PageEngine> => {
  await p.waitForFunction(
    () => (window as unknown as { novolstmPage: PageEngine }).novolstmPage.engine !== null,
  );
  return p.evaluate(() => {
    const { engine, workers } = (window as unknown as { novolstmPage: PageEngine }).novolstmPage;
    return { engine, workers };
  });
};

const replicas = (): number => page.workers().filter((w) => REPLICA_WORKER.test(w.url())).length;

const mean = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0) / values.length;

async function generateInPage(temperature: string, length: number): Promise<string> {
  await page.fill('#prime', PRIME);
  await page.fill('#length', String(length));
  await page.fill('#top-k', '0');
  await page.locator('#temperature').fill(temperature);
  await page.click('#generate');
  await page.waitForFunction(() => document.body.dataset.generating === 'done', null, { timeout: 30_000 });
  const text = (await page.textContent('#output')) ?? '';
  assert.ok(text.startsWith(PRIME), `the output starts with the prime: ${JSON.stringify(text.slice(0, 40))}`);
  return text.slice(PRIME.length);
}

function generateInNode(model: nl.Sequential, length: number): string {
  return [...nl.generateText(model, { prime: PRIME, length, temperature: 0, seed: 1, unknown: 'skip' })].join(
    '',
  );
}

/** `vite` (the dev server of `npm run web`) on a free port of 127.0.0.1, in a child process. */
async function startDevServer(): Promise<{ url: string; stop: () => void }> {
  const port = await freePort();
  const child = spawn(
    join(ROOT, 'node_modules/.bin/vite'),
    ['--config', 'web/vite.config.ts', '--port', String(port), '--strictPort'],
    // NO_COLOR: with CI set, Vite colours its output, and the colour codes split the address read below.
    {
      cwd: ROOT,
      env: { ...process.env, NODE_ENV: 'development', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  await new Promise<void>((ready, fail) => {
    const timer = setTimeout(() => fail(new Error(`vite dev server did not start: ${output}`)), 30_000);
    const read = (chunk: Buffer): void => {
      output += chunk.toString();
      // Colour codes removed all the same, in case a terminal setting forces them on.
      if (stripVTControlCharacters(output).includes(`127.0.0.1:${port}`)) {
        clearTimeout(timer);
        ready();
      }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.on('exit', (code) => fail(new Error(`vite dev server exited (${code}): ${output}`)));
  });
  return { url: `http://127.0.0.1:${port}/`, stop: () => child.kill() };
}

async function loadInPage(files: string[]): Promise<void> {
  await page.$eval('#model-info', (info) => (info.textContent = ''));
  await page.setInputFiles('#load', files);
  await page.waitForFunction(() => /^Loaded:/.test(document.getElementById('model-info')?.textContent ?? ''));
}

describe('the web page in Chromium', () => {
  before(async () => {
    // Node generates on the same WebAssembly build as the page, so that greedy texts can be compared.
    await nl.enableRelaxedSimdInNode();
    assert.equal(await nl.useFastKernels(), 'relaxed');
    pageRoot = await buildPage();
    server = await serveStatic(pageRoot);
    browser = await launchChromium();
    // A fresh context is a fresh, empty profile (playwright-core makes its own --user-data-dir).
    page = await (await browser.newContext({ acceptDownloads: true })).newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && pageErrors.push(m.text()));
    scratch = await mkdtemp(join(tmpdir(), 'novolstm-web-'));
    await page.goto(server.url);
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('loads without errors; SIMD is present, so no warning', async () => {
    assert.equal(await page.title(), 'novolstm — train a character model in your browser');
    assert.match((await page.textContent('#text-info')) ?? '', /^199,\d{3} characters/);
    assert.equal(await page.isVisible('#simd-missing'), false);
    // Served without COOP/COEP headers: the page must not need SharedArrayBuffer.
    assert.equal(await page.evaluate(() => crossOriginIsolated), false);
    assert.deepEqual(pageErrors, []);
  });

  it('loads the WebAssembly engine in its training worker, and may use a worker per core', async () => {
    const { engine: loaded, workers } = await engine();
    assert.deepEqual(loaded, { backend: 'relaxed', cores: loaded!.cores, problem: null });
    assert.ok(
      loaded!.cores >= 2,
      `the browser reports ${loaded!.cores} cores (this machine has ${availableParallelism()})`,
    );
    assert.equal(workers, null);
    assert.equal(
      await page.textContent('#engine'),
      `WebAssembly relaxed SIMD · up to ${loaded!.cores} workers (one per core)`,
    );
    assert.equal(page.workers().filter((w) => TRAINING_WORKER.test(w.url())).length, 1);
  });

  it('says so when WebAssembly SIMD is missing, and trains on the reference kernels', async () => {
    const context = await browser.newContext();
    // The workers' engine: served modules that no WebAssembly accepts, as a browser without SIMD rejects
    // the engine's (the init script below reaches the page only, not its workers).
    await context.route('**/*.wasm', (route) =>
      route.fulfill({
        body: Buffer.from([0, 0x61, 0x73, 0x6d, 2, 0, 0, 0]),
        contentType: 'application/wasm',
      }),
    );
    // Stand-in for an old browser: every module with SIMD instructions fails validation.
    await context.addInitScript(() => {
      const validate = WebAssembly.validate;
      WebAssembly.validate = (bytes) => {
        const b = new Uint8Array(bytes as ArrayBuffer);
        return b.includes(0xfd) ? false : validate(bytes);
      };
    });
    const other = await context.newPage();
    await other.goto(server.url);
    assert.equal(await other.isVisible('#simd-missing'), true);
    assert.match((await other.textContent('#simd-missing')) ?? '', /does not support WebAssembly SIMD/);
    const { engine: loaded } = await engine(other);
    assert.deepEqual(loaded, { backend: 'reference', cores: loaded!.cores, problem: null });
    await trainSmallModel(other);
    assert.match(
      (await other.textContent('#engine')) ?? '',
      /^reference kernels \(no WebAssembly SIMD\) · 2 workers$/,
    );
    await context.close();
  });

  it('served with COOP/COEP headers (cross-origin isolated), trains on the engine over its workers too', async () => {
    // Isolation turns SharedArrayBuffer on and refuses cross-origin loads without CORP headers: the page
    // takes the same path either way (no SharedArrayBuffer), and nothing it loads comes from elsewhere.
    const isolated = await serveStatic(pageRoot, { isolated: true });
    const context = await browser.newContext();
    try {
      const other = await context.newPage();
      const errors: string[] = [];
      other.on('pageerror', (e) => errors.push(e.message));
      other.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      await other.goto(isolated.url);
      assert.equal(await other.evaluate(() => crossOriginIsolated), true);
      const { engine: loaded } = await engine(other);
      assert.deepEqual(loaded, { backend: 'relaxed', cores: loaded!.cores, problem: null });
      await trainSmallModel(other);
      assert.match((await other.textContent('#engine')) ?? '', /^WebAssembly relaxed SIMD · \d+ workers?$/);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
      await isolated.close();
    }
  });

  it('takes a dropped text file, checked by the library (binary files are refused)', async () => {
    await page.click('input[value=own]');
    const drop = (name: string, bytes: number[]) =>
      page.$eval(
        '#own-text',
        (area, file) => {
          const transfer = new DataTransfer();
          transfer.items.add(new File([new Uint8Array(file.bytes)], file.name, { type: 'text/plain' }));
          area.dispatchEvent(
            new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }),
          );
        },
        { name, bytes },
      );
    await drop('bad.bin', [0x61, 0, 0x62]);
    await page.waitForFunction(() =>
      /looks binary/.test(document.getElementById('status')?.textContent ?? ''),
    );
    await drop('ahab.txt', [...new TextEncoder().encode('Ahab and the whale.\n')]);
    await page.waitForFunction(
      () => (document.getElementById('own-text') as HTMLTextAreaElement).value.length > 0,
    );
    assert.equal(await page.inputValue('#own-text'), 'Ahab and the whale.\n');
    assert.equal(await page.textContent('#text-info'), '20 characters, 13 different');
    // Too short to train on: a clear error, and nothing starts.
    await page.click('#train');
    await page.waitForFunction(() =>
      /too short for one training window/.test(document.getElementById('status')?.textContent ?? ''),
    );
    await page.click('input[value=builtin]');
  });

  it('trains in a worker: the loss falls, the chart draws, the page stays responsive', async () => {
    await page.selectOption('#cell', 'novolstm');
    await page.selectOption('#units', '32');
    await page.fill('#seq-len', '32');
    await page.fill('#batch', '8');
    await page.fill('#lr', '0.01');
    // Enough epochs that training still runs for the pause, generation and stop tests that follow: on the
    // engine one epoch of the excerpt takes only seconds.
    await page.fill('#epochs', '50');
    await page.click('#train');
    // Split over one Web Worker per core (8 streams are enough rows for each), on the engine.
    await page.waitForFunction(
      () => (window as unknown as { novolstmPage: PageEngine }).novolstmPage.workers !== null,
    );
    const { engine: loaded, workers } = await engine();
    assert.equal(workers, Math.min(loaded!.cores, 8));
    assert.equal(await page.textContent('#engine'), `WebAssembly relaxed SIMD · ${workers} workers`);
    assert.equal(
      replicas(),
      workers,
      `replica workers running: ${page
        .workers()
        .map((w) => w.url())
        .join(', ')}`,
    );
    // While training runs: the longest gap between timer ticks on the page's own thread.
    const stall = await page.evaluate<number>(MAIN_THREAD_STALL_PROBE);
    assert.ok(stall < MAX_MAIN_THREAD_STALL_MS, `the main thread stalled for ${stall.toFixed(0)} ms`);
    await page.waitForFunction(
      () => {
        const h = (window as unknown as { novolstmPage: { history: PageHistory } }).novolstmPage.history;
        return h.training.length >= 40 && h.validation.length >= 3;
      },
      null,
      { timeout: 90_000, polling: 250 },
    );
    const h = await history();
    const first = mean(h.training.slice(0, 5).map((p) => p.bpc));
    const last = mean(h.training.slice(-5).map((p) => p.bpc));
    assert.ok(
      first - last >= MIN_BPC_DROP,
      `training bpc fell from ${first.toFixed(3)} to ${last.toFixed(3)}`,
    );
    const v = h.validation;
    assert.ok(
      v[v.length - 1].bpc < v[0].bpc - MIN_BPC_DROP,
      `validation bpc ${v[0].bpc} → ${v[v.length - 1].bpc}`,
    );
    // The chart: two lines (training, validation) drawn as SVG paths through many points.
    const lines = await page.$$eval('#chart svg .mark-line path', (paths) =>
      paths.map((p) => (p.getAttribute('d') ?? '').split(/[LC]/).length),
    );
    assert.equal(lines.length, 2, `line marks: ${lines.length}`);
    assert.ok(
      lines.every((segments) => segments >= 3),
      `segments per line: ${lines.join(', ')}`,
    );
    assert.match((await page.textContent('#stat-speed')) ?? '', /^[\d,]+$/);
    assert.match((await page.textContent('#stat-eta')) ?? '', /\d+ (s|min|h)/);
  });

  it('pause holds training; resume continues it', async () => {
    await page.click('#pause');
    await page.waitForFunction(() => document.body.dataset.phase === 'paused');
    const before = (await history()).training.length;
    await page.waitForTimeout(1500);
    // A window that had started before the pause message arrived may still finish.
    assert.ok((await history()).training.length <= before + 1, 'no training while paused');
    await page.click('#pause');
    await page.waitForFunction(
      (n) =>
        (window as unknown as { novolstmPage: { history: PageHistory } }).novolstmPage.history.training
          .length >
        n + 2,
      before,
    );
  });

  it('generates text that streams in piece by piece, with temperature and top-k', async () => {
    const pieces = await page.evaluate(() => {
      const output = document.getElementById('output')!;
      (window as unknown as { appends: number }).appends = 0;
      new MutationObserver(() => (window as unknown as { appends: number }).appends++).observe(output, {
        childList: true,
      });
      return 0;
    });
    assert.equal(pieces, 0);
    await page.fill('#top-k', '5');
    await page.fill('#prime', PRIME);
    await page.fill('#length', '120');
    await page.locator('#temperature').fill('0.7');
    await page.click('#generate');
    await page.waitForFunction(() => document.body.dataset.generating === 'done', null, { timeout: 30_000 });
    const text = ((await page.textContent('#output')) ?? '').slice(PRIME.length);
    assert.equal([...text].length, 120);
    const appends = await page.evaluate(() => (window as unknown as { appends: number }).appends);
    assert.ok(appends >= 10, `the text arrived in ${appends} pieces`);
  });

  it('saves a model file that Node loads and that generates the same text in Node and the page', async () => {
    await page.click('#stop');
    await page.waitForFunction(() => document.body.dataset.phase === 'stopped');
    // Stopping closes the pool: its workers end (their ends reach playwright a moment later).
    for (let waited = 0; replicas() > 0 && waited < 5000; waited += 100) await page.waitForTimeout(100);
    assert.equal(replicas(), 0, 'the replica workers ended with the run');
    const greedyBefore = await generateInPage('0', GREEDY_LENGTH);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save')]);
    assert.equal(download.suggestedFilename(), 'novolstm-novolstm-32.tar');
    const file = join(scratch, download.suggestedFilename());
    await download.saveAs(file);
    savedFile = file;

    const model = await nl.loadModel(file);
    const config = nl.languageModelConfig(model);
    assert.equal(config.cell, 'novolstm');
    assert.equal(config.units, 32);
    assert.equal(generateInNode(model, GREEDY_LENGTH), greedyBefore);

    // Round trip: the page reads its own file back and generates the same text.
    await loadInPage([file]);
    assert.match((await page.textContent('#model-info')) ?? '', /NovoLSTM, 1 × 32 units/);
    assert.equal(await generateInPage('0', GREEDY_LENGTH), greedyBefore);
  });

  it("draws the gate heatmaps from the kernel's tape: the same values as traceGates in Node", async () => {
    const sample = 'Call me Ishmael. Some years ago';
    await page.fill('#gate-sample', sample);
    await page.click('#show-gates');
    await page.waitForFunction(() => document.body.dataset.gates === 'drawn', null, { timeout: 30_000 });
    assert.equal(await page.textContent('#gate-layer'), '1 (NovoLSTM)');
    type Trace = { chars: string[]; layers: { maps: { name: string; values: Record<string, number> }[] }[] };
    const shown = await page.evaluate(
      () => (window as unknown as { novolstmPage: { gates: unknown } }).novolstmPage.gates as Trace,
    );
    const expected = nl.traceGates(await nl.loadModel(savedFile), sample);
    assert.equal(shown.chars.join(''), sample);
    assert.deepEqual(
      shown.layers[0].maps.map((m) => m.name),
      ['inputGate', 'sigmoidBranch', 'softmaxBranch', 'forgetGate', 'outputGate', 'cellState'],
    );
    for (const [k, map] of expected.layers[0].maps.entries()) {
      assert.deepEqual(
        Float32Array.from(Object.values(shown.layers[0].maps[k].values)),
        map.values,
        map.name,
      );
    }
    // The canvas really holds a picture: many different colours, not a blank or single-colour area.
    const colours = await page.$eval('#gates canvas', (canvas) => {
      const c = canvas as HTMLCanvasElement;
      const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      const seen = new Set<number>();
      for (let n = 0; n < data.length; n += 4) seen.add((data[n] << 16) | (data[n + 1] << 8) | data[n + 2]);
      return seen.size;
    });
    assert.ok(colours > 200, `the heatmaps have ${colours} colours`);
  });

  it("opens a CLI save directory's files (a GRU saved by Node)", async () => {
    const vocabulary = nl.text.CharVocabulary.fromText('abc def\n').toJSON();
    const gru = nl.buildLanguageModel(
      { cell: 'gru', units: 12, layers: 2, embeddingDim: 4, dropout: 0, vocabulary },
      7,
    );
    gru.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    const dir = join(scratch, 'gru');
    await gru.save(dir);
    await loadInPage((await readdir(dir)).map((f) => join(dir, f)));
    assert.match((await page.textContent('#model-info')) ?? '', /GRU, 2 × 12 units, 8 characters/);
    assert.equal(await generateInPage('0', 30), generateInNode(gru, 30));
  });

  it('a broken model file is a clear error on the page', async () => {
    const bad = join(scratch, 'broken.tar');
    await writeFile(bad, new Uint8Array(2048).fill(7));
    await page.setInputFiles('#load', bad);
    await page.waitForFunction(() => document.getElementById('status')?.classList.contains('error'));
    assert.match(
      (await page.textContent('#status')) ?? '',
      /^ValueError: (tar archive: .*(corrupt|malformed)|model file: is not a model file)/,
    );
  });

  it('keeps saved models in IndexedDB: after a reload, one opens with a click', async () => {
    await page.reload();
    await page.waitForFunction(() => document.querySelectorAll('#recent li').length >= 1);
    const first = page.locator('#recent li').first();
    assert.match((await first.textContent()) ?? '', /novolstm-novolstm-32\.tar — NovoLSTM, 1 × 32 units/);
    await page.$eval('#model-info', (info) => (info.textContent = ''));
    await first.locator('button').click();
    await page.waitForFunction(() =>
      /^Loaded:/.test(document.getElementById('model-info')?.textContent ?? ''),
    );
    const expected = generateInNode(await nl.loadModel(savedFile), GREEDY_LENGTH);
    assert.equal(await generateInPage('0', GREEDY_LENGTH), expected);
  });

  it('npm run bench:web in small: the page times training steps on 1 and 2 workers, with the losses of Node', async () => {
    const other = await browser.newPage();
    try {
      const inPage = await benchInPage(other, server.url, SMOKE_BENCH);
      const inNode = await measureSeedSteps(SMOKE_BENCH);
      assert.equal(inPage.backend, 'relaxed');
      assert.deepEqual(
        inPage.results.map((r) => r.workers),
        [1, 2],
      );
      for (const [k, r] of inPage.results.entries()) {
        const node = inNode.results[k];
        assert.ok(
          Math.abs(r.firstLoss - node.firstLoss) <= LOSS_TOLERANCE * Math.abs(node.firstLoss),
          `${r.workers} workers: page loss ${r.firstLoss}, Node ${node.firstLoss}`,
        );
        assert.equal(r.timing.runs, SMOKE_BENCH.runs);
        assert.ok(
          r.timing.medianMs > 0 && Number.isFinite(r.timing.medianMs),
          `median ${r.timing.medianMs} ms`,
        );
      }
      // Split or not, the step is the same: only rounding differs.
      const [one, two] = inPage.results;
      assert.ok(Math.abs(one.firstLoss - two.firstLoss) <= LOSS_TOLERANCE * Math.abs(one.firstLoss));
    } finally {
      await other.close();
    }
  });

  it("npm run web's dev server serves a page that trains too (Node-only modules stay unused)", async () => {
    // Its own process, as `npm run web` runs it: vite build (above) leaves NODE_ENV=production in this
    // process, under which the dev server's stubs for node: modules stop throwing and hide mistakes.
    const dev = await startDevServer();
    const context = await browser.newContext();
    try {
      const errors: string[] = [];
      const other = await context.newPage();
      other.on('pageerror', (e) => errors.push(e.message));
      await other.goto(dev.url);
      await trainSmallModel(other, 5);
      // The dev server serves the engine's .wasm files and the replica workers' script too.
      const { engine: loaded, workers } = await engine(other);
      assert.equal(loaded?.backend, 'relaxed', `the dev page's engine: ${JSON.stringify(loaded)}`);
      assert.equal(workers, Math.min(loaded!.cores, 4));
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
      dev.stop();
    }
  });

  it('leaves a screenshot of a trained page and no errors', async () => {
    // Train a little more so the screenshot shows a curve, then generate with the sampler settings.
    await page.click('input[value=builtin]');
    await page.selectOption('#units', '32');
    await page.fill('#seq-len', '32');
    await page.fill('#batch', '8');
    await page.fill('#lr', '0.01');
    // Enough epochs that the run is still going when it is paused below: one epoch of the excerpt can end
    // before the second validation score on a fast engine, and a finished run has nothing to pause.
    await page.fill('#epochs', '100');
    const runs = await page.evaluate(
      () => (window as unknown as { novolstmPage: { runs: number } }).novolstmPage.runs,
    );
    await page.click('#train');
    // Wait for this run's own numbers: until its 'started' arrives, the history is the previous run's.
    await page.waitForFunction(
      (before) => {
        const p = (window as unknown as { novolstmPage: { runs: number; history: PageHistory } })
          .novolstmPage;
        return p.runs === before + 1 && p.history.training.length >= 30 && p.history.validation.length >= 2;
      },
      runs,
      { timeout: 60_000 },
    );
    await page.click('#pause');
    const h = await history();
    assert.ok(
      h.training.length >= 10,
      `the second run trained ${h.training.length} windows (${h.validation.length} scores); status: ${await page.textContent('#status')}`,
    );
    await page.waitForFunction(() => document.querySelectorAll('#chart svg .mark-line path').length === 2);
    await page.locator('#temperature').fill('0.8');
    await page.fill('#top-k', '0');
    await page.click('#generate');
    await page.waitForFunction(() => document.body.dataset.generating === 'done', null, { timeout: 30_000 });
    await page.click('#show-gates');
    await page.waitForFunction(() => document.body.dataset.gates === 'drawn', null, { timeout: 30_000 });
    await page.evaluate(
      () => (document.getElementById('status')!.textContent = 'Paused for the screenshot.'),
    );
    await mkdir(SCREENSHOTS, { recursive: true });
    const png = join(SCREENSHOTS, 'page.png');
    await page.screenshot({ path: png, fullPage: true });
    assert.ok((await readFile(png)).length > 10_000);
    assert.deepEqual(pageErrors, []);
  });
});
