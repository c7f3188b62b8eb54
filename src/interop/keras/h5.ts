/**
 * Keras' weights file (`model.weights.h5`) as a plain tree, read and written with h5wasm (the HDF5 C
 * library compiled to WebAssembly). h5wasm works on files in its own in-memory file system, so bytes go in
 * and out through a uniquely named scratch file there — nothing touches the disk, and the same code runs
 * in a browser.
 *
 * Only what Keras stores is carried: groups with string attributes (`name`) and float32 datasets.
 */
import { ValueError } from '../../errors.js';
import { importPeer } from '../../peers.js';

/** A float32 array with its shape, as one HDF5 dataset. */
export interface H5Dataset {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** Groups (path → string attributes) and datasets (path → values); paths have no leading slash. */
export interface H5Tree {
  readonly groups: Map<string, Readonly<Record<string, string>>>;
  readonly datasets: Map<string, H5Dataset>;
}

const SUBJECT = 'Keras weights (HDF5)';
/** Every HDF5 file made by h5py starts with this signature (the superblock at offset 0). */
const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

type H5wasmModule = typeof import('h5wasm').default;
/** The part of Emscripten's in-memory file system the scratch files need. */
interface ScratchFs {
  writeFile(path: string, data: Uint8Array): void;
  readFile(path: string): Uint8Array;
  unlink(path: string): void;
}
let loading: Promise<{ h5: H5wasmModule; fs: ScratchFs }> | null = null;
let scratchCounter = 0;

/** h5wasm, compiled once on first use (so importing the package does not start its WebAssembly). */
async function h5wasm(): Promise<{ h5: H5wasmModule; fs: ScratchFs }> {
  // An optional peer (15 MB installed): the error names the package when it is missing.
  loading ??= importPeer<{ default: H5wasmModule }>('h5wasm', 'Keras HDF5 import and export').then(
    async ({ default: h5 }) => {
      const module = await h5.ready;
      // HDF5's errors become thrown exceptions instead of a diagnostic stack printed to stderr.
      module.activate_throwing_error_handler();
      return { h5, fs: module.FS as unknown as ScratchFs };
    },
  );
  return loading;
}

export function isHdf5(bytes: Uint8Array): boolean {
  return HDF5_SIGNATURE.every((b, i) => bytes[i] === b);
}

export async function readH5(bytes: Uint8Array, what: string): Promise<H5Tree> {
  if (!isHdf5(bytes)) {
    throw new ValueError(SUBJECT, `${what} is not an HDF5 file`, 'the HDF5 signature', 'other bytes');
  }
  const { h5, fs } = await h5wasm();
  const scratch = `/read-${scratchCounter++}.h5`;
  fs.writeFile(scratch, bytes);
  const tree: H5Tree = { groups: new Map(), datasets: new Map() };
  let file: InstanceType<H5wasmModule['File']> | null = null;
  try {
    file = new h5.File(scratch, 'r');
    const visit = (group: InstanceType<H5wasmModule['Group']>, prefix: string): void => {
      for (const key of group.keys()) {
        const path = prefix ? `${prefix}/${key}` : key;
        const child = group.get(key);
        if (child instanceof h5.Group) {
          tree.groups.set(path, stringAttributes(child.attrs, path));
          visit(child, path);
        } else if (child instanceof h5.Dataset) {
          if (child.dtype !== '<f') {
            throw new ValueError(
              SUBJECT,
              `dataset '${path}' is not float32`,
              'float32 (<f)',
              String(child.dtype),
            );
          }
          const value = child.value;
          if (!(value instanceof Float32Array)) {
            throw new ValueError(
              SUBJECT,
              `dataset '${path}' did not read as float32`,
              'float32',
              typeof value,
            );
          }
          tree.datasets.set(path, { shape: [...(child.shape ?? [])], data: value });
        } else {
          throw new ValueError(
            SUBJECT,
            `'${path}' is neither a group nor a dataset`,
            'group or dataset',
            String(child),
          );
        }
      }
    };
    visit(file, '');
  } catch (error) {
    if (error instanceof ValueError) throw error;
    throw new ValueError(SUBJECT, `${what} could not be read`, 'a readable HDF5 file', hdf5Reason(error));
  } finally {
    file?.close();
    fs.unlink(scratch);
  }
  return tree;
}

/** Writes the tree's groups (parents before children) and datasets; returns the file's bytes. */
export async function writeH5(tree: H5Tree): Promise<Uint8Array> {
  const { h5, fs } = await h5wasm();
  const scratch = `/write-${scratchCounter++}.h5`;
  const file = new h5.File(scratch, 'w');
  try {
    const made = new Set<string>();
    const ensureGroup = (path: string): void => {
      if (path === '' || made.has(path)) return;
      const cut = path.lastIndexOf('/');
      ensureGroup(cut < 0 ? '' : path.slice(0, cut));
      const group = file.create_group(path);
      for (const [key, value] of Object.entries(tree.groups.get(path) ?? {}))
        group.create_attribute(key, value);
      made.add(path);
    };
    // Sorted so that the file's creation order is the same on every run.
    for (const path of [...tree.groups.keys()].sort()) ensureGroup(path);
    for (const [path, { shape, data }] of tree.datasets) {
      const cut = path.lastIndexOf('/');
      ensureGroup(path.slice(0, cut));
      file.create_dataset({ name: path, data, shape: [...shape], dtype: '<f' });
    }
  } finally {
    file.close();
  }
  try {
    return fs.readFile(scratch);
  } finally {
    fs.unlink(scratch);
  }
}

function stringAttributes(attrs: Record<string, { value: unknown }>, path: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, attr] of Object.entries(attrs)) {
    const value = attr.value;
    if (typeof value !== 'string') {
      throw new ValueError(
        SUBJECT,
        `attribute '${key}' of '${path}' is not a string`,
        'a string',
        typeof value,
      );
    }
    out[key] = value;
  }
  return out;
}

/** HDF5's error stack in one line: its innermost reason ("File has been truncated"). */
function hdf5Reason(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const minors = [...text.matchAll(/minor: (.+)/g)].map((m) => m[1].trim());
  return minors.at(-1) ?? text.split('\n')[0];
}
