/**
 * The file-system half of importModel / exportModel (Node only; index.ts imports it lazily so the package
 * entry stays browser-safe): a path becomes a format and its files, and an encoder's files are written
 * atomically.
 */
import { mkdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ValueError } from '../errors.js';
import { writeFileAtomic } from '../io/atomicFile.js';
import { DESCRIPTION_FILE, FORMAT_NAME } from '../io/format.js';
import type { ModelFiles } from './formats.js';
import { sniffBytes, type ImportFormat } from './sniff.js';

const SUBJECT = 'importModel';

/** A recognised source: its format, its files, and the directory they came from. */
export interface Source {
  readonly format: ImportFormat;
  readonly files: ModelFiles;
  readonly directory: string;
}
/** Names a model.json may point at: plain file names in the same directory, never paths. */
const PLAIN_NAME = /^[\w.-]+$/;

async function readOrFail(path: string, what: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new ValueError(
      SUBJECT,
      `cannot read ${what}`,
      `a readable file at '${path}'`,
      (error as NodeJS.ErrnoException).code ?? String(error),
    );
  }
}

export async function readSource(path: string, config?: string): Promise<Source> {
  const info = await stat(path).catch(() => null);
  if (!info) throw new ValueError(SUBJECT, 'no such file or directory', 'an existing path', path);
  if (info.isDirectory()) return readDirectory(path);
  const name = basename(path);
  if (name.endsWith('.h5')) {
    const configPath = config ?? join(dirname(path), 'config.json');
    return {
      format: 'keras',
      directory: dirname(path),
      files: new Map([
        ['config.json', await readOrFail(configPath, 'the Keras config.json for the weights file')],
        [name, await readOrFail(path, 'the weights file')],
      ]),
    };
  }
  if (name.endsWith('.json')) return readJsonModel(dirname(path), name);
  if (name.endsWith('.onnx')) {
    const onnx = await readOrFail(path, 'the ONNX file');
    return { format: 'onnx', directory: dirname(path), files: new Map([[name, onnx]]) };
  }
  const bytes = await readOrFail(path, 'the model file');
  const format = sniffBytes(bytes);
  // The decoders recognise a one-file model by its extension; bytes sniffed as one get it.
  const key = name.endsWith(`.${format}`) ? name : `${name}.${format}`;
  return { format, directory: dirname(path), files: new Map([[key, bytes]]) };
}

async function readDirectory(dir: string): Promise<Source> {
  const has = async (name: string): Promise<boolean> =>
    (await stat(join(dir, name)).catch(() => null))?.isFile() ?? false;
  if (await has(DESCRIPTION_FILE)) return readJsonModel(dir, DESCRIPTION_FILE);
  if (await has('model.weights.h5')) return readSource(join(dir, 'model.weights.h5'));
  throw new ValueError(
    SUBJECT,
    'the directory holds no model',
    'model.json (TensorFlow.js or novolstm) or config.json + model.weights.h5',
    dir,
  );
}

/** A model.json: novolstm's own save, or a TensorFlow.js layers model with its weight shards. */
async function readJsonModel(dir: string, name: string): Promise<Source> {
  const bytes = await readOrFail(join(dir, name), name);
  let description: unknown;
  try {
    description = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new ValueError(SUBJECT, `${name} is not valid JSON`, 'JSON', (error as Error).message);
  }
  const d = description as Record<string, unknown>;
  if (d?.format === FORMAT_NAME)
    return { format: 'novolstm', directory: dir, files: new Map([[name, bytes]]) };
  if (!Array.isArray(d?.weightsManifest) || typeof d.modelTopology !== 'object') {
    throw new ValueError(
      SUBJECT,
      `${name} is neither a novolstm save nor a TensorFlow.js model`,
      'format or modelTopology + weightsManifest',
      Object.keys(d ?? {}).join(', '),
    );
  }
  // The TensorFlow.js decoder resolves the manifest's paths (TF.js writes './model.weights.bin') and refuses
  // any that leave model.json's folder; the plain-name check stays as a second guard before opening a file.
  const { tfjsWeightFiles } = await import('./tfjs/index.js');
  const files = new Map<string, Uint8Array>([['model.json', bytes]]);
  for (const shard of tfjsWeightFiles(bytes)) {
    if (!PLAIN_NAME.test(shard)) {
      throw new ValueError(
        SUBJECT,
        'a weight shard name is not a plain file name',
        'e.g. group1-shard1of1.bin',
        shard,
      );
    }
    files.set(shard, await readOrFail(join(dir, shard), `weight shard '${shard}'`));
  }
  return { format: 'tfjs', directory: dir, files };
}

/**
 * One file at `path`, or (asDirectory) each file inside `path` with the description (model.json) last,
 * so a reader sees the old export or the new one. Every file is written to a temporary name and renamed.
 */
export async function writeFiles(path: string, files: ModelFiles, asDirectory: boolean): Promise<void> {
  for (const name of files.keys()) {
    if (!PLAIN_NAME.test(name))
      throw new ValueError(
        'exportModel',
        'an encoder produced a file name that is not plain',
        'a plain file name',
        name,
      );
  }
  const parent = asDirectory ? path : dirname(path);
  if (asDirectory) await mkdir(path, { recursive: true });
  else if (!(await stat(parent).catch(() => null))?.isDirectory()) {
    throw new ValueError(
      'exportModel',
      'the output directory does not exist',
      'an existing directory',
      parent,
    );
  }
  if (!asDirectory) {
    if (files.size !== 1)
      throw new ValueError('exportModel', 'a one-file format produced several files', 1, files.size);
    await writeFileAtomic(path, [...files.values()][0]);
    return;
  }
  const ordered = [...files.entries()].sort(
    ([a], [b]) => Number(a === 'model.json') - Number(b === 'model.json'),
  );
  for (const [name, bytes] of ordered) await writeFileAtomic(join(path, name), bytes);
}
