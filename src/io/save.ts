/**
 * `model.save(dir)`: writes the format of format.ts atomically. Every file is written to a temporary
 * name, flushed to disk, and renamed into place; model.json goes last, so a crash (even SIGKILL) at any
 * point leaves either the previous save or the new one, both complete. Binary files from earlier saves
 * that the new model.json no longer names are removed afterwards.
 *
 * Node only (node:fs); imported lazily so the package entry stays importable in a browser.
 */
import { createHash } from 'node:crypto';
import { mkdir, open, readdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, ValueError } from '../errors.js';
import type { Sequential } from '../models/sequential.js';
import {
  BINARY_FILE_PATTERN,
  DESCRIPTION_FILE,
  float32ToBytes,
  FORMAT_NAME,
  FORMAT_VERSION,
  type BinaryFileRef,
  type ModelDescription,
} from './format.js';

let tempCounter = 0;

export async function saveModel(model: Sequential, dir: string): Promise<void> {
  if (typeof dir !== 'string' || dir.length === 0)
    throw new ConfigError('save', 'dir must be a directory path', 'a non-empty string', String(dir));
  if (!model.isBuilt || !model.inputShape) {
    throw new ConfigError(
      'save',
      'the model is not built yet',
      'an inputShape on the first layer, or a call to fit/predict',
      'unbuilt',
    );
  }
  checkJson(model.metadata, 'metadata');
  await mkdir(dir, { recursive: true });
  const weights = await writeBinary(dir, 'weights', float32ToBytes(model.values));
  let compile: ModelDescription['compile'] = null;
  if (model.compiled) {
    const { optimizer, loss, metrics } = model.compiled;
    optimizer.prepare(model.values.length);
    const slots = await writeBinary(dir, 'optimizer', float32ToBytes(optimizer.slots));
    compile = {
      loss,
      metrics: metrics.map((m) => m.name),
      optimizer: {
        className: optimizer.className,
        config: optimizer.getConfig(),
        iterations: optimizer.iterations,
        slotNames: [...optimizer.slotNames],
        slots,
      },
    };
  }
  const description: ModelDescription = {
    format: FORMAT_NAME,
    formatVersion: FORMAT_VERSION,
    model: {
      className: 'Sequential',
      name: model.name,
      seed: model.seed,
      inputShape: [...model.inputShape],
      layers: model.layers.map((l) => ({ className: l.className, name: l.name, config: l.getConfig() })),
    },
    metadata: model.metadata,
    weights: {
      ...weights,
      dtype: 'float32',
      byteOrder: 'little',
      entries: model.entries.map((e) => ({ name: e.name, shape: [...e.shape] })),
    },
    trainingRngState: model.trainingRng.getState(),
    compile,
  };
  const json = new TextEncoder().encode(JSON.stringify(description, null, 2) + '\n');
  await writeAtomically(dir, DESCRIPTION_FILE, json);
  await syncDirectory(dir);
  await removeUnreferenced(dir, [weights.file, ...(compile ? [compile.optimizer.slots.file] : [])]);
}

/** Metadata must survive JSON exactly: plain objects, arrays, strings, finite numbers, booleans, null. */
function checkJson(value: unknown, path: string): void {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value))
      throw new ValueError('save', `${path} is not finite (JSON cannot hold it)`, 'a finite number', value);
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((v, i) => checkJson(v, `${path}[${i}]`));
    return;
  }
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const [k, v] of Object.entries(value)) checkJson(v, `${path}.${k}`);
    return;
  }
  throw new ValueError('save', `${path} cannot be saved as JSON`, 'JSON data', typeof value);
}

async function writeBinary(
  dir: string,
  kind: 'weights' | 'optimizer',
  bytes: Uint8Array,
): Promise<BinaryFileRef> {
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const file = `${kind}-${sha256.slice(0, 16)}.bin`;
  await writeAtomically(dir, file, bytes);
  return { file, byteLength: bytes.length, sha256 };
}

/** temp file → write → fsync → rename over the final name. */
async function writeAtomically(dir: string, file: string, bytes: Uint8Array): Promise<void> {
  const temp = join(dir, `.${file}.${process.pid}.${tempCounter++}.tmp`);
  const handle = await open(temp, 'w');
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, join(dir, file));
}

/** Makes the renames durable; not every platform can fsync a directory, which is then skipped. */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Windows cannot open a directory for fsync; the renames are still atomic there.
  }
}

/** Removes our binary files and stale temporaries that the current model.json does not name. */
async function removeUnreferenced(dir: string, keep: readonly string[]): Promise<void> {
  for (const name of await readdir(dir)) {
    const ours =
      BINARY_FILE_PATTERN.test(name) ||
      /^\.(weights|optimizer)-[0-9a-f]{16}\.bin\.\d+\.\d+\.tmp$/.test(name) ||
      /^\.model\.json\.\d+\.\d+\.tmp$/.test(name);
    const stillBeingWritten = name.includes(`.${process.pid}.`) && name.endsWith('.tmp');
    if (ours && !keep.includes(name) && !stillBeingWritten)
      await unlink(join(dir, name)).catch(() => undefined);
  }
}
