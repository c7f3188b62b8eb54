/**
 * TensorFlow.js' weights manifest: model.json's `weightsManifest` is a list of groups, each a list of shard
 * files (`paths`) whose bytes, concatenated, hold the group's weights one after another, row-major,
 * little-endian. A weight may straddle two shards (the converter cuts every 4 MiB).
 *
 * Only float32 weights are read: a float16, integer or quantized entry gets a ConfigError naming it.
 * Shard paths are resolved among the files given, relative to model.json's folder, and may not leave it:
 * an absolute path, a URL, a `..` segment or a backslash is refused before anything is looked up.
 */
import { ConfigError, ShapeError, ValueError } from '../../errors.js';
import { bytesToFloat32, float32ToBytes } from '../../io/format.js';
import type { ModelFiles } from '../formats.js';
import { asArray, asObject } from './configReader.js';

const SUBJECT = 'TensorFlow.js weightsManifest';

/** What tensorflowjs_converter cuts shards at. */
export const DEFAULT_SHARD_BYTES = 4 * 1024 * 1024;

export interface ManifestWeight {
  readonly name: string;
  readonly shape: readonly number[];
}

/** Every weight of the manifest by its name (`dense_Dense1/kernel`), in manifest order. */
export type NamedWeights = Map<string, { readonly shape: readonly number[]; readonly values: Float32Array }>;

/** The shard paths the manifest names, each checked and resolved relative to model.json's folder. */
export function shardPaths(manifest: unknown, folder: string): string[][] {
  return asArray(SUBJECT, 'weightsManifest', manifest).map((raw, g) => {
    const group = asObject(SUBJECT, `group ${g}`, raw);
    return asArray(SUBJECT, `group ${g} paths`, group.paths).map((p) => resolvePath(p, folder));
  });
}

/** A shard path inside model.json's folder, or a ValueError: nothing outside the given files is reachable. */
function resolvePath(path: unknown, folder: string): string {
  if (typeof path !== 'string' || path === '')
    throw new ValueError(SUBJECT, 'a shard path must be a non-empty string', 'a file name', String(path));
  const segments = path.split('/').filter((s) => s !== '.');
  const escapes =
    path.startsWith('/') ||
    path.includes('\\') ||
    /^[A-Za-z][A-Za-z0-9+.-]*:/.test(path) ||
    segments.some((s) => s === '..' || s === '');
  if (escapes || segments.length === 0) {
    throw new ValueError(
      SUBJECT,
      "a shard path must stay inside model.json's folder",
      'a relative path without ..',
      path,
    );
  }
  return folder + segments.join('/');
}

/** Reads every group's shards and cuts them into the named float32 weights. */
export function readWeights(manifest: unknown, files: ModelFiles, folder: string): NamedWeights {
  const paths = shardPaths(manifest, folder);
  const weights: NamedWeights = new Map();
  asArray(SUBJECT, 'weightsManifest', manifest).forEach((raw, g) => {
    const group = asObject(SUBJECT, `group ${g}`, raw);
    for (const key of Object.keys(group)) {
      if (key !== 'paths' && key !== 'weights')
        throw new ConfigError(SUBJECT, `unknown key '${key}' in group ${g}`, 'paths, weights', key);
    }
    const entries = asArray(SUBJECT, `group ${g} weights`, group.weights).map((e, i) =>
      manifestEntry(e, `group ${g} weight ${i}`),
    );
    const bytes = concatenate(
      paths[g].map((p) => {
        const shard = files.get(p);
        if (!shard) throw new ValueError(SUBJECT, `shard '${p}' is missing`, 'the file', 'nothing');
        return shard;
      }),
    );
    const expected = entries.reduce((n, e) => n + 4 * size(e.shape), 0);
    if (bytes.length !== expected) {
      throw new ShapeError(
        SUBJECT,
        `group ${g}'s shards (${paths[g].join(', ')}) do not hold its weights`,
        `${expected} bytes`,
        `${bytes.length} bytes`,
      );
    }
    let offset = 0;
    for (const e of entries) {
      const n = 4 * size(e.shape);
      if (weights.has(e.name))
        throw new ValueError(SUBJECT, `weight '${e.name}' appears twice`, 'unique names', e.name);
      weights.set(e.name, { shape: e.shape, values: bytesToFloat32(bytes.subarray(offset, offset + n)) });
      offset += n;
    }
  });
  return weights;
}

function manifestEntry(raw: unknown, what: string): ManifestWeight {
  const e = asObject(SUBJECT, what, raw);
  if (typeof e.name !== 'string')
    throw new ValueError(SUBJECT, `${what} has no name`, 'a string', String(e.name));
  const subject = `${SUBJECT} weight '${e.name}'`;
  for (const key of Object.keys(e)) {
    if (key === 'quantization')
      throw new ConfigError(
        subject,
        'quantized weights are not supported',
        'float32',
        JSON.stringify(e[key]),
      );
    if (key === 'group' && e.group === 'optimizer')
      throw new ConfigError(
        subject,
        'optimizer state is not imported (save the model without includeOptimizer)',
        'model weights only',
        'an optimizer weight',
      );
    if (!['name', 'shape', 'dtype', 'group'].includes(key))
      throw new ConfigError(subject, `unknown key '${key}'`, 'name, shape, dtype', key);
  }
  if (e.dtype !== 'float32')
    throw new ConfigError(subject, 'only float32 weights are supported', 'float32', String(e.dtype));
  const shape = asArray(subject, 'shape', e.shape);
  if (!shape.every((d) => Number.isInteger(d) && (d as number) >= 0))
    throw new ShapeError(
      subject,
      'shape must be non-negative integers',
      'e.g. [4, 20]',
      JSON.stringify(shape),
    );
  return { name: e.name, shape: shape as number[] };
}

/**
 * The manifest and shard files for weights in order: one group, cut every `shardBytes` bytes into
 * `group1-shard{i}of{n}.bin` as tensorflowjs_converter names them.
 */
export function writeWeights(
  weights: readonly (ManifestWeight & { readonly values: Float32Array })[],
  shardBytes: number,
): { manifest: unknown; shards: Map<string, Uint8Array> } {
  const bytes = concatenate(weights.map((w) => float32ToBytes(w.values)));
  const count = Math.max(1, Math.ceil(bytes.length / shardBytes));
  const shards = new Map<string, Uint8Array>();
  for (let i = 0; i < count; i++) {
    shards.set(
      `group1-shard${i + 1}of${count}.bin`,
      bytes.slice(i * shardBytes, Math.min(bytes.length, (i + 1) * shardBytes)),
    );
  }
  const manifest = [
    {
      paths: [...shards.keys()],
      weights: weights.map((w) => ({ name: w.name, shape: w.shape, dtype: 'float32' })),
    },
  ];
  return { manifest, shards };
}

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function concatenate(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
