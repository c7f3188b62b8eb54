/**
 * The recurrent layers as ONNX: LSTM and GRU as ONNX's own `LSTM` / `GRU` operators, NovoLSTM as a `Scan`
 * whose body is one step of the cell (kernels/reference/lstm.ts) written with MatMul, Split, Sigmoid, Tanh,
 * Softmax, LayerNormalization, Mul, Add and Where.
 *
 * Sizes: B = batch rows, T = time steps, D = input features, u = units, dirs = 1 or 2 directions.
 *
 * Every function here returns each direction's output in input time order — a sequence [B, T, u] with
 * zeros at masked steps, or the final state [B, u] after each row's last real step — and the caller puts a
 * `goBackwards` sequence into processing order or merges two directions (layers.ts).
 *
 * Masks. Our layers carry the state through a masked step and output 0 there. The Scan body does exactly
 * that at any masked step (Where on the step's mask). ONNX's LSTM and GRU only know `sequence_lens`: the
 * first `len` steps of a row are real and the rest padding, after which they output 0 and report the state
 * of step len − 1, as ours do for padding at the end. So an LSTM/GRU graph counts each row's real steps;
 * it assumes the padding is at the end (the file's metadata says so). Where the model itself flips that
 * mask to the front (a `goBackwards` sequence feeding an LSTM/GRU), the graph moves the padding to the
 * end around the operator (ReverseSequence), which gives the same outputs and final states.
 */
import { ConfigError } from '../../errors.js';
import { LAYER_NORM_EPSILON } from '../../kernels/reference/layerNorm.js';
import type { Recurrent } from '../../layers/recurrent.js';
import { DATA_TYPE, type AttributeValue, type GraphBuilder } from './graph.js';
import {
  concatenated,
  weightsByName,
  GRU_GATES_FROM_OURS,
  LSTM_GATES_FROM_OURS,
  toGateMajor,
  toGateOrder,
} from './layout.js';

/** A mask in the graph: a bool [B, T, 1] value (true at real steps), and whether it is at the front. */
export interface GraphMask {
  readonly value: string;
  /** True when the model flipped a trailing-padding mask (a goBackwards sequence): padding at the front. */
  readonly flipped: boolean;
}

/** A recurrent layer's state in the graph: h [B, u], and c [B, u] for the LSTM family (null for GRU). */
export interface GraphState {
  readonly h: string;
  readonly c: string | null;
}

/** One recurrent layer to run over the input, in the direction it processes the sequence. */
export interface Direction {
  readonly layer: Recurrent;
  /** Processes t = T−1 … 0. */
  readonly reverse: boolean;
  /** The state to start from (a stateful layer's state inputs); zeros when absent. */
  readonly initial?: GraphState;
}

/**
 * The options that change a cell's equations, read from the layer's config (the keys it saves, so this
 * does not depend on how the layer keeps them inside).
 */
export interface CellOptions {
  /** NovoLSTM. */
  readonly inputGate: 'readme' | 'reference';
  readonly layerNorm: 'inputGate' | 'all';
  /** GRU. */
  readonly resetAfter: boolean;
  /** LSTM and GRU: σ of the gates; 'sigmoid' when the layer does not say. */
  readonly recurrentActivation: string;
}

export function cellOptionsOf(layer: Recurrent): CellOptions {
  const c = layer.getConfig() as Record<string, unknown>;
  return {
    inputGate: c.inputGate === 'reference' ? 'reference' : 'readme',
    layerNorm: c.layerNorm === 'all' ? 'all' : 'inputGate',
    resetAfter: c.resetAfter === true,
    recurrentActivation: typeof c.recurrentActivation === 'string' ? c.recurrentActivation : 'sigmoid',
  };
}

/** What one direction gives. */
export interface DirectionOutput {
  /** [B, T, u] in input time order (sequences) or [B, u] (the final h). */
  readonly y: string;
  /**
   * The state after each row's last real step (carried unchanged through padding, as ours), for a
   * direction given an initial state; null otherwise, so a stateless graph gains no nodes.
   */
  readonly final: GraphState | null;
}

// The largest int64: a Slice end that means "to the end" in either direction.
const INT64_MAX = 9223372036854775807n;

/** Runs one direction, or two (a Bidirectional: one reverse, one not), over x [B, T, D]. */
export function recurrentDirections(
  g: GraphBuilder,
  directions: readonly Direction[],
  x: string,
  mask: GraphMask | null,
  sequences: boolean,
): DirectionOutput[] {
  const first = directions[0].layer;
  for (const d of directions) checkExportable(d);
  if (first.className === 'NovoLSTM') return directions.map((d) => novoLstmScan(g, d, x, mask, sequences));
  return nativeRecurrent(g, directions, x, mask, sequences);
}

