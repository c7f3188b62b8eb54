/**
 * The public entry to saving and loading. node:fs is imported only when a model is saved to or loaded from
 * disk, so the package entry stays importable in a browser, where a model goes to and from one file's bytes
 * (bundle.ts: a download, a picked file, IndexedDB).
 */
import type { Sequential } from '../models/sequential.js';

// `model.save` (installed by the package entry: see installModelMethods in models/sequential.ts) is typed
// here, beside saveModel, because the model's floor cannot import it.
declare module '../models/sequential.js' {
  interface Sequential {
    /** Writes the model (and, when compiled, the optimizer and training state) to a directory. */
    save(dir: string): Promise<void>;
  }
}

/** Writes `model` (and, when compiled, its optimizer and training state) to the directory `dir` (save.ts). */
export async function saveModel(model: Sequential, dir: string): Promise<void> {
  const { saveModel: save } = await import('./save.js');
  await save(model, dir);
}

export async function loadModel(dir: string): Promise<Sequential> {
  const { loadModel: load } = await import('./load.js');
  return load(dir);
}

export { modelToBytes, modelFromBytes, modelFromFiles } from './bundle.js';
