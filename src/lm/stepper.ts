/**
 * Generation's inner loop: one token in, the distribution over the next one out, for a character language
 * model (Embedding → recurrent layers → Dense softmax) at batch 1, the recurrent states carried from call
 * to call.
 *
 * Sizes: V = vocabulary (embedding rows, softmax classes), E = embedding width, u = units of a recurrent
 * layer, U = u padded to the engine's vector width.
 *
 * Running `model.predict` once per character spends most of its time around the maths: a Tensor, the
 * layers' batch-major ↔ time-major copies, a plan's checks and output arrays, and the dense layer copying
 * and packing its kernel for every call. On the engine the stepper does the arithmetic of those calls and
 * nothing else: every weight is copied into one WebAssembly instance and packed once, and per character
 *   the first layer's x·W read from a table [V, G] made once (embedding · W, every row) → its `step` →
 *   each further layer's FastLstm / FastGru `step` (reads the layer below's h in place) →
 *   logits = h·W_dense (one-row multiply) → + bias, softmax in JavaScript (V values).
 * At batch 1 a step is a matrix-vector product per weight matrix: the time goes into reading the weights
 * (3.1 MB at 2 × 256 LSTM units, more than this machine's 2 MB L2 cache), which the table cuts by W's
 * share.
 * The sums are those of the predict path — the same kernels, the one-row multiply being bit for bit the
 * tile's (test/engine-gemm.test.ts) — so a seed gives the same text (test/generation.test.ts).
 *
 * Without the engine (reference kernels) each character runs the reference sequence driver for one step
 * and the reference dense layer: the same calls the layers make, without the model around them.
 *
 * The weights are copied when the stepper is made: a model that keeps training does not change a text
 * being generated.
 */
import { ConfigError, ValueError } from '../errors.js';
import type { Params } from '../kernels/contract.js';
import { activationForward } from '../kernels/reference/activations.js';
import { denseForward } from '../kernels/reference/dense.js';
import type { Float } from '../kernels/reference/floats.js';
import { recurrentForward } from '../kernels/reference/recurrence.js';
import type { Engine } from '../engine/loader.js';
import { newEngine } from '../layers/backend.js';
import type { Sequential } from '../models/sequential.js';
import { nodeWorkerThreads, sharedEngineStepper } from './sharedStepper.js';
import type { LanguageModelStepper } from './stepperInterface.js';
import {
  checkedStack,
  engineHead,
  engineLayers,
  modelSnapshot,
  stepLayers,
  type EngineLayers,
  type Head,
  type Stack,
} from './stepLayers.js';

// The interface both steppers (this file's and sharedStepper.ts') implement lives beside them, so that
// neither imports the other for it.
export type { LanguageModelStepper };

export interface StepperOptions {
  /**
   * 'auto' (default): two threads where that is faster — given the engine, Node's worker_threads with
   * SharedArrayBuffer, and recurrent weights of at least TWO_THREADS_FROM_BYTES per character, a worker
   * is started and blocks of steps are timed both ways as the text goes on (sharedStepper.ts); else one.
   * 1: one thread. 2: two threads for every step once the worker is ready (an error where the runtime
   * has no threads). The same text for a seed in every case.
   */
  readonly threads?: 'auto' | 1 | 2;
}

/**
 * Recurrent weight bytes read per character from which 'auto' starts a second thread. Measured here (LSTM,
 * bare steps, samples taken while nothing else ran): at 2 × 96 units (0.44 MB) one thread was about twice
 * as fast as two; at 2 × 256 (3.1 MB) two were 1.7 × as fast as one. Between those the crossover is not
 * pinned down yet (the machine was busy); 'auto' times both ways as it runs in any case.
 */
export const TWO_THREADS_FROM_BYTES = 1 << 20;

