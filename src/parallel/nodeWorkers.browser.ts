/** nodeWorkers.ts in browser bundles (package.json `browser` field): pages pass their own `spawn` (web workers). */
import { nodeOnly } from '../io/nodeOnly.js';
import type { spawnNodeWorker as nodeSpawn } from './nodeWorkers.js';

export const spawnNodeWorker: typeof nodeSpawn = () => {
  throw nodeOnly('DataParallel', 'pass options.spawn, which starts a web worker running serveReplica');
};
