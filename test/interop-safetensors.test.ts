/**
 * safetensors (src/interop/safetensors): a model round-trips bit for bit and predicts the same; the file's
 * layout is the published one (checked byte by byte here, and by PyTorch in interop-python.test.ts); and
 * every broken or hostile file is a typed error before anything is allocated from it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as nl from '../src/index.js';
import { ShapeError, ValueError } from '../src/errors.js';
import { readSafetensors, writeSafetensors } from '../src/interop/safetensors/container.js';
import {
  decodeSafetensors,
  encodeSafetensors,
  METADATA_KEY,
  SAFETENSORS_FILE,
} from '../src/interop/safetensors/index.js';
import { Random } from '../src/random.js';
import { paddedIds, perturbWeights } from './modelHelpers.js';

/** Every layer class the registry knows, with odd sizes and random weights. */
function everyLayerModel(): nl.Sequential {
  const model = nl.sequential({
    seed: 5,
    layers: [
      nl.layers.embedding({ inputDim: 13, outputDim: 5, maskZero: true, inputShape: [null] }),
      nl.layers.bidirectional({
        layer: nl.layers.novoLSTM({ units: 3, returnSequences: true, layerNorm: 'all' }),
        mergeMode: 'concat',
      }),
      nl.layers.novoLSTM({ units: 7, returnSequences: true, inputGate: 'reference', goBackwards: true }),
      nl.layers.lstm({ units: 5, returnSequences: true }),
      nl.layers.gru({ units: 3, returnSequences: true, resetAfter: false }),
      nl.layers.layerNormalization(),
      nl.layers.dropout({ rate: 0.1 }),
      nl.layers.gru({ units: 5 }),
      nl.layers.dense({ units: 7, activation: 'softmax' }),
    ],
  });
  perturbWeights(model, 6);
  model.markWeightsChanged();
  model.metadata = { vocabulary: 'abc', labels: ['x', 'y'] };
  return model;
}

async function encoded(model: nl.Sequential): Promise<Uint8Array> {
  const files = await encodeSafetensors(model);
  assert.deepEqual([...files.keys()], [SAFETENSORS_FILE]);
  return files.get(SAFETENSORS_FILE)!;
}

const decode = (bytes: Uint8Array): Promise<nl.Sequential> =>
  decodeSafetensors(new Map([[SAFETENSORS_FILE, bytes]]));

/** The file's header as JSON and the offset where its data begins. */
function header(bytes: Uint8Array): { json: Record<string, unknown>; dataStart: number } {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { json: JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))), dataStart: 8 + n };
}

