/**
 * Node's side of the worker interface (protocol.ts): a worker thread running nodeWorker.ts. Loaded only
 * in Node (pool.ts imports it on demand), so browser bundles never see node:worker_threads.
 */
import { Worker } from 'node:worker_threads';
import type { FromWorker, WorkerEndpoint } from './protocol.js';

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

/**
 * From the package, the thread runs the compiled nodeWorker.js. From the sources (tests, `npm start`, run
 * with tsx) it runs nodeWorker.ts, and a worker thread does not inherit tsx's loader (Node 20 runs a
 * thread's --import hooks only for its own flags, and refuses V8 flags there), so a two-line bootstrap
 * registers tsx in the thread first. V8 flags such as relaxed SIMD are process-wide and need nothing.
 */
function startThread(): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new Worker(new URL('./nodeWorker.js', here));
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./nodeWorker.ts', here).href;
  const bootstrap = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(bootstrap, { eval: true });
}