/** Options that change what the layer computes at inference and that the graph cannot carry. */
function checkExportable({ layer, initial }: Direction): void {
  // A stateful layer's state becomes graph inputs and outputs (layers.ts) — for a layer on its own; a
  // Bidirectional's two carried states have no such interface.
  if (layer.stateful && !initial) {
    throw new ConfigError(
      layer.label,
      'the ONNX export carries the state of a stateful layer only outside Bidirectional',
      "stateful: false (or exportModel's stateless: true, which writes it starting every call from zeros)",
      'stateful: true',
    );
  }
  // ONNX's LSTM operator has no layer norm, and the NovoLSTM scan below writes the two published input
  // gates only (cellOptionsOf reads any other as 'readme'): the ablations of issue #18 stop here.
  const config = layer.getConfig() as Record<string, unknown>;
  if (layer.className === 'LSTM' && config.layerNorm !== undefined && config.layerNorm !== 'none') {
    throw new ConfigError(
      layer.label,
      "the ONNX export has no LSTM with layer norm (the LN-LSTM): ONNX's LSTM operator has none",
      "layerNorm 'none'",
      `layerNorm ${JSON.stringify(config.layerNorm)}`,
    );
  }
  if (layer.className === 'NovoLSTM' && config.inputGate !== 'readme' && config.inputGate !== 'reference') {
    throw new ConfigError(
      layer.label,
      "the ONNX export writes NovoLSTM's 'readme' and 'reference' input gates only",
      "inputGate 'readme' or 'reference'",
      `inputGate ${JSON.stringify(config.inputGate)}`,
    );
  }
  // The gates' σ: the sigmoid, or for LSTM/GRU TensorFlow.js' hard sigmoid, which ONNX's operators take
  // as their HardSigmoid activation. Anything else must not export as if it were one of those.
  const { recurrentActivation } = cellOptionsOf(layer);
  const allowed = layer.className === 'NovoLSTM' ? ['sigmoid'] : ['sigmoid', 'hardSigmoid'];
  if (!allowed.includes(recurrentActivation)) {
    throw new ConfigError(
      layer.label,
      'the ONNX export has no such recurrent activation',
      allowed.map((a) => `'${a}'`).join(' or '),
      `'${recurrentActivation}'`,
    );
  }
}

/**
 * ONNX's `activations` for TensorFlow.js' hard sigmoid max(0, min(1, 0.2·x + 0.5)) on the gates: per
 * direction f, g, h (LSTM) or f, g (GRU). α and β are given for every entry (tanh ignores them), so they
 * line up with the HardSigmoid entries however a runtime counts them.
 */
function hardSigmoidActivations(isLstm: boolean, dirs: number): Record<string, AttributeValue> {
  const perDirection = isLstm ? ['HardSigmoid', 'Tanh', 'Tanh'] : ['HardSigmoid', 'Tanh'];
  const activations = Array.from({ length: dirs }, () => perDirection).flat();
  return {
    activations: { strings: activations },
    activation_alpha: { floats: activations.map(() => HARD_SIGMOID_SLOPE) },
    activation_beta: { floats: activations.map(() => HARD_SIGMOID_OFFSET) },
  };
}

const HARD_SIGMOID_SLOPE = 0.2;
const HARD_SIGMOID_OFFSET = 0.5;

