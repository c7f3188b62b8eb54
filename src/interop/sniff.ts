/**
 * Recognising a model's format from its bytes (magic numbers) and its files' names. Browser-safe.
 */
import { ValueError } from '../errors.js';
import type { ModelFiles } from './formats.js';

/** What importModel can recognise; index.ts names a format without a decoder in a typed error. */
export const IMPORT_FORMATS = ['keras', 'tfjs', 'safetensors', 'onnx', 'novolstm'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

const SUBJECT = 'importModel';
const ZIP = [0x50, 0x4b, 0x03, 0x04];
const HDF5 = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

function startsWith(bytes: Uint8Array, magic: readonly number[]): boolean {
  return bytes.length >= magic.length && magic.every((b, i) => bytes[i] === b);
}

/** A safetensors file: an 8-byte little-endian header length, then a JSON header starting with '{'. */
function isSafetensors(bytes: Uint8Array): boolean {
  if (bytes.length < 9) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  return headerLength > 0n && headerLength <= BigInt(bytes.length - 8) && bytes[8] === 0x7b;
}

/** The format of a one-file model's bytes. */
export function sniffBytes(bytes: Uint8Array): ImportFormat {
  if (startsWith(bytes, ZIP)) return 'keras';
  if (startsWith(bytes, HDF5)) {
    throw new ValueError(
      SUBJECT,
      'a Keras .weights.h5 holds no architecture: give its config.json too',
      'a path, or files { config.json, model.weights.h5 }',
      'HDF5 bytes alone',
    );
  }
  if (isSafetensors(bytes)) return 'safetensors';
  throw new ValueError(
    SUBJECT,
    'unrecognised model bytes',
    'a .keras zip or a .safetensors file (ONNX bytes: pass them as a Map under a name ending .onnx)',
    `bytes starting ${[...bytes.subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ')}`,
  );
}

export function nameFor(format: ImportFormat): string {
  return format === 'keras' ? 'model.keras' : `model.${format}`;
}

/** The format of a set of files, by their names and first bytes. */
export function sniffFiles(files: ModelFiles): ImportFormat {
  const names = [...files.keys()];
  if (names.some((n) => n.endsWith('.keras'))) return 'keras';
  if (files.has('config.json') && names.some((n) => n.endsWith('.h5'))) return 'keras';
  if (files.has('model.json')) return 'tfjs';
  if (names.some((n) => n.endsWith('.safetensors'))) return 'safetensors';
  // A protobuf has no magic number: an ONNX file is known by its name.
  if (names.some((n) => n.endsWith('.onnx'))) return 'onnx';
  if (files.size === 1) return sniffBytes([...files.values()][0]);
  throw new ValueError(
    SUBJECT,
    'unrecognised set of files',
    '*.keras, config.json + *.weights.h5, model.json + shards, *.safetensors, *.onnx',
    names.join(', ') || 'no files',
  );
}
