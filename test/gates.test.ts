/**
 * traceGates (lm/gates.ts): the maps are the right blocks of the kernel's tape — checked through the cell
 * equations they must satisfy together (h = o ⊙ tanh(c) for the LSTM family, h = z ⊙ h₋₁ + (1 − z) ⊙ ĥ
 * for the GRU, NovoLSTM's i = LN(σ) ⊙ softmax with LayerNorm's initial gain 1 and bias 0) — and the
 * traced model is left untouched.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as nl from '../src/index.js';

const TOLERANCE = 1e-5;
const TEXT = 'the whale, the whale!\nthe sea.';

function model(cell: nl.LmCell, layers = 1): nl.Sequential {
  const vocabulary = nl.text.CharVocabulary.fromText(TEXT).toJSON();
  const m = nl.buildLanguageModel({ cell, units: 6, layers, embeddingDim: 4, dropout: 0, vocabulary }, 3);
  m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
  return m;
}

function map(layer: nl.LayerGates, name: string): Float32Array {
  const found = layer.maps.find((m) => m.name === name);
  assert.ok(found, `no map '${name}' in ${layer.maps.map((m) => m.name).join(', ')}`);
  return found.values;
}

function assertClose(actual: number, expected: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= TOLERANCE, `${what}: ${actual} vs ${expected}`);
}

describe('traceGates', () => {
  it('LSTM: h = o ⊙ tanh(c) from the traced maps, gates in (0, 1), one value per character and unit', () => {
    const trace = nl.traceGates(model('lstm', 2), TEXT);
    assert.equal(trace.chars.join(''), TEXT);
    assert.equal(trace.layers.length, 2);
    const [first] = trace.layers;
    assert.deepEqual(
      first.maps.map((m) => m.name),
      ['inputGate', 'forgetGate', 'outputGate', 'cellState'],
    );
    const T = TEXT.length;
    const u = first.units;
    for (const m of first.maps) assert.equal(m.values.length, T * u);
    for (const name of ['inputGate', 'forgetGate', 'outputGate'])
      assert.ok(
        map(first, name).every((v) => v > 0 && v < 1),
        name,
      );
    // A deeper model does not change what its first layer reads (same seed, same first layer).
    const o = map(first, 'outputGate');
    const c = map(first, 'cellState');
    const trace1 = nl.traceGates(model('lstm', 1), TEXT); // same seed: same first layer
    assert.deepEqual(map(trace1.layers[0], 'cellState'), c);
    // The blocks are really different slices of ifco.
    const f = map(first, 'forgetGate');
    let differs = false;
    for (let n = 0; n < T * u; n++) if (Math.abs(o[n] - f[n]) > 1e-3) differs = true;
    assert.ok(differs, 'output and forget gates are different blocks');
  });

  it('LSTM: the traced output gate and cell state give the hidden state the model computes', () => {
    const m = model('lstm');
    const trace = nl.traceGates(m, TEXT);
    const layer = trace.layers[0];
    const o = map(layer, 'outputGate');
    const c = map(layer, 'cellState');
    // The model's own hidden states: run the embedding and the LSTM layer of a fresh copy.
    const copy = nl.cloneLanguageModel(m);
    const ids = nl.text.CharVocabulary.fromText(TEXT).encode(TEXT);
    const ctx = { training: false, rng: new nl.Random(0) };
    const embedded = copy.layers[0].forward({ data: ids, shape: [1, ids.length], mask: null }, ctx).output;
    const h = copy.layers[1].forward(embedded, ctx).output.data;
    for (let n = 0; n < h.length; n++) assertClose(o[n] * Math.tanh(c[n]), h[n], `h[${n}]`);
  });

  it("NovoLSTM: i = γ·x̂ ⊙ softmax(aᵢ') with γ = units at initialisation; the softmax branch sums to 1 per step", () => {
    const trace = nl.traceGates(model('novolstm'), TEXT);
    const layer = trace.layers[0];
    assert.deepEqual(
      layer.maps.map((m) => m.name),
      ['inputGate', 'sigmoidBranch', 'softmaxBranch', 'forgetGate', 'outputGate', 'cellState'],
    );
    const i = map(layer, 'inputGate');
    const ln = map(layer, 'sigmoidBranch');
    const soft = map(layer, 'softmaxBranch');
    const u = layer.units;
    for (let t = 0; t < TEXT.length; t++) {
      let sum = 0;
      for (let j = 0; j < u; j++) {
        const n = t * u + j;
        sum += soft[n];
        // The map is σ(aᵢ) normalised before gain and shift; at initialisation γ = units, β = 0.
        assertClose(i[n], u * ln[n] * soft[n], `i[${t}, ${j}]`);
      }
      assertClose(sum, 1, `Σ softmax at step ${t}`);
    }
  });

  it('GRU: h = z ⊙ h₋₁ + (1 − z) ⊙ ĥ from the traced maps', () => {
    const layer = nl.traceGates(model('gru'), TEXT).layers[0];
    const z = map(layer, 'updateGate');
    const hc = map(layer, 'candidate');
    const h = map(layer, 'hiddenState');
    const u = layer.units;
    for (let n = 0; n < h.length; n++) {
      const previous = n < u ? 0 : h[n - u];
      assertClose(h[n], z[n] * previous + (1 - z[n]) * hc[n], `h[${n}]`);
    }
  });

  it('leaves the model and its carried states untouched; unknown characters are skipped; bad samples are errors', () => {
    const m = model('novolstm');
    const x = nl.tensor(nl.text.CharVocabulary.fromText(TEXT).encode('the sea'), [1, 7], 'int32');
    m.predict(x); // leaves carried states behind
    const values = m.values.slice();
    nl.traceGates(m, TEXT);
    assert.deepEqual(m.values, values);
    // The carried states survive: m's second prediction equals a fresh copy's second prediction.
    const reference = nl.cloneLanguageModel(m);
    reference.predict(x);
    assert.deepEqual(m.predict(x).data, reference.predict(x).data);
    assert.equal(nl.traceGates(m, 'the Zebra').chars.join(''), 'the ea');
    assert.throws(() => nl.traceGates(m, 'ZZZ'), nl.ValueError);
  });
});
