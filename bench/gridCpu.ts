/**
 * The full grid's cost in CPU time of one thread, which the load of a shared machine moves far less than
 * the wall time `npm run report -- --estimate-only` measures. One trial at a time on this thread, per
 * task × cell: 16 training batches (with a one-sequence test set, so that the evaluation costs nothing) and
 * one batch with the real test set's evaluation, each timed by process.cpuUsage (this thread is the only
 * busy one), scaled as estimate.ts scales them: every trial to its full budget, the search plus 5 seeds.
 *
 *   node --experimental-wasm-relaxed-simd --import tsx bench/gridCpu.ts
 *
 * On the trial pool the grid's wall time is at best this divided by the workers.
 */
import { loadavg } from 'node:os';
import '../src/node.js';
import { comparedCell } from '../src/experiments/comparedCells.js';
import { reportPreset } from '../src/experiments/presets.js';
import { runTrial } from '../src/experiments/trial.js';

const BATCHES = 16;

function cpuSeconds(run: () => void): number {
  const start = process.cpuUsage();
  run();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

const full = reportPreset('full');
const loadAtStart = loadavg()[0];
let total = 0;
for (const task of full.tasks) {
  const perTrial: string[] = [];
  for (const id of full.cells) {
    const cell = comparedCell(id);
    const options = { seed: 1, learningRate: task.learningRates[0] };
    const batches = cpuSeconds(() =>
      runTrial(
        {
          ...task,
          maxSequences: BATCHES * task.batchSize,
          evalEvery: Infinity,
          testSet: (rng) => task.generate(1, rng),
        },
        cell,
        options,
      ),
    );
    const oneWithEvaluation = cpuSeconds(() =>
      runTrial({ ...task, maxSequences: task.batchSize, evalEvery: Infinity }, cell, options),
    );
    const perBatch = batches / BATCHES;
    const perEvaluation = Math.max(0, oneWithEvaluation - perBatch);
    const trial =
      Math.ceil(task.maxSequences / task.batchSize) * perBatch +
      Math.ceil(task.maxSequences / task.evalEvery) * perEvaluation;
    total += (full.seeds + (full.search ? task.learningRates.length : 0)) * trial;
    perTrial.push(`${id} ${(trial / 60).toFixed(1)}`);
  }
  console.log(`${task.name}: CPU minutes per trial: ${perTrial.join(', ')}`);
}
console.log(
  `full grid: ${(total / 3600).toFixed(1)} CPU hours on one thread (load average ${loadAtStart.toFixed(1)} → ${loadavg()[0].toFixed(1)})`,
);
