/**
 * Keras 3 → novolstm: a `.keras` archive, or `model.weights.h5` with its `config.json`, becomes a built
 * Sequential with Keras' weights. Sequential configs and Functional configs that are a single chain are
 * read; every layer config goes through KerasOptions, so each option is mapped, checked or named as
 * ignored below, and anything else is a ConfigError naming the layer and the option.
 *
 * Nothing in the files is executed: the config is parsed with JSON.parse and only the classes listed in
 * `translate` are built (a custom cell is recognised by its module and class name, not loaded).
 */
import { ConfigError, ValueError } from '../../errors.js';
import type { Layer } from '../../layers/layer.js';
import * as layers from '../../layers/index.js';
import { Recurrent, type RecurrentKind } from '../../layers/recurrent.js';
import { Sequential } from '../../models/sequential.js';
import { Tensor } from '../../tensor.js';
import type { ModelFiles } from '../formats.js';
import { CONFIG_FILE, readArchive, WEIGHTS_FILE } from './archive.js';
import { readH5, type H5Dataset, type H5Tree } from './h5.js';
import { fuseSeedCell, SEED_CELL_VARIABLES } from './novoLstmWeights.js';
import { isObject, KerasOptions, type Json, type JsonObject } from './options.js';
import { layerPaths } from './paths.js';

const SUBJECT = 'importModel (Keras)';
/** The seed author's cell (novolstm_keras.py) and novolstm's own Keras cell (python/novolstm/keras.py). */
export const SEED_CELL_MODULE = 'novolstm_keras';
export const OWN_CELL_MODULE = 'novolstm.keras';
export const NOVO_CELL_CLASS = 'NovoLSTMCell';

/** Keras' activation names that novolstm's Dense has, under the same names. */
const DENSE_ACTIVATIONS = ['linear', 'relu', 'sigmoid', 'tanh', 'softmax'];
const REGULARISER_WHY = 'a regulariser or constraint changes training, which novolstm would not reproduce';
const RECURRENT_INITIALISERS = [
  'kernel_initializer',
  'recurrent_initializer',
  'bias_initializer',
  'unit_forget_bias',
];

/** The files of a `.keras` archive, or of `*.weights.h5` + `config.json`. */
export function kerasParts(files: ModelFiles): { config: string; weights: Uint8Array; what: string } {
  for (const [name, bytes] of files) {
    if (name.endsWith('.keras')) return { ...readArchive(bytes, name), what: name };
  }
  const config = files.get(CONFIG_FILE);
  const weightsName = [...files.keys()].find((n) => n.endsWith('.h5')) ?? WEIGHTS_FILE;
  const weights = files.get(weightsName);
  if (!config || !weights) {
    throw new ValueError(
      SUBJECT,
      'expected a .keras file, or a .weights.h5 with its config.json',
      '*.keras or config.json + *.weights.h5',
      [...files.keys()].join(', ') || 'no files',
    );
  }
  return { config: new TextDecoder().decode(config), weights, what: weightsName };
}

export async function decodeKeras(files: ModelFiles): Promise<Sequential> {
  const { config, weights, what } = kerasParts(files);
  let root: unknown;
  try {
    root = JSON.parse(config);
  } catch (error) {
    throw new ValueError(SUBJECT, `${CONFIG_FILE} is not valid JSON`, 'JSON', (error as Error).message);
  }
  const chain = layerChain(root);
  const tree = await readH5(weights, what);
  const reader = new WeightReader(tree);
  const paths = layerPaths(chain.saved.map((l) => l.class_name));
  const built: Layer[] = [];
  const values: Tensor[] = [];
  const mask = new MaskTracker();
  chain.layers.forEach((entry, i) => {
    const path = paths[chain.saved.indexOf(entry)];
    const { layer, weights: w } = translate(
      entry,
      path,
      reader,
      mask,
      i === 0 ? chain.inputShape : undefined,
    );
    layer.trainable = trainableOf(entry.config);
    built.push(layer);
    values.push(...w);
  });
  for (const entry of chain.saved.filter((l) => !chain.layers.includes(l))) {
    reader.vars(paths[chain.saved.indexOf(entry)], 0); // InputLayer: an empty vars group
  }
  mask.checkOutput();
  reader.checkAllRead();
  const model = new Sequential({ layers: built, name: chain.name, initialize: false });
  if (!model.isBuilt)
    throw new ConfigError(
      SUBJECT,
      'the model has no input shape',
      'an InputLayer or build_input_shape',
      'none',
    );
  model.setWeights(values);
  return model;
}

