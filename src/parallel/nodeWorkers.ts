/**
 * Node's side of the worker interface (protocol.ts): a worker thread running nodeWorker.ts. Loaded only
 * in Node (pool.ts imports it on demand), so browser bundles never see node:worker_threads.
 */
import { Worker } from 'node:worker_threads';
import type { FromWorker, WorkerEndpoint } from './protocol.js';
import { workerScript } from './workerScript.js';

export function spawnNodeWorker(): WorkerEndpoint {
  const worker = startThread();
  // An idle worker must not keep the process alive; one that owes a reply must.
  let owed = 0;
  worker.unref();
  let onMessage: (message: FromWorker) => void = () => {};
  /** Why the thread is gone (it failed or exited); every request from then on is answered with it. */
  let gone: string | null = null;
  const fail = (message: string) => {
    gone ??= message;
    while (owed > 0) {
      owed--;
      onMessage({ kind: 'error', error: { name: 'Error', message: gone } });
    }
    worker.unref();
  };
  worker.on('message', (message: FromWorker) => {
    if (--owed === 0) worker.unref();
    onMessage(message);
  });
  worker.on('error', (e) => fail(`the worker thread failed: ${e.message}`));
  worker.on('exit', (code) => fail(`the worker thread exited (code ${code})`));
  return {
    post(message, transfer = []) {
      owed++;
      if (gone !== null) {
        queueMicrotask(() => fail(gone!));
        return;
      }
      if (owed === 1) worker.ref();
      worker.postMessage(message, transfer);
    },
    listen(handler) {
      onMessage = handler;
    },
    async terminate() {
      await worker.terminate();
    },
  };
}

/** The thread runs nodeWorker.ts (from the sources, through tsx) or nodeWorker.js (workerScript.ts). */
function startThread(): Worker {
  const { script, eval: isEval } = workerScript(import.meta.url, 'nodeWorker');
  return new Worker(script, { eval: isEval });
}
