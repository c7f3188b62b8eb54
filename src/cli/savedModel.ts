/**
 * Opening the model a command's `--model` names: a model directory (`model.json` inside, as `novolstm
 * train`, `novolstm import` and `model.save()` write it) or the one-file bundle the web page saves.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '../io/index.js';
import type { Sequential } from '../models/sequential.js';
import { UsageError } from './errors.js';

export async function loadSavedModel(path: string): Promise<Sequential> {
  const isFile = statSync(path, { throwIfNoEntry: false })?.isFile() ?? false;
  if (!isFile && !existsSync(join(path, 'model.json'))) {
    throw new UsageError(
      `--model ${path}: no model there (expected ${join(path, 'model.json')}, or a model file)`,
    );
  }
  return loadModel(path);
}
