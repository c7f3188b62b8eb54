/** save.ts in browser bundles (package.json `browser` field): a model goes to bytes there, not to a directory. */
import { nodeOnly } from './nodeOnly.js';
import type { saveModel as nodeSaveModel } from './save.js';

export const saveModel: typeof nodeSaveModel = () =>
  Promise.reject(nodeOnly('saveModel', 'use modelToBytes and download or store the bytes'));
