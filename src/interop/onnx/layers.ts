/**
 * A Sequential's layers as one ONNX graph, layer by layer, carrying the mask beside the values as ours
 * do: Embedding (maskZero) and Masking make it; Dense, Dropout and LayerNormalization pass it on; a
 * recurrent layer or Bidirectional with `returnSequences` passes it on (flipped with goBackwards) and
 * without drops it.
 *
 * A stateful layer's state is the graph's to carry: it starts from the optional inputs `<layer>_h_in`
 * (and `<layer>_c_in` for the LSTM family), zeros [1, u] broadcast to the batch when not fed, and its
 * state after the call comes out as `<layer>_h_out` (`<layer>_c_out`), [B, u] each — the inputs and
 * outputs in the order of the layers, after `input` and `output`. Feeding each call's state outputs back
 * as the next call's state inputs gives what our stateful predict gives call after call.
 *
 * Sizes: B = batch rows, T = time steps, D = features.
 */
import { ConfigError } from '../../errors.js';
import {
  Bidirectional,
  Dense,
  Dropout,
  Embedding,
  LayerNormalization,
  Masking,
  Recurrent,
} from '../../layers/index.js';
import type { Layer } from '../../layers/layer.js';
import type { Sequential } from '../../models/sequential.js';
import { DATA_TYPE, type Dim, type GraphBuilder } from './graph.js';
import { weightsByName } from './layout.js';
import {
  flipTime,
  recurrentDirections,
  zeroWhereMasked,
  type GraphMask,
  type GraphState,
} from './recurrent.js';

export const INPUT_NAME = 'input';
export const OUTPUT_NAME = 'output';

/** What flows from layer to layer: a value and its mask (null when there is none). */
interface Flow {
  readonly value: string;
  readonly mask: GraphMask | null;
}

/** A graph output to add after `output`: a stateful layer's state after the call. */
interface StateOutput {
  readonly name: string;
  readonly value: string;
  readonly units: number;
}

/** The suffixes of a stateful layer's state inputs and outputs: `<layer>_h_in`, `<layer>_c_out`, … */
export const STATE_SUFFIXES = { h: ['_h_in', '_h_out'], c: ['_c_in', '_c_out'] } as const;

/** Builds the graph's input, every layer, and its output into `g`. */
export function modelGraph(g: GraphBuilder, model: Sequential): void {
  const inputShape = model.inputShape!;
  const dims: Dim[] = ['batch', ...inputShape.map((d, k) => d ?? (k === 0 ? 'time' : `dim${k}`))];
  const takesIds = model.layers[0] instanceof Embedding;
  let flow: Flow = { value: g.input(INPUT_NAME, takesIds ? 'int32' : 'float', dims), mask: null };
  const states: StateOutput[] = [];
  for (const layer of model.layers) flow = layerGraph(g, layer, flow, states);
  const outputShape = model.layers[model.layers.length - 1].outputShape!;
  const outputDims: Dim[] = ['batch', ...outputShape.map((d, k) => d ?? (k === 0 ? 'time' : `dim${k}`))];
  g.output(g.rename(flow.value, OUTPUT_NAME), 'float', outputDims);
  for (const s of states) g.output(g.rename(s.value, s.name), 'float', ['batch', s.units]);
}

function layerGraph(g: GraphBuilder, layer: Layer, flow: Flow, states: StateOutput[]): Flow {
  if (layer instanceof Embedding) return embedding(g, layer, flow);
  if (layer instanceof Masking) return masking(g, layer, flow);
  if (layer instanceof Dense) return dense(g, layer, flow);
  if (layer instanceof Dropout) return flow; // the identity at inference
  if (layer instanceof LayerNormalization) return layerNormalization(g, layer, flow);
  if (layer instanceof Recurrent) return recurrent(g, layer, flow, states);
  if (layer instanceof Bidirectional) return bidirectional(g, layer, flow);
  throw new ConfigError(
    `${layer.className} '${layer.name}'`,
    'this layer has no ONNX export',
    'Embedding, Masking, Dense, Dropout, LayerNormalization, LSTM, GRU, NovoLSTM or Bidirectional',
    layer.className,
  );
}

/** Gather rows of the table by id; with maskZero, id 0 marks a padding step (the row is still looked up). */
function embedding(g: GraphBuilder, layer: Embedding, flow: Flow): Flow {
  const table = g.weight(`${layer.name}/embeddings`, weightsByName(layer).embeddings, [
    layer.inputDim,
    layer.outputDim,
  ]);
  const value = g.op('Gather', [table, flow.value], { axis: { int: 0 } }); // [B, T, E]
  if (!layer.maskZero) return { value, mask: null };
  const isPadding = g.op('Equal', [flow.value, g.int32s('zeroId', [0], [])]); // [B, T]
  const real = g.op('Not', [isPadding]);
  const mask = g.op('Unsqueeze', [real, g.int64s('axis2', [2])]); // bool [B, T, 1]
  return { value, mask: { value: mask, flipped: false } };
}

