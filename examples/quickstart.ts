/**
 * Quick start for the Keras-style API: the shape of seed 000's text classifier —
 * Embedding(maskZero) → NovoLSTM → Dense(3, softmax) — on a small synthetic task, then evaluate, save,
 * load and predict.
 *
 * The task: sequences of 3–9 token ids (padded with 0); the class is which of three marker tokens (1, 2, 3)
 * occurs most often, so the model must read the whole sequence and ignore the padding.
 *
 *   npx tsx examples/quickstart.ts
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as nl from '../src/index.js';

export interface QuickstartResult {
  readonly history: nl.History;
  /** [loss, accuracy] on held-out data. */
  readonly test: number[];
  /** The loaded model's predictions equal the trained model's. */
  readonly reloadedMatches: boolean;
}

const VOCAB = 30;
const T = 9;

/** Padded id sequences [N, T] and their labels [N] (class = most frequent marker, ties to the smaller). */
export function markerData(seed: number, N: number): { x: nl.Tensor; y: nl.Tensor } {
  const rng = new nl.Random(seed);
  const ids = new Int32Array(N * T);
  const labels = new Int32Array(N);
  for (let n = 0; n < N; n++) {
    const length = 3 + rng.int(T - 2);
    const counts = [0, 0, 0];
    for (let t = 0; t < length; t++) {
      const id = rng.uniform() < 0.4 ? 1 + rng.int(3) : 4 + rng.int(VOCAB - 4);
      ids[n * T + t] = id;
      if (id <= 3) counts[id - 1]++;
    }
    labels[n] = counts.indexOf(Math.max(...counts));
  }
  return { x: nl.tensor(ids, [N, T], 'int32'), y: nl.tensor(labels, [N], 'int32') };
}

export async function quickstart(
  options: { samples?: number; epochs?: number; verbose?: 0 | 1 } = {},
): Promise<QuickstartResult> {
  const { samples = 600, epochs = 15, verbose = 1 } = options;
  const train = markerData(1, samples);
  const test = markerData(2, Math.ceil(samples / 4));

  const model = nl.sequential({
    layers: [
      nl.layers.embedding({ inputDim: VOCAB, outputDim: 16, maskZero: true }),
      nl.layers.novoLSTM({ units: 24 }),
      nl.layers.dense({ units: 3, activation: 'softmax' }),
    ],
    seed: 42,
  });
  model.compile({
    optimizer: nl.optimizers.adam({ learningRate: 0.01, clipNorm: 5 }),
    loss: 'sparseCategoricalCrossentropy',
    metrics: ['accuracy'],
  });
  const history = await model.fit(train.x, train.y, {
    batchSize: 32,
    epochs,
    validationSplit: 0.1,
    callbacks: [nl.callbacks.earlyStopping({ monitor: 'val_loss', patience: 3, restoreBestWeights: true })],
    verbose,
  });
  if (verbose) model.summary();
  const scores = model.evaluate(test.x, test.y) as number[];

  const dir = await mkdtemp(join(tmpdir(), 'novolstm-quickstart-'));
  await model.save(dir);
  const reloaded = await nl.loadModel(dir);
  const a = model.predict(test.x).data;
  const b = reloaded.predict(test.x).data;
  await rm(dir, { recursive: true });
  return { history, test: scores, reloadedMatches: a.every((v, i) => v === b[i]) };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // The WebAssembly engine (relaxed SIMD needs a V8 flag in Node 20, set here); the reference kernels without it.
  await nl.enableRelaxedSimdInNode();
  await nl.ready();
  const { test } = await quickstart();
  console.log(`held-out loss ${test[0].toFixed(3)}, accuracy ${test[1].toFixed(3)}`);
}
