/**
 * TensorFlow.js' `modelTopology` (the snake_case Keras JSON that `tf.LayersModel.save` writes) → our
 * layers. A Sequential, or a functional model ('Model' / 'Functional') that is one chain from its input
 * to its output. Layers: InputLayer, Embedding, LSTM, GRU, RNN(LSTMCell | GRUCell), Bidirectional,
 * Dense, TimeDistributed(Dense) (our Dense runs on every step already), Dropout, LayerNormalization,
 * Masking. Every key of every layer config is read by a ConfigReader, so anything we do not map is a
 * ConfigError naming the layer and the option.
 *
 * Each of our layers keeps the TensorFlow.js layer's name, which is also the prefix of its weights in the
 * manifest (`lstm_LSTM1/kernel`); TimeDistributed's Dense takes the wrapper's name, as its weights do.
 */
import { ConfigError } from '../../errors.js';
import { ACTIVATIONS, type Activation } from '../../kernels/reference/activations.js';
import {
  Bidirectional,
  Dense,
  Dropout,
  Embedding,
  LayerNormalization,
  Masking,
  Recurrent,
  type GruLayerOptions,
} from '../../layers/index.js';
import type { Layer, Shape } from '../../layers/layer.js';
import { recurrentActivationOption, TFJS_DEFAULT_RECURRENT_ACTIVATION } from './activations.js';
import { asArray, asObject, ConfigReader } from './configReader.js';

const SUBJECT = 'TensorFlow.js modelTopology';

export interface DecodedLayer {
  readonly layer: Layer;
  /** Checks that need the built layer's shapes (LayerNormalization's absolute axis). */
  readonly afterBuild?: () => void;
}

export interface DecodedTopology {
  readonly name: string;
  readonly layers: readonly DecodedLayer[];
}

interface LayerEntry {
  readonly className: string;
  readonly config: Record<string, unknown>;
}

export function layersFromTopology(topology: unknown): DecodedTopology {
  const t = asObject(SUBJECT, 'modelTopology', topology);
  const kerasVersion = typeof t.keras_version === 'string' ? t.keras_version : '';
  // Files converted from Keras with a training config nest the model one level down.
  const m = t.model_config !== undefined ? asObject(SUBJECT, 'model_config', t.model_config) : t;
  const className = m.class_name;
  let name = 'sequential';
  let entries: LayerEntry[];
  if (className === 'Sequential') {
    // Keras 1 wrote the layer list as the config itself.
    const config = Array.isArray(m.config) ? { layers: m.config } : asObject(SUBJECT, 'config', m.config);
    if (typeof config.name === 'string') name = config.name;
    entries = asArray(SUBJECT, 'config.layers', config.layers).map((raw, i) => layerEntry(raw, i));
  } else if (className === 'Model' || className === 'Functional') {
    const config = asObject(SUBJECT, 'config', m.config);
    if (typeof config.name === 'string') name = config.name;
    entries = chainOf(config);
  } else {
    throw new ConfigError(
      SUBJECT,
      'model class is not supported',
      'Sequential, Model or Functional',
      String(className),
    );
  }

  let inputShape: Shape | null = null;
  if (entries[0]?.className === 'InputLayer') {
    inputShape = inputLayerShape(entries[0].config);
    entries = entries.slice(1);
  }
  if (entries.length === 0) throw new ConfigError(SUBJECT, 'the model has no layers', 'at least one', 0);
  return {
    name,
    layers: entries.map((e, i) => decodeLayer(e, kerasVersion, i === 0 ? inputShape : null, i === 0)),
  };
}

function layerEntry(raw: unknown, i: number): LayerEntry {
  const l = asObject(SUBJECT, `layer ${i}`, raw);
  if (typeof l.class_name !== 'string')
    throw new ConfigError(SUBJECT, `layer ${i} has no class_name`, 'a string', String(l.class_name));
  return { className: l.class_name, config: asObject(SUBJECT, `layer ${i} config`, l.config) };
}

/**
 * The layers of a functional model in order, if they form one chain: one input, one output, and every
 * other layer called once on the previous layer's only output, with no call arguments.
 */