/** A file with the given header object and data bytes. */
function withHeader(json: unknown, data: Uint8Array): Uint8Array {
  const h = new TextEncoder().encode(JSON.stringify(json));
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

describe('safetensors: round trip', () => {
  it('gives the same weights bit for bit, the same configs and metadata, and the same predictions', async () => {
    const model = everyLayerModel();
    const again = await decode(await encoded(model));
    assert.deepEqual(
      again.entries.map((e) => [e.name, e.shape]),
      model.entries.map((e) => [e.name, e.shape]),
    );
    assert.deepEqual(
      new Uint32Array(again.values.buffer, again.values.byteOffset, again.values.length),
      new Uint32Array(model.values.buffer, model.values.byteOffset, model.values.length),
    );
    assert.deepEqual(
      again.layers.map((l) => [l.className, l.name, l.getConfig()]),
      model.layers.map((l) => [l.className, l.name, l.getConfig()]),
    );
    assert.deepEqual(again.metadata, model.metadata);
    assert.deepEqual(again.trainingRng.getState(), model.trainingRng.getState());
    assert.equal(again.compiled, null, 'a safetensors file carries no optimizer');
    const x = nl.tensor(paddedIds(new Random(7), 4, 9, 13), undefined, 'int32');
    assert.deepEqual(again.predict(x).data, model.predict(x).data);
  });

  it('writes the published layout: header length, 8-byte alignment, documented names, tiled offsets', async () => {
    const model = everyLayerModel();
    const bytes = await encoded(model);
    const { json, dataStart } = header(bytes);
    assert.equal(dataStart % 8, 0, 'the header is padded to a multiple of 8');
    const metadata = json.__metadata__ as Record<string, string>;
    const description = JSON.parse(metadata[METADATA_KEY]);
    assert.equal(description.format, 'novolstm-model');
    assert.deepEqual(
      description.model.layers.map((l: { className: string }) => l.className),
      model.layers.map((l) => l.className),
    );
    const names = Object.keys(json).filter((k) => k !== '__metadata__');
    assert.ok(names.includes('layers.0.embedding.embeddings'));
    assert.ok(names.includes('layers.1.bidirectional.backward.gateGamma'));
    assert.ok(names.includes('layers.4.gru.recurrentKernel'));
    assert.equal(names.length, model.entries.length);
    // Each tensor's bytes are the model's values for that weight, little-endian float32.
    for (const e of model.entries) {
      const layer = model.layers.findIndex((l) => e.name.startsWith(`${l.name}/`));
      const t = json[`layers.${layer}.${e.name.replaceAll('/', '.')}`] as {
        dtype: string;
        shape: number[];
        data_offsets: [number, number];
      };
      assert.equal(t.dtype, 'F32');
      assert.deepEqual(t.shape, e.shape);
      const view = new DataView(bytes.buffer, bytes.byteOffset + dataStart + t.data_offsets[0]);
      for (let i = 0; i < e.size; i++) {
        assert.equal(view.getFloat32(i * 4, true), model.values[e.offset + i], `${e.name}[${i}]`);
      }
    }
  });

  it('refuses an unbuilt model', async () => {
    await assert.rejects(encodeSafetensors(nl.sequential([nl.layers.dense({ units: 3 })])), /not built/);
  });
});

describe('safetensors: bad files are typed errors', () => {
  const data = new Uint8Array(8);

  it('too short, a header longer than the file, a header that is not JSON or not an object', async () => {
    await assert.rejects(decode(new Uint8Array(5)), ShapeError);
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setBigUint64(0, 2n ** 62n, true);
    await assert.rejects(
      decode(huge),
      (e: Error) => e instanceof ShapeError && /header length/.test(e.message),
    );
    const notJson = new Uint8Array(12);
    new DataView(notJson.buffer).setBigUint64(0, 4n, true);
    notJson.set([0x7b, 0x7b, 0xff, 0x20], 8);
    await assert.rejects(
      decode(notJson),
      (e: Error) => e instanceof ValueError && /not valid UTF-8 JSON/.test(e.message),
    );
    await assert.rejects(decode(withHeader([1, 2], data)), /must be a JSON object/);
  });

  it('a dtype other than F32, a malformed shape, offsets out of range, a size that does not match', () => {
    const read = (t: unknown): unknown => readSafetensors(withHeader({ w: t }, data), 'test');
    assert.throws(
      () => read({ dtype: 'F16', shape: [4], data_offsets: [0, 8] }),
      /dtype .* expected F32, got F16/,
    );
    assert.throws(() => read({ dtype: 'F32', shape: [-2], data_offsets: [0, 8] }), ShapeError);
    assert.throws(() => read({ dtype: 'F32', shape: [2], data_offsets: [0, 12] }), /outside the data/);
    assert.throws(() => read({ dtype: 'F32', shape: [2], data_offsets: [4, 2] }), /outside the data/);
    assert.throws(() => read({ dtype: 'F32', shape: [1], data_offsets: [0, 8] }), /byte count/);
  });

  it('overlapping tensors, a gap, trailing bytes', () => {
    const f32 = (begin: number, end: number) => ({
      dtype: 'F32',
      shape: [(end - begin) / 4],
      data_offsets: [begin, end],
    });
    assert.throws(() => readSafetensors(withHeader({ a: f32(0, 8), b: f32(4, 8) }, data), 't'), /overlaps/);
    assert.throws(() => readSafetensors(withHeader({ a: f32(4, 8) }, data), 't'), /gap/);
    assert.throws(() => readSafetensors(withHeader({ a: f32(0, 4) }, data), 't'), /trailing bytes/);
    assert.throws(
      () => readSafetensors(withHeader({ __metadata__: { a: 1 } }, new Uint8Array(0)), 't'),
      /must be a string/,
    );
  });

  it('a file that is not ours, a missing, misshapen or extra tensor, a non-finite weight, a config that does not build', async () => {
    const model = everyLayerModel();
    const bytes = await encoded(model);
    const { json, dataStart } = header(bytes);
    const body = bytes.subarray(dataStart);
    const metadata = json.__metadata__ as Record<string, string>;

    await assert.rejects(
      decode(withHeader({ __metadata__: {} }, new Uint8Array(0))),
      /has no 'novolstm' entry/,
    );

    // A weight left out: its bytes are then a gap in the data, so move them out of the file entirely.
    const lastName = 'layers.8.dense.bias';
    const last = json[lastName] as { data_offsets: [number, number] };
    const { [lastName]: _dropped, ...withoutLast } = json;
    await assert.rejects(
      decode(withHeader(withoutLast, body.subarray(0, last.data_offsets[0]))),
      (e: Error) => e instanceof ValueError && /tensor 'layers.8.dense.bias' is missing/.test(e.message),
    );

    // The same bytes under a shape the config does not have.
    const kernel = json['layers.8.dense.kernel'] as { shape: number[] };
    const reshaped = { ...json, 'layers.8.dense.kernel': { ...kernel, shape: [...kernel.shape].reverse() } };
    await assert.rejects(
      decode(withHeader(reshaped, body)),
      (e: Error) => e instanceof ShapeError && /wrong shape/.test(e.message),
    );

    // An extra tensor the model does not have.
    const extra = {
      ...json,
      'layers.9.spy.kernel': { dtype: 'F32', shape: [1], data_offsets: [body.length, body.length + 4] },
    };
    await assert.rejects(
      decode(withHeader(extra, new Uint8Array([...body, 0, 0, 0, 0]))),
      /tensors the model does not have .* got layers.9.spy.kernel/,
    );

    // A NaN weight.
    const nan = new Uint8Array(body);
    new DataView(nan.buffer).setFloat32(last.data_offsets[0], NaN, true);
    await assert.rejects(decode(withHeader(json, nan)), /not finite/);

    // A description whose dense layer has an option we do not support: the layer's strict constructor refuses it.
    const description = JSON.parse(metadata[METADATA_KEY]);
    description.model.layers[8].config.activation = 'gelu';
    const badConfig = { ...json, __metadata__: { [METADATA_KEY]: JSON.stringify(description) } };
    await assert.rejects(decode(withHeader(badConfig, body)), /activation/);

    // An unknown layer class: the registry refuses it, nothing is constructed from the file.
    description.model.layers[8].className = 'Lambda';
    const lambda = { ...json, __metadata__: { [METADATA_KEY]: JSON.stringify(description) } };
    await assert.rejects(decode(withHeader(lambda, body)), /unknown layer class/);
  });

  it('more than one file', async () => {
    const bytes = writeSafetensors({}, []);
    await assert.rejects(
      decodeSafetensors(
        new Map([
          ['a', bytes],
          ['b', bytes],
        ]),
      ),
      (e: Error) => e instanceof ValueError && /one file/.test(e.message),
    );
  });
});
