/**
 * The seed model's training step on the novolstm engine: the recurrent layer (LSTM, NovoLSTM or GRU) runs
 * fused in WebAssembly (FastLstm, FastGru);
 * the small layers around it (embedding gather/scatter, the last step's Dense + softmax cross-entropy,
 * Adam) run in JavaScript here until the engine has them (issue 3).
 *
 * Sizes as in config.ts. Data layout time-major: tokens [T, B], x [T, B, E].
 */
import { gruCell, initialWeights, lstmCell, novoLstmCell } from '../src/cells.js';
import { gemm } from '../src/engine/gemm.js';
import type { Engine } from '../src/engine/loader.js';
import { FastGru } from '../src/engine/gru.js';
import { FastLstm } from '../src/engine/lstm.js';
import type { Params } from '../src/kernels/reference/cell.js';
import { Random } from '../src/random.js';
import type { BenchConfig } from './config.js';

const LEARNING_RATE = 1e-3;
const BETA1 = 0.9;
const BETA2 = 0.999;
const ADAM_EPSILON = 1e-7;

export interface SeedModel {
  /** One training step on a fixed random batch; returns the loss before the update. */
  trainStep(): number;
  /** The forward pass only; returns the loss. */
  forward(): number;
}

export type RecurrentKind = 'lstm' | 'novolstm' | 'gru';

/** What the seed model needs of a fused recurrent layer (FastLstm and FastGru both have it). */
interface RecurrentLayer {
  setWeights(p: Params): void;
  forward(x: Float32Array): { hT: Float32Array };
  backward(g: Params, upstream: { dhT: Float32Array }): { dx: Float32Array };
}

export function novolstmSeedModel(engine: Engine, c: BenchConfig, kind: RecurrentKind, seed = 1): SeedModel {
  const { B, T, E, H, V } = c;
  const rng = new Random(seed);
  const cell =
    kind === 'lstm'
      ? lstmCell({ units: H, inputDim: E })
      : kind === 'novolstm'
        ? novoLstmCell({ units: H, inputDim: E })
        : gruCell({ units: H, inputDim: E });
  const recurrent: RecurrentLayer =
    kind === 'gru' ? new FastGru(engine, cell, T, B) : new FastLstm(engine, cell, T, B);
  const uniform = (n: number, scale: number) =>
    Float32Array.from({ length: n }, () => (2 * rng.uniform() - 1) * scale);
  // All parameters by name; the gradient and Adam moments have the same shapes.
  const p: Params = {
    ...initialWeights(cell, seed),
    embedding: uniform(V * E, 0.05), // [V, E]
    denseKernel: uniform(H * V, Math.sqrt(6 / (H + V))), // [H, V]
    denseBias: new Float32Array(V), // [V]
  };
  const zerosLike = () =>
    Object.fromEntries(Object.entries(p).map(([k, v]) => [k, new Float32Array(v.length)]));
  const g: Params = zerosLike();
  const m: Params = zerosLike();
  const v2: Params = zerosLike();
  let step = 0;

  const tokens = Uint8Array.from({ length: T * B }, () => Math.floor(rng.uniform() * V)); // [T, B]
  const targets = Uint8Array.from({ length: B }, () => Math.floor(rng.uniform() * V)); // [B] next token
  const x = new Float32Array(T * B * E); // [T, B, E]
  const logits = new Float32Array(B * V); // [B, V]
  const dLogits = new Float32Array(B * V); // [B, V]
  const dhT = new Float32Array(B * H); // [B, H]

  function forwardLoss(): { hT: Float32Array; loss: number } {
    for (let r = 0; r < T * B; r++) x.set(p.embedding.subarray(tokens[r] * E, (tokens[r] + 1) * E), r * E);
    recurrent.setWeights(p);
    const { hT } = recurrent.forward(x);
    gemm(engine, logits, hT, p.denseKernel as Float32Array, B, H, V);
    let loss = 0;
    for (let b = 0; b < B; b++) {
      const row = b * V;
      let max = -Infinity;
      for (let j = 0; j < V; j++) max = Math.max(max, (logits[row + j] += p.denseBias[j]));
      let sum = 0;
      for (let j = 0; j < V; j++) sum += Math.exp(logits[row + j] - max);
      for (let j = 0; j < V; j++) {
        const prob = Math.exp(logits[row + j] - max) / sum;
        dLogits[row + j] = (prob - (j === targets[b] ? 1 : 0)) / B; // mean over the batch
      }
      loss -= (logits[row + targets[b]] - max - Math.log(sum)) / B;
    }
    return { hT, loss };
  }

  return {
    forward: () => forwardLoss().loss,
    trainStep() {
      const { hT, loss } = forwardLoss();
      for (const k in g) g[k].fill(0);
      gemm(engine, g.denseKernel as Float32Array, hT, dLogits, H, B, V, { transA: true });
      for (let b = 0; b < B; b++) for (let j = 0; j < V; j++) g.denseBias[j] += dLogits[b * V + j];
      gemm(engine, dhT, dLogits, p.denseKernel as Float32Array, B, V, H, { transB: true });
      const { dx } = recurrent.backward(g, { dhT });
      for (let r = 0; r < T * B; r++) {
        const o = tokens[r] * E;
        for (let j = 0; j < E; j++) g.embedding[o + j] += dx[r * E + j];
      }
      step++;
      const c1 = 1 - BETA1 ** step;
      const c2 = 1 - BETA2 ** step;
      for (const k in p) {
        const w = p[k];
        const gk = g[k];
        const mk = m[k];
        const vk = v2[k];
        for (let i = 0; i < w.length; i++) {
          mk[i] = BETA1 * mk[i] + (1 - BETA1) * gk[i];
          vk[i] = BETA2 * vk[i] + (1 - BETA2) * gk[i] * gk[i];
          w[i] -= (LEARNING_RATE * (mk[i] / c1)) / (Math.sqrt(vk[i] / c2) + ADAM_EPSILON);
        }
      }
      return loss;
    },
  };
}
