/**
 * ONNX export: a built Sequential as one `model.onnx` (opset 17) that ONNX Runtime and other ONNX engines
 * run for inference. The graph takes `input` — token ids int32 [B, T] when the first layer is an
 * embedding, float32 [B, …inputShape] otherwise — and gives `output`, the same values as `model.predict`.
 * The file says what it is: metadata_props holds the model's description as our own format writes it and
 * its metadata (a vocabulary, labels), so `decodeOnnx` rebuilds the model from a file we wrote.
 * Browser-safe: bytes in, bytes out.
 */
import type { Sequential } from '../../models/sequential.js';
import { ValueError } from '../../errors.js';
import type { Decoder, Encoder, ModelFiles } from '../formats.js';
import { modelFromOnnx } from './decode.js';
import { onnxBytes } from './encode.js';

/** The one file of an ONNX export. */
export const ONNX_FILE = 'model.onnx';

export const encodeOnnx: Encoder = async (model: Sequential): Promise<ModelFiles> => {
  return new Map([[ONNX_FILE, onnxBytes(model)]]);
};

/** Reads back a file that encodeOnnx wrote (one file, under any name); other ONNX files get a ValueError. */
export const decodeOnnx: Decoder = async (files: ModelFiles): Promise<Sequential> => {
  const bytes = files.get(ONNX_FILE) ?? (files.size === 1 ? [...files.values()][0] : undefined);
  if (!bytes) {
    throw new ValueError(
      'decodeOnnx',
      'expected one ONNX file',
      ONNX_FILE,
      [...files.keys()].join(', ') || 'nothing',
    );
  }
  return modelFromOnnx(bytes);
};

export { onnxBytes } from './encode.js';
export { METADATA_KEYS, ONNX_FORMAT_NAME, ONNX_FORMAT_VERSION } from './metadata.js';
