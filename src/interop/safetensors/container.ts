/**
 * The safetensors container (https://github.com/huggingface/safetensors), float32 only:
 *
 *   [8 bytes]  N, the header's length, unsigned 64-bit little-endian
 *   [N bytes]  the header: UTF-8 JSON, padded with spaces to a multiple of 8 —
 *              { "__metadata__": { string: string }, "<tensor name>": { "dtype": "F32", "shape": [..],
 *                "data_offsets": [begin, end] }, … }
 *   [rest]     the tensors' bytes, little-endian; offsets count from the end of the header
 *
 * Written here in a few lines rather than taken from npm: the only package on npm under that name
 * (`safetensors` 0.0.1) is an unmaintained placeholder, and the format is small enough that the
 * validation below is most of the work. The checks are those of the reference (Rust) reader: the header
 * length is bounded and fits the file, every offset pair is in range, the tensors tile the data exactly
 * (no overlap, no hole), and each tensor's byte count equals its shape's.
 */
import { ShapeError, ValueError } from '../../errors.js';

/** A header larger than this is refused before it is read (the reference reader's limit is 100 MB). */
export const MAX_HEADER_BYTES = 16 * 1024 * 1024;
const HEADER_ALIGNMENT = 8;
const F32_BYTES = 4;

export interface NamedTensor {
  readonly name: string;
  readonly shape: readonly number[];
  /** Float32 values in row-major order. */
  readonly values: Readonly<Float32Array>;
}

export interface SafetensorsFile {
  readonly metadata: Readonly<Record<string, string>>;
  /** Each tensor's shape and its bytes (a view into the file: nothing is copied). */
  readonly tensors: ReadonlyMap<string, { readonly shape: readonly number[]; readonly bytes: Uint8Array }>;
}

/** One safetensors file: the metadata, then the tensors in the given order. */
export function writeSafetensors(
  metadata: Readonly<Record<string, string>>,
  tensors: readonly NamedTensor[],
): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const t of tensors) {
    const size = t.values.length * F32_BYTES;
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + size] };
    offset += size;
  }
  let json = JSON.stringify(header);
  const headerBytes = new TextEncoder().encode(json);
  const padding = (HEADER_ALIGNMENT - (headerBytes.length % HEADER_ALIGNMENT)) % HEADER_ALIGNMENT;
  json += ' '.repeat(padding);
  const paddedHeader = new TextEncoder().encode(json);

  const out = new Uint8Array(8 + paddedHeader.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(paddedHeader.length), true);
  out.set(paddedHeader, 8);
  let at = 8 + paddedHeader.length;
  for (const t of tensors) {
    for (let i = 0; i < t.values.length; i++) view.setFloat32(at + i * F32_BYTES, t.values[i], true);
    at += t.values.length * F32_BYTES;
  }
  return out;
}

/** Parses and checks a safetensors file; `subject` names the caller in errors. */
export function readSafetensors(bytes: Uint8Array, subject: string): SafetensorsFile {
  if (bytes.length < 8) {
    throw new ShapeError(
      subject,
      'not a safetensors file: shorter than its 8-byte header length',
      '≥ 8 bytes',
      `${bytes.length} bytes`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const declared = view.getBigUint64(0, true);
  if (declared > BigInt(Math.min(MAX_HEADER_BYTES, bytes.length - 8))) {
    throw new ShapeError(
      subject,
      'the safetensors header length is larger than the file or the limit',
      `≤ ${Math.min(MAX_HEADER_BYTES, bytes.length - 8)} bytes`,
      `${declared} bytes`,
    );
  }
  const headerLength = Number(declared);
  let header: unknown;
  try {
    header = JSON.parse(
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength)),
    );
  } catch (e) {
    throw new ValueError(
      subject,
      'the safetensors header is not valid UTF-8 JSON',
      'JSON',
      (e as Error).message,
    );
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new ValueError(subject, 'the safetensors header must be a JSON object', 'an object', typeof header);
  }
  const data = bytes.subarray(8 + headerLength);

  // No prototype: a '__proto__' key in a hostile file is just a key.
  const metadata: Record<string, string> = Object.create(null) as Record<string, string>;
  const spans: { name: string; begin: number; end: number }[] = [];
  const tensors = new Map<string, { shape: readonly number[]; bytes: Uint8Array }>();
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
        throw new ValueError(subject, '__metadata__ must be an object of strings', 'an object', typeof entry);
      }
      for (const [key, value] of Object.entries(entry)) {
        if (typeof value !== 'string') {
          throw new ValueError(subject, `__metadata__.${key} must be a string`, 'a string', typeof value);
        }
        metadata[key] = value;
      }
      continue;
    }
    const t = entry as Record<string, unknown>;
    if (typeof t !== 'object' || t === null || Array.isArray(t)) {
      throw new ValueError(subject, `tensor '${name}' must be described by an object`, 'an object', typeof t);
    }
    if (t.dtype !== 'F32') {
      throw new ValueError(
        subject,
        `tensor '${name}' has a dtype novolstm does not read`,
        'F32',
        String(t.dtype),
      );
    }
    const shape = t.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
      throw new ShapeError(
        subject,
        `tensor '${name}' has a malformed shape`,
        'non-negative integers',
        JSON.stringify(shape),
      );
    }
    const offsets = t.data_offsets;
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => Number.isSafeInteger(o)) ||
      offsets[0] < 0 ||
      offsets[0] > offsets[1] ||
      offsets[1] > data.length
    ) {
      throw new ShapeError(
        subject,
        `tensor '${name}' has data_offsets outside the data`,
        `0 ≤ begin ≤ end ≤ ${data.length}`,
        JSON.stringify(offsets),
      );
    }
    const [begin, end] = offsets as [number, number];
    const count = (shape as number[]).reduce((a, d) => a * d, 1);
    if (end - begin !== count * F32_BYTES) {
      throw new ShapeError(
        subject,
        `tensor '${name}' holds a different byte count than its shape`,
        `${count * F32_BYTES} bytes for [${shape.join(', ')}]`,
        `${end - begin} bytes`,
      );
    }
    spans.push({ name, begin, end });
    tensors.set(name, { shape: shape as number[], bytes: data.subarray(begin, end) });
  }

  // The tensors must tile the data: sorted by offset, each starts where the previous ended.
  spans.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  for (const s of spans) {
    if (s.begin !== expected) {
      throw new ShapeError(
        subject,
        `tensor '${s.name}' ${s.begin < expected ? 'overlaps the one before it' : 'leaves a gap before it'}`,
        `begin = ${expected}`,
        `begin = ${s.begin}`,
      );
    }
    expected = s.end;
  }
  if (expected !== data.length) {
    throw new ShapeError(
      subject,
      'the tensors do not cover the data (trailing bytes)',
      `${expected} bytes`,
      `${data.length} bytes`,
    );
  }
  return { metadata, tensors };
}