/** ONNX's LSTM or GRU operator for one direction or both (then `direction: 'bidirectional'`). */
function nativeRecurrent(
  g: GraphBuilder,
  directions: readonly Direction[],
  x: string,
  mask: GraphMask | null,
  sequences: boolean,
): DirectionOutput[] {
  const layer = directions[0].layer;
  const isLstm = layer.className === 'LSTM';
  const u = layer.units;
  const D = layer.inputShape![layer.inputShape!.length - 1] as number;
  const G = isLstm ? 4 : 3;
  const gates = isLstm ? LSTM_GATES_FROM_OURS : GRU_GATES_FROM_OURS;
  const { resetAfter, recurrentActivation } = cellOptionsOf(layer);
  // ONNX's direction index 0 is the forward pass, 1 the reverse one.
  const ordered = [...directions].sort((a, b) => Number(a.reverse) - Number(b.reverse));
  const W: Float32Array[] = [];
  const R: Float32Array[] = [];
  const Bias: Float32Array[] = [];
  for (const { layer: l } of ordered) {
    const w = weightsByName(l);
    W.push(toGateMajor(w.kernel, D, u, gates));
    R.push(toGateMajor(w.recurrentKernel, u, u, gates));
    // B = [Wb, Rb]: the input-side biases, then the recurrent-side ones.
    if (isLstm) Bias.push(toGateOrder(w.bias, u, gates), new Float32Array(G * u));
    else if (resetAfter)
      Bias.push(
        toGateOrder(w.bias.subarray(0, G * u), u, gates),
        toGateOrder(w.bias.subarray(G * u), u, gates),
      );
    else Bias.push(toGateOrder(w.bias, u, gates), new Float32Array(G * u));
  }
  const dirs = ordered.length;
  const base = layer.name;
  const w = g.weight(`${base}/W`, concatenated(W), [dirs, G * u, D]);
  const r = g.weight(`${base}/R`, concatenated(R), [dirs, G * u, u]);
  const b = g.weight(`${base}/B`, concatenated(Bias), [dirs, 2 * G * u]);
  const counts = mask ? realStepCounts(g, mask.value) : null;
  // Padding at the front (a mask flipped by an earlier goBackwards sequence) is moved to the end, the real
  // steps kept in order, and the outputs are moved back below: ONNX's operators see trailing padding.
  const toTrailing = (v: string): string =>
    g.op('ReverseSequence', [flipTime(g, v), counts!.lens64], TIME_AXES);
  const fromTrailing = (v: string): string =>
    flipTime(g, g.op('ReverseSequence', [v, counts!.lens64], TIME_AXES));
  const frontPadded = mask?.flipped === true;
  const xIn = frontPadded ? toTrailing(x) : x;
  const xTimeMajor = g.op('Transpose', [xIn], { perm: { ints: [1, 0, 2] } }); // [T, B, D]

  const direction = dirs === 2 ? 'bidirectional' : ordered[0].reverse ? 'reverse' : 'forward';
  const attributes = {
    hidden_size: { int: u },
    direction: { string: direction },
    ...(isLstm ? {} : { linear_before_reset: { int: resetAfter ? 1 : 0 } }),
    ...(recurrentActivation === 'hardSigmoid' ? hardSigmoidActivations(isLstm, dirs) : {}),
  };
  // initial_h / initial_c [dirs, B, u] when every direction starts from a given state.
  const starts = ordered.every((d) => d.initial) ? ordered.map((d) => d.initial!) : null;
  const stacked = (values: string[]): string =>
    g.op(
      'Concat',
      values.map((v) => g.op('Unsqueeze', [v, g.int64s('axis0', [0])])),
      { axis: { int: 0 } },
    );
  const inputs = [xTimeMajor, w, r, b, ...(counts ? [counts.sequenceLens] : [])];
  if (starts) {
    // An optional input left out is written as ''.
    if (!counts) inputs.push('');
    inputs.push(stacked(starts.map((s) => s.h)));
    if (isLstm) inputs.push(stacked(starts.map((s) => s.c!)));
  }
  // [T, dirs, B, u], [dirs, B, u] and, for a stateful LSTM, [dirs, B, u]
  const [Y, Yh, Yc] = g.node(isLstm ? 'LSTM' : 'GRU', inputs, attributes, starts && isLstm ? 3 : 2);

  const outputs: string[] = [];
  if (sequences) {
    const batchMajor = g.op('Transpose', [Y], { perm: { ints: [2, 0, 1, 3] } }); // [B, T, dirs, u]
    const parts = dirs === 2 ? g.node('Split', [batchMajor], { axis: { int: 2 } }, 2) : [batchMajor];
    const axis2 = g.int64s('axis2', [2]);
    for (const part of parts) {
      const y = g.op('Squeeze', [part, axis2]); // [B, T, u]
      outputs.push(mask ? zeroWhereMasked(g, frontPadded ? fromTrailing(y) : y, mask.value) : y);
    }
  } else if (!starts) {
    // (From a given state, the last output is the final h, below.)
    for (let d = 0; d < dirs; d++) {
      const index = g.int64s(`direction${d}`, [d], []);
      const h = g.op('Gather', [Yh, index], { axis: { int: 0 } }); // [B, u]
      outputs.push(counts ? zeroWhereMasked(g, h, counts.anyReal) : h);
    }
  }
  // ONNX's Y_h / Y_c are the state at step sequence_lens − 1; a row with no real step ran one step, and
  // keeps the state it started from instead, as ours carry it through padding.
  const finals: (GraphState | null)[] = ordered.map((d, k) => {
    if (!starts) return null;
    const index = g.int64s(`direction${k}`, [k], []);
    const at = (all: string, start: string): string => {
      const v = g.op('Gather', [all, index], { axis: { int: 0 } }); // [B, u]
      return counts ? g.op('Where', [counts.anyReal, v, start]) : v;
    };
    return { h: at(Yh, starts[k].h), c: isLstm ? at(Yc, starts[k].c!) : null };
  });
  // Back into the caller's order of directions. The last output of a layer that started from a given
  // state is its final h: for a row with no real step, the state it started from (zeros when stateless).
  return directions.map((d) => {
    const k = ordered.indexOf(d);
    const final = finals[k];
    return { y: final && !sequences ? final.h : outputs[k], final };
  });
}