function chainOf(config: Record<string, unknown>): LayerEntry[] {
  const notChain = (why: string, actual: string): never => {
    throw new ConfigError(
      SUBJECT,
      `only functional models that are one chain of layers are supported: ${why}`,
      'a chain',
      actual,
    );
  };
  const raws = asArray(SUBJECT, 'config.layers', config.layers).map((raw, i) =>
    asObject(SUBJECT, `layer ${i}`, raw),
  );
  const endpoint = (key: string): string => {
    const list = asArray(SUBJECT, key, config[key]);
    if (list.length !== 1 || !Array.isArray(list[0]) || typeof list[0][0] !== 'string')
      notChain(`${key} must name one layer`, JSON.stringify(list));
    return (list[0] as string[])[0];
  };
  const input = endpoint('input_layers');
  const output = endpoint('output_layers');
  const consumers = new Map<string, Record<string, unknown>[]>();
  const byName = new Map<string, Record<string, unknown>>();
  for (const l of raws) {
    const name = String(l.name);
    byName.set(name, l);
    const nodes = asArray(SUBJECT, `layer '${name}' inbound_nodes`, l.inbound_nodes ?? []);
    if (name === input) {
      if (nodes.length !== 0) notChain(`input '${name}' has inbound nodes`, JSON.stringify(nodes));
      continue;
    }
    const call = nodes.length === 1 && Array.isArray(nodes[0]) && nodes[0].length === 1 ? nodes[0][0] : null;
    const kwargs = Array.isArray(call) ? call[3] : undefined;
    if (
      !Array.isArray(call) ||
      typeof call[0] !== 'string' ||
      call[1] !== 0 ||
      call[2] !== 0 ||
      !(
        kwargs === undefined ||
        (typeof kwargs === 'object' && kwargs !== null && Object.keys(kwargs).length === 0)
      )
    ) {
      notChain(`layer '${name}' is not called once on one tensor`, JSON.stringify(l.inbound_nodes));
    }
    const from = (call as unknown[])[0] as string;
    consumers.set(from, [...(consumers.get(from) ?? []), l]);
  }
  const first = byName.get(input);
  if (!first) return notChain(`input '${input}' is not among the layers`, input);
  const chain = [first];
  for (let at = first; consumers.has(String(at.name));) {
    const next = consumers.get(String(at.name))!;
    if (next.length !== 1)
      notChain(
        `'${String(at.name)}' feeds ${next.length} layers`,
        next.map((l) => String(l.name)).join(', '),
      );
    at = next[0];
    chain.push(at);
  }
  if (String(chain[chain.length - 1].name) !== output || chain.length !== raws.length)
    notChain(
      `the chain from '${input}' does not end at '${output}' through every layer`,
      chain.map((l) => String(l.name)).join(' → '),
    );
  return chain.map((l, i) => layerEntry(l, i));
}

function inputLayerShape(config: Record<string, unknown>): Shape {
  const r = new ConfigReader(`TensorFlow.js InputLayer '${String(config.name)}'`, config);
  r.take('name');
  r.only('sparse', [false, null], false);
  r.only('ragged', [false, null], false);
  const dtype = r.take('dtype');
  if (dtype !== undefined && dtype !== null && dtype !== 'float32' && dtype !== 'int32')
    throw new ConfigError(r.subject, 'dtype is not supported', "'float32' or 'int32'", String(dtype));
  const shape = batchShape(r);
  r.finish();
  if (!shape) throw new ConfigError(r.subject, 'batch_input_shape is missing', 'e.g. [null, 7]', 'nothing');
  return shape;
}

/** `batch_input_shape` (TensorFlow.js, Keras 2) or `batch_shape` (Keras 3) without its batch axis. */
function batchShape(r: ConfigReader): Shape | null {
  const key = r.has('batch_shape') ? 'batch_shape' : 'batch_input_shape';
  const v = r.take(key);
  if (v === undefined || v === null) return null;
  const ok =
    Array.isArray(v) &&
    v.length >= 2 &&
    v.every((d) => d === null || (Number.isInteger(d) && (d as number) >= 1));
  if (!ok) throw new ConfigError(r.subject, `${key} is malformed`, 'e.g. [null, 7, 3]', JSON.stringify(v));
  if (v[0] !== null)
    throw new ConfigError(
      r.subject,
      'a fixed batch size is not supported',
      `[null, …] in ${key}`,
      JSON.stringify(v),
    );
  return v.slice(1) as Shape;
}

