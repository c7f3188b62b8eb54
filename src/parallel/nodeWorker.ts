/** The entry point of a Node worker thread: serve a model replica over the parent port (replica.ts). */
import { parentPort } from 'node:worker_threads';
import { serveReplica } from './replica.js';

const port = parentPort;
if (!port) throw new Error('nodeWorker.ts runs only as a worker thread (see nodeWorkers.ts)');
serveReplica({
  postMessage: (message, transfer) => port.postMessage(message, transfer),
  onMessage: (listener) => port.on('message', listener),
});
