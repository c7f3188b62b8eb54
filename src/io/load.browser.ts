/** load.ts in browser bundles (package.json `browser` field): a model comes from bytes there, not a directory. */
import { nodeOnly } from './nodeOnly.js';
import type { loadModel as nodeLoadModel } from './load.js';

export const loadModel: typeof nodeLoadModel = () =>
  Promise.reject(nodeOnly('loadModel', 'use modelFromBytes or modelFromFiles'));
