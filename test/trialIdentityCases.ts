/**
 * Short trials of every compared cell on the tasks where the grid's speed-ups act — long sequences whose
 * gradients underflow (adding-modern-400), lengths that differ per batch (adding-100), masked per-step
 * targets (embedded-reber) — and what of a trial must stay identical: everything but its timing fields.
 *
 * Run as a program, it prints their results as the fixture test/fixtures/trialIdentity.json:
 *   node --experimental-wasm-relaxed-simd --import tsx test/trialIdentityCases.ts > test/fixtures/trialIdentity.json
 *   npx prettier --write test/fixtures/trialIdentity.json
 * The checked-in fixture was recorded from the code before the speed-ups (commit 6c16e22), so the test
 * says that they left every result as it was.
 */
import { execFileSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { compileEngineSync } from '../src/engine/nodeEngine.js';
import { comparedCell } from '../src/experiments/comparedCells.js';
import { taskByName, type TaskSpec } from '../src/experiments/taskSuite.js';
import { runTrial, type TrialResult } from '../src/experiments/trial.js';
import { kernelBackend, useEngineModule } from '../src/layers/backend.js';

/** The cells of the grid when the fixture was recorded. */
export const IDENTITY_CELLS = [
  'lstm',
  'novolstm',
  'novolstm-gain1',
  'novolstm-reference',
  'novolstm-ln-all',
  'gru',
] as const;

/** Each task cut to a few batches, evaluated twice on its test set. */
export const IDENTITY_TASKS: readonly TaskSpec[] = [
  { ...taskByName('adding-modern-400'), maxSequences: 6 * 32, evalEvery: 3 * 32 },
  { ...taskByName('adding-100'), maxSequences: 8 * 16, evalEvery: 4 * 16 },
  { ...taskByName('embedded-reber'), maxSequences: 8 * 16, evalEvery: 4 * 16 },
];

export const IDENTITY_SEED = 3;

export interface IdentityCase {
  readonly task: TaskSpec;
  readonly cell: string;
  readonly learningRate: number;
}

export function identityCases(): IdentityCase[] {
  return IDENTITY_TASKS.flatMap((task) =>
    IDENTITY_CELLS.map((cell) => ({ task, cell, learningRate: task.learningRates[1] })),
  );
}

/** What a trial's result is, without the wall-clock fields (they differ run to run). */
export function resultOf(
  trial: TrialResult,
): Omit<TrialResult, 'seconds' | 'trainSeconds' | 'evaluationSeconds'> {
  const { seconds: _s, trainSeconds: _t, evaluationSeconds: _e, ...rest } = trial;
  return rest;
}

export function runCase(c: IdentityCase): TrialResult {
  return runTrial(c.task, comparedCell(c.cell), { seed: IDENTITY_SEED, learningRate: c.learningRate });
}

/** JSON keeps no NaN: losses are written as strings so that a NaN survives the round trip. */
export function encode(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'number' && !Number.isFinite(v) ? `number:${v}` : v,
  );
}

export function decode(text: string): unknown {
  return JSON.parse(text, (_key, v: unknown) =>
    typeof v === 'string' && v.startsWith('number:') ? Number(v.slice('number:'.length)) : v,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const engine = compileEngineSync();
  if (engine.build) useEngineModule(engine.build, engine.module);
  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  const results = identityCases().map((c) => resultOf(runCase(c)));
  process.stdout.write(`${encode({ commit, backend: kernelBackend(), seed: IDENTITY_SEED, results })}\n`);
}
