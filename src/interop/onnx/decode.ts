/**
 * Reading back an ONNX file that encodeOnnx wrote: the layers are rebuilt from the description in
 * metadata_props (through the same fixed registry and strict option checks as our own format), and every
 * weight is read from its initializer by name and turned back from ONNX's layout (layout.ts), so the
 * weights come back bit for bit. Any other ONNX file gets a ValueError: an arbitrary graph is not a
 * Sequential of our layers, and nothing in the file is executed — protobuf decoding, JSON.parse, a fixed
 * registry of layer classes.
 */
import { ShapeError, ValueError } from '../../errors.js';
import {
  Bidirectional,
  Dense,
  Embedding,
  layerFromConfig,
  LayerNormalization,
  Recurrent,
} from '../../layers/index.js';
import type { ConfigValue, Layer } from '../../layers/layer.js';
import { Sequential } from '../../models/sequential.js';
import { Tensor } from '../../tensor.js';
import type { onnx as proto } from 'onnx-proto';
import { DATA_TYPE, onnx } from './graph.js';
import {
  concatenated,
  fromGateMajor,
  fromGateOrder,
  GRU_GATES_FROM_OURS,
  LSTM_GATES_FROM_OURS,
} from './layout.js';
import { cellOptionsOf } from './recurrent.js';
import { METADATA_KEYS, ONNX_FORMAT_NAME, ONNX_FORMAT_VERSION } from './metadata.js';
import { jsonArray, jsonObject } from '../../io/jsonShapes.js';

const SUBJECT = 'decodeOnnx';

/** The model a file that encodeOnnx wrote describes, with its weights. */
export function modelFromOnnx(bytes: Uint8Array): Sequential {
  let decoded: proto.ModelProto;
  try {
    decoded = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new ValueError(SUBJECT, 'not an ONNX model (protobuf)', 'an ONNX ModelProto', (e as Error).message);
  }
  const props = new Map(
    (decoded.metadataProps as proto.StringStringEntryProto[]).map((p) => [p.key, p.value]),
  );
  const format = props.get(METADATA_KEYS.format);
  const expected = `${ONNX_FORMAT_NAME} ${ONNX_FORMAT_VERSION}`;
  if (format !== expected) {
    throw new ValueError(
      SUBJECT,
      `only ONNX files written by novolstm can be read back (metadata_props '${METADATA_KEYS.format}')`,
      expected,
      format ?? 'nothing',
    );
  }
  const description = object(parseJson(props.get(METADATA_KEYS.model), METADATA_KEYS.model), 'description');
  const layers = array(description.layers, 'layers').map((raw, i) => {
    const l = object(raw, `layers[${i}]`);
    const options: Record<string, unknown> = { ...object(l.config, `layers[${i}].config`), name: l.name };
    if (i === 0) options.inputShape = description.inputShape;
    return layerFromConfig(l.className, options);
  });
  const seed = description.seed;
  if (typeof seed !== 'number')
    throw new ValueError(SUBJECT, 'seed must be a number', 'a number', String(seed));
  const name = typeof description.name === 'string' ? description.name : 'sequential';
  const model = new Sequential({ layers, name, seed, initialize: false });
  if (!model.isBuilt)
    throw new ValueError(SUBJECT, 'inputShape is missing', 'a shape', String(description.inputShape));

  const initializers = new Map(
    ((decoded.graph?.initializer ?? []) as proto.TensorProto[]).map((t: proto.TensorProto) => [t.name, t]),
  );
  const read = (weight: string, shape: readonly number[]): Float32Array => {
    const t = initializers.get(weight);
    if (!t) throw new ValueError(SUBJECT, 'a weight is missing from the initializers', weight, 'nothing');
    const dims = t.dims.map(Number);
    if (t.dataType !== DATA_TYPE.float || dims.join() !== shape.join()) {
      throw new ShapeError(
        SUBJECT,
        `initializer '${weight}' does not match the layer`,
        `float32 [${shape.join(', ')}]`,
        `type ${t.dataType} [${dims.join(', ')}]`,
      );
    }
    const count = shape.reduce((a, b) => a * b, 1);
    if (t.rawData.length !== 4 * count)
      throw new ShapeError(
        SUBJECT,
        `initializer '${weight}' has the wrong byte count`,
        4 * count,
        t.rawData.length,
      );
    const values = new Float32Array(count);
    new Uint8Array(values.buffer).set(t.rawData);
    return values;
  };
  for (const layer of model.layers) setLayerWeights(layer, read);
  model.markWeightsChanged();
  model.metadata = object(
    parseJson(props.get(METADATA_KEYS.metadata) ?? '{}', METADATA_KEYS.metadata),
    'metadata',
  ) as Record<string, ConfigValue>;
  return model;
}

