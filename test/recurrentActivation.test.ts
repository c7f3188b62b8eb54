/**
 * `recurrentActivation` at the layer level: the option on lstm and gru (and their rnn cells and the
 * bidirectional wrapper), saved with the model config and loaded back, Keras 2's 'sigmoid' as the default
 * (also for a config saved before the option existed), and what is refused: NovoLSTM with anything but
 * the sigmoid, and names that are not one of the two. The arithmetic is checked elsewhere: finite
 * differences (gradients.test.ts), engine = reference (engine-lstm, engine-gru) and TensorFlow.js' own
 * layers (tfjs.test.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as nl from '../src/index.js';
import { ConfigError } from '../src/errors.js';
import { Random } from '../src/random.js';
import { perturbWeights, randomFloats } from './modelHelpers.js';

describe("recurrentActivation: 'sigmoid' | 'hardSigmoid'", () => {
  it('is saved with the model and loaded back: same config, same predictions', async () => {
    const [T, D] = [5, 3];
    const model = nl.sequential([
      nl.layers.lstm({
        units: 4,
        returnSequences: true,
        recurrentActivation: 'hardSigmoid',
        inputShape: [T, D],
      }),
      nl.layers.bidirectional({
        layer: nl.layers.gru({ units: 3, returnSequences: true, recurrentActivation: 'hardSigmoid' }),
      }),
      nl.layers.gru({ units: 2, resetAfter: false, recurrentActivation: 'hardSigmoid' }),
    ]);
    perturbWeights(model, 71, 1);
    const x = randomFloats(new Random(72), [2, T, D], 3);
    const loaded = await nl.modelFromBytes(await nl.modelToBytes(model));
    const configs = loaded.layers.map((l) => l.getConfig());
    assert.equal(configs[0].recurrentActivation, 'hardSigmoid');
    assert.equal((configs[1].layer as { config: nl.LayerConfig }).config.recurrentActivation, 'hardSigmoid');
    assert.equal(configs[2].recurrentActivation, 'hardSigmoid');
    assert.deepEqual(
      configs,
      model.layers.map((l) => l.getConfig()),
    );
    assert.deepEqual(loaded.predict(x).data, model.predict(x).data);

    // The same weights with the sigmoid predict something else: the option is not ignored.
    const sigmoid = nl.sequential([
      nl.layers.lstm({ units: 4, returnSequences: true, inputShape: [T, D] }),
      nl.layers.bidirectional({ layer: nl.layers.gru({ units: 3, returnSequences: true }) }),
      nl.layers.gru({ units: 2, resetAfter: false }),
    ]);
    sigmoid.setWeights(model.getWeights());
    assert.notDeepEqual(sigmoid.predict(x).data, model.predict(x).data);
  });

  it("defaults to 'sigmoid', also for a layer config saved without it", () => {
    for (const className of ['LSTM', 'GRU']) {
      const layer = nl.layers.layerFromConfig(className, { units: 3 });
      assert.equal(layer.getConfig().recurrentActivation, 'sigmoid');
    }
    assert.equal(nl.layers.lstm({ units: 3 }).getConfig().recurrentActivation, 'sigmoid');
  });

  it('rnn cells carry it: rnn(lstmCell / gruCell) is the same layer as lstm / gru', () => {
    assert.deepEqual(
      nl.layers
        .rnn({ cell: nl.layers.lstmCell({ units: 3, recurrentActivation: 'hardSigmoid' }) })
        .getConfig(),
      nl.layers.lstm({ units: 3, recurrentActivation: 'hardSigmoid' }).getConfig(),
    );
    assert.deepEqual(
      nl.layers
        .rnn({ cell: nl.layers.gruCell({ units: 3, recurrentActivation: 'hardSigmoid' }) })
        .getConfig(),
      nl.layers.gru({ units: 3, recurrentActivation: 'hardSigmoid' }).getConfig(),
    );
  });

  it('NovoLSTM keeps the sigmoid: other values are a ConfigError, and nothing new is saved', () => {
    const novo = nl.layers.novoLSTM({ units: 3, recurrentActivation: 'sigmoid' });
    assert.deepEqual(novo.getConfig(), nl.layers.novoLSTM({ units: 3 }).getConfig());
    assert.throws(
      () => nl.layers.novoLSTM({ units: 3, recurrentActivation: 'hardSigmoid' as 'sigmoid' }),
      (e: unknown) =>
        e instanceof ConfigError && /recurrentActivation/.test(e.message) && /hardSigmoid/.test(e.message),
    );
    assert.throws(
      () =>
        nl.layers.rnn({
          cell: nl.layers.novoLSTMCell({ units: 3, recurrentActivation: 'hardSigmoid' as 'sigmoid' }),
        }),
      ConfigError,
    );
  });

  it("an unknown name is a ConfigError naming it (Keras 3's 'hard_sigmoid' is not TensorFlow.js' hardSigmoid)", () => {
    for (const make of [
      () => nl.layers.lstm({ units: 3, recurrentActivation: 'hard_sigmoid' as 'sigmoid' }),
      () => nl.layers.gru({ units: 3, recurrentActivation: 'tanh' as 'sigmoid' }),
      () => nl.lstmCell({ units: 3, inputDim: 2, recurrentActivation: 'hard_sigmoid' as 'sigmoid' }),
      () => nl.gruCell({ units: 3, inputDim: 2, recurrentActivation: 'relu' as 'sigmoid' }),
    ]) {
      assert.throws(make, (e: unknown) => e instanceof ConfigError && /recurrentActivation/.test(e.message));
    }
  });
});
