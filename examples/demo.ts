/**
 * The short end-to-end run (until the language model takes over `npm start`): a NovoLSTM learns the
 * adding problem — a sequence of (value, marker) pairs with two marked values, the target their sum —
 * and its mean squared error falls from the baseline of always answering 1 (MSE ≈ 0.167) towards zero.
 *
 * The network is NovoLSTM(16) on the reference kernels, a linear read-out of the final h, and Adam —
 * written out plainly here because the model API is not in this package yet.
 */
import { initialWeights, novoLstmCell } from '../src/cells.js';
import { glorotUniform } from '../src/initializers.js';
import type { Params } from '../src/kernels/reference/cell.js';
import { recurrentBackward, recurrentForward, zeroGradients } from '../src/kernels/reference/recurrence.js';
import { Random } from '../src/random.js';

const T = 20; // steps per sequence
const B = 32; // sequences per batch
const UNITS = 16;
const STEPS = 600;
const LEARNING_RATE = 5e-3;
const rng = new Random(1);

/** x [T, B, 2] time-major: (value in U[0,1], marker 0/1), one marker in each half; y [B] the marked sum. */
function addingBatch(): { x: Float32Array; y: Float32Array } {
  const x = new Float32Array(T * B * 2);
  const y = new Float32Array(B);
  for (let b = 0; b < B; b++) {
    const first = rng.int(T / 2);
    const second = T / 2 + rng.int(T / 2);
    for (let t = 0; t < T; t++) {
      const v = rng.uniform();
      x[(t * B + b) * 2] = v;
      if (t === first || t === second) {
        x[(t * B + b) * 2 + 1] = 1;
        y[b] += v;
      }
    }
  }
  return { x, y };
}

const cell = novoLstmCell({ units: UNITS, inputDim: 2 });
const p: Params = initialWeights(cell, 1);
p.readout = glorotUniform(new Float32Array(UNITS), UNITS, 1, rng); // [u, 1]
p.readoutBias = new Float32Array([1]);
const moments = Object.fromEntries(
  Object.entries(p).map(([k, v]) => [k, { m: new Float32Array(v.length), v: new Float32Array(v.length) }]),
);

console.log(`NovoLSTM(${UNITS}) on the adding problem, T = ${T}, batch ${B}; baseline MSE ≈ 0.167`);
let running = 0;
for (let step = 1; step <= STEPS; step++) {
  const { x, y } = addingBatch();
  const out = recurrentForward(cell, p, x, { T, B });
  // prediction = h_T · readout + bias;  loss = mean (prediction − y)²
  const dhT = new Float32Array(B * UNITS);
  const g: Params = {
    ...zeroGradients(cell, x),
    readout: new Float32Array(UNITS),
    readoutBias: new Float32Array(1),
  };
  let loss = 0;
  for (let b = 0; b < B; b++) {
    let prediction = p.readoutBias[0];
    for (let j = 0; j < UNITS; j++) prediction += out.hT[b * UNITS + j] * p.readout[j];
    const error = prediction - y[b];
    loss += (error * error) / B;
    const dPrediction = (2 * error) / B;
    g.readoutBias[0] += dPrediction;
    for (let j = 0; j < UNITS; j++) {
      g.readout[j] += dPrediction * out.hT[b * UNITS + j];
      dhT[b * UNITS + j] = dPrediction * p.readout[j];
    }
  }
  recurrentBackward(g, out.saved, p, { dhT });
  // Adam (β₁ = 0.9, β₂ = 0.999, ε = 1e-7 as Keras).
  for (const [name, w] of Object.entries(p)) {
    const { m, v } = moments[name];
    const correction = Math.sqrt(1 - 0.999 ** step) / (1 - 0.9 ** step);
    for (let i = 0; i < w.length; i++) {
      m[i] = 0.9 * m[i] + 0.1 * g[name][i];
      v[i] = 0.999 * v[i] + 0.001 * g[name][i] ** 2;
      w[i] -= (LEARNING_RATE * correction * m[i]) / (Math.sqrt(v[i]) + 1e-7);
    }
  }
  running = step === 1 ? loss : 0.95 * running + 0.05 * loss;
  if (step === 1 || step % 50 === 0)
    console.log(`step ${String(step).padStart(4)}  MSE ${running.toFixed(4)}`);
}
console.log(
  running < 0.05
    ? 'Learned: the error is far below the baseline.'
    : 'Still learning: the error is above 0.05.',
);