interface KerasLayer {
  readonly class_name: string;
  readonly module?: Json;
  readonly registered_name?: Json;
  readonly config: JsonObject;
  readonly name?: Json;
  readonly inbound_nodes?: Json;
  readonly build_config?: Json;
}

interface Chain {
  readonly name: string;
  /** Every layer Keras saves weights for, in its order (Functional: the InputLayer too). */
  readonly saved: readonly KerasLayer[];
  /** The layers novolstm builds, in order (no InputLayer). */
  readonly layers: readonly KerasLayer[];
  /** Per-sample input shape from the InputLayer (null = any length). */
  readonly inputShape: (number | null)[];
}

function asLayer(value: Json, where: string): KerasLayer {
  if (!isObject(value) || typeof value.class_name !== 'string' || !isObject(value.config)) {
    throw new ValueError(
      SUBJECT,
      `${where} is not a Keras layer entry`,
      '{ class_name, config }',
      JSON.stringify(value)?.slice(0, 80),
    );
  }
  return value as unknown as KerasLayer;
}

/** The model's layers in order: a Sequential's list, or a Functional model that is one chain. */
function layerChain(root: unknown): Chain {
  if (!isObject(root) || !isObject(root.config))
    throw new ValueError(
      SUBJECT,
      `${CONFIG_FILE} is not a Keras model config`,
      '{ class_name, config }',
      typeof root,
    );
  const kind = root.class_name;
  const config = root.config;
  const name = typeof config.name === 'string' ? config.name : 'keras_model';
  if (!Array.isArray(config.layers))
    throw new ValueError(SUBJECT, 'config.layers is missing', 'an array', typeof config.layers);
  const all = config.layers.map((l, i) => asLayer(l, `layer ${i}`));
  if (kind === 'Sequential') {
    const body = all.filter((l) => l.class_name !== 'InputLayer');
    const input = all.find((l) => l.class_name === 'InputLayer');
    if (input && all.indexOf(input) !== 0)
      throw new ConfigError(
        `Keras model '${name}'`,
        'an InputLayer must come first',
        'index 0',
        all.indexOf(input),
      );
    const batchShape = input ? inputLayerShape(input) : config.build_input_shape;
    return { name, saved: body, layers: body, inputShape: perSample(batchShape, name) };
  }
  if (kind !== 'Functional' && kind !== 'Model') {
    throw new ConfigError(
      `Keras model '${name}'`,
      'unsupported model class',
      'Sequential or Functional',
      String(kind),
    );
  }
  // A chain: one input, one output, each layer called once on the previous one's only output.
  const label = `Keras Functional '${name}'`;
  if (all[0]?.class_name !== 'InputLayer')
    throw new ConfigError(
      label,
      'the first layer must be the InputLayer',
      'InputLayer',
      String(all[0]?.class_name),
    );
  const only = (v: Json | undefined, what: string): string => {
    if (!Array.isArray(v) || typeof v[0] !== 'string' || v.some((x) => Array.isArray(x)))
      throw new ConfigError(
        label,
        `only one ${what} is supported (a chain of layers)`,
        '[name, 0, 0]',
        JSON.stringify(v),
      );
    return v[0];
  };
  const inputName = only(config.input_layers, 'input');
  const outputName = only(config.output_layers, 'output');
  if (inputName !== all[0].name)
    throw new ConfigError(label, 'input_layers must name the InputLayer', String(all[0].name), inputName);
  all.slice(1).forEach((l, i) => {
    const nodes = l.inbound_nodes;
    const node = Array.isArray(nodes) && nodes.length === 1 && isObject(nodes[0]) ? nodes[0] : null;
    const args = node && Array.isArray(node.args) ? node.args : [];
    const tensor = args.length === 1 && isObject(args[0]) && isObject(args[0].config) ? args[0].config : null;
    const history = tensor && Array.isArray(tensor.keras_history) ? tensor.keras_history : null;
    if (!history || history[0] !== all[i].name || history[2] !== 0) {
      throw new ConfigError(
        `Keras ${l.class_name} '${String(l.name)}'`,
        "the model is not a chain: each layer must take the previous layer's output, once",
        `input from '${String(all[i].name)}'`,
        JSON.stringify(history ?? nodes),
      );
    }
    // Call arguments: only the defaults of inference (no mask given by hand, training off).
    const kwargs = node && isObject(node.kwargs) ? node.kwargs : {};
    for (const [key, value] of Object.entries(kwargs)) {
      const harmless = (key === 'mask' && value === null) || (key === 'training' && value === false);
      if (!harmless)
        throw new ConfigError(
          `Keras ${l.class_name} '${String(l.name)}'`,
          `call argument '${key}' is not supported`,
          'mask: null, training: false',
          JSON.stringify(value),
        );
    }
  });
  if (outputName !== all[all.length - 1].name)
    throw new ConfigError(
      label,
      'the output must be the last layer of the chain',
      String(all[all.length - 1].name),
      outputName,
    );
  return { name, saved: all, layers: all.slice(1), inputShape: perSample(inputLayerShape(all[0]), name) };
}

