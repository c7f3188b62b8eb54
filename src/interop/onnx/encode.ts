/**
 * A built Sequential as the bytes of an ONNX ModelProto (opset 17): the graph of layers.ts, the weights as
 * initializers, and the model's description and metadata in metadata_props (metadata.ts).
 */
import { ConfigError } from '../../errors.js';
import type { Sequential } from '../../models/sequential.js';
import { GraphBuilder, IR_VERSION, onnx, OPSET } from './graph.js';
import { modelGraph } from './layers.js';
import { METADATA_KEYS, ONNX_FORMAT_NAME, ONNX_FORMAT_VERSION } from './metadata.js';

const MASKS_NOTE =
  'Padded steps (token id 0 with maskZero, or steps equal to maskValue) must come at the end of each row: ' +
  "LSTM and GRU layers run ONNX's own operators with sequence_lens; NovoLSTM layers take padding anywhere.";

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
    docString: `A novolstm ${model.layers.map((l) => l.className).join(' → ')} model; ${valueNames('input', g.inputs)}, ${valueNames('output', g.outputs)}.`,
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

/** "input 'input'", or with a stateful layer's state "inputs 'input', 'lstm_h_in', 'lstm_c_in'". */
function valueNames(what: string, values: readonly { name?: string | null }[]): string {
  return `${what}${values.length > 1 ? 's' : ''} ${values.map((v) => `'${v.name}'`).join(', ')}`;
}
