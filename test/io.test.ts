/**
 * save / loadModel: round trips, exact resume, validation of everything read, harmless hostile JSON, and
 * atomic writes under SIGKILL.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as nl from '../src/index.js';
import { ConfigError, ShapeError, ValueError } from '../src/errors.js';
import { Random } from '../src/random.js';
import { paddedIds } from './modelHelpers.js';

const RESUME_TOLERANCE = 1e-6;
const roots: string[] = [];
after(async () => {
  for (const r of roots) await rm(r, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'novolstm-io-'));
  roots.push(d);
  return d;
}

function data(seed: number, N: number): { x: nl.Tensor; y: nl.Tensor } {
  const rng = new Random(seed);
  const ids = paddedIds(rng, N, 6, 15);
  return {
    x: nl.tensor(ids, undefined, 'int32'),
    y: nl.tensor(
      ids.map((r) => r[0] % 3),
      undefined,
      'int32',
    ),
  };
}

/** Float sequences [B, 5, 3] with some all-zero (masked) steps. */
function randomFloatsFor(B: number): nl.Tensor {
  const rng = new Random(9);
  const data = new Float32Array(B * 5 * 3);
  for (let i = 0; i < data.length; i++) data[i] = Math.floor(i / 3) % 4 === 3 ? 0 : 2 * rng.uniform() - 1;
  return nl.tensor(data, [B, 5, 3]);
}

function makeModel(): nl.Sequential {
  const model = nl.sequential({
    layers: [
      nl.layers.embedding({ inputDim: 15, outputDim: 5, maskZero: true }),
      nl.layers.dropout({ rate: 0.1 }),
      nl.layers.novoLSTM({ units: 7, returnSequences: true, dropout: 0.2, layerNorm: 'all' }),
      nl.layers.gru({ units: 5, goBackwards: true }),
      nl.layers.dense({ units: 3, activation: 'softmax' }),
    ],
    seed: 5,
  });
  model.compile({
    optimizer: nl.optimizers.adam({ learningRate: 0.01, clipNorm: 1 }),
    loss: 'sparseCategoricalCrossentropy',
    metrics: ['accuracy'],
  });
  return model;
}

/** Saves a trained model into a fresh directory; returns it and the directory. */
async function savedModel(): Promise<{ model: nl.Sequential; dir: string }> {
  const { x, y } = data(1, 20);
  const model = makeModel();
  await model.fit(x, y, { batchSize: 8, epochs: 1, verbose: 0 });
  const dir = await tempDir();
  await model.save(dir);
  return { model, dir };
}

async function editDescription(dir: string, edit: (d: Record<string, unknown>) => void): Promise<void> {
  const path = join(dir, 'model.json');
  const d = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  edit(d);
  await writeFile(path, JSON.stringify(d));
}

