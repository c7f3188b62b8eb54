/**
 * The public entry to saving and loading. node:fs is imported only when a model is loaded from disk, so
 * the package entry stays importable in a browser, where a model goes to and from one file's bytes
 * (bundle.ts: a download, a picked file, IndexedDB).
 */
import type { Sequential } from '../models/sequential.js';

export async function loadModel(dir: string): Promise<Sequential> {
  const { loadModel: load } = await import('./load.js');
  return load(dir);
}

export { modelToBytes, modelFromBytes, modelFromFiles } from './bundle.js';
