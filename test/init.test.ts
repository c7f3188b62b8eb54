/**
 * Initial weights: Keras' defaults, the documented shapes, and reproducible from a seed.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gruCell, initialWeights, lstmCell, novoLstmCell } from '../src/cells.js';
import { orthogonal } from '../src/initializers.js';
import { Random } from '../src/random.js';

describe('weight layouts (Keras-compatible)', () => {
  const shapes = (cell: { weights: readonly { name: string; shape: readonly number[] }[] }) =>
    Object.fromEntries(cell.weights.map((w) => [w.name, w.shape]));
  it('LSTM: kernel [D, 4u], recurrentKernel [u, 4u], bias [4u]', () => {
    assert.deepEqual(shapes(lstmCell({ units: 3, inputDim: 5 })), {
      kernel: [5, 12],
      recurrentKernel: [3, 12],
      bias: [12],
    });
  });
  it("NovoLSTM readme: blocks ifcoi', gamma and beta [u]", () => {
    assert.deepEqual(shapes(novoLstmCell({ units: 3, inputDim: 5 })), {
      kernel: [5, 15],
      recurrentKernel: [3, 15],
      bias: [15],
      gamma: [3],
      beta: [3],
    });
  });
  it("NovoLSTM reference: no recurrent i' block; 'all' adds gateGamma/gateBeta [4, u]", () => {
    assert.deepEqual(
      shapes(novoLstmCell({ units: 3, inputDim: 5, inputGate: 'reference', layerNorm: 'all' })),
      {
        kernel: [5, 15],
        recurrentKernel: [3, 12],
        bias: [15],
        gamma: [3],
        beta: [3],
        gateGamma: [4, 3],
        gateBeta: [4, 3],
      },
    );
  });
  it('GRU: bias [2, 3u] with resetAfter, [3u] without', () => {
    assert.deepEqual(shapes(gruCell({ units: 3, inputDim: 5 })).bias, [2, 9]);
    assert.deepEqual(shapes(gruCell({ units: 3, inputDim: 5, resetAfter: false })).bias, [9]);
  });
});

describe('initial weights', () => {
  it('LSTM family: forget-gate bias 1, others 0; gains 1, shifts 0; kernel within the Glorot limit', () => {
    const u = 5;
    const D = 7;
    const p = initialWeights(novoLstmCell({ units: u, inputDim: D, layerNorm: 'all' }), 3);
    assert.deepEqual(
      [...p.bias],
      [...Array(5 * u)].map((_, j) => (j >= u && j < 2 * u ? 1 : 0)),
    );
    // The readme input gate's gain starts at u (cells.ts, defaultInputGateGain); the other gains at 1.
    assert.ok(p.gamma.every((v) => v === u) && p.gateGamma.every((v) => v === 1));
    assert.ok(p.beta.every((v) => v === 0) && p.gateBeta.every((v) => v === 0));
    const limit = Math.sqrt(6 / (D + 5 * u));
    assert.ok(p.kernel.every((v) => Math.abs(v) <= limit));
    assert.ok(Math.max(...p.kernel.map(Math.abs)) > 0.8 * limit, 'spread over the range');
  });
  it("NovoLSTM input-gate gain: 'units' by default with 'readme', 'ones' with 'reference', either on request", () => {
    const gain = (options: object) => [
      ...new Set(initialWeights(novoLstmCell({ units: 7, inputDim: 3, ...options }), 1).gamma),
    ];
    assert.deepEqual(gain({}), [7]);
    assert.deepEqual(gain({ inputGate: 'reference' }), [1]);
    assert.deepEqual(gain({ inputGateGain: 'ones' }), [1]);
    assert.deepEqual(gain({ inputGate: 'reference', inputGateGain: 'units' }), [7]);
    assert.throws(
      () => novoLstmCell({ units: 7, inputDim: 3, inputGateGain: 2 as never }),
      /inputGateGain.*'units' or 'ones'|inputGateGain/,
    );
  });
  it("NovoLSTM readme: with gain 'units' the input gate starts at the scale of an LSTM's, with 'ones' ~1/u", () => {
    // One step from zero state: i = γ·LN(σ(a_i)) ⊙ softmax(a_i'), read from the tape by the gate map.
    const u = 63;
    const rms = (inputGateGain: 'units' | 'ones') => {
      const cell = novoLstmCell({ units: u, inputDim: 5, inputGateGain });
      const p = initialWeights(cell, 4);
      const B = 9;
      const rng = new Random(8);
      const x = Float32Array.from({ length: B * 5 }, () => rng.normal());
      const zx = new Float32Array(B * cell.projectionWidth);
      for (let b = 0; b < B; b++) {
        for (let j = 0; j < cell.projectionWidth; j++) {
          let s = p.bias[j];
          for (let d = 0; d < 5; d++) s += x[b * 5 + d] * p.kernel[d * cell.projectionWidth + j];
          zx[b * cell.projectionWidth + j] = s;
        }
      }
      const tape = cell.allocTape(1, B, new Float32Array(0));
      const h = new Float32Array(B * u);
      const c = new Float32Array(B * u);
      cell.stepForward(h, c, tape, 0, zx, new Float32Array(B * u), new Float32Array(B * u), p, B);
      // From zero state c = i ⊙ g, so the cell state's scale is the input gate's times tanh's.
      return Math.sqrt(c.reduce((s, v) => s + v * v, 0) / c.length);
    };
    const units = rms('units');
    const ones = rms('ones');
    assert.ok(units > 0.1 && units < 2, `rms c with gain u: ${units}`);
    assert.ok(Math.abs(ones * u - units) < 1e-5 * units * u, `gain 1 is exactly 1/u of it: ${ones}`);
  });
  it('GRU: bias all zero', () => {
    assert.ok(initialWeights(gruCell({ units: 3, inputDim: 2 }), 1).bias.every((v) => v === 0));
  });
  it('the same seed gives the same weights; another seed different ones', () => {
    const cell = lstmCell({ units: 4, inputDim: 3 });
    assert.deepEqual(initialWeights(cell, 9), initialWeights(cell, 9));
    assert.notDeepEqual(initialWeights(cell, 9).kernel, initialWeights(cell, 10).kernel);
  });
  for (const [rows, cols] of [
    [5, 20],
    [7, 3],
    [6, 6],
  ]) {
    it(`orthogonal [${rows}, ${cols}]: orthonormal ${rows <= cols ? 'rows' : 'columns'}`, () => {
      const q = orthogonal(new Float64Array(rows * cols), rows, cols, new Random(2));
      const n = Math.min(rows, cols);
      for (let a = 0; a < n; a++) {
        for (let b = 0; b < n; b++) {
          let dot = 0;
          for (let k = 0; k < Math.max(rows, cols); k++) {
            dot += rows <= cols ? q[a * cols + k] * q[b * cols + k] : q[k * cols + a] * q[k * cols + b];
          }
          assert.ok(Math.abs(dot - (a === b ? 1 : 0)) < 1e-12, `Q·Qᵀ[${a}, ${b}] = ${dot}`);
        }
      }
    });
  }
});

describe('Random', () => {
  it('repeats from a seed and from a saved state', () => {
    const a = new Random(42);
    const b = new Random(42);
    for (let i = 0; i < 10; i++) assert.equal(a.uniform(), b.uniform());
    a.normal();
    const state = a.getState();
    const next = [a.normal(), a.normal(), a.uniform()];
    const c = new Random(0);
    c.setState(state);
    assert.deepEqual([c.normal(), c.normal(), c.uniform()], next);
  });
  it('uniform has the right mean and normal the right variance', () => {
    const r = new Random(7);
    const n = 20000;
    let mean = 0;
    let sq = 0;
    for (let i = 0; i < n; i++) mean += r.uniform() / n;
    for (let i = 0; i < n; i++) sq += r.normal() ** 2 / n;
    assert.ok(Math.abs(mean - 0.5) < 0.01, `mean ${mean}`);
    assert.ok(Math.abs(sq - 1) < 0.03, `variance ${sq}`);
  });
});
