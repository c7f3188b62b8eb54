/**
 * What the interop floor trades in: a model exported to, or read from, another framework's files.
 *
 * Each foreign format lives in its own folder (keras/, tfjs/, onnx/, safetensors/) and exports an encoder
 * and, where the format can carry a whole model, a decoder with these shapes. `index.ts` dispatches on the
 * format and does the file-system work (reading a path, writing atomically), so the encoders and decoders
 * stay browser-safe: bytes in, bytes out.
 */
import type { Sequential } from '../models/sequential.js';

export const EXPORT_FORMATS = ['keras', 'tfjs', 'safetensors', 'onnx'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/**
 * The export option that writes stateful layers as stateless (stateless.ts), as an encoder's error
 * names it: the library's spelling and the command line's.
 */
export const STATELESS_OPTION = 'the export option { stateless: true } (novolstm export --stateless)';

/**
 * A format's files, by name relative to the output: one entry for single-file formats (`.keras`,
 * `.safetensors`, `.onnx`), several for a TensorFlow.js directory (`model.json` and its shards).
 */
export type ModelFiles = ReadonlyMap<string, Uint8Array>;

/** Turns a built model into a format's files, or throws a ConfigError naming what the format cannot carry. */
export type Encoder = (model: Sequential) => Promise<ModelFiles>;

/** Builds a model from a format's files, or throws a typed error naming the layer and option it cannot load. */
export type Decoder = (files: ModelFiles) => Promise<Sequential>;