describe('save and loadModel', () => {
  it('round trip: same predictions, weights, summary, metadata and compile settings', async () => {
    const { model, dir } = await savedModel();
    model.metadata = { vocabulary: ['<pad>', 'a', 'b'], note: 'test' };
    await model.save(dir);
    const loaded = await nl.loadModel(dir);
    const { x } = data(2, 9);
    assert.deepEqual(loaded.predict(x).data, model.predict(x).data);
    assert.deepEqual(
      loaded.getWeights().map((w) => w.data),
      model.getWeights().map((w) => w.data),
    );
    const lines = (m: nl.Sequential): string[] => {
      const out: string[] = [];
      m.summary({ printFn: (l) => out.push(l) });
      return out;
    };
    assert.deepEqual(lines(loaded), lines(model));
    assert.deepEqual(loaded.metadata, model.metadata);
    assert.equal(loaded.compiled?.loss, 'sparseCategoricalCrossentropy');
    assert.deepEqual(loaded.compiled?.optimizer.getConfig(), model.compiled?.optimizer.getConfig());
    // Exactly one weights file and one optimizer file remain after saving twice.
    const files = (await readdir(dir)).sort();
    assert.equal(files.length, 3, files.join(', '));
  });

  it('resume: N epochs + save + load + M epochs = N + M epochs straight (shuffling, dropout, adam)', async () => {
    const { x, y } = data(3, 30);
    const straight = makeModel();
    const hStraight = await straight.fit(x, y, { batchSize: 7, epochs: 4, verbose: 0 });

    const first = makeModel();
    await first.fit(x, y, { batchSize: 7, epochs: 2, verbose: 0 });
    const dir = await tempDir();
    await first.save(dir);
    const resumed = await nl.loadModel(dir);
    const hResumed = await resumed.fit(x, y, { batchSize: 7, epochs: 2, verbose: 0 });

    let worst = 0;
    for (let i = 0; i < straight.values.length; i++) {
      worst = Math.max(worst, Math.abs(straight.values[i] - resumed.values[i]));
    }
    assert.ok(worst <= RESUME_TOLERANCE, `largest weight difference ${worst}`);
    assert.deepEqual(hResumed.history.loss, hStraight.history.loss.slice(2));
    assert.equal(resumed.compiled?.optimizer.iterations, straight.compiled?.optimizer.iterations);
  });

  it('every layer type round-trips (bidirectional, masking, layerNormalization included)', async () => {
    const model = nl.sequential([
      nl.layers.masking({ inputShape: [null, 3] }),
      nl.layers.layerNormalization({ epsilon: 1e-2 }),
      nl.layers.bidirectional({
        layer: nl.layers.novoLSTM({ units: 4, returnSequences: true, inputGate: 'reference' }),
        mergeMode: 'ave',
      }),
      nl.layers.bidirectional({ layer: nl.layers.gru({ units: 3, resetAfter: false }) }),
      nl.layers.dropout({ rate: 0.3 }),
      nl.layers.dense({ units: 2, activation: 'sigmoid' }),
    ]);
    const x = randomFloatsFor(4);
    model.predict(x);
    const dir = await tempDir();
    await model.save(dir);
    const loaded = await nl.loadModel(dir);
    assert.deepEqual(loaded.predict(x).data, model.predict(x).data);
    assert.deepEqual(
      loaded.layers.map((l) => l.getConfig()),
      model.layers.map((l) => l.getConfig()),
    );
    const text = await readFile(join(dir, 'model.json'), 'utf8');
    await writeFile(
      join(dir, 'model.json'),
      text.replace('"className": "GRU"', '"className": "constructor"'),
    );
    await assert.rejects(nl.loadModel(dir), /bidirectional: layer must be an lstm, novoLSTM or gru layer/);
  });

  for (const [name, make] of [
    [
      'rmsprop (centered, momentum) with cosine decay',
      () =>
        nl.optimizers.rmsprop({
          learningRate: nl.optimizers.schedules.cosineDecay({ initialLearningRate: 0.01, decaySteps: 7 }),
          centered: true,
          momentum: 0.5,
        }),
    ],
    [
      'adamW with exponential decay and globalClipNorm',
      () =>
        nl.optimizers.adamW({
          learningRate: nl.optimizers.schedules.exponentialDecay({
            initialLearningRate: 0.01,
            decaySteps: 3,
            decayRate: 0.5,
          }),
          globalClipNorm: 1,
        }),
    ],
    [
      'sgd with nesterov momentum',
      () => nl.optimizers.sgd({ learningRate: 0.05, momentum: 0.9, nesterov: true }),
    ],
  ] as const) {
    it(`resume with ${name}`, async () => {
      const { x, y } = data(6, 12);
      const build = (): nl.Sequential => {
        const m = nl.sequential({
          layers: [
            nl.layers.embedding({ inputDim: 15, outputDim: 3 }),
            nl.layers.gru({ units: 4 }),
            nl.layers.dense({ units: 3, activation: 'softmax' }),
          ],
          seed: 2,
        });
        m.compile({ optimizer: make(), loss: 'sparseCategoricalCrossentropy' });
        return m;
      };
      const straight = build();
      for (let k = 0; k < 4; k++) straight.trainOnBatch(x, y);
      const first = build();
      for (let k = 0; k < 2; k++) first.trainOnBatch(x, y);
      const dir = await tempDir();
      await first.save(dir);
      const resumed = await nl.loadModel(dir);
      for (let k = 0; k < 2; k++) resumed.trainOnBatch(x, y);
      assert.deepEqual(resumed.values, straight.values);
      assert.deepEqual(resumed.compiled?.optimizer.getConfig(), straight.compiled?.optimizer.getConfig());
    });
  }

  it('an uncompiled model saves and loads without optimizer state', async () => {
    const model = nl.sequential([nl.layers.dense({ units: 3, inputShape: [4], activation: 'tanh' })]);
    const dir = await tempDir();
    await model.save(dir);
    const loaded = await nl.loadModel(dir);
    assert.equal(loaded.compiled, null);
    const x = nl.tensor([[1, 2, 3, 4]]);
    assert.deepEqual(loaded.predict(x).data, model.predict(x).data);
  });
});

