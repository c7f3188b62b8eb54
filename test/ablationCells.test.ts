/**
 * The ablation cells of issue #18 against their equations, written out here a second time in plain
 * float64 from the weights (one step, odd sizes, random weights): NovoLSTM's input gates 'softmax'
 * (i = u · softmax(a_i)) and 'lnSigmoid' (i = LN(σ(a_i))), and the LSTM's layerNorm 'all' (the LN-LSTM).
 * The finite-difference checks (gradients.test.ts) and the engine comparison (engine-lstm.test.ts) see
 * only that backward matches forward and the engine matches the reference; this sees the formula itself.
 * Also: their weights and initial values, the options' checks, the save/load round trip (our format and
 * safetensors) and the refusal of the exporters whose peers have no such cell (Keras, TF.js, ONNX).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as nl from '../src/index.js';
import type { CellKernel, Params } from '../src/kernels/contract.js';
import { Random } from '../src/random.js';
import { assertClose, randomArray } from './helpers.js';
import { perturbWeights } from './modelHelpers.js';

const [B, D, u] = [3, 5, 7];
/** float64 against float64: the same sums in another order. */
const SAME_FORMULA = 1e-12;
/** Keras' layer-norm ε. */
const EPSILON = 1e-3;

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

function layerNorm(v: number[], gain: ArrayLike<number>, shift: ArrayLike<number>, row = 0): number[] {
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length;
  return v.map(
    (x, j) => gain[row * u + j] * ((x - mean) / Math.sqrt(variance + EPSILON)) + shift[row * u + j],
  );
}

