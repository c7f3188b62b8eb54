/**
 * The browser's side of the data-parallel worker interface (src/parallel/protocol.ts): a module Web Worker
 * running replicaWorker.ts — the counterpart of src/parallel/nodeWorkers.ts. The training worker
 * (worker.ts) and the benchmark worker (benchWorker.ts) start these from inside their own worker, which
 * browsers allow (nested workers). Messages copy; no SharedArrayBuffer, so no cross-origin isolation.
 */
import type { FromWorker, WorkerEndpoint } from '../src/parallel/protocol.js';

export function spawnWebWorker(): WorkerEndpoint {
  // Vite's literal pattern: it bundles replicaWorker.ts as a worker of its own, in dev and in the build.
  const worker = new Worker(new URL('./replicaWorker.ts', import.meta.url), { type: 'module' });
  let onMessage: (message: FromWorker) => void = () => {};
  /** Replies the pool still waits for: a worker that dies must answer each with an error, or it hangs. */
  let owed = 0;
  let failed: string | null = null;
  const fail = (message: string): void => {
    failed ??= message;
    for (; owed > 0; owed--) onMessage({ kind: 'error', error: { name: 'Error', message } });
  };
  worker.onmessage = (event: MessageEvent<FromWorker>) => {
    owed--;
    onMessage(event.data);
  };
  // A script that fails to load or an uncaught error inside: the worker is of no further use.
  worker.onerror = (event) => {
    event.preventDefault();
    fail(`the Web Worker failed: ${event.message || 'its script did not load'}`);
  };
  worker.onmessageerror = () => fail('a message from the Web Worker could not be read');
  return {
    post(message, transfer = []) {
      owed++;
      if (failed !== null) fail(failed);
      else worker.postMessage(message, transfer);
    },
    listen(handler) {
      onMessage = handler;
    },
    terminate() {
      worker.terminate();
      fail('the Web Worker was stopped');
    },
  };
}
