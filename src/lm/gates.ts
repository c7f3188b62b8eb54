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
import { gruCell, lstmCell, novoLstmCell } from '../cells.js';
import { CharVocabulary } from '../data/text/charVocabulary.js';
import { ConfigError, ValueError } from '../errors.js';
import type { CellKernel, Tape } from '../kernels/reference/cell.js';
import { recurrentForward } from '../kernels/reference/recurrence.js';
import type { Batch } from '../layers/layer.js';
import { Recurrent } from '../layers/recurrent.js';
import type { Sequential } from '../models/sequential.js';
import { Random } from '../random.js';
import { cloneLanguageModel, languageModelConfig } from './languageModel.js';

export interface GateMap {
  /** The tape's name for it, e.g. 'inputGate', 'softmaxBranch', 'cellState'. */
  readonly name: string;
  /** What it is, for a chart title, e.g. 'input gate i'. */
  readonly title: string;
  /** [T, u] */
  readonly values: Float32Array;
}

export interface LayerGates {
  /** 0 = the first recurrent layer. */
  readonly layer: number;
  readonly cell: 'NovoLSTM' | 'LSTM' | 'GRU';
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
    const D = a.shape[2];
    const cell = kernelOf(layer, D);
    // One row: batch-major [1, T, D] is laid out exactly as the kernel's time-major [T, 1, D].
    const out = recurrentForward(cell, layer.params, a.data as Float32Array, { T, B: 1 });
    layers.push({
      layer: layers.length,
      cell: layer.className as LayerGates['cell'],
      units: layer.units,
      maps: mapsOf(layer.className, out.saved.tape, out.saved.cStates, out.saved.hStates, T, layer.units),
    });
    a = { data: out.h as Float32Array, shape: [1, T, layer.units], mask: null };
  }
  return { chars: vocabulary.decode(ids).split(''), layers };
}

/** The same kernel the layer built (same options), so the tape is the one its forward pass writes. */
function kernelOf(layer: Recurrent, inputDim: number): CellKernel {
  const base = { units: layer.units, inputDim, name: layer.name };
  if (layer.className === 'LSTM') return lstmCell({ ...base, ...layer.cellOptions });
  if (layer.className === 'NovoLSTM') return novoLstmCell({ ...base, ...layer.cellOptions });
  if (layer.className === 'GRU') return gruCell({ ...base, ...layer.cellOptions });
  throw new ConfigError('gate trace', 'unknown recurrent layer', 'NovoLSTM, LSTM or GRU', layer.className);
}

function mapsOf(
  className: string,
  tape: Tape,
  cStates: ArrayLike<number>,
  hStates: ArrayLike<number>,
  T: number,
  u: number,
): GateMap[] {
  const need = (name: string): ArrayLike<number> => {
    const values = tape[name];
    if (!values || values.length < T * u) {
      throw new ConfigError(
        'gate trace',
        `the kernel's tape has no '${name}'`,
        'the reference kernel',
        'none',
      );
    }
    return values;
  };
  /** Block `block` of `width` blocks per step, e.g. the forget gate of ifco. */
  const block = (source: ArrayLike<number>, width: number, blockIndex: number): Float32Array => {
    const out = new Float32Array(T * u);
    for (let t = 0; t < T; t++)
      for (let j = 0; j < u; j++) out[t * u + j] = source[t * width * u + blockIndex * u + j];
    return out;
  };
  /** States after each step: entries 1 … T of [T+1, u] (entry 0 is the initial state). */
  const after = (states: ArrayLike<number>): Float32Array =>
    Float32Array.from({ length: T * u }, (_, n) => states[u + n]);

  if (className === 'GRU') {
    return [
      { name: 'updateGate', title: 'update gate z', values: block(need('z'), 1, 0) },
      { name: 'resetGate', title: 'reset gate r', values: block(need('r'), 1, 0) },
      { name: 'candidate', title: 'candidate ĥ', values: block(need('hCandidate'), 1, 0) },
      { name: 'hiddenState', title: 'hidden state h', values: after(hStates) },
    ];
  }
  const ifco = need('ifco');
  const gates: GateMap[] = [{ name: 'inputGate', title: 'input gate i', values: block(ifco, 4, I) }];
  if (className === 'NovoLSTM') {
    gates.push(
      {
        name: 'sigmoidBranch',
        title: 'sigmoid branch σ(aᵢ), layer-normalised (before gain and bias)',
        values: block(need('inXhat'), 1, 0),
      },
      { name: 'softmaxBranch', title: "softmax branch softmax(aᵢ')", values: block(need('soft'), 1, 0) },
    );
  }
  gates.push(
    { name: 'forgetGate', title: 'forget gate f', values: block(ifco, 4, F) },
    { name: 'outputGate', title: 'output gate o', values: block(ifco, 4, O) },
    { name: 'cellState', title: 'cell state c', values: after(cStates) },
  );
  return gates;
}