/** ReverseSequence on batch-major [B, T, …] values. */
const TIME_AXES = { batch_axis: { int: 0 }, time_axis: { int: 1 } };

/**
 * Each row's count of real steps as ONNX's sequence_lens (int32 [B], at least 1: a row with no real
 * step runs one step whose outputs are then zeroed; int64 for ReverseSequence), and whether the row has
 * any real step ([B, 1]).
 */
function realStepCounts(
  g: GraphBuilder,
  mask: string,
): { sequenceLens: string; lens64: string; anyReal: string } {
  const asFloat = g.op('Cast', [mask], { to: { int: DATA_TYPE.float } }); // [B, T, 1]
  const counted = g.op('ReduceSum', [asFloat, g.int64s('axes12', [1, 2])], { keepdims: { int: 0 } }); // [B]
  const lens = g.op('Cast', [counted], { to: { int: DATA_TYPE.int32 } }); // [B]
  const sequenceLens = g.op('Max', [lens, g.int32s('one', [1], [])]);
  const anyRow = g.op('Greater', [counted, g.scalar('zero', 0)]); // bool [B]
  const anyReal = g.op('Unsqueeze', [anyRow, g.int64s('axis1', [1])]); // bool [B, 1]
  const lens64 = g.op('Cast', [sequenceLens], { to: { int: DATA_TYPE.int64 } });
  return { sequenceLens, lens64, anyReal };
}

/** y where the mask is true (it broadcasts), 0 elsewhere. */
export function zeroWhereMasked(g: GraphBuilder, y: string, mask: string): string {
  return g.op('Where', [mask, y, g.scalar('zero', 0)]);
}

/** x [B, T, …] with its time axis reversed. */
export function flipTime(g: GraphBuilder, x: string): string {
  return g.op('Slice', [
    x,
    g.int64s('flipStart', [-1]),
    g.int64s('flipEnd', [-INT64_MAX]),
    g.int64s('axis1', [1]),
    g.int64s('stepBack', [-1]),
  ]);
}

/** Zeros [B, u] with B taken from x's first axis at run time. */
function zeroState(g: GraphBuilder, x: string, u: number): string {
  const shape = g.op('Shape', [x]);
  const batch = g.op('Slice', [shape, g.int64s('from0', [0]), g.int64s('to1', [1])]); // [1]
  const stateShape = g.op('Concat', [batch, g.int64s('units', [u])], { axis: { int: 0 } }); // [2]
  return g.op('ConstantOfShape', [stateShape]); // float zeros by default
}

/**
 * NovoLSTM over one direction: zx = x·W + b for every step at once, then a Scan over the time axis of zx
 * (and of the mask) whose body is one step of the cell. Scanning axis 1 keeps everything batch-major; a
 * reverse direction scans backwards and writes its outputs backwards, so they come out in input time order.
 */
