/**
 * Bad input to every public function of the model API is a typed error (ShapeError, ValueError or
 * ConfigError) whose message names the function or argument — never a crash from inside, a NaN, or an
 * option silently ignored.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as nl from '../src/index.js';
import { ConfigError, NovoLstmError, ShapeError, ValueError } from '../src/errors.js';

type ErrorClass = typeof ConfigError | typeof ShapeError | typeof ValueError;

function model(): nl.Sequential {
  const m = nl.sequential([
    nl.layers.embedding({ inputDim: 9, outputDim: 3, maskZero: true, inputShape: [null] }),
    nl.layers.lstm({ units: 2 }),
    nl.layers.dense({ units: 3, activation: 'softmax' }),
  ]);
  m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
  return m;
}

const ids = nl.tensor([[1, 2, 0]], undefined, 'int32');
const label = nl.tensor([1], undefined, 'int32');

/** [what is called, the call, the error class, a pattern its message must match] */
const SYNC_CASES: readonly [string, () => unknown, ErrorClass, RegExp][] = [
  ['tensor dtype', () => nl.tensor([1], undefined, 'float64' as never), ValueError, /^tensor: dtype/],
  ['tensor shape', () => nl.tensor([1, 2], [-1, -2]), ShapeError, /^tensor: shape/],
  [
    'Tensor shape',
    () => new nl.Tensor(new Float32Array(3), [2, 2]),
    ShapeError,
    /^Tensor: shape \[2, 2\] does not fit/,
  ],
  [
    'x not finite',
    () => {
      const m = nl.sequential([nl.layers.dense({ units: 1, inputShape: [2] })]);
      m.predict(new nl.Tensor(Float32Array.of(1, NaN), [1, 2]));
    },
    ValueError,
    /^x: value at flat index 1 is not finite/,
  ],
  [
    'y not finite',
    () => {
      const m = nl.sequential([nl.layers.dense({ units: 1, inputShape: [2] })]);
      m.compile({ optimizer: 'sgd', loss: 'mse' });
      m.trainOnBatch(nl.tensor([[1, 2]]), new nl.Tensor(Float32Array.of(Infinity), [1, 1]));
    },
    ValueError,
    /^y: target 0 is not finite/,
  ],
  [
    'sequential options',
    () => nl.sequential({ layer: [] } as never),
    ConfigError,
    /^sequential: unknown option 'layer'/,
  ],
  ['sequential seed', () => nl.sequential({ seed: -1 }), ConfigError, /^sequential: seed/],
  [
    'sequential layers',
    () => nl.sequential([{} as never]),
    ConfigError,
    /^sequential: layers must be made with nl.layers/,
  ],
  [
    'duplicate names',
    () =>
      nl.sequential([
        nl.layers.dense({ units: 1, name: 'a', inputShape: [2] }),
        nl.layers.dense({ units: 1, name: 'a' }),
      ]),
    ConfigError,
    /layer names must be unique/,
  ],
  [
    'inputShape on a later layer',
    () =>
      nl.sequential([
        nl.layers.dense({ units: 1, inputShape: [2] }),
        nl.layers.dense({ units: 1, inputShape: [1] }),
      ]),
    ConfigError,
    /only the first layer takes inputShape/,
  ],
  [
    'a layer in two models',
    () => {
      const l = nl.layers.dense({ units: 1 });
      nl.sequential([l]);
      nl.sequential([l]);
    },
    ConfigError,
    /already in a model/,
  ],
  ['layer name', () => nl.layers.dense({ units: 1, name: 'a/b' }), ConfigError, /^dense: name must be/],
  ['inputShape', () => nl.layers.lstm({ units: 1, inputShape: [0, 2] }), ConfigError, /^lstm: inputShape/],
  [
    'embedding inputLength',
    () => nl.layers.embedding({ inputDim: 3, outputDim: 2, inputLength: 1.5 }),
    ConfigError,
    /^embedding: inputLength/,
  ],
  ['masking maskValue', () => nl.layers.masking({ maskValue: NaN }), ConfigError, /^masking: maskValue/],
  [
    'layerNormalization axis',
    () => nl.layers.layerNormalization({ axis: 1 as never }),
    ConfigError,
    /^layerNormalization: only the last axis/,
  ],
  [
    'bidirectional layer',
    () => nl.layers.bidirectional({ layer: nl.layers.dense({ units: 2 }) as never }),
    ConfigError,
    /^bidirectional: layer must be/,
  ],
  [
    'bidirectional mergeMode',
    () => nl.layers.bidirectional({ layer: nl.layers.lstm({ units: 2 }), mergeMode: 'max' as never }),
    ConfigError,
    /^bidirectional: mergeMode/,
  ],
  [
    'gru resetAfter',
    () => nl.layers.gru({ units: 2, resetAfter: 1 as never }),
    ConfigError,
    /^gru: resetAfter/,
  ],
  [
    'recurrent dropout rate',
    () => nl.layers.lstm({ units: 2, dropout: -0.1 }),
    ConfigError,
    /^lstm: dropout/,
  ],
  ['sgd momentum', () => nl.optimizers.sgd({ momentum: 1 }), ConfigError, /^optimizers.sgd: momentum/],
  [
    'rmsprop centered',
    () => nl.optimizers.rmsprop({ centered: 'yes' as never }),
    ConfigError,
    /^optimizers.rmsprop: centered/,
  ],
  [
    'adamW weightDecay',
    () => nl.optimizers.adamW({ weightDecay: -1 }),
    ConfigError,
    /^optimizers.adamW: weightDecay/,
  ],
  ['clipValue', () => nl.optimizers.adam({ clipValue: 0 }), ConfigError, /^optimizers.adam: clipValue/],
  [
    'cosineDecay alpha',
    () => nl.optimizers.schedules.cosineDecay({ initialLearningRate: 1, decaySteps: 2, alpha: 2 }),
    ConfigError,
    /^schedules.cosineDecay: alpha/,
  ],
  [
    'earlyStopping mode',
    () => nl.callbacks.earlyStopping({ mode: 'up' as never }),
    ConfigError,
    /^callbacks.earlyStopping: mode/,
  ],
  [
    'reduceLROnPlateau factor',
    () => nl.callbacks.reduceLROnPlateau({ factor: 2 }),
    ConfigError,
    /^callbacks.reduceLROnPlateau: factor/,
  ],
  [
    'modelCheckpoint filepath',
    () => nl.callbacks.modelCheckpoint({} as never),
    ConfigError,
    /^callbacks.modelCheckpoint: filepath/,
  ],
  [
    'compile options',
    () => model().compile({ optimizer: 'adam', loss: 'mse', metric: [] } as never),
    ConfigError,
    /^compile: unknown option 'metric'/,
  ],
  [
    'compile metrics',
    () => model().compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['f1'] }),
    ConfigError,
    /^compile: metric is not supported/,
  ],
  [
    'accuracy with mse',
    () =>
      nl
        .sequential([nl.layers.dense({ units: 1 })])
        .compile({ optimizer: 'sgd', loss: 'mse', metrics: ['accuracy'] }),
    ConfigError,
    /accuracy' has no meaning/,
  ],
  ['predict batchSize', () => model().predict(ids, { batchSize: 0 }), ConfigError, /^predict: batchSize/],
  [
    'predict options',
    () => model().predict(ids, { verbose: 1 } as never),
    ConfigError,
    /^predict: unknown option 'verbose'/,
  ],
  [
    'predict x rank',
    () => model().predict(nl.tensor([1, 2], undefined, 'int32')),
    ShapeError,
    /^x: must be \[samples/,
  ],
  [
    'evaluate y',
    () => model().evaluate(ids, nl.tensor([[[1]]])),
    ShapeError,
    /^y: class indices have the wrong shape/,
  ],
  [
    'trainOnBatch y values',
    () => model().trainOnBatch(ids, nl.tensor([-1])),
    ValueError,
    /^y: class index 0/,
  ],
  [
    'binary targets',
    () => {
      const m = nl.sequential([nl.layers.dense({ units: 1, activation: 'sigmoid', inputShape: [2] })]);
      m.compile({ optimizer: 'sgd', loss: 'binaryCrossentropy' });
      m.trainOnBatch(nl.tensor([[1, 2]]), nl.tensor([2]));
    },
    ValueError,
    /^y: binary target 0 is outside \[0, 1\]/,
  ],
  [
    'categorical targets shape',
    () => {
      const m = nl.sequential([nl.layers.dense({ units: 3, activation: 'softmax', inputShape: [2] })]);
      m.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
      m.trainOnBatch(nl.tensor([[1, 2]]), nl.tensor([[1, 0]]));
    },
    ShapeError,
    /^y: targets do not match/,
  ],
  [
    'features',
    () => {
      const m = nl.sequential([nl.layers.gru({ units: 2, inputShape: [null, 3] })]);
      m.predict(nl.tensor([[[1, 2]]]));
    },
    ShapeError,
    /^x: does not match the model's input/,
  ],
  [
    'setWeights shape',
    () => {
      const m = model();
      const w = m.getWeights();
      w[1] = nl.tensor([1, 2]);
      m.setWeights(w);
    },
    ShapeError,
    /^setWeights: weight 1 \('lstm\/kernel'\)/,
  ],
  [
    'setWeights values',
    () => {
      const m = model();
      const w = m.getWeights();
      w[0] = new nl.Tensor(new Float32Array(27).fill(Infinity), [9, 3]);
      m.setWeights(w);
    },
    ValueError,
    /^setWeights: weight 0 \('embedding\/embeddings'\) \[0\] is not finite/,
  ],
  [
    'summary unbuilt',
    () => nl.sequential([nl.layers.dense({ units: 1 })]).summary(),
    ConfigError,
    /^summary: the model is not built/,
  ],
];