/** A step whose features all equal maskValue is padding, and its output is zeroed (as ours). */
function masking(g: GraphBuilder, layer: Masking, flow: Flow): Flow {
  const differs = g.op('Not', [
    g.op('Equal', [flow.value, g.scalar(`${layer.name}/maskValue`, layer.maskValue)]),
  ]);
  const anyDiffers = g.op('ReduceMax', [g.op('Cast', [differs], { to: { int: DATA_TYPE.float } })], {
    axes: { ints: [-1] },
    keepdims: { int: 1 },
  }); // [B, T, 1]
  const real = g.op('Greater', [anyDiffers, g.scalar('zero', 0)]); // bool [B, T, 1]
  return { value: zeroWhereMasked(g, flow.value, real), mask: { value: real, flipped: false } };
}

const ACTIVATION_OPS: Record<Dense['activation'], string | null> = {
  linear: null,
  relu: 'Relu',
  sigmoid: 'Sigmoid',
  tanh: 'Tanh',
  softmax: 'Softmax',
};

/** z = x·W + b on the last axis, then the activation (softmax over the last axis). */
function dense(g: GraphBuilder, layer: Dense, flow: Flow): Flow {
  const w = weightsByName(layer);
  const D = w.kernel.length / layer.units;
  let z = g.op('MatMul', [flow.value, g.weight(`${layer.name}/kernel`, w.kernel, [D, layer.units])]);
  if (layer.useBias) z = g.op('Add', [z, g.weight(`${layer.name}/bias`, w.bias, [layer.units])]);
  const op = ACTIVATION_OPS[layer.activation];
  if (op === undefined) {
    throw new ConfigError(
      layer.label,
      'this activation has no ONNX export',
      Object.keys(ACTIVATION_OPS),
      layer.activation,
    );
  }
  const value = op === null ? z : g.op(op, [z], op === 'Softmax' ? { axis: { int: -1 } } : {});
  return { value, mask: flow.mask };
}

function layerNormalization(g: GraphBuilder, layer: LayerNormalization, flow: Flow): Flow {
  const w = weightsByName(layer);
  const value = g.op(
    'LayerNormalization',
    [
      flow.value,
      g.weight(`${layer.name}/gamma`, w.gamma, [w.gamma.length]),
      g.weight(`${layer.name}/beta`, w.beta, [w.beta.length]),
    ],
    { axis: { int: -1 }, epsilon: { float: layer.epsilon } },
  );
  return { value, mask: flow.mask };
}

/**
 * A sequence comes back in processing order (reversed with goBackwards), its mask flipped to match. A
 * stateful layer starts from its state inputs and adds its final state to `states`.
 */
function recurrent(g: GraphBuilder, layer: Recurrent, flow: Flow, states: StateOutput[]): Flow {
  const initial = layer.stateful ? stateInputs(g, layer) : undefined;
  const [{ y, final }] = recurrentDirections(
    g,
    [{ layer, reverse: layer.goBackwards, ...(initial ? { initial } : {}) }],
    flow.value,
    flow.mask,
    layer.returnSequences,
  );
  if (final) {
    states.push({ name: `${layer.name}${STATE_SUFFIXES.h[1]}`, value: final.h, units: layer.units });
    if (final.c !== null)
      states.push({ name: `${layer.name}${STATE_SUFFIXES.c[1]}`, value: final.c, units: layer.units });
  }
  if (!layer.returnSequences) return { value: y, mask: null };
  if (!layer.goBackwards) return { value: y, mask: flow.mask };
  const mask = flow.mask && { value: flipTime(g, flow.mask.value), flipped: !flow.mask.flipped };
  return { value: flipTime(g, y), mask };
}

/**
 * A stateful layer's state inputs, [B, u] each. They are required inputs: ONNX's only way to give an input
 * a default is an initializer of the same name, and ONNX Runtime for Node neither lists such an input nor
 * uses a value fed for it (onnxruntime-node 1.31.1: a fed state was ignored), so a caller
 * feeds zeros to start.
 */
function stateInputs(g: GraphBuilder, layer: Recurrent): GraphState {
  const input = (suffix: string): string =>
    g.input(`${layer.name}${suffix}`, 'float', ['batch', layer.units]);
  return {
    h: input(STATE_SUFFIXES.h[0]),
    c: layer.className === 'GRU' ? null : input(STATE_SUFFIXES.c[0]),
  };
}

/** Both directions in input time order, merged by concat / sum / mul / ave; the mask passes as it is. */
function bidirectional(g: GraphBuilder, layer: Bidirectional, flow: Flow): Flow {
  const sequences = layer.forwardLayer.returnSequences;
  const [{ y: f }, { y: b }] = recurrentDirections(
    g,
    [
      { layer: layer.forwardLayer, reverse: layer.forwardLayer.goBackwards },
      { layer: layer.backwardLayer, reverse: layer.backwardLayer.goBackwards },
    ],
    flow.value,
    flow.mask,
    sequences,
  );
  let value: string;
  switch (layer.mergeMode) {
    case 'concat':
      value = g.op('Concat', [f, b], { axis: { int: -1 } });
      break;
    case 'sum':
      value = g.op('Add', [f, b]);
      break;
    case 'mul':
      value = g.op('Mul', [f, b]);
      break;
    case 'ave':
      value = g.op('Div', [g.op('Add', [f, b]), g.scalar('two', 2)]);
      break;
  }
  return { value, mask: sequences ? flow.mask : null };
}
