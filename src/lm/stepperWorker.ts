/** The entry point of the two-thread stepper's worker thread (sharedStepper.ts), in Node. */
import { parentPort, workerData } from 'node:worker_threads';
import { serveSharedSteps, type SharedStepperData } from './sharedStepper.js';

const port = parentPort;
if (!port) throw new Error('stepperWorker.ts runs only as a worker thread (see sharedStepper.ts)');
await serveSharedSteps(workerData as SharedStepperData, () => port.postMessage('ready'));
port.close();
