/**
 * `importModel` and `exportModel`: one entry for every foreign format. A source is sniffed (magic bytes
 * first, then names) into a format and its files; the format's decoder builds the model. An export runs
 * the format's encoder and writes its files atomically.
 *
 * The two tables below are the whole dispatch: a format joins by adding its decoder or encoder there
 * (each is imported lazily, so the package entry loads no format's libraries until one is used). The
 * file-system half (nodeFiles.ts) is imported only when a path is given, so this stays browser-safe.
 */
import { ConfigError } from '../errors.js';
import { checkOptionKeys } from '../options.js';
import type { Sequential } from '../models/sequential.js';
import { EXPORT_FORMATS, type Decoder, type Encoder, type ExportFormat, type ModelFiles } from './formats.js';
import { nameFor, sniffBytes, sniffFiles, type ImportFormat } from './sniff.js';
import { statelessCopy } from './stateless.js';

const DECODERS: Partial<Record<ImportFormat, () => Promise<Decoder>>> = {
  keras: async () => (await import('./keras/index.js')).decodeKeras,
  tfjs: async () => (await import('./tfjs/index.js')).decodeTfjs,
  safetensors: async () => (await import('./safetensors/index.js')).decodeSafetensors,
  onnx: async () => (await import('./onnx/index.js')).decodeOnnx,
};

const ENCODERS: Partial<Record<ExportFormat, () => Promise<Encoder>>> = {
  keras: async () => (await import('./keras/index.js')).encodeKeras,
  tfjs: async () => (await import('./tfjs/index.js')).encodeTfjs,
  safetensors: async () => (await import('./safetensors/index.js')).encodeSafetensors,
  onnx: async () => (await import('./onnx/index.js')).encodeOnnx,
};

export interface ImportOptions {
  /** For a `.weights.h5` path: its Keras `config.json` (default: `config.json` beside it). */
  readonly config?: string;
}

export interface ExportOptions {
  readonly format: ExportFormat;
  /**
   * Write stateful recurrent layers with `stateful: false`: every call of the exported model starts from
   * zero state (stateless.ts). Keras and TensorFlow.js refuse a stateful layer without it (they need a
   * fixed batch size for one); ONNX carries the state as graph inputs and outputs, and safetensors
   * carries the flag, unless this is given. Default false.
   */
  readonly stateless?: boolean;
}

declare module '../models/sequential.js' {
  interface Sequential {
    /**
     * Writes the model in another framework's format (Keras, TensorFlow.js, safetensors, ONNX): see
     * `exportModel`. Installed by the package entry.
     */
    export(path: string, options: ExportOptions): Promise<void>;
  }
}

const SUBJECT = 'importModel';

/**
 * A model from another framework's files: a path (a `.keras` file, a `.weights.h5` with its
 * `config.json`, a TensorFlow.js `model.json` or its directory, a `.safetensors` file, a novolstm save),
 * the bytes of a one-file format, or a format's files by name.
 */
export async function importModel(
  source: string | Uint8Array | ModelFiles,
  options: ImportOptions = {},
): Promise<Sequential> {
  checkOptionKeys(SUBJECT, options, ['config']);
  if (typeof source === 'string') {
    const { readSource } = await import('./nodeFiles.js');
    const found = await readSource(source, options.config);
    if (found.format === 'novolstm') {
      const { loadModel } = await import('../io/index.js');
      return loadModel(found.directory);
    }
    return decode(found.format, found.files);
  }
  if (source instanceof Uint8Array) {
    const format = sniffBytes(source);
    return decode(format, new Map([[nameFor(format), source]]));
  }
  if (source instanceof Map) return decode(sniffFiles(source), source);
  throw new ConfigError(
    SUBJECT,
    'source must be a path, bytes or a map of files',
    'string | Uint8Array | Map',
    typeof source,
  );
}

/** Writes the model in a format: one file at `path`, or (TensorFlow.js) a directory of files. */
export async function exportModel(model: Sequential, path: string, options: ExportOptions): Promise<void> {
  checkOptionKeys('exportModel', options, ['format', 'stateless']);
  const format = options.format;
  if (!EXPORT_FORMATS.includes(format)) {
    throw new ConfigError('exportModel', 'unknown format', EXPORT_FORMATS.join(', '), String(format));
  }
  if (typeof path !== 'string' || path.length === 0)
    throw new ConfigError('exportModel', 'path must be a file path', 'a non-empty string', String(path));
  const encoder = ENCODERS[format];
  if (!encoder) {
    throw new ConfigError(
      'exportModel',
      `export to '${format}' is not available in this build`,
      Object.keys(ENCODERS).join(', '),
      format,
    );
  }
  const stateless = options.stateless ?? false;
  if (typeof stateless !== 'boolean')
    throw new ConfigError('exportModel', 'stateless must be true or false', 'a boolean', String(stateless));
  const files = await (await encoder())(stateless ? statelessCopy(model) : model);
  const { writeFiles } = await import('./nodeFiles.js');
  await writeFiles(path, files, format === 'tfjs');
}

async function decode(format: ImportFormat, files: ModelFiles): Promise<Sequential> {
  const decoder = DECODERS[format];
  if (!decoder) {
    throw new ConfigError(
      SUBJECT,
      `import from '${format}' is not available in this build`,
      Object.keys(DECODERS).join(', '),
      format,
    );
  }
  return (await decoder())(files);
}

export { IMPORT_FORMATS, type ImportFormat } from './sniff.js';
