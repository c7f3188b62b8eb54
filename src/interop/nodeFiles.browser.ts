/** nodeFiles.ts in browser bundles (package.json `browser` field): formats are read from and written to bytes. */
import { nodeOnly } from '../io/nodeOnly.js';
import type { readSource as nodeReadSource, writeFiles as nodeWriteFiles } from './nodeFiles.js';

export const readSource: typeof nodeReadSource = () =>
  Promise.reject(nodeOnly('importModel', 'pass the file bytes (Uint8Array) or a ModelFiles map, not a path'));

export const writeFiles: typeof nodeWriteFiles = () =>
  Promise.reject(nodeOnly('exportModel', 'there is no path to write to: export is not available there yet'));
