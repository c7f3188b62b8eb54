/**
 * Before and after in one sitting: the seed model's forward pass (`evaluate` on the batch split over
 * worker threads, bench/novolstmStep.ts) and, with `--what train` (or `forward,train`), its training step,
 * with this tree's code and with another checkout's (`--base`, e.g.
 * the main branch's worktree, its wasm built), run by run in turns so that both see the same load. Both
 * trees' modules load side by side in this process, each with its own engine and its own workers.
 *
 *   node --experimental-wasm-relaxed-simd --import tsx bench/baseline.ts --base /work/main
 *        [--H 128[,n…]] [--kinds lstm,novolstm,gru] [--what forward[,train]] [--workers 2] [--runs 15]
 *
 * Prints per configuration the median wall and CPU ms (this process, all threads) of each side and the
 * ratio after ÷ before, and the load average at the start and the end.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { SEED_CONFIG } from './config.js';
import { formatLoad, loadAverage, machine } from './machine.js';
import { median, timeRunsWithCpu } from './measure.js';
import type { RecurrentKind, SeedModel } from './novolstmStep.js';

interface Tree {
  readonly label: string;
  readonly seedModel: (c: typeof SEED_CONFIG, kind: RecurrentKind, workers: number) => Promise<SeedModel>;
}

async function loadTree(root: string, label: string): Promise<Tree> {
  const url = (path: string) => pathToFileURL(resolve(root, path)).href;
  const loader = (await import(url('src/engine/loader.ts'))) as typeof import('../src/engine/loader.js');
  const backend = (await import(url('src/layers/backend.ts'))) as typeof import('../src/layers/backend.js');
  const step = (await import(url('bench/novolstmStep.ts'))) as typeof import('./novolstmStep.js');
  await loader.enableRelaxedSimdInNode();
  const build = await backend.useFastKernels();
  if (build === 'reference') throw new Error(`bench: ${root} has no engine here`);
  return { label: `${label} (${build})`, seedModel: step.novolstmSeedModel };
}

const { values } = parseArgs({
  options: {
    base: { type: 'string' },
    H: { type: 'string', default: String(SEED_CONFIG.H) },
    kinds: { type: 'string', default: 'lstm,novolstm,gru' },
    what: { type: 'string', default: 'forward' },
    workers: { type: 'string', default: '2' },
    runs: { type: 'string', default: '15' },
  },
});
if (!values.base) throw new Error('bench/baseline.ts: --base DIR (the checkout to compare with) is needed');
const runs = Number(values.runs);
const workers = Number(values.workers);
const host = machine();
const loadStart = loadAverage();
console.log(
  `${host.cpuModel}, ${host.cores} cores, Node ${host.node}; load average at the start ${formatLoad(loadStart)}`,
);
const before = await loadTree(values.base, `before: ${values.base}`);
const after = await loadTree(resolve(import.meta.dirname, '..'), 'after: this tree');
const phases = values.what.split(',');
for (const phase of phases) {
  if (phase !== 'forward' && phase !== 'train') {
    throw new Error(`bench/baseline.ts: --what takes forward and train, got '${phase}'`);
  }
}
for (const H of values.H.split(',').map(Number)) {
  for (const [kind, phase] of (values.kinds.split(',') as RecurrentKind[]).flatMap((k) =>
    phases.map((p) => [k, p] as const),
  )) {
    const config = { ...SEED_CONFIG, H };
    const models = [
      await before.seedModel(config, kind, workers),
      await after.seedModel(config, kind, workers),
    ];
    const wall: number[][] = [[], []];
    const cpu: number[][] = [[], []];
    try {
      // Both sides start from the same weights and see the same batch, so their training runs the same steps.
      const run = (m: SeedModel) => (phase === 'train' ? m.trainStep() : m.forward());
      for (const m of models) await run(m); // warm-up: plans made, weights sent
      for (let r = 0; r < runs; r++) {
        // Alternate which side goes first, so neither always follows the other.
        const order = r % 2 === 0 ? [0, 1] : [1, 0];
        for (const i of order) {
          const t = await timeRunsWithCpu(() => run(models[i]), 0, 1);
          wall[i].push(t.wall[0]);
          cpu[i].push(t.cpu[0]);
        }
      }
    } finally {
      for (const m of models) await m.dispose();
    }
    const [wb, wa, cb, ca] = [median(wall[0]), median(wall[1]), median(cpu[0]), median(cpu[1])];
    console.log(
      `H=${H} ${kind}, ${workers} workers, ${phase === 'train' ? 'training step' : 'forward (evaluate)'}, ` +
        `median of ${runs}: ` +
        `before ${wb.toFixed(1)} ms wall / ${cb.toFixed(1)} CPU; after ${wa.toFixed(1)} / ${ca.toFixed(1)}; ` +
        `after ÷ before ${(wa / wb).toFixed(2)} wall, ${(ca / cb).toFixed(2)} CPU`,
    );
  }
}
console.log(`${before.label} against ${after.label}; load average at the end ${formatLoad(loadAverage())}`);
