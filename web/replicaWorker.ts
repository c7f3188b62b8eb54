/**
 * The entry point of one data-parallel Web Worker: a model replica served over the worker's own port
 * (src/parallel/replica.ts, the same code a Node worker thread runs). Started by webWorkers.ts.
 */
import type { FromWorker, ToWorker } from '../src/parallel/protocol.js';
import { serveReplica } from '../src/parallel/replica.js';

const scope = self as unknown as {
  postMessage(message: FromWorker, transfer: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<ToWorker>) => void): void;
};

serveReplica({
  postMessage: (message, transfer = []) => scope.postMessage(message, transfer),
  onMessage: (listener) => scope.addEventListener('message', (event) => listener(event.data)),
});