const ASYNC_CASES: readonly [string, () => Promise<unknown>, ErrorClass, RegExp][] = [
  ['fit epochs', () => model().fit(ids, label, { epochs: -1 }), ConfigError, /^fit: epochs/],
  [
    'fit callbacks',
    () => model().fit(ids, label, { callbacks: {} as never }),
    ConfigError,
    /^fit: callbacks must be an array/,
  ],
  [
    'fit validationData',
    () => model().fit(ids, label, { validationData: [ids] as never }),
    ConfigError,
    /^fit: validationData must be \[x, y\]/,
  ],
  [
    'fit both validations',
    () => model().fit(ids, label, { validationSplit: 0.5, validationData: [ids, label] }),
    ConfigError,
    /validationSplit or validationData, not both/,
  ],
  [
    'fit split leaves nothing',
    () => model().fit(ids, label, { validationSplit: 0.5 }),
    ShapeError,
    /leaves an empty part/,
  ],
  [
    'fit not-yet options',
    () => model().fit(ids, label, { initialEpoch: 1 } as never),
    ConfigError,
    /^fit: not supported yet 'initialEpoch'/,
  ],
  ['fit verbose', () => model().fit(ids, label, { verbose: 3 as never }), ConfigError, /^fit: verbose/],
  [
    'fit progressSink',
    () => model().fit(ids, label, { progressSink: {} as never }),
    ConfigError,
    /^fit: progressSink/,
  ],
  [
    'earlyStopping monitor',
    () => model().fit(ids, label, { verbose: 0, callbacks: [nl.callbacks.earlyStopping()] }),
    ConfigError,
    /monitor 'val_loss' is not in the epoch logs/,
  ],
  ['save dir', () => model().save(''), ConfigError, /^save: dir/],
  [
    'save unbuilt',
    () => nl.sequential([nl.layers.dense({ units: 1 })]).save(join(tmpdir(), 'novolstm-never')),
    ConfigError,
    /^save: the model is not built/,
  ],
  [
    'save metadata',
    () => {
      const m = model();
      m.metadata = { vocabulary: ['a', undefined as never] };
      return m.save(join(tmpdir(), 'novolstm-never'));
    },
    ValueError,
    /^save: metadata.vocabulary\[1\] cannot be saved as JSON/,
  ],
  ['loadModel dir', () => nl.loadModel(42 as never), ConfigError, /^loadModel: dir/],
];