/** A stepper for `model` on the engine when one is loaded, else on the reference kernels. */
export function languageModelStepper(model: Sequential, options: StepperOptions = {}): LanguageModelStepper {
  const threads = options.threads ?? 'auto';
  if (threads !== 'auto' && threads !== 1 && threads !== 2) {
    throw new ConfigError('language model stepper', 'threads must be', "'auto', 1 or 2", threads);
  }
  const stack = checkedStack(model);
  const engine = newEngine();
  if (!engine) {
    if (threads === 2) {
      throw new ConfigError(
        'language model stepper',
        'two threads need the engine',
        'the engine',
        'reference',
      );
    }
    return referenceStepper(stack);
  }
  const V = stack.embedding.inputDim;
  const built = engineLayers(engine, stack);
  const last = built.layers[built.layers.length - 1];
  const head = engineHead(engine, stack.dense, last.units);
  const check = (id: number) => checkId(id, V);
  const two =
    threads === 2 ||
    (threads === 'auto' && nodeWorkerThreads() !== null && recurrentBytes(stack) >= TWO_THREADS_FROM_BYTES);
  if (two)
    return sharedEngineStepper(
      engine,
      built,
      head,
      modelSnapshot(model),
      V,
      check,
      threads === 'auto' ? 'adapt' : 'always',
    );
  return engineStepper(engine, built, head, V, check);
}

/** Bytes of recurrent weights a step reads: every recurrent kernel, and the kernels after the first layer. */
export function recurrentBytes(stack: Stack): number {
  return stack.recurrent.reduce(
    (sum, layer, i) =>
      sum + 4 * (layer.params.recurrentKernel.length + (i > 0 ? layer.params.kernel.length : 0)),
    0,
  );
}

/** Copies of a layer's weights (its params are views into the model's array). */
function copied(params: Params): Params {
  return Object.fromEntries(Object.entries(params).map(([name, w]) => [name, w.slice()]));
}

function engineStepper(
  engine: Engine,
  built: EngineLayers,
  head: Head,
  V: number,
  checkId: (id: number) => void,
): LanguageModelStepper {
  let closed = false;
  return {
    runsOn: engine.build,
    size: V,
    threads: 1,
    step(id) {
      checkId(id);
      if (closed) throw new ConfigError('language model stepper', 'step after close', 'open', 'closed');
      const { h, stride } = stepLayers(built, id);
      return head(h, stride);
    },
    whenReady: () => Promise.resolve(1),
    close() {
      closed = true;
      return Promise.resolve();
    },
  };
}

function referenceStepper(stack: Stack): LanguageModelStepper {
  const { embedding, dense } = stack;
  const V = embedding.inputDim;
  const E = embedding.outputDim;
  const table = embedding.params.embeddings.slice(); // [V, E]
  const layers = stack.recurrent.map((layer) => ({
    cell: layer.builtCell,
    params: copied(layer.params),
    h: null as Float | null, // [1, u] after the last step
    c: null as Float | null, // [1, u]; stays null for GRU
  }));
  const D = layers[layers.length - 1].cell.units;
  const C = dense.units;
  const kernel = dense.params.kernel.slice(); // [D, C]
  const bias = dense.useBias ? dense.params.bias.slice() : null;
  const out = new Float32Array(C);
  let closed = false;
  return {
    runsOn: 'reference',
    size: V,
    threads: 1,
    step(id) {
      checkId(id, V);
      if (closed) throw new ConfigError('language model stepper', 'step after close', 'open', 'closed');
      let x: Float = table.subarray(id * E, (id + 1) * E);
      for (const layer of layers) {
        const run = recurrentForward(layer.cell, layer.params, x, { T: 1, B: 1, h0: layer.h, c0: layer.c });
        layer.h = run.hT;
        layer.c = run.cT;
        x = run.h;
      }
      denseForward(out, x, kernel, bias, 1, D, C);
      return activationForward(out, out, dense.activation, 1, C);
    },
    whenReady: () => Promise.resolve(1),
    close() {
      closed = true;
      return Promise.resolve();
    },
  };
}

function checkId(id: number, V: number): void {
  if (!(Number.isInteger(id) && id >= 0 && id < V)) {
    throw new ValueError('language model stepper', 'token id is out of range', `0 … ${V - 1}`, id);
  }
}
