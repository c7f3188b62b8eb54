/**
 * The browser benchmark's worker (bench.html): times the seed model's training step with
 * bench/seedSteps.ts — the code Node's side of `npm run bench:web` runs — on this worker alone and split
 * over Web Workers, as the page's training worker does.
 */
import { measureSeedSteps, type SeedStepRequest, type SeedStepResult } from '../bench/seedSteps.js';
import { spawnWebWorker } from './webWorkers.js';

export type BenchReply =
  { readonly ok: true; readonly result: SeedStepResult } | { readonly ok: false; readonly error: string };

const scope = self as unknown as {
  postMessage(message: BenchReply): void;
  onmessage: ((event: MessageEvent<SeedStepRequest>) => void) | null;
};

scope.onmessage = (event) => {
  measureSeedSteps(event.data, spawnWebWorker).then(
    (result) => scope.postMessage({ ok: true, result }),
    (error: unknown) =>
      scope.postMessage({
        ok: false,
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      }),
  );
};
