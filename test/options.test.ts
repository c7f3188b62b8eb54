/**
 * The one option-key checker (src/options.ts): what it accepts, the three errors it gives, and that the
 * cells, layers, model, fit, predict, optimizers and callbacks all give those same messages through it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lstmCell } from '../src/cells.js';
import { ConfigError } from '../src/errors.js';
import * as nl from '../src/index.js';
import { checkOptionKeys } from '../src/options.js';

/** Asserts `call` throws a ConfigError whose whole message is `message`. */
function throwsExactly(call: () => unknown, message: string): void {
  assert.throws(call, (e: unknown) => {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
    assert.equal(e.message, message);
    return true;
  });
}

async function rejectsExactly(call: () => Promise<unknown>, message: string): Promise<void> {
  await assert.rejects(call, (e: unknown) => {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
    assert.equal(e.message, message);
    return true;
  });
}

describe('checkOptionKeys', () => {
  it('returns the options object itself when every key is allowed (an empty object too)', () => {
    const options = { units: 3, name: 'x' };
    assert.equal(checkOptionKeys('f', options, ['units', 'name', 'seed']), options);
    const empty = {};
    assert.equal(checkOptionKeys('f', empty, ['units']), empty);
  });

  it('names an unknown key and the accepted ones', () => {
    throwsExactly(
      () => checkOptionKeys('f', { units: 3, unit: 4 }, ['units', 'seed']),
      "f: unknown option 'unit' — expected one of units, seed, got unit",
    );
  });

  it("a not-yet key says so, in either wording; a key both unknown and not-yet-listed is 'unknown'", () => {
    throwsExactly(
      () => checkOptionKeys('lstm', { unroll: true }, ['units'], ['unroll']),
      "lstm: option 'unroll' is not supported yet — expected the option left out, got unroll",
    );
    throwsExactly(
      () => checkOptionKeys('fit', { classWeight: {} }, ['epochs'], ['classWeight'], 'verdict first'),
      "fit: not supported yet 'classWeight' — expected the option left out, got classWeight",
    );
    throwsExactly(
      () => checkOptionKeys('fit', { clasWeight: {} }, ['epochs'], ['classWeight'], 'verdict first'),
      "fit: unknown option 'clasWeight' — expected one of epochs, got clasWeight",
    );
  });

  it('options that are not a plain object: null, an array, a number, undefined', () => {
    const cases: [unknown, string][] = [
      [null, 'null'],
      [[1], 'an array'],
      [7, 'number'],
      [undefined, 'undefined'],
      ['units', 'string'],
    ];
    for (const [options, kind] of cases) {
      throwsExactly(
        () => checkOptionKeys('f', options, ['units']),
        `f: options must be an object — expected an object, got ${kind}`,
      );
    }
  });

  it('a key from the prototype chain of the input is not read, an own `__proto__` key is unknown', () => {
    const inherited = Object.create({ evil: 1 }) as object;
    assert.equal(checkOptionKeys('f', inherited, ['units']), inherited);
    const own = JSON.parse('{"__proto__": {"polluted": true}}') as object;
    throwsExactly(
      () => checkOptionKeys('f', own, ['units']),
      "f: unknown option '__proto__' — expected one of units, got __proto__",
    );
  });
});

describe('every user of the checker gives its messages', () => {
  const x = nl.tensor([[1, 2, 0]], undefined, 'int32');
  const y = nl.tensor([1], undefined, 'int32');
  const model = (): nl.Sequential => {
    const m = nl.sequential([
      nl.layers.embedding({ inputDim: 5, outputDim: 3, inputShape: [null] }),
      nl.layers.gru({ units: 3 }),
      nl.layers.dense({ units: 2, activation: 'softmax' }),
    ]);
    m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    return m;
  };

  it('cells, layers, the model and compile', () => {
    // The cells' lists grow with their options: matched up to the list's end.
    assert.throws(
      () => lstmCell({ units: 3, inputDim: 5, unroll: true } as never),
      (e: unknown) =>
        e instanceof ConfigError &&
        /^LSTM 'lstm': unknown option 'unroll' — expected one of units, inputDim, name(, \w+)*, got unroll$/.test(
          e.message,
        ),
    );
    throwsExactly(
      () => nl.layers.dropout({ rate: 0.5, seed: 3 } as never),
      "dropout: option 'seed' is not supported yet — expected the option left out, got seed",
    );
    throwsExactly(
      () => nl.sequential({ layer: [] } as never),
      "sequential: unknown option 'layer' — expected one of layers, name, seed, initialize, got layer",
    );
    throwsExactly(
      () => model().compile({ optimizer: 'sgd', loss: 'mse', metric: [] } as never),
      "compile: unknown option 'metric' — expected one of optimizer, loss, metrics, got metric",
    );
    throwsExactly(
      () => model().compile(null as never),
      'compile: options must be an object — expected an object, got null',
    );
  });

  it('predict, evaluate and fit', async () => {
    throwsExactly(
      () => model().predict(x, { verbose: 1 } as never),
      "predict: unknown option 'verbose' — expected one of batchSize, got verbose",
    );
    throwsExactly(
      () => model().evaluate(x, y, [] as never),
      'evaluate: options must be an object — expected an object, got an array',
    );
    await rejectsExactly(
      () => model().fit(x, y, { initialEpoch: 1 } as never),
      "fit: not supported yet 'initialEpoch' — expected the option left out, got initialEpoch",
    );
    await assert.rejects(
      () => model().fit(x, y, { batchsize: 4 } as never),
      (e: unknown) =>
        e instanceof ConfigError &&
        /^fit: unknown option 'batchsize' — expected one of batchSize, epochs, (\w+, )*spawnWorker, got batchsize$/.test(
          e.message,
        ),
    );
  });

  it('optimizers and callbacks', () => {
    assert.throws(
      () => nl.optimizers.adam({ amsgrad: true } as never),
      (e: unknown) => e instanceof ConfigError && /option 'amsgrad' is not supported yet/.test(e.message),
    );
    assert.throws(
      () => nl.callbacks.earlyStopping({ patiense: 3 } as never),
      (e: unknown) =>
        e instanceof ConfigError && /unknown option 'patiense' — expected one of /.test(e.message),
    );
  });
});
