/**
 * The one-file model (io/bundle.ts): the same files as a save directory, byte for byte, in a tar archive
 * that the system's `tar` unpacks into a directory loadModel reads; round trips with optimizer state; and
 * everything a hostile or broken archive can do is a typed error.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { main } from '../src/cli/main.js';
import * as nl from '../src/index.js';
import { ValueError } from '../src/errors.js';
import { packTar, unpackTar } from '../src/io/tar.js';
import { Random } from '../src/random.js';

const roots: string[] = [];
after(async () => {
  for (const r of roots) await rm(r, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'novolstm-bundle-'));
  roots.push(d);
  return d;
}

/** A small trained, compiled model (Adam moments are non-zero), with metadata. */
async function trainedModel(): Promise<{ model: nl.Sequential; x: nl.Tensor }> {
  const rng = new Random(3);
  const ids = Array.from({ length: 12 }, () => Array.from({ length: 6 }, () => 1 + rng.int(9)));
  const x = nl.tensor(ids, undefined, 'int32');
  const y = nl.tensor(
    ids.map((r) => r[2] % 3),
    undefined,
    'int32',
  );
  const model = nl.sequential({
    seed: 4,
    layers: [
      nl.layers.embedding({ inputDim: 10, outputDim: 4 }),
      nl.layers.novoLSTM({ units: 5 }),
      nl.layers.dense({ units: 3, activation: 'softmax' }),
    ],
  });
  model.compile({
    optimizer: nl.optimizers.adam({ learningRate: 0.01 }),
    loss: 'sparseCategoricalCrossentropy',
  });
  await model.fit(x, y, { batchSize: 4, epochs: 2, verbose: 0 });
  model.metadata = { note: 'bundle', chars: ['a', 'b'] };
  return { model, x };
}

describe('one-file model (tar of the save directory)', () => {
  it('holds exactly the files model.save writes, byte for byte, model.json first', async () => {
    const { model } = await trainedModel();
    const dir = await tempDir();
    await model.save(dir);
    const files = unpackTar(await nl.modelToBytes(model));
    assert.equal(files[0].name, 'model.json');
    assert.deepEqual(files.map((f) => f.name).sort(), (await readdir(dir)).sort());
    for (const f of files) assert.deepEqual(Buffer.from(f.bytes), await readFile(join(dir, f.name)), f.name);
  });

  it('round trip keeps predictions, weights, optimizer moments and metadata', async () => {
    const { model, x } = await trainedModel();
    const loaded = await nl.modelFromBytes(await nl.modelToBytes(model));
    assert.deepEqual(loaded.predict(x).data, model.predict(x).data);
    assert.deepEqual(loaded.values, model.values);
    assert.deepEqual(loaded.compiled?.optimizer.slots, model.compiled?.optimizer.slots);
    assert.equal(loaded.compiled?.optimizer.iterations, model.compiled?.optimizer.iterations);
    assert.deepEqual(loaded.metadata, model.metadata);
    // Deterministic: the same model gives the same bytes (no times or owners in the archive).
    assert.deepEqual(await nl.modelToBytes(loaded), await nl.modelToBytes(model));
  });

  it("the system's tar unpacks it into a directory that loadModel reads; loadModel also reads the file", async () => {
    const { model, x } = await trainedModel();
    const dir = await tempDir();
    const file = join(dir, 'model.tar');
    await writeFile(file, await nl.modelToBytes(model));
    const listed = execFileSync('tar', ['-tf', file], { encoding: 'utf8' }).trim().split('\n');
    assert.equal(listed[0], 'model.json');
    const out = join(dir, 'unpacked');
    execFileSync('mkdir', [out]);
    execFileSync('tar', ['-xf', file, '-C', out]);
    assert.deepEqual((await nl.loadModel(out)).predict(x).data, model.predict(x).data);
    assert.deepEqual((await nl.loadModel(file)).predict(x).data, model.predict(x).data);
  });

  it('reads an archive made by the system tar from a save directory', async () => {
    const { model, x } = await trainedModel();
    const dir = await tempDir();
    await model.save(join(dir, 'm'));
    const names = await readdir(join(dir, 'm'));
    execFileSync('tar', ['--format=ustar', '-cf', join(dir, 'm.tar'), '-C', join(dir, 'm'), ...names]);
    const loaded = await nl.modelFromBytes(await readFile(join(dir, 'm.tar')));
    assert.deepEqual(loaded.predict(x).data, model.predict(x).data);
  });

  it('files picked one by one (model.json and its .bin files) load too', async () => {
    const { model, x } = await trainedModel();
    const dir = await tempDir();
    await model.save(dir);
    const files = await Promise.all(
      (await readdir(dir)).map(async (name) => ({
        name,
        bytes: new Uint8Array(await readFile(join(dir, name))),
      })),
    );
    assert.deepEqual((await nl.modelFromFiles(files)).predict(x).data, model.predict(x).data);
  });

  it('broken or hostile archives are typed errors', async () => {
    const { model } = await trainedModel();
    const good = await nl.modelToBytes(model);
    const rejects = (bytes: Uint8Array, pattern: RegExp) =>
      assert.rejects(nl.modelFromBytes(bytes), (e: unknown) => {
        assert.ok(e instanceof ValueError, String(e));
        assert.match((e as Error).message, pattern);
        return true;
      });

    const header = good.slice();
    header[0] ^= 1; // the name changes, the stored checksum does not
    await rejects(header, /corrupt \(checksum\)/);
    await rejects(good.subarray(0, 1000), /runs past the end|truncated/);
    const files = unpackTar(good);
    const weights = files.find((f) => f.name.startsWith('weights-'))!;
    const flipped = weights.bytes.slice();
    flipped[5] ^= 1;
    await rejects(
      packTar(files.map((f) => (f === weights ? { name: f.name, bytes: flipped } : f))),
      /corrupt \(SHA-256 differs\)/,
    );
    await rejects(packTar(files.filter((f) => f !== weights)), /weights file is missing/);
    await rejects(packTar(files.filter((f) => f.name !== 'model.json')), /has no model.json/);
    await rejects(
      packTar([...files, { name: 'evil.js', bytes: new Uint8Array(3) }]),
      /unexpected file 'evil.js'/,
    );
    await rejects(packTar([files[0], files[0]]), /appears twice/);
  });

  it('the CLI generates from a model file (as the web page saves it)', async () => {
    const vocabulary = nl.text.CharVocabulary.fromText('abc abc\n').toJSON();
    const model = nl.buildLanguageModel(
      { cell: 'novolstm', units: 5, layers: 1, embeddingDim: 3, dropout: 0, vocabulary },
      2,
    );
    model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    const file = join(await tempDir(), 'model.tar');
    await writeFile(file, await nl.modelToBytes(model));
    const stdout: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((s: string) => stdout.push(s) > 0) as typeof process.stdout.write;
    let code: number;
    try {
      code = await main([
        'generate',
        '--model',
        file,
        '--prime',
        'ab',
        '--length',
        '12',
        '--temperature',
        '0',
      ]);
    } finally {
      process.stdout.write = write;
    }
    assert.equal(code, 0);
    const expected = [...nl.generateText(model, { prime: 'ab', length: 12, temperature: 0 })].join('');
    assert.equal(stdout.join(''), `ab${expected}\n`);
  });
});