function softmax(v: number[]): number[] {
  const m = Math.max(...v);
  const e = v.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

/** Random weights (gains around 1) and one step's inputs. */
function problem(cell: CellKernel, seed: number) {
  const rng = new Random(seed);
  const p: Params = {};
  for (const w of cell.weights) {
    const n = w.shape.reduce((a, b) => a * b, 1);
    p[w.name] = randomArray(rng, n, w.name.endsWith('amma') ? 0.5 : 0.8);
    if (w.name.endsWith('amma')) for (let i = 0; i < n; i++) p[w.name][i] += 1;
  }
  return {
    p,
    x: randomArray(rng, B * D),
    h0: randomArray(rng, B * u, 0.5),
    c0: randomArray(rng, B * u, 0.5),
  };
}

/** Row b's pre-activations of gate block k: x·W + h0·U + b over columns k·u … k·u + u − 1. */
function block(pr: ReturnType<typeof problem>, cell: CellKernel, b: number, k: number): number[] {
  const P = cell.projectionWidth;
  const R = cell.weights.find((w) => w.name === 'recurrentKernel')!.shape[1];
  return Array.from({ length: u }, (_, j) => {
    const col = k * u + j;
    let a = pr.p.bias[col];
    for (let d = 0; d < D; d++) a += pr.x[b * D + d] * pr.p.kernel[d * P + col];
    for (let r = 0; r < u; r++) a += pr.h0[b * u + r] * pr.p.recurrentKernel[r * R + col];
    return a;
  });
}

/**
 * h and c after one step from the equations; `inputGate` gives i from row b's raw a_i, and `norm` (LN-LSTM)
 * normalises a_f, a_c, a_o (gateGamma rows 0–2) and c_t (row 3).
 */
function expectedStep(
  cell: CellKernel,
  pr: ReturnType<typeof problem>,
  inputGate: (aI: number[]) => number[],
  norm: boolean,
): { h: number[]; c: number[] } {
  const h: number[] = [];
  const c: number[] = [];
  const n = (v: number[], row: number) => (norm ? layerNorm(v, pr.p.gateGamma, pr.p.gateBeta, row) : v);
  for (let b = 0; b < B; b++) {
    const i = inputGate(block(pr, cell, b, 0));
    const f = n(block(pr, cell, b, 1), 0).map(sigmoid);
    const g = n(block(pr, cell, b, 2), 1).map(Math.tanh);
    const o = n(block(pr, cell, b, 3), 2).map(sigmoid);
    const ct = f.map((fj, j) => fj * pr.c0[b * u + j] + i[j] * g[j]);
    const y = n(ct, 3);
    c.push(...ct);
    h.push(...o.map((oj, j) => oj * Math.tanh(y[j])));
  }
  return { h, c };
}

function checkStep(cell: CellKernel, inputGate: (aI: number[], p: Params) => number[], norm: boolean) {
  for (const seed of [1, 2]) {
    const pr = problem(cell, seed);
    const run = nl.recurrentForward(cell, pr.p, pr.x, { T: 1, B, h0: pr.h0, c0: pr.c0 });
    const want = expectedStep(cell, pr, (aI) => inputGate(aI, pr.p), norm);
    assertClose(`${cell.label} h`, run.h, want.h, SAME_FORMULA, 1e-3);
    assertClose(`${cell.label} c`, run.cT!, want.c, SAME_FORMULA, 1e-3);
  }
}

describe('the ablation cells compute their equations', () => {
  it("NovoLSTM inputGate 'softmax': i = u · softmax(a_i), on blocks ifco", () => {
    const cell = nl.novoLstmCell({ units: u, inputDim: D, inputGate: 'softmax' });
    checkStep(cell, (aI) => softmax(aI).map((s) => u * s), false);
  });

  it("NovoLSTM inputGate 'lnSigmoid': i = LN(σ(a_i)), on blocks ifco", () => {
    const cell = nl.novoLstmCell({ units: u, inputDim: D, inputGate: 'lnSigmoid' });
    checkStep(cell, (aI, p) => layerNorm(aI.map(sigmoid), p.gamma, p.beta), false);
  });

  it("the ablation gates with layerNorm 'all': the gate and cell norms as NovoLSTM's", () => {
    const softmaxAll = nl.novoLstmCell({ units: u, inputDim: D, inputGate: 'softmax', layerNorm: 'all' });
    checkStep(softmaxAll, (aI) => softmax(aI).map((s) => u * s), true);
    const lnSigmoidAll = nl.novoLstmCell({ units: u, inputDim: D, inputGate: 'lnSigmoid', layerNorm: 'all' });
    checkStep(lnSigmoidAll, (aI, p) => layerNorm(aI.map(sigmoid), p.gamma, p.beta), true);
  });

  it("LSTM layerNorm 'all' (LN-LSTM): i = σ(LN_i(a_i)), f, g, o on normalised a, h = o ⊙ tanh(LN(c))", () => {
    const cell = nl.lstmCell({ units: u, inputDim: D, layerNorm: 'all' });
    checkStep(cell, (aI, p) => layerNorm(aI, p.gamma, p.beta).map(sigmoid), true);
  });

  it('the check can fail: the README gate is not the softmax-only gate', () => {
    const cell = nl.novoLstmCell({ units: u, inputDim: D, inputGate: 'softmax' });
    assert.throws(() => checkStep(cell, (aI) => softmax(aI), false), /relative error/);
  });
});

describe('the ablation cells: weights and options', () => {
  const names = (cell: CellKernel) => cell.weights.map((w) => `${w.name}[${w.shape.join(',')}]`).join(' ');

  it('each declares only the weights its equations use, with Keras-style initial values', () => {
    const softmaxCell = nl.novoLstmCell({ units: u, inputDim: D, inputGate: 'softmax' });
    assert.equal(names(softmaxCell), `kernel[${D},${4 * u}] recurrentKernel[${u},${4 * u}] bias[${4 * u}]`);
    const lnSigmoid = nl.novoLstmCell({ units: u, inputDim: D, inputGate: 'lnSigmoid' });
    assert.equal(
      names(lnSigmoid),
      `kernel[${D},${4 * u}] recurrentKernel[${u},${4 * u}] bias[${4 * u}] gamma[${u}] beta[${u}]`,
    );
    // LN(σ(a_i)) is the gate itself, at unit scale: its gain starts at 1 (the README gate's at u).
    assert.equal(lnSigmoid.spec.kind === 'novolstm' && lnSigmoid.spec.inputGateGain, 'ones');
    assert.deepEqual(Array.from(nl.initialWeights(lnSigmoid, 1).gamma), new Array(u).fill(1));
    const lnLstm = nl.lstmCell({ units: u, inputDim: D, layerNorm: 'all' });
    assert.equal(
      names(lnLstm),
      `kernel[${D},${4 * u}] recurrentKernel[${u},${4 * u}] bias[${4 * u}] gamma[${u}] beta[${u}] ` +
        `gateGamma[4,${u}] gateBeta[4,${u}]`,
    );
    const w = nl.initialWeights(lnLstm, 1);
    assert.deepEqual(Array.from(w.gamma), new Array(u).fill(1));
    assert.deepEqual(Array.from(w.gateBeta), new Array(4 * u).fill(0));
    assert.deepEqual(Array.from(w.bias.subarray(u, 2 * u)), new Array(u).fill(1), 'unit forget bias');
    assert.equal(
      names(nl.novoLstmCell({ units: u, inputDim: D, inputGate: 'softmax', layerNorm: 'all' })).includes(
        'gamma[',
      ),
      false,
    );
  });

  it('layers take the options, save them, and refuse what has no meaning', () => {
    const lnLstm = nl.layers.lstm({ units: u, layerNorm: 'all' });
    assert.equal(lnLstm.getConfig().layerNorm, 'all');
    assert.equal(
      'layerNorm' in nl.layers.lstm({ units: u }).getConfig(),
      false,
      "a plain LSTM's config is Keras'",
    );
    assert.equal(nl.layers.novoLSTM({ units: u, inputGate: 'softmax' }).getConfig().inputGate, 'softmax');
    assert.throws(
      () => nl.layers.lstm({ units: u, layerNorm: 'all', recurrentActivation: 'hardSigmoid' }),
      (e: unknown) => e instanceof nl.ConfigError && /sigmoid gates only/.test(e.message),
    );
    assert.throws(
      () => nl.layers.novoLSTM({ units: u, inputGate: 'softmax', inputGateGain: 'units' }),
      (e: unknown) => e instanceof nl.ConfigError && /inputGateGain has no effect/.test(e.message),
    );
    assert.throws(
      () => nl.layers.rnn({ cell: nl.layers.lstmCell({ units: u, layerNorm: 'some' as 'all' }) }),
      (e: unknown) => e instanceof nl.ConfigError && /layerNorm/.test(e.message),
    );
  });
});

describe('the ablation cells in files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'novolstm-ablation-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const [T, F] = [6, 3];

  /** One layer of the variant between a masking input and a dense head, with random weights. */
  function model(layer: nl.Layer): nl.Sequential {
    const m = nl.sequential({
      seed: 5,
      layers: [nl.layers.masking({ maskValue: 0, inputShape: [T, F] }), layer, nl.layers.dense({ units: 2 })],
    });
    perturbWeights(m, 6);
    m.markWeightsChanged();
    return m;
  }
  const input = () => {
    const x = Array.from(randomArray(new Random(8), 4 * T * F));
    for (let f = 0; f < F; f++) x[(0 * T + T - 1) * F + f] = 0; // row 0's last step is padding
    return nl.tensor(x, [4, T, F]);
  };
  const variants: [string, () => nl.Layer][] = [
    ["NovoLSTM inputGate 'softmax'", () => nl.layers.novoLSTM({ units: u, inputGate: 'softmax' })],
    [
      "NovoLSTM inputGate 'lnSigmoid', layerNorm 'all'",
      () => nl.layers.novoLSTM({ units: u, inputGate: 'lnSigmoid', layerNorm: 'all', goBackwards: true }),
    ],
    ["LSTM layerNorm 'all'", () => nl.layers.lstm({ units: u, layerNorm: 'all', returnSequences: false })],
  ];

  for (const [name, make] of variants) {
    it(`${name}: our format and safetensors give the same model back; Keras, TF.js and ONNX refuse it`, async () => {
      const m = model(make());
      const expected = m.predict(input()).data;
      const saved = join(dir, `${name.replace(/\W+/g, '-')}`);
      await m.save(saved);
      const loaded = await nl.loadModel(saved);
      assert.deepEqual(loaded.layers[1].getConfig(), m.layers[1].getConfig());
      assert.deepEqual(loaded.predict(input()).data, expected, 'our format: same predictions');
      const st = `${saved}.safetensors`;
      await nl.exportModel(m, st, { format: 'safetensors' });
      assert.deepEqual((await nl.importModel(st)).predict(input()).data, expected, 'safetensors');
      // Keras and ONNX name the option; TensorFlow.js has no NovoLSTM at all, and no LSTM option layerNorm.
      const refusals = [
        ['keras', `${saved}.keras`, /(inputGate|layerNorm) "(softmax|lnSigmoid|all)"/],
        ['tfjs', `${saved}-tfjs`, /option 'layerNorm' is not supported at this value|has no NovoLSTM layer/],
        ['onnx', `${saved}.onnx`, /(inputGate|layerNorm) "(softmax|lnSigmoid|all)"/],
      ] as const;
      for (const [format, path, message] of refusals) {
        await assert.rejects(
          nl.exportModel(m, path, { format }),
          (e: unknown) => e instanceof nl.ConfigError && message.test(e.message),
          `${format} refuses`,
        );
        assert.equal(existsSync(path), false, `${format}: nothing written`);
      }
    });
  }
});