function inputLayerShape(entry: KerasLayer): Json | undefined {
  const o = new KerasOptions(`Keras InputLayer '${String(entry.config.name)}'`, entry.config);
  const shape = o.take('batch_shape');
  const dtype = o.take('dtype');
  if (!['float32', 'int32', 'int64'].includes(String(dtype))) {
    throw new ConfigError(
      o.label,
      "option 'dtype' is not supported",
      'float32 (or int32/int64 token ids)',
      JSON.stringify(dtype),
    );
  }
  o.expect('sparse', false, 'novolstm has no sparse tensors');
  o.expect('ragged', false, 'novolstm has no ragged tensors');
  o.expect('optional', false, 'an optional input changes what the model accepts');
  o.ignore('name');
  o.done();
  return shape;
}

function perSample(batchShape: Json | undefined, name: string): (number | null)[] {
  if (
    !Array.isArray(batchShape) ||
    batchShape.length < 2 ||
    !batchShape.slice(1).every((d) => d === null || (typeof d === 'number' && d >= 1))
  ) {
    throw new ConfigError(
      `Keras model '${name}'`,
      'the input shape is missing or malformed',
      '[null, T, D] or [null, T]',
      JSON.stringify(batchShape),
    );
  }
  return batchShape.slice(1) as (number | null)[];
}

/** Reads `<path>/vars/0..n−1` and remembers what was read, so unused variables can be reported. */
class WeightReader {
  private readonly read = new Set<string>();
  constructor(private readonly tree: H5Tree) {}

  vars(path: string, count: number): H5Dataset[] {
    if (!this.tree.groups.has(`${path}/vars`)) {
      throw new ValueError(
        SUBJECT,
        `the weights file has no group '${path}/vars'`,
        `${path}/vars`,
        'nothing',
      );
    }
    const out: H5Dataset[] = [];
    for (let k = 0; k < count; k++) {
      const key = `${path}/vars/${k}`;
      const d = this.tree.datasets.get(key);
      if (!d) throw new ValueError(SUBJECT, `the weights file has no variable '${key}'`, key, 'nothing');
      this.read.add(key);
      out.push(d);
    }
    return out;
  }

