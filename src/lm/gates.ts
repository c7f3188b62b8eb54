/**
 * What a language model's gates do over a piece of text: for every recurrent layer, per character and
 * per unit, the gate values and the cell state — read from the reference kernel's forward tape
 * (`recurrentForward(...).saved.tape`), so the values shown are the ones training uses, not a second
 * implementation of the equations. Browser-safe; the web page draws them as heatmaps.
 *
 * Sizes: T = characters read, u = units. Every map is [T, u], time-major.
 *
 * The model is left untouched (its carried states too): a copy reads the text from zero states.
 */
import { isGruCell, type CellClassName } from '../cells.js';
import { CharVocabulary } from '../data/text/charVocabulary.js';
import { ValueError } from '../errors.js';
import type { Float } from '../kernels/contract.js';
import type { GruTape } from '../kernels/reference/gru.js';
import type { LstmTape } from '../kernels/reference/lstm.js';
import { recurrentForward } from '../kernels/reference/recurrence.js';
import type { Batch } from '../layers/layer.js';
import { Recurrent } from '../layers/recurrent.js';
import type { Sequential } from '../models/sequential.js';
import { Random } from '../random.js';
import { cloneLanguageModel, languageModelConfig } from './languageModel.js';

export interface GateMap {
  /** Its name, e.g. 'inputGate', 'softmaxBranch', 'cellState'. */
  readonly name: string;
  /** What it is, for a chart title, e.g. 'input gate i'. */
  readonly title: string;
  /** [T, u] */
  readonly values: Float32Array;
}

export interface LayerGates {
  /** 0 = the first recurrent layer. */
  readonly layer: number;
  /** The layer's class name. */
  readonly cell: CellClassName;
  readonly units: number;
  readonly maps: readonly GateMap[];
}

export interface GateTrace {
  /** The characters read (those of the sample the vocabulary knows), one per step. */
  readonly chars: readonly string[];
  readonly layers: readonly LayerGates[];
}

/** The longest sample traced: the maps hold T·u values each. */
export const MAX_TRACE_CHARS = 2000;

// LSTM-family gate blocks in the tape's `ifco` [T, B, 4u]: input, forget, candidate, output.
const I = 0;
const F = 1;
const O = 3;

export function traceGates(model: Sequential, sample: string): GateTrace {
  const vocabulary = CharVocabulary.fromJSON(languageModelConfig(model).vocabulary);
  const ids = vocabulary.encode(sample, 'skip');
  if (ids.length === 0 || ids.length > MAX_TRACE_CHARS) {
    throw new ValueError(
      'gate trace',
      'needs a sample of known characters',
      `1 to ${MAX_TRACE_CHARS} characters`,
      ids.length,
    );
  }
  const T = ids.length;
  const copy = cloneLanguageModel(model);
  const context = { training: false, rng: new Random(0) };
  let a: Batch = { data: ids, shape: [1, T], mask: null };
  const layers: LayerGates[] = [];
  for (const layer of copy.layers) {
    if (!(layer instanceof Recurrent)) {
      a = layer.forward(a, context).output;
      continue;
    }
    // The cell the layer built, so the tape is the one its forward pass writes. One row: batch-major
    // [1, T, D] is laid out exactly as the kernel's time-major [T, 1, D].
    const cell = layer.builtCell;
    const x = a.data as Float32Array;
    const u = layer.units;
    let h: Float;
    let maps: GateMap[];
    if (isGruCell(cell)) {
      const out = recurrentForward(cell, layer.params, x, { T, B: 1 });
      maps = gruMaps(out.saved.tape, out.saved.hStates, T, u);
      h = out.h;
    } else {
      const out = recurrentForward(cell, layer.params, x, { T, B: 1 });
      maps = lstmMaps(cell.spec.kind === 'novolstm', out.saved.tape, out.saved.cStates, T, u);
      h = out.h;
    }
    layers.push({ layer: layers.length, cell: layer.className, units: u, maps });
    a = { data: h as Float32Array, shape: [1, T, u], mask: null };
  }
  return { chars: vocabulary.decode(ids).split(''), layers };
}

/** Block `blockIndex` of `width` blocks of u per step, e.g. the forget gate of ifco: [T, u]. */
function block(source: Float, T: number, u: number, width: number, blockIndex: number): Float32Array {
  const out = new Float32Array(T * u);
  for (let t = 0; t < T; t++)
    for (let j = 0; j < u; j++) out[t * u + j] = source[t * width * u + blockIndex * u + j];
  return out;
}

/** States after each step: entries 1 … T of [T+1, u] (entry 0 is the initial state). */
function after(states: Float, T: number, u: number): Float32Array {
  return Float32Array.from({ length: T * u }, (_, n) => states[u + n]);
}

function gruMaps(tape: GruTape, hStates: Float, T: number, u: number): GateMap[] {
  return [
    { name: 'updateGate', title: 'update gate z', values: block(tape.z, T, u, 1, 0) },
    { name: 'resetGate', title: 'reset gate r', values: block(tape.r, T, u, 1, 0) },
    { name: 'candidate', title: 'candidate ĥ', values: block(tape.hCandidate, T, u, 1, 0) },
    { name: 'hiddenState', title: 'hidden state h', values: after(hStates, T, u) },
  ];
}

function lstmMaps(novo: boolean, tape: LstmTape, cStates: Float, T: number, u: number): GateMap[] {
  const gates: GateMap[] = [
    { name: 'inputGate', title: 'input gate i', values: block(tape.ifco, T, u, 4, I) },
  ];
  // The branches a NovoLSTM gate has: the ablation gates ('softmax', 'lnSigmoid') each lack one (empty tape).
  if (novo && tape.sig.length > 0) {
    gates.push({
      name: 'sigmoidBranch',
      title: 'sigmoid branch σ(aᵢ), layer-normalised (before gain and bias)',
      values: block(tape.inXhat, T, u, 1, 0),
    });
  }
  if (novo && tape.soft.length > 0) {
    gates.push({
      name: 'softmaxBranch',
      title: "softmax branch softmax(aᵢ')",
      values: block(tape.soft, T, u, 1, 0),
    });
  }
  gates.push(
    { name: 'forgetGate', title: 'forget gate f', values: block(tape.ifco, T, u, 4, F) },
    { name: 'outputGate', title: 'output gate o', values: block(tape.ifco, T, u, 4, O) },
    { name: 'cellState', title: 'cell state c', values: after(cStates, T, u) },
  );
  return gates;
}