/**
 * The keys every layer config has: name, trainable (novolstm's `layer.trainable`), dtype and (first layer)
 * its input shape.
 */
function base(
  r: ConfigReader,
  first: boolean,
): { name: string; trainable: boolean; inputShape: Shape | null } {
  const name = r.take('name');
  if (typeof name !== 'string')
    throw new ConfigError(r.subject, 'name must be a string', 'a string', String(name));
  const trainable = r.boolean('trainable', true);
  const dtype = r.take('dtype');
  const policy =
    typeof dtype === 'object' && dtype !== null
      ? (dtype as { config?: { name?: unknown } }).config?.name
      : dtype;
  if (policy !== undefined && policy !== null && policy !== 'float32')
    throw new ConfigError(r.subject, 'only float32 layers are supported', 'float32', JSON.stringify(dtype));
  const inputShape = r.has('batch_input_shape') || r.has('batch_shape') ? batchShape(r) : null;
  if (inputShape && !first)
    throw new ConfigError(
      r.subject,
      'only the first layer may declare an input shape',
      'no batch_input_shape',
      JSON.stringify(inputShape),
    );
  return { name, trainable, inputShape };
}

/**
 * The common keys of a layer or cell inside another (a Bidirectional's layer, an RNN's cell,
 * TimeDistributed's Dense); returns whether the pair trains. TensorFlow.js trains a weight only when the
 * inner and the outer layer are both trainable, and novolstm freezes a layer as a whole. (A Bidirectional
 * keeps its wrapped layer's config as it was when wrapped, so a frozen one is saved with an inner
 * `trainable: true`: the outer flag decides.)
 */
function innerBase(r: ConfigReader, outer: boolean): boolean {
  return base(r, false).trainable && outer;
}

function subjectOf(className: string, config: Record<string, unknown>): string {
  return `TensorFlow.js ${className} '${String(config.name)}'`;
}

