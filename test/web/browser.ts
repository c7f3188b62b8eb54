/**
 * What the browser test (e2e.ts) and the browser benchmark (bench/web.ts) share: building the page with
 * Vite, and Debian's Chromium driven by playwright-core with the flags this machine needs.
 */
import { execFileSync } from 'node:child_process';
import { createServer as createNetServer } from 'node:net';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';
import type { SeedStepRequest, SeedStepResult } from '../../bench/seedSteps.js';

export const ROOT = resolve(import.meta.dirname, '../..');

/** The flags this machine needs: no sandbox as root, no GPU, and no background connections (no network). */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function chromiumPath(): string {
  try {
    return execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('Debian chromium is not installed: apt-get install -y chromium (.ci/run does it)');
  }
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_FLAGS });
}

/** `vite build` of web/ into `outDir` (default build/web, as `npm run build:web`). */
export async function buildPage(outDir = join(ROOT, 'build/web')): Promise<string> {
  await build({
    configFile: join(ROOT, 'web/vite.config.ts'),
    logLevel: 'error',
    build: { outDir, emptyOutDir: true },
  });
  return outDir;
}

/** A port of 127.0.0.1 that nothing listens on (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const probe = createNetServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => done(port));
    });
    probe.on('error', fail);
  });
}

/**
 * Opens the built benchmark page (web/bench.html) under `baseUrl` and times the seed model's step there
 * (bench/seedSteps.ts in a worker, split over Web Workers as the app trains). Page errors fail it.
 */
export async function benchInPage(
  page: Page,
  baseUrl: string,
  request: SeedStepRequest,
): Promise<SeedStepResult> {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(new URL('bench.html', baseUrl).href);
  const result = await page.evaluate(
    (r) =>
      (
        window as unknown as { novolstmBench: { run(r: SeedStepRequest): Promise<SeedStepResult> } }
      ).novolstmBench.run(r),
    request,
  );
  if (errors.length > 0) throw new Error(`the benchmark page reported errors: ${errors.join('; ')}`);
  return result;
}
