/**
 * ONNX export: a built Sequential as one `model.onnx` (opset 17) that ONNX Runtime and other ONNX engines
 * run for inference. The graph takes `input` — token ids int32 [B, T] when the first layer is an
 * embedding, float32 [B, …inputShape] otherwise — and gives `output`, the same values as `model.predict`.
 *
 * The file says what it is: `metadata_props` holds the model's description as our own format writes it
 * (layer classes, configs, names, input shape, weight names and shapes) and its metadata (a vocabulary,
 * labels). Browser-safe: bytes out, nothing touches the file system.
 */
import { ConfigError } from '../../errors.js';
import type { Sequential } from '../../models/sequential.js';
import type { Encoder, ModelFiles } from '../formats.js';
import { GraphBuilder, IR_VERSION, onnx, OPSET } from './graph.js';
import { INPUT_NAME, modelGraph, OUTPUT_NAME } from './layers.js';

/** The one file of an ONNX export. */
export const ONNX_FILE = 'model.onnx';

/** metadata_props keys. */
export const METADATA_KEYS = {
  /** What wrote the file and how to read the other keys: `novolstm-onnx`, version 1. */
  format: 'novolstm.format',
  /** JSON: className, name, seed, inputShape, layers [{ className, name, config }], weights [{ name, shape }]. */
  model: 'novolstm.model',
  /** JSON: the model's metadata (model.metadata). */
  metadata: 'novolstm.metadata',
  /** Plain words on what the graph assumes of its input masks. */
  masks: 'novolstm.masks',
} as const;
export const ONNX_FORMAT_NAME = 'novolstm-onnx';
export const ONNX_FORMAT_VERSION = 1;

const MASKS_NOTE =
  'Padded steps (token id 0 with maskZero, or steps equal to maskValue) must come at the end of each row: ' +
  "LSTM and GRU layers run ONNX's own operators with sequence_lens; NovoLSTM layers take padding anywhere.";

export const encodeOnnx: Encoder = async (model: Sequential): Promise<ModelFiles> => {
  return new Map([[ONNX_FILE, onnxBytes(model)]]);
};

/** The ModelProto's bytes. */
export function onnxBytes(model: Sequential): Uint8Array {
  if (!model.isBuilt || !model.inputShape) {
    throw new ConfigError(
      'encodeOnnx',
      'the model is not built yet',
      'an inputShape on the first layer, or a call to fit/predict',
      'unbuilt',
    );
  }
  const g = new GraphBuilder();
  modelGraph(g, model);
  const description = {
    className: 'Sequential',
    name: model.name,
    seed: model.seed,
    inputShape: [...model.inputShape],
    layers: model.layers.map((l) => ({ className: l.className, name: l.name, config: l.getConfig() })),
    weights: model.entries.map((e) => ({ name: e.name, shape: [...e.shape] })),
  };
  const proto = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: 'novolstm',
    docString: `A novolstm ${model.layers.map((l) => l.className).join(' → ')} model; input '${INPUT_NAME}', output '${OUTPUT_NAME}'.`,
    graph: g.build(model.name),
    metadataProps: [
      { key: METADATA_KEYS.format, value: `${ONNX_FORMAT_NAME} ${ONNX_FORMAT_VERSION}` },
      { key: METADATA_KEYS.model, value: JSON.stringify(description) },
      { key: METADATA_KEYS.metadata, value: JSON.stringify(model.metadata) },
      { key: METADATA_KEYS.masks, value: MASKS_NOTE },
    ],
  });
  return onnx.ModelProto.encode(proto).finish();
}