  checkAllRead(): void {
    for (const key of this.tree.datasets.keys()) {
      if (!this.read.has(key))
        throw new ValueError(
          SUBJECT,
          `the weights file holds a variable no layer of the config uses`,
          "only the layers' variables",
          key,
        );
    }
  }
}

/**
 * Where the two frameworks differ with a mask: at a padded step a novolstm recurrent layer outputs 0,
 * Keras repeats the previous output (unless `zero_output_for_mask`, as inside Bidirectional). Those
 * steps are skipped by any later recurrent layer; if one such sequence reaches the model output, the
 * model would predict differently, so it is refused.
 */
class MaskTracker {
  private masked = false;
  private differsFrom: string | null = null;

  startMask(): void {
    this.masked = true;
  }

  recurrent(label: string, returnSequences: boolean, zeroOutputForMask: boolean): void {
    this.differsFrom = null;
    if (!this.masked) return;
    if (!returnSequences) this.masked = false;
    else if (!zeroOutputForMask) this.differsFrom = label;
  }

  checkOutput(): void {
    if (this.differsFrom) {
      throw new ConfigError(
        this.differsFrom,
        'returns a sequence under a mask that reaches the model output: Keras repeats the previous output at padded steps where novolstm outputs zeros',
        'zero_output_for_mask: true, or a later recurrent layer',
        'zero_output_for_mask: false',
      );
    }
  }
}

interface Translated {
  readonly layer: Layer;
  readonly weights: Tensor[];
}

/**
 * Whether a layer trains, from its `trainable` and those of the layers inside it (a Bidirectional's
 * copies, an RNN's cell), each checked to be a boolean by translate: Keras trains a weight only when its
 * layer and every layer around it are trainable, and novolstm freezes a layer as a whole.
 */
function trainableOf(config: JsonObject): boolean {
  if (config.trainable === false) return false;
  return ['layer', 'backward_layer', 'cell'].every((key) => {
    const inner = config[key];
    return !(isObject(inner) && isObject(inner.config)) || trainableOf(inner.config);
  });
}

function tensor(d: H5Dataset): Tensor {
  return new Tensor(d.data, d.shape);
}