describe('loadModel validates everything', () => {
  const rejects = async (
    dir: string,
    type: typeof ValueError | typeof ShapeError | typeof ConfigError,
    pattern: RegExp,
  ): Promise<void> => {
    await assert.rejects(nl.loadModel(dir), (e: unknown) => {
      assert.ok(e instanceof type, `expected ${type.name}, got ${String(e)}`);
      assert.match((e as Error).message, pattern);
      return true;
    });
  };

  it('format name and version', async () => {
    const { dir } = await savedModel();
    await editDescription(dir, (d) => (d.formatVersion = 2));
    await rejects(dir, ValueError, /unsupported format version — expected 1, got 2/);
    await editDescription(dir, (d) => ((d.formatVersion = 1), (d.format = 'keras')));
    await rejects(dir, ValueError, /not a novolstm model/);
  });

  it('byte counts, digests, finite values', async () => {
    const { dir } = await savedModel();
    const d = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
    const weightsPath = join(dir, d.weights.file);
    const good = await readFile(weightsPath);

    await writeFile(weightsPath, good.subarray(0, good.length - 4));
    await rejects(dir, ShapeError, /has the wrong size/);

    const flipped = Buffer.from(good);
    flipped[10] ^= 1;
    await writeFile(weightsPath, flipped);
    await rejects(dir, ValueError, /corrupt \(SHA-256 differs\)/);

    // A NaN with a matching digest: only the finite-value check can catch it.
    const nan = Buffer.from(good);
    nan.writeFloatLE(NaN, 8);
    await writeFile(weightsPath, nan);
    await editDescription(
      dir,
      (desc) =>
        ((desc.weights as Record<string, unknown>).sha256 = createHash('sha256').update(nan).digest('hex')),
    );
    await rejects(dir, ValueError, /weights value 2 is not finite/);
  });

  it('shapes and layer configs', async () => {
    const { dir } = await savedModel();
    await editDescription(dir, (d) => {
      const layers = (d.model as { layers: { config: Record<string, unknown> }[] }).layers;
      layers[2].config.units = 8;
    });
    await rejects(dir, ShapeError, /weight 1 does not match the layers/);
  });

  it('never executes anything: __proto__, constructor and paths are harmless', async () => {
    const { dir } = await savedModel();
    const text = await readFile(join(dir, 'model.json'), 'utf8');
    // A layer config carrying a prototype-pollution payload.
    await writeFile(
      join(dir, 'model.json'),
      text.replace('"config": {', '"config": { "__proto__": { "polluted": 1 },'),
    );
    await rejects(dir, ConfigError, /unknown option '__proto__'/);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);

    await writeFile(
      join(dir, 'model.json'),
      text.replace('"className": "Dense"', '"className": "constructor"'),
    );
    await rejects(dir, ConfigError, /unknown layer class/);

    await writeFile(
      join(dir, 'model.json'),
      text.replace(/"file": "weights-[0-9a-f]+\.bin"/, '"file": "../../etc/passwd"'),
    );
    await rejects(dir, ValueError, /file name is not allowed/);

    // Metadata with __proto__ loads as plain data.
    await writeFile(
      join(dir, 'model.json'),
      text.replace('"metadata": {}', '"metadata": { "__proto__": { "polluted": 1 } }'),
    );
    const loaded = await nl.loadModel(dir);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(Object.getPrototypeOf(loaded.metadata), Object.prototype);
  });

  it('a missing directory or broken JSON is a clear error', async () => {
    await rejects(join(tmpdir(), 'novolstm-does-not-exist'), ValueError, /no model.json/);
    const { dir } = await savedModel();
    await writeFile(join(dir, 'model.json'), '{ "format": ');
    await rejects(dir, ValueError, /not valid JSON/);
  });
});

