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
 * (3.5 MB at 2 × 256 LSTM units, more than this machine's 2 MB L2 cache), which the table cuts by W's
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
import type { Params } from '../kernels/reference/cell.js';
import { activationForward, type Activation } from '../kernels/reference/activations.js';
import { denseForward } from '../kernels/reference/dense.js';
import type { Float } from '../kernels/reference/floats.js';
import { recurrentForward } from '../kernels/reference/recurrence.js';
import { FastGru } from '../engine/gru.js';
import type { Engine } from '../engine/loader.js';
import { FastLstm } from '../engine/lstm.js';
import { newEngine } from '../layers/backend.js';
import { Dense } from '../layers/dense.js';
import { Embedding } from '../layers/embedding.js';
import { Recurrent } from '../layers/recurrent.js';
import type { Sequential } from '../models/sequential.js';

export interface LanguageModelStepper {
  /** 'relaxed' or 'simd' (the WebAssembly build), or 'reference'. */
  readonly runsOn: string;
  /** The vocabulary size V. */
  readonly size: number;
  /**
   * Feeds token `id` (0 ≤ id < V) after those fed before; returns the distribution over the next token [V],
   * an array the next call overwrites.
   */
  step(id: number): Float32Array;
}

/** The layers a stepper runs, checked: what `buildLanguageModel` makes. */
interface Stack {
  readonly embedding: Embedding;
  readonly recurrent: readonly Recurrent[];
  readonly dense: Dense;
}

/** A stepper for `model` on the engine when one is loaded, else on the reference kernels. */
export function languageModelStepper(model: Sequential): LanguageModelStepper {
  const stack = checkedStack(model);
  const engine = newEngine();
  return engine ? engineStepper(engine, stack) : referenceStepper(stack);
}

function checkedStack(model: Sequential): Stack {
  const label = `model '${model.name}'`;
  const layers = model.layers;
  const shape = layers.map((l) => l.className).join(' → ');
  const expected = 'Embedding → LSTM | NovoLSTM | GRU (one or more) → Dense';
  const [embedding, dense] = [layers[0], layers[layers.length - 1]];
  const recurrent = layers.slice(1, -1);
  if (
    !model.isBuilt ||
    !(embedding instanceof Embedding) ||
    !(dense instanceof Dense) ||
    recurrent.length === 0 ||
    !recurrent.every((l) => l instanceof Recurrent)
  ) {
    throw new ConfigError(label, 'generation steps a built language model', expected, shape);
  }
  // Masks and reversed layers have no meaning one step at a time; rejected rather than run differently.
  if (embedding.maskZero) {
    throw new ConfigError(embedding.label, 'generation does not support maskZero', 'maskZero: false', true);
  }
  for (const layer of recurrent as Recurrent[]) {
    if (layer.goBackwards) {
      throw new ConfigError(layer.label, 'generation steps forward only', 'goBackwards: false', true);
    }
  }
  return { embedding, recurrent: recurrent as Recurrent[], dense };
}

/** Copies of a layer's weights (its params are views into the model's array). */
function copied(params: Params): Params {
  return Object.fromEntries(Object.entries(params).map(([name, w]) => [name, w.slice()]));
}

function engineStepper(engine: Engine, stack: Stack): LanguageModelStepper {
  const { wasm, arena } = engine;
  const { embedding, dense } = stack;
  const V = embedding.inputDim;
  const E = embedding.outputDim;
  const layers = stack.recurrent.map((layer) => {
    const cell = layer.builtCell;
    const fast = cell.hasCellState ? new FastLstm(engine, cell, 1, 1) : new FastGru(engine, cell, 1, 1);
    fast.setWeights(layer.params);
    return fast;
  });
  const last = layers[layers.length - 1];
  const D = last.units; // the dense layer's input width
  const C = dense.units; // classes: V for a language model
  // The first layer's input projections of every token, computed once: [V, G].
  const [first, ...above] = layers;
  const projections = arena.allocFloats(V * first.G);
  // The raw copy of the embedding table is given back once projected.
  let mark = arena.mark();
  first.project(projections, arena.copyIn(embedding.params.embeddings), E, V);
  arena.release(mark);
  // The dense kernel [D, C], packed once; the raw copy is given back after packing.
  const packed = arena.allocFloats(wasm.packedBFloats(D, C));
  mark = arena.mark();
  wasm.packB(packed, arena.copyIn(dense.params.kernel), C, 1, 0, D, C);
  arena.release(mark);
  const logits = arena.allocFloats(C); // [C]
  const scratch = arena.allocFloats(wasm.gemmScratchFloats(C));
  const bias = dense.useBias ? dense.params.bias.slice() : null; // [C]
  const activation: Activation = dense.activation;
  const out = new Float32Array(C);
  // A view of the logits; remade only if the memory grew (nothing allocates in this instance after here).
  let logitsView = arena.f32(logits, C);
  return {
    runsOn: engine.build,
    size: V,
    step(id) {
      checkId(id, V);
      let x = first.stepProjected(projections + 4 * id * first.G);
      let stride = first.U;
      for (const layer of above) {
        x = layer.step(x, stride);
        stride = layer.U;
      }
      wasm.gemmPacked(logits, C, x, stride, 1, packed, 1, D, C, false, scratch);
      if (logitsView.buffer !== wasm.memory.buffer) logitsView = arena.f32(logits, C);
      out.set(logitsView);
      // As Dense.forward: the bias added in float32, then the activation in place.
      if (bias) for (let j = 0; j < C; j++) out[j] += bias[j];
      return activationForward(out, out, activation, 1, C);
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
  return {
    runsOn: 'reference',
    size: V,
    step(id) {
      checkId(id, V);
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
  };
}

function checkId(id: number, V: number): void {
  if (!(Number.isInteger(id) && id >= 0 && id < V)) {
    throw new ValueError('language model stepper', 'token id is out of range', `0 … ${V - 1}`, id);
  }
}