function translate(
  entry: KerasLayer,
  path: string,
  reader: WeightReader,
  mask: MaskTracker,
  inputShape?: (number | null)[],
): Translated {
  const name = entry.config.name;
  const label = `Keras ${entry.class_name} '${String(name)}'`;
  const o = new KerasOptions(label, entry.config);
  o.ignore('name');
  o.trainable();
  o.float32Policy();
  const placed = { name: String(name), ...(inputShape ? { inputShape } : {}) };
  switch (entry.class_name) {
    case 'Embedding': {
      o.ignore('embeddings_initializer');
      o.expectNull('embeddings_regularizer', REGULARISER_WHY);
      o.expectNull('activity_regularizer', REGULARISER_WHY);
      o.expectNull('embeddings_constraint', REGULARISER_WHY);
      o.expectNull('quantization_config', 'novolstm stores float32 weights only');
      o.expectNull('lora_rank', 'LoRA adds weights novolstm does not have');
      o.ignore('lora_alpha');
      const maskZero = o.take('mask_zero') === true;
      const layer = layers.embedding({
        ...placed,
        inputDim: o.take('input_dim') as number,
        outputDim: o.take('output_dim') as number,
        maskZero,
      });
      o.done();
      if (maskZero) mask.startMask();
      return { layer, weights: reader.vars(path, 1).map(tensor) };
    }
    case 'Dense': {
      o.ignore('kernel_initializer', 'bias_initializer');
      for (const key of [
        'kernel_regularizer',
        'bias_regularizer',
        'activity_regularizer',
        'kernel_constraint',
        'bias_constraint',
      ])
        o.expectNull(key, REGULARISER_WHY);
      o.expectNull('quantization_config', 'novolstm stores float32 weights only');
      o.expectNull('lora_rank', 'LoRA adds weights novolstm does not have');
      o.ignore('lora_alpha');
      const activation = o.take('activation') ?? 'linear';
      if (typeof activation !== 'string' || !DENSE_ACTIVATIONS.includes(activation)) {
        throw new ConfigError(
          label,
          "option 'activation' is not supported",
          DENSE_ACTIVATIONS.join(', '),
          JSON.stringify(activation),
        );
      }
      const useBias = o.take('use_bias') !== false;
      const layer = layers.dense({
        ...placed,
        units: o.take('units') as number,
        activation: activation as 'linear',
        useBias,
      });
      o.done();
      return { layer, weights: reader.vars(path, useBias ? 2 : 1).map(tensor) };
    }
    case 'Dropout': {
      // Keras' seed only fixes its own random stream; novolstm draws dropout from the model's seed.
      o.ignore('seed');
      o.expectNull('noise_shape', 'a noise shape shares dropout masks across axes, which changes training');
      const layer = layers.dropout({ ...placed, rate: o.take('rate') as number });
      o.done();
      reader.vars(path, 0);
      return { layer, weights: [] };
    }
    case 'LayerNormalization': {
      const axis = o.take('axis');
      if (!(axis === -1 || (Array.isArray(axis) && axis.length === 1 && axis[0] === -1))) {
        throw new ConfigError(
          label,
          "option 'axis' is not supported: novolstm normalises the last axis",
          '[-1]',
          JSON.stringify(axis),
        );
      }
      o.expect('center', true, 'without beta the layer has other weights');
      o.expect('scale', true, 'without gamma the layer has other weights');
      o.expect('rms_scaling', false, 'RMS scaling is another normalisation');
      o.ignore('beta_initializer', 'gamma_initializer');
      for (const key of ['beta_regularizer', 'gamma_regularizer', 'beta_constraint', 'gamma_constraint'])
        o.expectNull(key, REGULARISER_WHY);
      const layer = layers.layerNormalization({
        ...placed,
        epsilon: (o.take('epsilon') as number | undefined) ?? 1e-3,
      });
      o.done();
      return { layer, weights: reader.vars(path, 2).map(tensor) };
    }
    case 'Masking': {
      const layer = layers.masking({
        ...placed,
        maskValue: (o.take('mask_value') as number | undefined) ?? 0,
      });
      o.done();
      mask.startMask();
      reader.vars(path, 0);
      return { layer, weights: [] };
    }
    case 'LSTM':
    case 'GRU':
    case 'RNN': {
      const spec = recurrentSpec(entry, o, path, reader);
      const layer = new Recurrent(spec.kind, { ...placed, ...spec.options });
      mask.recurrent(label, spec.returnSequences, spec.zeroOutputForMask);
      return { layer, weights: spec.weights };
    }
    case 'Bidirectional': {
      const mergeMode = o.take('merge_mode');
      if (typeof mergeMode !== 'string' || !['concat', 'sum', 'mul', 'ave'].includes(mergeMode)) {
        throw new ConfigError(
          label,
          "option 'merge_mode' is not supported",
          'concat, sum, mul or ave',
          JSON.stringify(mergeMode),
        );
      }
      const inner = (key: string): KerasLayer => asLayer(o.take(key) ?? null, `${label} ${key}`);
      const f = inner('layer');
      const b = inner('backward_layer');
      o.done();
      const innerSpec = (l: KerasLayer, part: string): RecurrentSpec => {
        const io = new KerasOptions(`Keras ${l.class_name} '${String(l.config.name)}' in ${label}`, l.config);
        io.ignore('name');
        io.trainable();
        io.float32Policy();
        return recurrentSpec(l, io, `${path}/${part}`, reader);
      };
      const fs = innerSpec(f, 'forward_layer');
      const bs = innerSpec(b, 'backward_layer');
      // novolstm's backward copy is the forward layer with go_backwards flipped: any other difference
      // (units, dropout, …) cannot be carried.
      const comparable = (s: RecurrentSpec): string =>
        JSON.stringify({ ...s.options, goBackwards: undefined, kind: s.kind });
      if (comparable(fs) !== comparable(bs) || fs.options.goBackwards === bs.options.goBackwards) {
        throw new ConfigError(
          label,
          'the backward layer must be the forward layer with go_backwards flipped',
          comparable(fs),
          comparable(bs),
        );
      }
      const layer = layers.bidirectional({
        ...placed,
        mergeMode: mergeMode as 'concat',
        layer: new Recurrent(fs.kind, fs.options),
      });
      mask.recurrent(label, fs.returnSequences, fs.zeroOutputForMask && bs.zeroOutputForMask);
      return { layer, weights: [...fs.weights, ...bs.weights] };
    }
    default:
      throw new ConfigError(
        label,
        'unsupported layer class',
        'InputLayer, Embedding, LSTM, GRU, RNN, Bidirectional, Dense, Dropout, LayerNormalization, Masking',
        entry.class_name,
      );
  }
}

