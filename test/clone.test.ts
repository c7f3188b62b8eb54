/**
 * cloneLanguageModel (and models/clone.ts under it) rebuilds the layers from their own configs: a model
 * whose layers differ from what `buildLanguageModel` would make today — saved when a default was
 * different, or built by hand — clones to the same architecture, weights and outputs.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, ValueError } from '../src/errors.js';
import * as nl from '../src/index.js';
import { buildLanguageModel, cloneLanguageModel, type LmCell } from '../src/lm/languageModel.js';
import { cloneModel } from '../src/models/clone.js';

const VOCABULARY = [...'\n !,.aehilmnorstw'];
const V = VOCABULARY.length;
const config = (cell: LmCell) => ({
  cell,
  units: 5,
  layers: 2,
  embeddingDim: 3,
  dropout: 0,
  vocabulary: VOCABULARY,
});

/** Random token ids [3, 7] (odd sizes). */
function ids(seed: number): nl.Tensor {
  const rng = new nl.Random(seed);
  return new nl.Tensor(
    Int32Array.from({ length: 21 }, () => Math.floor(rng.uniform() * V)),
    [3, 7],
  );
}

function configs(model: nl.Sequential): object[] {
  return model.layers.map((l) => ({ className: l.className, name: l.name, config: l.getConfig() }));
}

/** The clone has the same layers, weight names, shapes and values, and gives bit-identical outputs. */
function assertSameModel(clone: nl.Sequential, model: nl.Sequential): void {
  assert.deepEqual(configs(clone), configs(model));
  assert.deepEqual(
    clone.entries.map((e) => [e.name, e.shape]),
    model.entries.map((e) => [e.name, e.shape]),
  );
  assert.deepEqual(clone.values, model.values);
  model.resetStates();
  const x = ids(5);
  assert.deepEqual(clone.predict(x).data, model.predict(x).data);
}

/** A language model whose recurrent layers are made with `options` instead of today's defaults. */
function handMade(cell: LmCell, options: object): nl.Sequential {
  const recurrent = () => {
    const o = { units: 5, returnSequences: true, stateful: true, dropout: 0, ...options };
    return cell === 'gru' ? nl.layers.gru(o) : nl.layers.novoLSTM(o);
  };
  const model = nl.sequential({
    seed: 11,
    layers: [
      nl.layers.embedding({ inputDim: V, outputDim: 3, inputShape: [null] }),
      recurrent(),
      recurrent(),
      nl.layers.dense({ units: V, activation: 'softmax' }),
    ],
  });
  model.metadata = structuredClone(buildLanguageModel(config(cell), 0).metadata);
  return model;
}

describe('cloneLanguageModel', () => {
  it("a model saved when NovoLSTM's inputGateGain defaulted to 'ones' clones with 'ones'", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'novolstm-clone-'));
    try {
      await buildLanguageModel(config('novolstm'), 3).save(dir);
      // Rewrite the save as an older version would have written it: the gain then defaulted to 'ones'.
      const path = join(dir, 'model.json');
      const description = JSON.parse(await readFile(path, 'utf8')) as {
        model: { layers: { className: string; config: Record<string, unknown> }[] };
      };
      const novo = description.model.layers.filter((l) => l.className === 'NovoLSTM');
      assert.equal(novo.length, 2);
      for (const l of novo) {
        assert.equal(l.config.inputGateGain, 'units', "today's default, written in the save");
        l.config.inputGateGain = 'ones';
      }
      await writeFile(path, JSON.stringify(description));
      const old = await nl.loadModel(dir);
      const clone = cloneLanguageModel(old);
      for (const l of clone.layers.filter((l) => l.className === 'NovoLSTM'))
        assert.equal(l.getConfig().inputGateGain, 'ones');
      assertSameModel(clone, old);
    } finally {
      await rm(dir, { recursive: true });
    }
  });

  it('layers that change the weights and the equations: NovoLSTM reference + layerNorm all, GRU resetAfter false', () => {
    for (const [cell, options] of [
      ['novolstm', { inputGate: 'reference', layerNorm: 'all' }],
      ['gru', { resetAfter: false }],
    ] as const) {
      const model = handMade(cell, options);
      // Not what buildLanguageModel makes today, or the test would prove nothing.
      assert.notDeepEqual(
        configs(model).map((c) => (c as { config: object }).config),
        configs(buildLanguageModel(config(cell), 11)).map((c) => (c as { config: object }).config),
      );
      assertSameModel(cloneLanguageModel(model), model);
    }
  });

  it('the copy is independent: its weights, metadata and carried states are its own, and it is compiled', () => {
    const model = buildLanguageModel(config('lstm'), 4);
    const clone = cloneLanguageModel(model);
    assert.ok(clone.compiled, 'compiled for evaluate');
    clone.values[0] += 1;
    assert.notEqual(clone.values[0], model.values[0]);
    (clone.metadata.lm as { units: number }).units = 99;
    assert.equal((model.metadata.lm as { units: number }).units, 5);
    model.predict(ids(1)); // carries a state in the original only
    const fresh = cloneLanguageModel(buildLanguageModel(config('lstm'), 4));
    assert.deepEqual(cloneLanguageModel(model).predict(ids(2)).data, fresh.predict(ids(2)).data);
  });

  it('refuses a model that is not a language model, and cloneModel an unbuilt one', () => {
    const plain = nl.sequential([nl.layers.dense({ units: 3, inputShape: [5] })]);
    assert.throws(() => cloneLanguageModel(plain), ValueError);
    assert.throws(
      () => cloneModel(nl.sequential([nl.layers.dense({ units: 3 })])),
      (e: unknown) =>
        e instanceof ConfigError && /cloneModel: model 'sequential' is not built/.test(e.message),
    );
  });
});