function decodeLayer(
  entry: LayerEntry,
  kerasVersion: string,
  inputLayerShape: Shape | null,
  first: boolean,
): DecodedLayer {
  const { className, config } = entry;
  const r = new ConfigReader(subjectOf(className, config), config);
  const { name, trainable: own, inputShape: declared } = base(r, first);
  let trainable = own;
  if (declared && inputLayerShape)
    throw new ConfigError(
      r.subject,
      'the input shape is declared twice',
      'InputLayer or batch_input_shape',
      JSON.stringify(declared),
    );
  const inputShape = declared ?? inputLayerShape;
  const shape = inputShape ? { inputShape } : {};
  let decoded: DecodedLayer;
  switch (className) {
    case 'Embedding': {
      const inputDim = r.number('input_dim');
      const outputDim = r.number('output_dim');
      const maskZero = r.boolean('mask_zero', false);
      r.initializers('embeddings_initializer');
      r.nullOnly('embeddings_regularizer', 'activity_regularizer', 'embeddings_constraint');
      const inputLength = r.take('input_length');
      let embeddingShape = inputShape;
      if (inputLength !== undefined && inputLength !== null) {
        const length = Array.isArray(inputLength) && inputLength.length === 1 ? inputLength[0] : inputLength;
        if (embeddingShape && embeddingShape[0] !== length)
          throw new ConfigError(
            r.subject,
            'input_length disagrees with the input shape',
            String(embeddingShape[0]),
            JSON.stringify(inputLength),
          );
        if (first) embeddingShape = [length as number];
      }
      decoded = {
        layer: new Embedding({
          inputDim,
          outputDim,
          maskZero,
          name,
          ...(embeddingShape ? { inputShape: embeddingShape } : {}),
        }),
      };
      break;
    }
    case 'LSTM':
    case 'GRU':
    case 'RNN': {
      const [kind, options, cellTrainable] = recurrentOptions(r, className, kerasVersion);
      trainable &&= cellTrainable;
      decoded = { layer: new Recurrent(kind, { ...options, name, ...shape }) };
      break;
    }
    case 'Bidirectional': {
      // Absent means concat; null (a list of both outputs) has no place in a one-tensor chain.
      const mergeMode = r.has('merge_mode') ? r.take('merge_mode') : 'concat';
      if (!['concat', 'sum', 'mul', 'ave'].includes(mergeMode as string))
        throw new ConfigError(
          r.subject,
          'merge_mode is not supported',
          "'concat', 'sum', 'mul' or 'ave'",
          JSON.stringify(mergeMode),
        );
      r.nullOnly('backward_layer');
      const inner = layerEntry(r.take('layer'), 0);
      const ir = new ConfigReader(
        `${subjectOf(inner.className, inner.config)} in ${r.subject}`,
        inner.config,
      );
      trainable = innerBase(ir, trainable);
      if (!['LSTM', 'GRU', 'RNN'].includes(inner.className))
        throw new ConfigError(
          ir.subject,
          'Bidirectional wraps only LSTM, GRU or RNN here',
          'LSTM, GRU or RNN',
          inner.className,
        );
      const [kind, options, cellTrainable] = recurrentOptions(ir, inner.className, kerasVersion);
      trainable &&= cellTrainable;
      const layer = new Recurrent(kind, options);
      ir.finish();
      decoded = { layer: new Bidirectional({ layer, mergeMode: mergeMode as 'concat', name, ...shape }) };
      break;
    }
    case 'Dense':
      decoded = { layer: new Dense({ ...denseOptions(r), name, ...shape }) };
      break;
    case 'TimeDistributed': {
      const inner = layerEntry(r.take('layer'), 0);
      if (inner.className !== 'Dense')
        throw new ConfigError(r.subject, 'TimeDistributed wraps only Dense here', 'Dense', inner.className);
      const ir = new ConfigReader(`${subjectOf('Dense', inner.config)} in ${r.subject}`, inner.config);
      trainable = innerBase(ir, trainable);
      const options = denseOptions(ir);
      ir.finish();
      decoded = { layer: new Dense({ ...options, name, ...shape }) };
      break;
    }
    case 'Dropout': {
      const rate = r.number('rate');
      r.nullOnly('noise_shape');
      // The seed picks the dropout masks of TensorFlow.js' own generator, which novolstm does not share;
      // dropout is off in predict, so the model predicts the same either way.
      r.take('seed');
      decoded = { layer: new Dropout({ rate, name, ...shape }) };
      break;
    }
    case 'LayerNormalization': {
      const axis = r.take('axis') ?? -1;
      const epsilon = r.number('epsilon', 1e-3);
      r.only('center', [true], true);
      r.only('scale', [true], true);
      r.initializers('beta_initializer', 'gamma_initializer');
      r.nullOnly('beta_regularizer', 'gamma_regularizer', 'beta_constraint', 'gamma_constraint');
      const layer = new LayerNormalization({ epsilon, name, ...shape });
      const subject = r.subject;
      decoded = {
        layer,
        afterBuild: () => {
          // TensorFlow.js saves the axis as absolute indices ([2] for [batch, time, features]).
          const last = layer.inputShape!.length;
          const axes = Array.isArray(axis) ? axis : [axis];
          if (axes.length !== 1 || (axes[0] !== -1 && axes[0] !== last))
            throw new ConfigError(
              subject,
              'only the last axis is supported',
              `-1 or [${last}]`,
              JSON.stringify(axis),
            );
        },
      };
      break;
    }
    case 'Masking':
      decoded = { layer: new Masking({ maskValue: r.number('mask_value', 0), name, ...shape }) };
      break;
    default:
      throw new ConfigError(
        r.subject,
        'layer class is not supported',
        'InputLayer, Embedding, LSTM, GRU, RNN, Bidirectional, Dense, TimeDistributed, Dropout, LayerNormalization, Masking',
        className,
      );
  }
  r.finish();
  decoded.layer.trainable = trainable;
  return decoded;
}

function denseOptions(r: ConfigReader): { units: number; activation: Activation; useBias: boolean } {
  const units = r.number('units');
  const activation = r.string('activation', 'linear');
  if (!(ACTIVATIONS as readonly string[]).includes(activation))
    throw new ConfigError(r.subject, 'activation is not supported', ACTIVATIONS.join(', '), activation);
  const useBias = r.boolean('use_bias', true);
  r.initializers('kernel_initializer', 'bias_initializer');
  r.nullOnly(
    'kernel_regularizer',
    'bias_regularizer',
    'activity_regularizer',
    'kernel_constraint',
    'bias_constraint',
  );
  return { units, activation: activation as Activation, useBias };
}

