/**
 * The seed model's training step as a user runs it: `nl.sequential([embedding, lstm | novoLSTM | gru,
 * dense(softmax)])`, Adam, sparse categorical cross-entropy on the last step — through the model API on
 * the WebAssembly engine, stepping through a Trainer (training/trainer.ts, what `fit` and `novolstm train`
 * use): on this thread, or with the batch split over worker threads (parallel/pool.ts).
 *
 * Sizes as in config.ts.
 */
import * as layers from '../src/layers/index.js';
import type { Batch } from '../src/layers/layer.js';
import { sequential, type Sequential } from '../src/models/sequential.js';
import { DataParallel } from '../src/parallel/pool.js';
import type { SpawnWorker } from '../src/parallel/protocol.js';
import { Random } from '../src/random.js';
import { tensor } from '../src/tensor.js';
import { adam } from '../src/training/optimizers.js';
import { LocalTrainer, PooledTrainer } from '../src/training/trainer.js';
import type { Tensor } from '../src/tensor.js';
import type { BenchConfig } from './config.js';

export interface SeedModel {
  /** One training step on a fixed random batch; returns the loss before the update. */
  trainStep(): number | Promise<number>;
  /** The forward pass only (no dropout, no gradient); returns the loss. */
  forward(): number | Promise<number>;
  /**
   * The same forward through the training path, keeping the tape a backward would read (the forward
   * before the tape-free path; bench --forward-ab): on this thread only.
   */
  forwardTaped?(): number;
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

/** A fixed random batch for the seed model: tokens [B, T] and the next token of each row [B]. */
export function seedBatch(c: BenchConfig, seed = 1): { x: Tensor; y: Tensor } {
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
  return { x, y };
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
  const { x, y } = seedBatch(c, seed);
  if (workers <= 1) {
    const trainer = new LocalTrainer(model);
    return {
      trainStep: async () => model.report(await trainer.step(x, y)) as number,
      forward: () => model.evaluate(x, y, { batchSize: c.B }) as number,
      forwardTaped: () => tapedLoss(model, x, y),
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

/**
 * The loss of (x, y) with the layers run as for training (ForwardContext.gradient true: the recurrent
 * layers keep their tape) but dropout off and no backward: what evaluate ran before the tape-free path.
 */
function tapedLoss(model: Sequential, x: Tensor, y: Tensor): number {
  const ctx = {
    training: false,
    rng: model.trainingRng,
    weightsVersion: model.weightsVersion,
    gradient: true,
  };
  let a: Batch = { data: x.data as Int32Array, shape: x.shape, mask: null };
  for (const layer of model.layers) a = layer.forward(a, ctx).output;
  // Softmax outputs [B, V]: the mean cross-entropy of the targets.
  const p = a.data as Float32Array;
  const V = a.shape[1];
  let nats = 0;
  for (let b = 0; b < y.shape[0]; b++) nats -= Math.log(p[b * V + y.data[b]]);
  return nats / y.shape[0];
}