interface RecurrentSpec {
  readonly kind: RecurrentKind;
  readonly options: Readonly<Record<string, unknown>>;
  readonly returnSequences: boolean;
  readonly zeroOutputForMask: boolean;
  readonly weights: Tensor[];
}

/** LSTM, GRU or RNN(cell): the layer's sequence options, then the cell's options and weights. */
function recurrentSpec(
  entry: KerasLayer,
  o: KerasOptions,
  path: string,
  reader: WeightReader,
): RecurrentSpec {
  const returnSequences = o.take('return_sequences') === true;
  const options: Record<string, unknown> = {
    returnSequences,
    goBackwards: o.take('go_backwards') === true,
    // Keras' stateful layers carry states between batches until reset_states; so do novolstm's.
    stateful: o.take('stateful') === true,
  };
  o.expect('return_state', false, 'a model passes one tensor between layers');
  o.expect('unroll', false, 'novolstm runs the loop; an unrolled graph is not supported');
  o.expect('time_major', false, 'novolstm takes [batch, time, features]');
  const zeroOutputForMask = o.take('zero_output_for_mask') === true;
  let cellLabel = o.label;
  let cellOptions = o;
  let cellClass = entry.class_name;
  if (entry.class_name === 'RNN') {
    const cell = o.take('cell');
    if (!isObject(cell) || typeof cell.class_name !== 'string' || !isObject(cell.config)) {
      throw new ConfigError(
        o.label,
        "option 'cell' must be one cell",
        '{ class_name, config }',
        JSON.stringify(cell)?.slice(0, 80),
      );
    }
    o.done();
    cellClass = cell.class_name;
    cellLabel = `Keras ${cellClass} '${String(cell.config.name)}' in ${o.label}`;
    cellOptions = new KerasOptions(cellLabel, cell.config);
    cellOptions.ignore('name');
    cellOptions.trainable();
    cellOptions.float32Policy();
    if (cellClass === NOVO_CELL_CLASS)
      return novoCell(cell, cellOptions, options, path, reader, returnSequences, zeroOutputForMask);
    if (cellClass === 'LSTMCell') cellClass = 'LSTM';
    else if (cellClass === 'GRUCell') cellClass = 'GRU';
    else
      throw new ConfigError(
        cellLabel,
        'unsupported cell class',
        'LSTMCell, GRUCell or NovoLSTMCell (novolstm_keras / novolstm.keras)',
        `${String(cell.module)}.${cellClass}`,
      );
  }
  const c = cellOptions;
  options.units = c.take('units');
  c.expect('activation', 'tanh', "novolstm's cells use tanh");
  const recurrentActivation = c.take('recurrent_activation');
  if (recurrentActivation !== undefined && recurrentActivation !== 'sigmoid') {
    // Keras 3's hard_sigmoid is relu6(x + 3) / 6, not TensorFlow.js' 0.2x + 0.5: neither is a novolstm cell.
    throw new ConfigError(
      cellLabel,
      "option 'recurrent_activation' is not supported",
      'sigmoid',
      JSON.stringify(recurrentActivation),
    );
  }
  c.expect('use_bias', true, "novolstm's cells always have a bias");
  c.ignore(...RECURRENT_INITIALISERS, 'seed');
  for (const key of [
    'kernel_regularizer',
    'recurrent_regularizer',
    'bias_regularizer',
    'activity_regularizer',
    'kernel_constraint',
    'recurrent_constraint',
    'bias_constraint',
  ])
    c.expectNull(key, REGULARISER_WHY);
  options.dropout = c.take('dropout') ?? 0;
  options.recurrentDropout = c.take('recurrent_dropout') ?? 0;
  const kind: RecurrentKind = cellClass === 'GRU' ? 'GRU' : 'LSTM';
  if (kind === 'GRU') options.resetAfter = c.take('reset_after') !== false;
  else if (cellClass !== 'LSTM')
    throw new ConfigError(o.label, 'unsupported layer class', 'LSTM or GRU', cellClass);
  // Keras 2 configs: 'implementation' chose between two kernels that compute the same numbers.
  c.ignore('implementation');
  c.done();
  const weights = reader.vars(`${path}/cell`, 3).map(tensor);
  reader.vars(path, 0);
  return { kind, options, returnSequences, zeroOutputForMask, weights };
}

