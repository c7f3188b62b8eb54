// @ts-check
/**
 * One configuration of `npm run bench:memory` (bench/memory.ts, which starts this file in a fresh process
 * per configuration and documents the figures): the seed model built, trained or evaluated through the
 * package's entry, then its peak RSS and what each thread holds, printed as one JSON row (MemoryRow).
 *
 *   node --experimental-wasm-relaxed-simd bench/memoryChild.mjs ROOT dist CONFIG_JSON
 *   node --experimental-wasm-relaxed-simd --import tsx bench/memoryChild.mjs ROOT src CONFIG_JSON
 *
 * ROOT: the checkout measured (its dist/ built for `dist`), this one or another (bench/memory.ts --root).
 *
 * Plain JavaScript, so that `dist` runs as a library user runs the built package: no TypeScript loader in
 * the process. Under tsx (`src`) every thread also carries tsx's loader — a worker registers it in its
 * own thread (src/parallel/workerScript.ts) — which the built package never loads.
 *
 * The model is the benchmark's seed model (seedSequential in bench/novolstmStep.ts, written here with the
 * package's own API): Embedding(V, E) → cell(H) → Dense(V, softmax), Adam, sparse categorical
 * cross-entropy on the last step, sizes from bench/config.ts.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [checkout, tree, configJson] = process.argv.slice(2);
if (tree !== 'dist' && tree !== 'src')
  throw new Error(`memoryChild: expected 'dist' or 'src', got '${tree}'`);
const ext = tree === 'dist' ? 'js' : 'ts';
const root = new URL(`${tree}/`, pathToFileURL(`${resolve(checkout)}/`));
const nl = await import(new URL(`node.${ext}`, root).href);
// The main thread's engines are not in the package's API; the same module instance the entry loaded.
const { threadMemory } = await import(new URL(`parallel/memory.${ext}`, root).href);

/** @type {{ cell: 'lstm' | 'novolstm' | 'gru', H: number, workers: number, mode: 'train' | 'predict', steps: number, B: number, T: number, E: number, V: number }} */
const c = JSON.parse(configJson);

/** @param {'VmHWM' | 'VmRSS'} name a kB figure of /proc/self/status, in bytes (Linux only) */
function procStatusBytes(name) {
  const match = readFileSync('/proc/self/status', 'utf8').match(new RegExp(`^${name}:\\s+(\\d+)`, 'm'));
  if (!match) throw new Error(`/proc/self/status has no ${name} line (Linux only)`);
  return Number(match[1]) * 1024;
}

await nl.useFastKernels();
const recurrent =
  c.cell === 'lstm'
    ? nl.layers.lstm({ units: c.H })
    : c.cell === 'novolstm'
      ? nl.layers.novoLSTM({ units: c.H })
      : nl.layers.gru({ units: c.H });
const model = nl.sequential({
  seed: 1,
  layers: [
    nl.layers.embedding({ inputDim: c.V, outputDim: c.E, inputShape: [c.T] }),
    recurrent,
    nl.layers.dense({ units: c.V, activation: 'softmax' }),
  ],
});
model.compile({
  optimizer: nl.optimizers.adam({ learningRate: 1e-3 }),
  loss: 'sparseCategoricalCrossentropy',
});
const rng = new nl.Random(1);
const x = nl.tensor(
  Int32Array.from({ length: c.B * c.T }, () => rng.int(c.V)),
  [c.B, c.T],
  'int32',
);
const y = nl.tensor(
  Int32Array.from({ length: c.B }, () => rng.int(c.V)),
  [c.B],
  'int32',
);
const pool = c.workers > 1 ? await nl.DataParallel.create(model, { workers: c.workers }) : null;
const trainer = pool ? new nl.PooledTrainer(pool) : new nl.LocalTrainer(model);
const startPeakRss = procStatusBytes('VmHWM');
try {
  for (let i = 0; i < c.steps; i++) {
    if (c.mode === 'train') await trainer.step(x, y);
    else if (pool) await pool.evaluate(x, y);
    else model.evaluate(x, y, { batchSize: c.B });
  }
  const threads = [threadMemory(), ...(pool ? await pool.memory() : [])];
  const row = {
    cell: c.cell,
    H: c.H,
    workers: c.workers,
    mode: c.mode,
    steps: c.steps,
    tree,
    peakRss: procStatusBytes('VmHWM'),
    rss: procStatusBytes('VmRSS'),
    startPeakRss,
    threads,
    load: loadavg(),
  };
  process.stdout.write(JSON.stringify(row));
} finally {
  await trainer.close();
}