describe('atomic writes', () => {
  it('a save killed by SIGKILL at a random moment leaves a complete, loadable save', async () => {
    const dir = await tempDir();
    const rng = new Random(77);
    for (let round = 0; round < 2; round++) {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', join(import.meta.dirname, 'fixtures', 'saveLoop.mts'), dir],
        {
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      let lastSaved = 0;
      let firstSave!: () => void;
      const saved = new Promise<void>((resolve) => (firstSave = resolve));
      child.stdout.on('data', (chunk: Buffer) => {
        for (const m of chunk.toString().matchAll(/saved (\d+)/g)) lastSaved = Number(m[1]);
        if (lastSaved > 0) firstSave();
      });
      // 'close', not 'exit': every line the child wrote before the kill has been read by then.
      const exited = new Promise((resolve) => child.on('close', resolve));
      await saved;
      await new Promise((resolve) => setTimeout(resolve, 5 + rng.int(60)));
      child.kill('SIGKILL');
      await exited;
      const loaded = await nl.loadModel(dir);
      const k = loaded.values[0];
      assert.ok(
        loaded.values.every((v) => v === k),
        'one complete version',
      );
      assert.ok(k >= lastSaved && k <= lastSaved + 1, `version ${k}, last reported ${lastSaved}`);
      assert.ok(loaded.compiled && loaded.compiled.optimizer.slots.length > 0);
    }
  });
});

describe('modelCheckpoint', () => {
  it('saves every epoch into {epoch} directories that load and resume', async () => {
    const root = await tempDir();
    const { x, y } = data(4, 16);
    const model = makeModel();
    const checkpoint = nl.callbacks.modelCheckpoint({
      filepath: join(root, 'ckpt-{epoch}'),
      monitor: 'loss',
    });
    await model.fit(x, y, { batchSize: 8, epochs: 2, verbose: 0, callbacks: [checkpoint] });
    assert.deepEqual(checkpoint.saved, [join(root, 'ckpt-1'), join(root, 'ckpt-2')]);
    const last = await nl.loadModel(join(root, 'ckpt-2'));
    assert.deepEqual(last.predict(x).data, model.predict(x).data);
    const firstEpoch = await nl.loadModel(join(root, 'ckpt-1'));
    assert.notDeepEqual(firstEpoch.values, model.values);
  });

  it('saveBestOnly saves only on improvement', async () => {
    const root = await tempDir();
    const { x, y } = data(4, 16);
    const model = makeModel();
    const checkpoint = nl.callbacks.modelCheckpoint({
      filepath: join(root, 'best-{epoch}'),
      monitor: 'loss',
      saveBestOnly: true,
    });
    let losses: number[] = [];
    const h = await model.fit(x, y, { batchSize: 8, epochs: 3, verbose: 0, callbacks: [checkpoint] });
    losses = h.history.loss;
    const expected = losses
      .map((l, i) => (losses.slice(0, i).every((p) => l < p) ? join(root, `best-${i + 1}`) : null))
      .filter((d) => d !== null);
    assert.deepEqual(checkpoint.saved, expected);
  });
});
