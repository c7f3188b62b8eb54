/**
 * The browser benchmark page (bench.html): `window.novolstmBench.run(request)` times the seed model's
 * training step in a fresh worker (benchWorker.ts) and resolves with the timings; `npm run bench:web`
 * (bench/web.ts) calls it through Chromium. The button runs the seed configuration by hand.
 */
import { SEED_CONFIG } from '../bench/config.js';
import type { SeedStepRequest, SeedStepResult } from '../bench/seedSteps.js';
import type { BenchReply } from './benchWorker.js';

function run(request: SeedStepRequest): Promise<SeedStepResult> {
  const worker = new Worker(new URL('./benchWorker.ts', import.meta.url), { type: 'module' });
  return new Promise<SeedStepResult>((resolve, reject) => {
    worker.onmessage = (event: MessageEvent<BenchReply>) =>
      event.data.ok ? resolve(event.data.result) : reject(new Error(event.data.error));
    worker.onerror = (event) => reject(new Error(`the benchmark worker failed: ${event.message}`));
    worker.postMessage(request);
  }).finally(() => worker.terminate());
}

(window as unknown as { novolstmBench: unknown }).novolstmBench = { run };

const button = document.getElementById('run') as HTMLButtonElement;
const output = document.getElementById('output')!;
button.addEventListener('click', async () => {
  button.disabled = true;
  output.textContent = 'Measuring…';
  try {
    const { backend, results } = await run({
      config: SEED_CONFIG,
      kind: 'lstm',
      workers: [1, 'auto'],
      warmup: 2,
      runs: 5,
    });
    output.textContent = results
      .map(
        (r) =>
          `${backend}, ${r.workers} worker(s): ${r.timing.medianMs.toFixed(1)} ms per step (median of ${r.timing.runs})`,
      )
      .join('\n');
  } catch (error) {
    output.textContent = (error as Error).message;
  } finally {
    button.disabled = false;
  }
});