type Reader = (weight: string, shape: readonly number[]) => Float32Array;

/** Reads a layer's weights in the order of its weightSpecs and writes them (setWeights checks shapes and finiteness). */
function setLayerWeights(layer: Layer, read: Reader): void {
  const specs = layer.weightSpecs();
  if (specs.length === 0) return;
  let values: Record<string, Float32Array>;
  if (layer instanceof Recurrent) values = recurrentWeights([layer], read)[0];
  else if (layer instanceof Bidirectional) {
    const [f, b] = recurrentWeights([layer.forwardLayer, layer.backwardLayer], read);
    values = Object.fromEntries([
      ...Object.entries(f).map(([k, v]) => [`forward/${k}`, v]),
      ...Object.entries(b).map(([k, v]) => [`backward/${k}`, v]),
    ]);
  } else if (layer instanceof Embedding || layer instanceof Dense || layer instanceof LayerNormalization) {
    values = Object.fromEntries(specs.map((s) => [s.name, read(`${layer.name}/${s.name}`, s.shape)]));
  } else {
    throw new ValueError(
      SUBJECT,
      `${layer.label} has weights this reader does not know`,
      'none',
      specs.length,
    );
  }
  layer.setWeights(specs.map((s) => new Tensor(values[s.name], s.shape)));
}

/** One recurrent layer, or a Bidirectional's two: the inverse of recurrent.ts' initializers. */
function recurrentWeights(layers: readonly Recurrent[], read: Reader): Record<string, Float32Array>[] {
  const first = layers[0];
  const u = first.units;
  const D = first.inputShape![first.inputShape!.length - 1] as number;
  if (first.className === 'NovoLSTM') {
    return layers.map((l) => {
      const R = cellOptionsOf(l).inputGate === 'readme' ? 5 * u : 4 * u;
      const base = l.name;
      const w: Record<string, Float32Array> = {
        kernel: read(`${base}/kernel`, [D, 5 * u]),
        recurrentKernel: read(`${base}/recurrentKernel`, [u, R]),
        bias: read(`${base}/bias`, [5 * u]),
        gamma: read(`${base}/gamma`, [u]),
        beta: read(`${base}/beta`, [u]),
      };
      if (cellOptionsOf(l).layerNorm === 'all') {
        w.gateGamma = new Float32Array(4 * u);
        w.gateBeta = new Float32Array(4 * u);
        for (let row = 0; row < 4; row++) {
          w.gateGamma.set(read(`${base}/gateGamma${row}`, [u]), row * u);
          w.gateBeta.set(read(`${base}/gateBeta${row}`, [u]), row * u);
        }
      }
      return w;
    });
  }
  const isLstm = first.className === 'LSTM';
  const G = isLstm ? 4 : 3;
  const gates = isLstm ? LSTM_GATES_FROM_OURS : GRU_GATES_FROM_OURS;
  const dirs = layers.length;
  const base = first.name;
  const W = read(`${base}/W`, [dirs, G * u, D]);
  const R = read(`${base}/R`, [dirs, G * u, u]);
  const B = read(`${base}/B`, [dirs, 2 * G * u]);
  // ONNX's direction 0 is the forward pass: the layer that does not go backwards.
  const ordered = [...layers].sort((a, b) => Number(a.goBackwards) - Number(b.goBackwards));
  return layers.map((l) => {
    const d = ordered.indexOf(l);
    const bias = B.subarray(d * 2 * G * u, (d + 1) * 2 * G * u);
    const inputBias = fromGateOrder(bias.subarray(0, G * u), u, gates);
    const { resetAfter } = cellOptionsOf(l);
    return {
      kernel: fromGateMajor(W.subarray(d * G * u * D, (d + 1) * G * u * D), D, u, gates),
      recurrentKernel: fromGateMajor(R.subarray(d * G * u * u, (d + 1) * G * u * u), u, u, gates),
      bias: resetAfter ? concatenated([inputBias, fromGateOrder(bias.subarray(G * u), u, gates)]) : inputBias,
    };
  });
}

function parseJson(text: string | undefined, what: string): unknown {
  try {
    return JSON.parse(text ?? '');
  } catch (e) {
    throw new ValueError(SUBJECT, `metadata_props '${what}' is not valid JSON`, 'JSON', (e as Error).message);
  }
}

const object = (value: unknown, what: string): Record<string, unknown> => jsonObject(SUBJECT, value, what);
const array = (value: unknown, what: string): unknown[] => jsonArray(SUBJECT, value, what);
