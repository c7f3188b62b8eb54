/**
 * The entry point of a trial pool's worker thread (trialPool.ts): loads the WebAssembly engine as the
 * package's Node entry does, then runs each trial it is sent and replies with its result or its error.
 */
import { parentPort } from 'node:worker_threads';
import { compileEngineSync } from '../engine/nodeEngine.js';
import { useEngineModule } from '../layers/backend.js';
import { describeError } from '../parallel/replica.js';
import { runRequest, type TrialReply, type TrialRequest } from './trialPool.js';

const port = parentPort;
if (!port) throw new Error('trialWorker.ts runs only as a worker thread (see trialPool.ts)');
const engine = compileEngineSync();
// Without an engine the trials run on the reference kernels, as they would on the main thread.
if (engine.build) useEngineModule(engine.build, engine.module);
port.on('message', (request: TrialRequest) => {
  let reply: TrialReply;
  try {
    reply = { id: request.id, result: runRequest(request) };
  } catch (error) {
    reply = { id: request.id, error: describeError(error) };
  }
  port.postMessage(reply);
});