/** The options of an LSTM or GRU cell (on the layer's config, or on an RNN's `cell`). */
function cellOptions(r: ConfigReader, kind: 'LSTM' | 'GRU', kerasVersion: string): GruLayerOptions {
  const units = r.number('units');
  r.only('activation', ['tanh'], 'tanh');
  const recurrentActivation = recurrentActivationOption(
    r.subject,
    r.take('recurrent_activation') ?? TFJS_DEFAULT_RECURRENT_ACTIVATION,
    kerasVersion,
  );
  r.only('use_bias', [true], true);
  r.initializers('kernel_initializer', 'recurrent_initializer', 'bias_initializer');
  if (kind === 'LSTM') r.initializers('unit_forget_bias'); // how the bias starts, which the file replaces
  r.nullOnly(
    'kernel_regularizer',
    'recurrent_regularizer',
    'bias_regularizer',
    'activity_regularizer',
    'kernel_constraint',
    'recurrent_constraint',
    'bias_constraint',
  );
  const dropout = r.number('dropout', 0);
  const recurrentDropout = r.number('recurrent_dropout', 0);
  // TensorFlow.js computes implementation 1 and 2 the same way (one fused multiply either way).
  r.only('implementation', [null, 1, 2], null);
  // A file without reset_after means false: TensorFlow.js' GRU has nothing else.
  const gru = kind === 'GRU' ? { resetAfter: r.boolean('reset_after', false) } : {};
  return { units, dropout, recurrentDropout, ...recurrentActivation, ...gru };
}

/** The sequence options every recurrent layer has. */
function sequenceOptions(r: ConfigReader): { returnSequences: boolean; goBackwards: boolean } {
  const returnSequences = r.boolean('return_sequences', false);
  const goBackwards = r.boolean('go_backwards', false);
  r.only('return_state', [false], false);
  r.only('stateful', [false], false);
  r.only('unroll', [false], false);
  r.only('time_major', [false], false);
  return { returnSequences, goBackwards };
}

/**
 * The options of an LSTM, a GRU, or an RNN(cell) — TensorFlow.js' `tf.layers.rnn({ cell: lstmCell(…) })`,
 * the same layer as LSTM — with the cell's options on its `cell`, and whether the cell is trainable.
 */
function recurrentOptions(
  r: ConfigReader,
  className: string,
  kerasVersion: string,
): ['LSTM' | 'GRU', GruLayerOptions, cellTrainable: boolean] {
  if (className === 'LSTM' || className === 'GRU')
    return [className, { ...cellOptions(r, className, kerasVersion), ...sequenceOptions(r) }, true];
  const cell = layerEntry(r.take('cell'), 0);
  const kind = cell.className === 'LSTMCell' ? 'LSTM' : cell.className === 'GRUCell' ? 'GRU' : null;
  if (!kind) throw new ConfigError(r.subject, 'cell is not supported', 'LSTMCell or GRUCell', cell.className);
  const cr = new ConfigReader(`${subjectOf(cell.className, cell.config)} in ${r.subject}`, cell.config);
  const cellTrainable = innerBase(cr, true);
  const options = cellOptions(cr, kind, kerasVersion);
  cr.finish();
  // TensorFlow.js' RNN.getConfig also copies the cell's options onto the layer, and its fromConfig
  // builds the cell from `cell` alone: the copies must agree with it.
  for (const [key, value] of Object.entries(cell.config)) {
    if (['name', 'trainable', 'dtype'].includes(key) || !r.has(key)) continue;
    const copy = r.take(key);
    if (JSON.stringify(copy) !== JSON.stringify(value))
      throw new ConfigError(
        r.subject,
        `option '${key}' disagrees with its cell`,
        JSON.stringify(value),
        JSON.stringify(copy),
      );
  }
  r.nullOnly('num_constants');
  return [kind, { ...options, ...sequenceOptions(r) }, cellTrainable];
}
