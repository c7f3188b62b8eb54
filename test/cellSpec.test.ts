/**
 * The cell's identity as a tagged spec (kernels/contract.ts): what each factory and layer makes of its
 * options, the one map between the kinds and the Keras class names, and the spec reaching the engine,
 * which picks its fused kernel from it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as nl from '../src/index.js';
import { ConfigError } from '../src/errors.js';
import { recurrentPlan } from '../src/engine/plan.js';
import { FastLstm } from '../src/engine/lstm.js';
import { loadEngine } from '../src/engine/loader.js';

describe('the tagged cell spec', () => {
  it('each factory fills in the defaults, and the kernel carries the spec', () => {
    assert.deepEqual(nl.lstmCell({ units: 3, inputDim: 2 }).spec, {
      kind: 'lstm',
      recurrentActivation: 'sigmoid',
      layerNorm: 'none',
    });
    assert.deepEqual(nl.novoLstmCell({ units: 3, inputDim: 2, inputGate: 'reference' }).spec, {
      kind: 'novolstm',
      inputGate: 'reference',
      layerNorm: 'inputGate',
      inputGateGain: 'ones',
    });
    assert.deepEqual(nl.gruCell({ units: 3, inputDim: 2, resetAfter: false }).spec, {
      kind: 'gru',
      resetAfter: false,
      recurrentActivation: 'sigmoid',
    });
  });

  it("a layer's spec is the one its built cell runs, and the same spec makes the same weights", () => {
    const layer = nl.layers.novoLSTM({ units: 5, layerNorm: 'all', name: 'n' });
    layer.build([7, 3]);
    assert.equal(layer.builtCell.spec, layer.spec);
    assert.deepEqual(layer.spec, {
      kind: 'novolstm',
      inputGate: 'readme',
      layerNorm: 'all',
      inputGateGain: 'units',
    });
    const direct = nl.novoLstmCell({ units: 5, inputDim: 3, layerNorm: 'all', name: 'n' });
    assert.deepEqual(nl.cellKernel(layer.spec, { units: 5, inputDim: 3, name: 'n' }).weights, direct.weights);
    assert.equal(layer.builtCell.label, direct.label);
  });

  it('the kinds and the Keras class names map both ways, in one table; nothing else is a cell', () => {
    for (const kind of nl.CELL_KINDS) assert.equal(nl.cellKindOf(nl.CELL_CLASS_NAMES[kind]), kind);
    assert.equal(nl.layers.lstm({ units: 2 }).className, 'LSTM');
    assert.equal(nl.layers.novoLSTM({ units: 2 }).className, 'NovoLSTM');
    assert.equal(nl.layers.gru({ units: 2 }).className, 'GRU');
    for (const name of ['lstm', 'Dense', 'constructor', '__proto__', 'toString', null]) {
      assert.equal(nl.cellKindOf(name), undefined, String(name));
    }
  });

  it('the reference tape is typed per cell: its arrays have the sizes the cell declares', () => {
    const [T, B, u] = [3, 2, 5];
    const lstm = nl.lstmCell({ units: u, inputDim: 4 });
    const run = nl.recurrentForward(lstm, nl.initialWeights(lstm, 1), new Float32Array(T * B * 4), { T, B });
    assert.equal(run.saved.tape.ifco.length, T * B * 4 * u);
    assert.equal(run.saved.tape.soft.length, 0); // NovoLSTM's input gate only
    const gru = nl.gruCell({ units: u, inputDim: 4, resetAfter: false });
    const g = nl.recurrentForward(gru, nl.initialWeights(gru, 1), new Float32Array(T * B * 4), { T, B });
    assert.equal(g.saved.tape.z.length, T * B * u);
    assert.equal(g.saved.tape.recurrentH.length, 0); // resetAfter only
  });

  it('the engine runs the kernel of the spec, and refuses a spec it has no kernel for by its kind', async () => {
    const engine = (await loadEngine())!;
    for (const cell of [
      nl.lstmCell({ units: 3, inputDim: 2, recurrentActivation: 'hardSigmoid' }),
      nl.novoLstmCell({ units: 3, inputDim: 2, inputGate: 'reference', layerNorm: 'all' }),
      nl.gruCell({ units: 3, inputDim: 2 }),
    ]) {
      const plan = recurrentPlan(engine, cell, 2, 2);
      assert.equal(plan.runsOn, engine.build);
      plan.setWeights(nl.initialWeights(cell, 3));
      const x = Float32Array.from({ length: 2 * 2 * 2 }, (_, i) => Math.sin(i));
      const fast = plan.forward(x).h;
      const reference = recurrentPlan(null, cell, 2, 2);
      reference.setWeights(nl.initialWeights(cell, 3));
      const expected = reference.forward(x).h;
      for (let i = 0; i < fast.length; i++)
        assert.ok(Math.abs(fast[i] - expected[i]) < 1e-5, `${cell.label} [${i}]`);
    }
    assert.throws(
      () => new FastLstm(engine, nl.gruCell({ units: 3, inputDim: 2 }), 2, 2),
      (e: unknown) => e instanceof ConfigError && /'gru' cell/.test(e.message),
    );
  });
});