/** RNN(NovoLSTMCell): the seed author's cell (vars/0..13 + ln/vars/0..1), or novolstm's own (fused). */
function novoCell(
  cell: JsonObject,
  c: KerasOptions,
  options: Record<string, unknown>,
  path: string,
  reader: WeightReader,
  returnSequences: boolean,
  zeroOutputForMask: boolean,
): RecurrentSpec {
  const units = c.take('units');
  if (typeof units !== 'number' || !Number.isInteger(units) || units < 1)
    throw new ConfigError(
      c.label,
      'units must be a positive integer',
      'an integer ≥ 1',
      JSON.stringify(units),
    );
  options.units = units;
  let weights: Tensor[];
  if (cell.module === SEED_CELL_MODULE) {
    // The published cell: the 'reference' gate, gain starting at 1 (Keras' LayerNormalization), no dropout.
    c.done();
    options.inputGate = 'reference';
    options.inputGateGain = 'ones';
    const vars = reader.vars(`${path}/cell`, SEED_CELL_VARIABLES);
    const [gamma, beta] = reader.vars(`${path}/cell/ln`, 2);
    const fused = fuseSeedCell(vars, units);
    weights = [fused.kernel, fused.recurrentKernel, fused.bias, gamma, beta].map(tensor);
  } else if (cell.module === OWN_CELL_MODULE) {
    const choice = (key: string, allowed: string[], ours: string[], fallback: string): string => {
      const v = c.take(key) ?? fallback;
      const at = allowed.indexOf(v as string);
      if (at < 0)
        throw new ConfigError(
          c.label,
          `option '${key}' is not supported`,
          allowed.join(' or '),
          JSON.stringify(v),
        );
      return ours[at];
    };
    options.inputGate = choice('input_gate', ['readme', 'reference'], ['readme', 'reference'], 'readme');
    options.layerNorm = choice('layer_norm', ['input_gate', 'all'], ['inputGate', 'all'], 'input_gate');
    options.inputGateGain = choice(
      'input_gate_gain',
      ['units', 'ones'],
      ['units', 'ones'],
      options.inputGate === 'readme' ? 'units' : 'ones',
    );
    options.dropout = c.take('dropout') ?? 0;
    options.recurrentDropout = c.take('recurrent_dropout') ?? 0;
    c.done();
    weights = reader.vars(`${path}/cell`, options.layerNorm === 'all' ? 7 : 5).map(tensor);
  } else {
    throw new ConfigError(
      c.label,
      'unknown NovoLSTMCell module',
      `${SEED_CELL_MODULE} or ${OWN_CELL_MODULE}`,
      String(cell.module),
    );
  }
  reader.vars(path, 0);
  return { kind: 'NovoLSTM', options, returnSequences, zeroOutputForMask, weights };
}
