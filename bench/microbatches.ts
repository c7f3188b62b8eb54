/**
 * What micro-batches cost (models/microbatches.ts): the seed model's training step with the batch's
 * gradient summed over micro-batches of `--sizes` rows, against the whole batch at once, on this thread and
 * on the workers. The configurations take turns round by round, so a change in the machine's load reaches
 * them all; wall and CPU ms (every thread's) per step, and each one's ratio to the whole batch on the same
 * number of threads.
 *
 *   node --experimental-wasm-relaxed-simd --import tsx bench/microbatches.ts
 *        [--kinds lstm,novolstm] [--H 128] [--B 128] [--workers 1,2] [--sizes 64,32,16] [--rounds 3] [--runs 3]
 */
import { parseArgs } from 'node:util';
import { useFastKernels } from '../src/layers/backend.js';
import { openTrainer, type Trainer } from '../src/training/trainer.js';
import { SEED_CONFIG } from './config.js';
import { formatLoad, loadAverage, machine } from './machine.js';
import { median, timeRunsWithCpu } from './measure.js';
import { seedBatch, seedSequential, type RecurrentKind } from './novolstmStep.js';

const { values: flags } = parseArgs({
  options: {
    kinds: { type: 'string', default: 'lstm,novolstm' },
    H: { type: 'string', default: String(SEED_CONFIG.H) },
    B: { type: 'string', default: String(SEED_CONFIG.B) },
    workers: { type: 'string', default: '1,2' },
    sizes: { type: 'string', default: '64,32,16' },
    rounds: { type: 'string', default: '3' },
    runs: { type: 'string', default: '3' },
  },
});
const list = (s: string) => s.split(',').map(Number);
const config = { ...SEED_CONFIG, H: Number(flags.H), B: Number(flags.B) };
const kinds = flags.kinds.split(',') as RecurrentKind[];
const sizes: (number | undefined)[] = [undefined, ...list(flags.sizes)];

const build = await useFastKernels();
const m = machine();
console.log(
  `${m.cpuModel}, ${m.cores} cores, Node ${m.node}, engine ${build}; load ${formatLoad(loadAverage())}`,
);
console.log(`seed model B=${config.B} T=${config.T} E=${config.E} H=${config.H} V=${config.V}, Adam`);

interface Setup {
  readonly label: string;
  readonly kind: RecurrentKind;
  readonly workers: number;
  readonly size: number | undefined;
  readonly trainer: Trainer;
  readonly step: () => Promise<unknown>;
  wall: number[];
  cpu: number[];
}

const { x, y } = seedBatch(config);
const setups: Setup[] = [];
for (const kind of kinds) {
  for (const workers of list(flags.workers)) {
    for (const size of sizes) {
      const model = seedSequential(config, kind);
      const trainer = await openTrainer(model, { workers, subject: 'workers', microbatchSize: size });
      setups.push({
        label: `${kind} ${workers} thread${workers > 1 ? 's' : ''} ${size ? `micro-batches of ${size}` : 'whole batch'}`,
        kind,
        workers,
        size,
        trainer,
        step: () => trainer.step(x, y),
        wall: [],
        cpu: [],
      });
    }
  }
}

for (let round = 0; round < Number(flags.rounds); round++) {
  for (const s of setups) {
    const { wall, cpu } = await timeRunsWithCpu(s.step, 1, Number(flags.runs));
    s.wall.push(...wall);
    s.cpu.push(...cpu);
  }
  console.log(`round ${round + 1} done; load ${formatLoad(loadAverage())}`);
}

for (const s of setups) {
  const base = setups.find((b) => b.kind === s.kind && b.workers === s.workers && b.size === undefined)!;
  const ratio = (a: number[], b: number[]) => (median(a) / median(b)).toFixed(3);
  console.log(
    `${s.label.padEnd(44)} wall ${median(s.wall).toFixed(1).padStart(8)} ms (${ratio(s.wall, base.wall)}×)` +
      `  cpu ${median(s.cpu).toFixed(1).padStart(8)} ms (${ratio(s.cpu, base.cpu)}×)`,
  );
}
for (const s of setups) await s.trainer.close();
