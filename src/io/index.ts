/**
 * The public entry to saving and loading. node:fs is imported only when a model is loaded, so the
 * package entry stays importable in a browser (where save and load are not available yet).
 */
import type { Sequential } from '../models/sequential.js';

export async function loadModel(dir: string): Promise<Sequential> {
  const { loadModel: load } = await import('./load.js');
  return load(dir);
}
