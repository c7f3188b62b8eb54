/**
 * The pieces of a language-model stepper on the engine (stepper.ts), shared by the one-thread stepper and
 * both threads of the two-thread one (sharedStepper.ts): the checked layer stack, the recurrent plans with
 * the first layer's input projections of every token, and the dense head.
 *
 * Sizes: V = vocabulary (embedding rows, softmax classes), E = embedding width, G = the first layer's gate
 * columns (padded), D = the last recurrent layer's padded units, C = classes.
 */
import { ConfigError } from '../errors.js';
import { activationForward, type Activation } from '../kernels/reference/activations.js';
import { FastGru } from '../engine/gru.js';
import type { Engine } from '../engine/loader.js';
import { FastLstm } from '../engine/lstm.js';
import type { StepShare } from '../engine/share.js';
import { Dense } from '../layers/dense.js';
import { Embedding } from '../layers/embedding.js';
import { layerFromConfig } from '../layers/index.js';
import { Recurrent } from '../layers/recurrent.js';
import { Sequential } from '../models/sequential.js';

/** The layers a stepper runs, checked: what `buildLanguageModel` makes. */
export interface Stack {
  readonly embedding: Embedding;
  readonly recurrent: readonly Recurrent[];
  readonly dense: Dense;
}

export function checkedStack(model: Sequential): Stack {
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

/** The recurrent layers on the engine, weights copied in and packed, stepping from zero states. */
export interface EngineLayers {
  readonly layers: readonly (FastLstm | FastGru)[];
  /** Address of the first layer's input projections of every token: [V, G]. */
  readonly projections: number;
  /** The order of the multiplies the next character runs in (see `stepLayers`). */
  readonly order: { recurrentFirst: boolean };
}

export function engineLayers(engine: Engine, stack: Stack): EngineLayers {
  const { arena } = engine;
  const { embedding } = stack;
  const V = embedding.inputDim;
  const E = embedding.outputDim;
  const layers = stack.recurrent.map((layer) => {
    const cell = layer.builtCell;
    const fast = cell.hasCellState ? new FastLstm(engine, cell, 1, 1) : new FastGru(engine, cell, 1, 1);
    fast.setWeights(layer.params);
    return fast;
  });
  // The first layer's input projections of every token, computed once: [V, G].
  const first = layers[0];
  const projections = arena.allocFloats(V * first.G);
  // The raw copy of the embedding table is given back once projected.
  const mark = arena.mark();
  first.project(projections, arena.copyIn(embedding.params.embeddings), E, V);
  arena.release(mark);
  return { layers, projections, order: { recurrentFirst: false } };
}

/**
 * One character through the recurrent layers: the first from the token's projected input, each further
 * one from the h of the layer below, read in place. With `share` each multiply is split with the other
 * thread (src/engine/share.ts); without, this thread steps alone. Returns the last layer's h (its address
 * in the engine's memory) and row stride.
 *
 * Every other character runs its multiplies in another order, the same sums (`stepRecurrentFirst` and
 * `descending` in src/engine/recurrent.ts). At batch 1 a character reads every weight once — at 2 × 256
 * LSTM units three 1 MB matrices, U₁ (layer 1's recurrent kernel; its x·W is a table), W₂ and U₂ — more
 * than one core's L2 (2 MB here), and read in the same order every time, none is still in L2 when it
 * comes round again. Layer 2's h·U₂ needs only the last character's state, so it may come first: the
 * order alternates U₁ W₂ U₂ | U₂′ U₁′ W₂′ (′: columns read from the last), and each character starts on
 * the weights the one before ended with. Measured (bench/generationSteps.ts, CPU µs per character of the
 * layers, one thread, load average 12): LSTM 105 → 84, NovoLSTM 142 → 118, GRU 59 → 53. Two threads run
 * `stepLayersShared` instead (each reads its half of every matrix, about 2 MB for NovoLSTM); this, with
 * `share`, only where some product cannot come first.
 */
export function stepLayers(
  built: EngineLayers,
  id: number,
  share: StepShare | null = null,
): { h: number; stride: number } {
  const [first, ...above] = built.layers;
  const projected = built.projections + 4 * id * first.G;
  const { order } = built;
  for (const layer of built.layers) layer.descending = order.recurrentFirst;
  if (order.recurrentFirst) {
    for (let i = above.length - 1; i >= 0; i--) {
      if (above[i].recurrentFirstExact) above[i].stepRecurrentFirst(share);
    }
  }
  order.recurrentFirst = !order.recurrentFirst;
  let h = share ? first.stepShared(null, 0, projected, share) : first.stepProjected(projected);
  let stride = first.U;
  for (const layer of above) {
    h = share ? layer.stepShared(h, stride, null, share) : layer.step(h, stride);
    stride = layer.U;
  }
  return { h, stride };
}

/**
 * `stepLayers` on two threads (src/lm/sharedStepper.ts), both calling it with the same `share`; the token
 * is read with `token()` only after the first exchange, so the thread that samples it hands it over
 * with that exchange: a character costs one meeting of the threads per layer (two per GRU layer without
 * resetAfter), where handing the token over on its own was one more.
 *
 * Where every layer's product is exact when made first (`recurrentFirstExact`), a character is
 *   layer 1: the h·U₁ columns made at the end of the last character swapped (the token with them), the
 *            token's x·W₁ row added, the gate pass;
 *   above:   this thread's columns of x·W added to its h·U (made then too), swapped, the gate pass;
 *   then:    the next character's state-only products h·U, this thread's columns of each, made now —
 *            while the thread that samples runs the dense layer and the sampling, the other makes its
 *            part of the next character rather than waiting.
 * So each thread reads its half of every weight matrix once per character (W₁ is the table). Where some
 * product is not exact first, the token is handed over by an exchange of nothing and `stepLayers` runs.
 * The same sums as `stepLayers` on one thread, bit for bit (test/generation.test.ts).
 */
export function stepLayersShared(
  built: EngineLayers,
  token: () => number,
  share: StepShare,
): { h: number; stride: number } {
  const [first, ...above] = built.layers;
  if (!built.layers.every((layer) => layer.recurrentFirstExact)) {
    share.exchange([]);
    return stepLayers(built, token(), share);
  }
  // Every other character reads the weights from their last columns: the same sums (see stepLayers).
  const descending = !built.order.recurrentFirst;
  built.order.recurrentFirst = descending;
  for (const layer of built.layers) layer.descending = descending;
  if (!first.recurrentPending) for (const layer of built.layers) layer.stepRecurrentFirst(share);
  let h = first.stepSharedProjected(() => built.projections + 4 * token() * first.G, share);
  let stride = first.U;
  for (const layer of above) {
    h = layer.stepShared(h, stride, null, share);
    stride = layer.U;
  }
  for (const layer of built.layers) layer.stepRecurrentFirst(share);
  return { h, stride };
}

/**
 * Forgets the products `stepLayersShared` made for the next character: a stepper going back to one
 * thread holds only its own columns of them.
 */
export function dropSharedProducts(built: EngineLayers): void {
  for (const layer of built.layers) layer.dropRecurrentFirst();
}

/** logits = h·W_dense + bias, then the activation: h [1, D] at an address of the engine's memory. */
export type Head = (h: number, stride: number) => Float32Array;

/** The dense layer on the engine, its kernel packed once. Returns an array the next call overwrites. */
export function engineHead(engine: Engine, dense: Dense, D: number): Head {
  const { wasm, arena } = engine;
  const C = dense.units; // classes: V for a language model
  // The dense kernel [D, C], packed once; the raw copy is given back after packing.
  const packed = arena.allocFloats(wasm.packedBFloats(D, C));
  const mark = arena.mark();
  wasm.packB(packed, arena.copyIn(dense.params.kernel), C, 1, 0, D, C);
  arena.release(mark);
  const logits = arena.allocFloats(C); // [C]
  const scratch = arena.allocFloats(wasm.gemmScratchFloats(C));
  const bias = dense.useBias ? dense.params.bias.slice() : null; // [C]
  const activation: Activation = dense.activation;
  const out = new Float32Array(C);
  const exps = new Float64Array(C);
  // A view of the logits; remade only if the memory grew (nothing allocates in this instance after here).
  let logitsView = arena.f32(logits, C);
  return (h, stride) => {
    wasm.gemmPacked(logits, C, h, stride, 1, packed, 1, D, C, false, scratch);
    if (logitsView.buffer !== wasm.memory.buffer) logitsView = arena.f32(logits, C);
    out.set(logitsView);
    // As Dense.forward: the bias added in float32, then the activation in place.
    if (bias) for (let j = 0; j < C; j++) out[j] += bias[j];
    if (activation === 'softmax') return softmaxOnce(out, exps);
    return activationForward(out, out, activation, 1, C);
  };
}

/**
 * y = softmax(y) in place, bit for bit `softmaxRow` (kernels/reference/activations.ts, what Dense runs),
 * each e^{y_j − max} computed once and kept in `exps` (float64, as there) rather than twice: the softmax
 * is generation's only per-character work in JavaScript besides sampling.
 */
function softmaxOnce(y: Float32Array, exps: Float64Array): Float32Array {
  const C = y.length;
  let max = -Infinity;
  for (let j = 0; j < C; j++) max = Math.max(max, y[j]);
  let sum = 0;
  for (let j = 0; j < C; j++) {
    exps[j] = Math.exp(y[j] - max);
    sum += exps[j];
  }
  for (let j = 0; j < C; j++) y[j] = exps[j] / sum;
  return y;
}

/** A built model's architecture and weights as plain data: what a worker thread needs to rebuild it. */
export interface ModelSnapshot {
  readonly name: string;
  readonly seed: number;
  readonly inputShape: readonly (number | null)[];
  readonly layers: readonly { readonly className: string; readonly name: string; readonly config: object }[];
  readonly values: Float32Array;
}

export function modelSnapshot(model: Sequential): ModelSnapshot {
  return {
    name: model.name,
    seed: model.seed,
    inputShape: [...model.inputShape!],
    layers: model.layers.map((l) => ({ className: l.className, name: l.name, config: l.getConfig() })),
    values: model.values.slice(),
  };
}

/** The model a snapshot was taken of (as io/decode.ts rebuilds a save). */
export function modelFromSnapshot(s: ModelSnapshot): Sequential {
  const layers = s.layers.map((l, i) =>
    layerFromConfig(l.className, {
      ...l.config,
      name: l.name,
      ...(i === 0 ? { inputShape: s.inputShape } : {}),
    }),
  );
  const model = new Sequential({ layers, name: s.name, seed: s.seed, initialize: false });
  model.values.set(s.values);
  model.markWeightsChanged();
  return model;
}