describe('every public function rejects bad input with a typed error naming it', () => {
  for (const [what, call, type, pattern] of SYNC_CASES) {
    it(what, () => {
      assert.throws(call, (e: unknown) => {
        assert.ok(e instanceof type, `${what}: expected ${type.name}, got ${String(e)}`);
        assert.ok(e instanceof NovoLstmError);
        assert.match((e as Error).message, pattern);
        return true;
      });
    });
  }
  for (const [what, call, type, pattern] of ASYNC_CASES) {
    it(what, async () => {
      await assert.rejects(call, (e: unknown) => {
        assert.ok(e instanceof type, `${what}: expected ${type.name}, got ${String(e)}`);
        assert.match((e as Error).message, pattern);
        return true;
      });
    });
  }

  it('loadModel: weights of the wrong shape for the configured layers', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'novolstm-err-'));
    try {
      await model().save(dir);
      const text = (await import('node:fs/promises')).readFile(join(dir, 'model.json'), 'utf8');
      await writeFile(join(dir, 'model.json'), (await text).replace('"inputDim": 9', '"inputDim": 8'));
      await assert.rejects(
        nl.loadModel(dir),
        (e: unknown) =>
          e instanceof ShapeError && /weight 0 does not match the layers/.test((e as Error).message),
      );
    } finally {
      await rm(dir, { recursive: true });
    }
  });
});