function novoLstmScan(
  g: GraphBuilder,
  { layer, reverse, initial }: Direction,
  x: string,
  mask: GraphMask | null,
  sequences: boolean,
): DirectionOutput {
  const u = layer.units;
  const { inputGate, layerNorm: normalised } = cellOptionsOf(layer);
  const normAll = normalised === 'all';
  const w = weightsByName(layer);
  const base = layer.name;
  const D = layer.inputShape![layer.inputShape!.length - 1] as number;
  const P = 5 * u;
  const R = inputGate === 'readme' ? 5 * u : 4 * u;
  const kernel = g.weight(`${base}/kernel`, w.kernel, [D, P]);
  const bias = g.weight(`${base}/bias`, w.bias, [P]);
  const zx = g.op('Add', [g.op('MatMul', [x, kernel]), bias]); // [B, T, 5u], blocks i f c o i'

  // Outer-scope values the body reads.
  const U = g.weight(`${base}/recurrentKernel`, w.recurrentKernel, [u, R]);
  const gamma = g.weight(`${base}/gamma`, w.gamma, [u]);
  const beta = g.weight(`${base}/beta`, w.beta, [u]);
  // gateGamma / gateBeta rows: f, c, o, cell.
  const gateNorm = normAll
    ? [0, 1, 2, 3].map((row) => ({
        gamma: g.weight(`${base}/gateGamma${row}`, w.gateGamma.slice(row * u, (row + 1) * u), [u]),
        beta: g.weight(`${base}/gateBeta${row}`, w.gateBeta.slice(row * u, (row + 1) * u), [u]),
      }))
    : [];
  const blockSizes = (sizes: number[]): string => g.int64s('split', sizes);

  const body = g.subgraph();
  const hPrev = body.input(body.name(`${base}/h_prev`), 'float', ['batch', u]);
  const cPrev = body.input(body.name(`${base}/c_prev`), 'float', ['batch', u]);
  const zxStep = body.input(body.name(`${base}/zx_t`), 'float', ['batch', P]);
  const real = mask ? body.input(body.name(`${base}/real_t`), 'bool', ['batch', 1]) : null;
  const layerNorm = (v: string, scale: string, shift: string): string =>
    body.op('LayerNormalization', [v, scale, shift], {
      axis: { int: -1 },
      epsilon: { float: LAYER_NORM_EPSILON },
    });

  // a = zx_t + h_{t−1}·U (the reference gate's i' block has no recurrent part).
  const recurrent = body.op('MatMul', [hPrev, U]); // [B, R]
  let aI: string, aF: string, aC: string, aO: string, aI2: string;
  if (inputGate === 'readme') {
    const a = body.op('Add', [zxStep, recurrent]);
    [aI, aF, aC, aO, aI2] = body.node('Split', [a, blockSizes([u, u, u, u, u])], { axis: { int: 1 } }, 5);
  } else {
    const [zx4, zxI2] = body.node('Split', [zxStep, blockSizes([4 * u, u])], { axis: { int: 1 } }, 2);
    const a4 = body.op('Add', [zx4, recurrent]);
    [aI, aF, aC, aO] = body.node('Split', [a4, blockSizes([u, u, u, u])], { axis: { int: 1 } }, 4);
    aI2 = zxI2;
  }
  if (normAll) {
    aF = layerNorm(aF, gateNorm[0].gamma, gateNorm[0].beta);
    aC = layerNorm(aC, gateNorm[1].gamma, gateNorm[1].beta);
    aO = layerNorm(aO, gateNorm[2].gamma, gateNorm[2].beta);
  }
  const f = body.op('Sigmoid', [aF]);
  const candidate = body.op('Tanh', [aC]);
  const o = body.op('Sigmoid', [aO]);
  const sig = body.op('Sigmoid', [aI]);
  const soft = body.op('Softmax', [aI2], { axis: { int: -1 } });
  // 'readme': i = LN_i(σ(a_i)) ⊙ softmax(a_i');  'reference': i = LN_i(σ(a_i) ⊙ softmax(a_i')).
  const i =
    inputGate === 'readme'
      ? body.op('Mul', [layerNorm(sig, gamma, beta), soft])
      : layerNorm(body.op('Mul', [sig, soft]), gamma, beta);
  const c = body.op('Add', [body.op('Mul', [f, cPrev]), body.op('Mul', [i, candidate])]);
  const cellOut = normAll ? layerNorm(c, gateNorm[3].gamma, gateNorm[3].beta) : c;
  const h = body.op('Mul', [o, body.op('Tanh', [cellOut])]);
  // At a masked step the states carry over unchanged and the output is 0.
  const hNext = real ? body.op('Where', [real, h, hPrev]) : h;
  const cNext = real ? body.op('Where', [real, c, cPrev]) : c;
  const y = real ? body.op('Where', [real, h, g.scalar('zero', 0)]) : h;
  for (const [value, what] of [
    [hNext, 'h'],
    [cNext, 'c'],
    [y, 'y'],
  ]) {
    body.output(body.rename(value, body.name(`${base}/${what}_out`)), 'float', ['batch', u]);
  }

  const direction = reverse ? 1 : 0;
  const scanInputs = [zx, ...(mask ? [mask.value] : [])];
  const [hT, cT, ySeq] = g.node(
    'Scan',
    [initial?.h ?? zeroState(g, x, u), initial?.c ?? zeroState(g, x, u), ...scanInputs],
    {
      body: { graph: body.build(`${base}_step`) },
      num_scan_inputs: { int: scanInputs.length },
      scan_input_axes: { ints: scanInputs.map(() => 1) },
      scan_input_directions: { ints: scanInputs.map(() => direction) },
      scan_output_axes: { ints: [1] },
      scan_output_directions: { ints: [direction] },
    },
    3,
  );
  // The Scan carries the state through masked steps, so its final state is the one after the last real step.
  return { y: sequences ? ySeq : hT, final: initial ? { h: hT, c: cT } : null };
}
