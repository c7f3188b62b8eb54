/**
 * The seed model's training step timed the same way in Node and in a browser page (web/benchWorker.ts):
 * for each worker count, one step whose loss is kept (the same batch and weights everywhere, so the
 * losses must agree), `warmup` more steps, then the median of `runs` measured steps. Environment-free:
 * Node passes no `spawn` (worker threads), the page passes its Web Worker maker.
 */
import { enableRelaxedSimdInNode } from '../src/engine/loader.js';
import { useFastKernels } from '../src/layers/backend.js';
import { availableCores, resolveWorkers } from '../src/parallel/pool.js';
import type { SpawnWorker } from '../src/parallel/protocol.js';
import type { BenchConfig } from './config.js';
import { time, type Timing } from './measure.js';
import { novolstmSeedModel, type RecurrentKind } from './novolstmStep.js';

export interface SeedStepRequest {
  readonly config: BenchConfig;
  readonly kind: RecurrentKind;
  /** Worker counts to measure, in order; 'auto' is one per core. 1 trains on the calling thread alone. */
  readonly workers: readonly (number | 'auto')[];
  readonly warmup: number;
  readonly runs: number;
}

export interface SeedStepTiming {
  readonly workers: number;
  /** The loss of the first step (before any update). */
  readonly firstLoss: number;
  readonly timing: Timing;
}

export interface SeedStepResult {
  /** 'relaxed', 'simd' or 'reference'. */
  readonly backend: string;
  readonly cores: number;
  readonly results: readonly SeedStepTiming[];
}

export async function measureSeedSteps(
  request: SeedStepRequest,
  spawn?: SpawnWorker,
): Promise<SeedStepResult> {
  // Node 20 validates the relaxed build only with this V8 flag; elsewhere it does nothing.
  await enableRelaxedSimdInNode();
  const backend = await useFastKernels();
  const results: SeedStepTiming[] = [];
  for (const wanted of request.workers) {
    const workers = await resolveWorkers(wanted, 'workers');
    const model = await novolstmSeedModel(request.config, request.kind, workers, 1, spawn);
    try {
      const firstLoss = await model.trainStep();
      const timing = await time(() => model.trainStep(), request.warmup, request.runs);
      results.push({ workers, firstLoss, timing });
    } finally {
      await model.dispose();
    }
  }
  return { backend, cores: await availableCores(), results };
}
