/**
 * The seed model's training step as a user runs it: `nl.sequential([embedding, lstm | novoLSTM | gru,
 * dense(softmax)])`, Adam, sparse categorical cross-entropy on the last step — through the model API on
 * the WebAssembly engine, stepping through a Trainer (training/trainer.ts, what `fit` and `novolstm train`
 * use): on this thread, or with the batch split over worker threads (parallel/pool.ts).
 *
 * Sizes as in config.ts.
 */
import * as layers from '../src/layers/index.js';
import { sequential, type Sequential } from '../src/models/sequential.js';
import { DataParallel } from '../src/parallel/pool.js';
import type { SpawnWorker } from '../src/parallel/protocol.js';
import { Random } from '../src/random.js';
import { tensor } from '../src/tensor.js';
import { adam } from '../src/training/optimizers.js';
import { LocalTrainer, PooledTrainer } from '../src/training/trainer.js';
import type { BenchConfig } from './config.js';

export interface SeedModel {
  /** One training step on a fixed random batch; returns the loss before the update. */
  trainStep(): number | Promise<number>;
  /** The forward pass only (no dropout, no gradient); returns the loss. */
  forward(): number | Promise<number>;
  dispose(): void | Promise<void>;
}

export type RecurrentKind = 'lstm' | 'novolstm' | 'gru';

export function seedSequential(c: BenchConfig, kind: RecurrentKind, seed = 1): Sequential {
  const recurrent =
    kind === 'lstm'
      ? layers.lstm({ units: c.H })
      : kind === 'novolstm'
        ? layers.novoLSTM({ units: c.H })
        : layers.gru({ units: c.H });
  const model = sequential({
    seed,
    layers: [
      layers.embedding({ inputDim: c.V, outputDim: c.E, inputShape: [c.T] }),
      recurrent,
      layers.dense({ units: c.V, activation: 'softmax' }),
    ],
  });
  model.compile({ optimizer: adam({ learningRate: 1e-3 }), loss: 'sparseCategoricalCrossentropy' });
  return model;
}

/**
 * The seed model on the engine the layers use (`useFastKernels` first), with `workers` threads (1: none),
 * started by `spawn` (default: Node worker threads; the browser benchmark passes Web Workers).
 */
export async function novolstmSeedModel(
  c: BenchConfig,
  kind: RecurrentKind,
  workers: number,
  seed = 1,
  spawn?: SpawnWorker,
): Promise<SeedModel> {
  const model = seedSequential(c, kind, seed);
  const rng = new Random(seed);
  const x = tensor(
    Int32Array.from({ length: c.B * c.T }, () => rng.int(c.V)),
    [c.B, c.T],
    'int32',
  );
  const y = tensor(
    Int32Array.from({ length: c.B }, () => rng.int(c.V)),
    [c.B],
    'int32',
  );
  if (workers <= 1) {
    const trainer = new LocalTrainer(model);
    return {
      trainStep: async () => model.report(await trainer.step(x, y)) as number,
      forward: () => model.evaluate(x, y, { batchSize: c.B }) as number,
      dispose: () => trainer.close(),
    };
  }
  const pool = await DataParallel.create(model, { workers, ...(spawn ? { spawn } : {}) });
  const trainer = new PooledTrainer(pool);
  return {
    trainStep: async () => model.report(await trainer.step(x, y)) as number,
    forward: async () => model.report(await pool.evaluate(x, y)) as number,
    dispose: () => trainer.close(),
  };
}
