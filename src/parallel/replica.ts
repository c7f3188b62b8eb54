/**
 * The worker side of data parallelism: a copy of the model that computes the gradient of its share of
 * each batch. Environment-free — `serveReplica` takes a port (a Node worker thread's parentPort, or a Web
 * Worker's `self`), so Node and browsers run this same code on the same engine.
 *
 * Each replica keeps what belongs to its rows between steps: the carried states of stateful recurrent
 * layers (row b of the pool's batch always goes to the same worker), and its engine plans and packed
 * weights. The weights themselves arrive with every step that follows an update.
 */
import type { Recurrent } from '../layers/recurrent.js';
import { useFastKernels, useReferenceKernels } from '../layers/backend.js';
import { enableRelaxedSimdInNode, type WasmBuild } from '../engine/loader.js';
import { modelFromBytes } from '../io/bundle.js';
import { floatsIn, partGradients, statefulLayers, type RowRange } from '../models/microbatches.js';
import type { Sequential } from '../models/sequential.js';
import { NovoLstmError } from '../errors.js';
import { Tensor } from '../tensor.js';
import { threadMemory } from './memory.js';
import { compileReplica, type ReplicaCompile } from './replicaBundle.js';
import type { FromWorker, TensorData, ToWorker, WorkerError } from './protocol.js';

/** How a worker talks to its pool: Node's parentPort or a Web Worker's global scope, adapted. */
export interface ReplicaPort {
  postMessage(message: FromWorker, transfer?: ArrayBuffer[]): void;
  onMessage(listener: (message: ToWorker) => void): void;
}

/** Answers the pool's messages in order until 'close'. */
export function serveReplica(port: ReplicaPort): void {
  let model: Sequential | null = null;
  // The last weights' buffer, once copied in: the next gradient goes back in it (see pool.ts).
  let spare: Float32Array | null = null;
  const keep = (values: Float32Array | null) => {
    if (values) spare = values;
  };
  // Messages are handled one at a time, in arrival order, even though 'init' is asynchronous.
  let queue = Promise.resolve();
  const handle = async (message: ToWorker): Promise<void> => {
    try {
      switch (message.kind) {
        case 'init':
          model = await initReplica(message.model, message.compile, message.backend);
          port.postMessage({ kind: 'ready' });
          return;
        case 'step': {
          const replica = withValues(required(model), message.values);
          keep(message.values);
          const x = toTensor(message.x);
          const length = message.parts.length * replica.grads.length;
          const grads = floatsIn(spare, length);
          spare = null;
          const w = message.sampleWeight ? toTensor(message.sampleWeight) : null;
          const totals = partGradients(
            replica,
            x,
            toTensor(message.y),
            w,
            rowRanges(message.parts),
            message.seeds,
            grads,
          );
          port.postMessage({ kind: 'stepped', grads, totals }, [grads.buffer as ArrayBuffer]);
          return;
        }
        case 'evaluate': {
          const replica = withValues(required(model), message.values);
          keep(message.values);
          const totals = replica.runBatch(toTensor(message.x), toTensor(message.y), null, false, false);
          port.postMessage({ kind: 'evaluated', totals });
          return;
        }
        case 'predict': {
          const replica = withValues(required(model), message.values);
          keep(message.values);
          const x = toTensor(message.x);
          const output = fromTensor(replica.predict(x, { batchSize: x.shape[0] }));
          port.postMessage({ kind: 'predicted', output }, [output.data.buffer as ArrayBuffer]);
          return;
        }
        case 'memory':
          port.postMessage({ kind: 'memory', memory: threadMemory() });
          return;
        case 'getStates':
          port.postMessage({ kind: 'states', states: statefulLayers(required(model)).map(getStates) });
          return;
        case 'setStates': {
          const layers = statefulLayers(required(model));
          layers.forEach((layer, i) => {
            const states = message.states[i];
            layer.resetStates(states ? states.map(toTensor) : undefined);
          });
          port.postMessage({ kind: 'done' });
          return;
        }
        case 'close':
          model = null;
          port.postMessage({ kind: 'done' });
          return;
      }
    } catch (e) {
      port.postMessage({ kind: 'error', error: describeError(e) });
    }
  };
  port.onMessage((message) => {
    queue = queue.then(() => handle(message));
  });
}

async function initReplica(bytes: Uint8Array, compile: ReplicaCompile, backend: string): Promise<Sequential> {
  if (backend === 'reference') useReferenceKernels();
  else {
    // A worker thread is a fresh V8 isolate: Node 20 needs relaxed SIMD switched on here too.
    if (backend === 'relaxed') await enableRelaxedSimdInNode();
    await useFastKernels({ build: backend as WasmBuild });
  }
  const replica = await modelFromBytes(bytes);
  compileReplica(replica, compile);
  return replica;
}

/** The replica, with the pool's weights when they came along (null: the ones it holds are current). */
function withValues(model: Sequential, values: Float32Array | null): Sequential {
  if (values) {
    model.values.set(values);
    model.markWeightsChanged();
  }
  return model;
}

function required(model: Sequential | null): Sequential {
  if (!model) throw new Error('replica: a step arrived before the model (send init first)');
  return model;
}

function getStates(layer: Recurrent): TensorData[] | null {
  return layer.getStates()?.map(fromTensor) ?? null;
}

/** A thrown value as plain data; typed errors keep their parts so the pool can throw the same class. */
export function describeError(e: unknown): WorkerError {
  if (e instanceof NovoLstmError) {
    const { name, message, subject, problem } = e;
    return { name, message, subject, problem, expected: plain(e.expected), actual: plain(e.actual) };
  }
  const error = e instanceof Error ? e : new Error(String(e));
  return { name: error.name, message: error.message };
}

function plain(value: unknown): unknown {
  return value === undefined || value === null || typeof value !== 'object' ? value : String(value);
}

/** Consecutive row ranges of the given sizes, from row 0. */
function rowRanges(sizes: readonly number[]): RowRange[] {
  let start = 0;
  return sizes.map((n) => {
    const range: RowRange = [start, start + n];
    start += n;
    return range;
  });
}

export function toTensor(t: TensorData): Tensor {
  return new Tensor(t.data, t.shape);
}

export function fromTensor(t: Tensor): TensorData {
  return { data: t.data, shape: t.shape, dtype: t.dtype };
}
