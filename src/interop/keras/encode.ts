/**
 * novolstm → Keras 3: a `.keras` archive laid out as Keras 3.15 writes it (see the fixtures'
 * `*.structure.txt`): a Sequential config whose entries carry module, class_name, config, registered_name
 * and build_config, `metadata.json`, and `model.weights.h5` with each layer's variables under its
 * object-graph path (paths.ts) and a `name` attribute on every `vars` group.
 *
 * LSTM, GRU, Dense, Embedding, Dropout, LayerNormalization, Masking and Bidirectional become Keras' own
 * layers. NovoLSTM becomes `RNN(NovoLSTMCell)`: the seed author's cell (module `novolstm_keras`) when the
 * layer is exactly that cell (the 'reference' gate, no extra layer norms, no dropout), otherwise novolstm's
 * own Keras cell (module `novolstm.keras`, documented in docs/formats.md) with the fused weights.
 */
import { ConfigError } from '../../errors.js';
import { Bidirectional } from '../../layers/bidirectional.js';
import { Dense } from '../../layers/dense.js';
import { Dropout } from '../../layers/dropout.js';
import { Embedding } from '../../layers/embedding.js';
import type { Layer, Shape } from '../../layers/layer.js';
import { Masking } from '../../layers/masking.js';
import { LayerNormalization } from '../../layers/normalization.js';
import { Recurrent } from '../../layers/recurrent.js';
import type { Sequential } from '../../models/sequential.js';
import { STATELESS_OPTION, type ModelFiles } from '../formats.js';
import { writeArchive } from './archive.js';
import { writeH5, type H5Dataset, type H5Tree } from './h5.js';
import { NOVO_CELL_CLASS, OWN_CELL_MODULE, SEED_CELL_MODULE } from './decode.js';
import { splitSeedCell } from './novoLstmWeights.js';
import { isObject, type JsonObject } from './options.js';
import { layerPaths, snakeCase } from './paths.js';

/** The Keras version whose layout this writes (the fixtures'). */
export const KERAS_VERSION = '3.15.1';
const REGISTERED_CELL = 'novolstm>NovoLSTMCell';

const DTYPE_POLICY: JsonObject = {
  module: 'keras',
  class_name: 'DTypePolicy',
  config: { name: 'float32' },
  registered_name: null,
};

function initializer(className: string, config: JsonObject = {}): JsonObject {
  return { module: 'keras.initializers', class_name: className, config, registered_name: null };
}
const GLOROT = (): JsonObject =>
  initializer('GlorotUniform', { seed: null, input_axes: null, output_axes: null });
const ORTHOGONAL = (): JsonObject => initializer('Orthogonal', { seed: null, gain: 1.0 });

/** One layer's Keras config entry and its variables, keyed by path under the layer's own group. */
interface KerasLayerOut {
  readonly className: string;
  readonly entry: JsonObject;
  /** Relative group path ('' = the layer's group) → { name attribute, datasets in vars/k order }. */
  readonly groups: ReadonlyArray<{
    readonly path: string;
    readonly name: string;
    readonly vars: H5Dataset[];
  }>;
}

export async function encodeKeras(model: Sequential): Promise<ModelFiles> {
  if (!model.isBuilt || !model.inputShape) {
    throw new ConfigError(
      'exportModel (Keras)',
      'the model is not built',
      'a built model (inputShape or a first fit/predict)',
      'unbuilt',
    );
  }
  const inputShape = model.inputShape;
  let shape: Shape = inputShape;
  const outs: KerasLayerOut[] = [];
  for (const layer of model.layers) {
    const out = layerOut(layer, shape);
    if (!layer.trainable) freeze(out.entry);
    outs.push(out);
    shape = layer.outputShape ?? shape;
  }
  const batchShape = [null, ...inputShape];
  const firstIsEmbedding = model.layers[0] instanceof Embedding;
  const config: JsonObject = {
    module: 'keras',
    class_name: 'Sequential',
    config: {
      name: model.name,
      trainable: true,
      dtype: DTYPE_POLICY,
      layers: [
        {
          module: 'keras.layers',
          class_name: 'InputLayer',
          config: {
            batch_shape: batchShape,
            dtype: firstIsEmbedding ? 'int32' : 'float32',
            sparse: false,
            ragged: false,
            name: 'input_layer',
            optional: false,
          },
          registered_name: null,
        },
        ...outs.map((o) => o.entry),
      ],
      build_input_shape: batchShape,
    },
    registered_name: null,
    build_config: { input_shape: batchShape },
    compile_config: {},
  };

  const tree: H5Tree = {
    groups: new Map<string, Record<string, string>>([
      ['layers', {}],
      ['vars', { name: model.name }],
    ]),
    datasets: new Map(),
  };
  const paths = layerPaths(outs.map((o) => o.className));
  outs.forEach((o, i) => {
    tree.groups.set(paths[i], {});
    for (const g of o.groups) {
      const base = g.path ? `${paths[i]}/${g.path}` : paths[i];
      tree.groups.set(`${base}/vars`, { name: g.name });
      g.vars.forEach((d, k) => tree.datasets.set(`${base}/vars/${k}`, d));
    }
  });
  const weights = await writeH5(tree);
  const metadata = JSON.stringify(
    { keras_version: KERAS_VERSION, date_saved: kerasDate(new Date()) },
    null,
    2,
  );
  return new Map([['model.keras', writeArchive(metadata, JSON.stringify(config, null, 2), weights)]]);
}

/** Keras' `date_saved` form, 2026-12-06@08:04:51. */
function kerasDate(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}@${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

function datasets(layer: Layer): H5Dataset[] {
  return layer.getWeights().map((t) => ({ shape: [...t.shape], data: t.data as Float32Array }));
}

function entry(className: string, config: JsonObject, inputShape: Shape | null): JsonObject {
  const e: JsonObject = { module: 'keras.layers', class_name: className, config, registered_name: null };
  if (inputShape) e.build_config = { input_shape: [null, ...inputShape] };
  return e;
}

/**
 * `trainable: false` on a layer entry and on the layers and cell inside it: Keras' `layer.trainable = False`
 * sets it on every sublayer, and its loader reads each one's own flag.
 */
function freeze(layerEntry: JsonObject): void {
  const config = layerEntry.config as JsonObject;
  config.trainable = false;
  for (const key of ['layer', 'backward_layer', 'cell']) {
    const inner = config[key];
    if (isObject(inner)) freeze(inner);
  }
}

function header(name: string): JsonObject {
  return { name, trainable: true, dtype: DTYPE_POLICY };
}

function layerOut(layer: Layer, inputShape: Shape): KerasLayerOut {
  if (layer instanceof Embedding) {
    const c = layer.getConfig();
    return {
      className: 'Embedding',
      entry: entry(
        'Embedding',
        {
          ...header(layer.name),
          input_dim: c.inputDim as number,
          output_dim: c.outputDim as number,
          embeddings_initializer: initializer('RandomUniform', { seed: null, minval: -0.05, maxval: 0.05 }),
          embeddings_regularizer: null,
          activity_regularizer: null,
          embeddings_constraint: null,
          mask_zero: c.maskZero === true,
          quantization_config: null,
        },
        inputShape,
      ),
      groups: [{ path: '', name: layer.name, vars: datasets(layer) }],
    };
  }
  if (layer instanceof Dense) {
    return {
      className: 'Dense',
      entry: entry(
        'Dense',
        {
          ...header(layer.name),
          units: layer.units,
          activation: layer.activation,
          use_bias: layer.useBias,
          kernel_initializer: GLOROT(),
          bias_initializer: initializer('Zeros'),
          kernel_regularizer: null,
          bias_regularizer: null,
          kernel_constraint: null,
          bias_constraint: null,
          quantization_config: null,
        },
        inputShape,
      ),
      groups: [{ path: '', name: layer.name, vars: datasets(layer) }],
    };
  }
  if (layer instanceof Dropout) {
    // Keras builds Dropout at construction, so its entry has no build_config.
    return {
      className: 'Dropout',
      entry: entry(
        'Dropout',
        { ...header(layer.name), rate: layer.rate, seed: null, noise_shape: null },
        null,
      ),
      groups: [{ path: '', name: layer.name, vars: [] }],
    };
  }
  if (layer instanceof Masking) {
    return {
      className: 'Masking',
      entry: entry('Masking', { ...header(layer.name), mask_value: layer.maskValue }, null),
      groups: [{ path: '', name: layer.name, vars: [] }],
    };
  }
  if (layer instanceof LayerNormalization) {
    return {
      className: 'LayerNormalization',
      entry: entry(
        'LayerNormalization',
        {
          ...header(layer.name),
          axis: [-1],
          epsilon: layer.epsilon,
          center: true,
          scale: true,
          rms_scaling: false,
          beta_initializer: initializer('Zeros'),
          gamma_initializer: initializer('Ones'),
          beta_regularizer: null,
          gamma_regularizer: null,
          beta_constraint: null,
          gamma_constraint: null,
        },
        inputShape,
      ),
      groups: [{ path: '', name: layer.name, vars: datasets(layer) }],
    };
  }
  if (layer instanceof Recurrent) {
    const r = recurrentOut(layer, layer.name, inputShape);
    return { className: r.className, entry: r.entry, groups: r.groups };
  }
  if (layer instanceof Bidirectional) {
    // Keras names the copies after the wrapped layer (`forward_lstm`); novolstm does not keep that name,
    // so it uses the one Keras gives a wrapped layer by default.
    const wrapped =
      layer.forwardLayer.className === 'NovoLSTM' ? 'rnn' : snakeCase(layer.forwardLayer.className);
    const f = recurrentOut(layer.forwardLayer, `forward_${wrapped}`, inputShape);
    const b = recurrentOut(layer.backwardLayer, `backward_${wrapped}`, inputShape);
    const prefixed = (part: string, groups: KerasLayerOut['groups']): KerasLayerOut['groups'] =>
      groups.map((g) => ({ ...g, path: g.path ? `${part}/${g.path}` : part }));
    return {
      className: 'Bidirectional',
      entry: entry(
        'Bidirectional',
        { ...header(layer.name), merge_mode: layer.mergeMode, layer: f.entry, backward_layer: b.entry },
        inputShape,
      ),
      groups: [
        ...prefixed('forward_layer', f.groups),
        ...prefixed('backward_layer', b.groups),
        { path: '', name: layer.name, vars: [] },
      ],
    };
  }
  throw new ConfigError(
    `exportModel (Keras)`,
    `layer ${layer.label} has no Keras counterpart`,
    'a layer Keras has',
    layer.className,
  );
}

/**
 * The cells Keras computes: its LSTM has no layer norm, and our Keras NovoLSTMCell (python/novolstm/keras.py)
 * has the 'readme' and 'reference' input gates only, not the ablations (issue #18). Read from the config
 * so a layer that gains an option cannot be written as the cell without it.
 */
function checkKerasCell(layer: Recurrent): void {
  const config = layer.getConfig() as Record<string, unknown>;
  if (layer.className === 'LSTM' && config.layerNorm !== undefined && config.layerNorm !== 'none') {
    throw new ConfigError(
      layer.label,
      'an LSTM with layer norm (the LN-LSTM) is not a Keras LSTM and cannot be exported to Keras',
      "layerNorm 'none' (or our own format, or safetensors)",
      `layerNorm ${JSON.stringify(config.layerNorm)}`,
    );
  }
  if (layer.className === 'NovoLSTM' && config.inputGate !== 'readme' && config.inputGate !== 'reference') {
    throw new ConfigError(
      layer.label,
      "the Keras NovoLSTMCell has the 'readme' and 'reference' input gates only",
      "inputGate 'readme' or 'reference' (or our own format, or safetensors)",
      `inputGate ${JSON.stringify(config.inputGate)}`,
    );
  }
}

/** LSTM / GRU as Keras' own layers; NovoLSTM as RNN(NovoLSTMCell). Variables live on the cell. */
function recurrentOut(layer: Recurrent, name: string, inputShape: Shape): KerasLayerOut {
  if (layer.stateful) {
    throw new ConfigError(
      layer.label,
      'a stateful layer cannot be exported to Keras: Keras needs a fixed batch size in the model input for it',
      `stateful: false, or ${STATELESS_OPTION}, which writes it starting every call from zero state`,
      'stateful: true',
    );
  }
  // TensorFlow.js' hardSigmoid (0.2x + 0.5, clipped) has no Keras 3 counterpart (Keras 3's hard_sigmoid is
  // relu6(x + 3) / 6): read from the config so a layer that gains the option cannot be written as sigmoid.
  const recurrentActivation = (layer.getConfig() as Record<string, unknown>).recurrentActivation;
  if (recurrentActivation !== undefined && recurrentActivation !== 'sigmoid') {
    throw new ConfigError(
      layer.label,
      'only a sigmoid recurrent activation can be exported to Keras',
      'sigmoid',
      String(recurrentActivation),
    );
  }
  checkKerasCell(layer);
  const sequence: JsonObject = {
    ...header(name),
    return_sequences: layer.returnSequences,
    return_state: false,
    go_backwards: layer.goBackwards,
    stateful: false,
    unroll: false,
    // novolstm outputs zeros at padded steps; this makes Keras do the same.
    zero_output_for_mask: layer.returnSequences,
  };
  const weights = datasets(layer);
  const D = inputShape[inputShape.length - 1];
  if (layer.className === 'NovoLSTM') {
    const o = layer.cellOptions;
    const seedCell =
      o.inputGate === 'reference' &&
      o.layerNorm === 'inputGate' &&
      layer.dropout === 0 &&
      layer.recurrentDropout === 0;
    const cellConfig: JsonObject = {
      name: 'novo_lstm_cell',
      trainable: true,
      dtype: DTYPE_POLICY,
      units: layer.units,
    };
    const groups: Array<KerasLayerOut['groups'][number]> = [];
    if (seedCell) {
      const [kernel, recurrentKernel, bias, gamma, beta] = weights;
      groups.push({
        path: 'cell',
        name: 'novo_lstm_cell',
        vars: splitSeedCell({ kernel, recurrentKernel, bias }),
      });
      groups.push({ path: 'cell/ln', name: 'layer_normalization', vars: [gamma, beta] });
    } else {
      Object.assign(cellConfig, {
        input_gate: o.inputGate as string,
        layer_norm: o.layerNorm === 'all' ? 'all' : 'input_gate',
        input_gate_gain: o.inputGateGain as string,
        dropout: layer.dropout,
        recurrent_dropout: layer.recurrentDropout,
      });
      groups.push({ path: 'cell', name: 'novo_lstm_cell', vars: weights });
    }
    groups.push({ path: '', name, vars: [] });
    const cell: JsonObject = {
      module: seedCell ? SEED_CELL_MODULE : OWN_CELL_MODULE,
      class_name: NOVO_CELL_CLASS,
      config: cellConfig,
      registered_name: REGISTERED_CELL,
      build_config: { input_shape: [null, D] },
    };
    return { className: 'RNN', entry: entry('RNN', { ...sequence, cell }, inputShape), groups };
  }
  const isGru = layer.className === 'GRU';
  const config: JsonObject = {
    ...sequence,
    units: layer.units,
    activation: 'tanh',
    recurrent_activation: 'sigmoid',
    use_bias: true,
    kernel_initializer: GLOROT(),
    recurrent_initializer: ORTHOGONAL(),
    bias_initializer: initializer('Zeros'),
    ...(isGru ? {} : { unit_forget_bias: true }),
    kernel_regularizer: null,
    recurrent_regularizer: null,
    bias_regularizer: null,
    activity_regularizer: null,
    kernel_constraint: null,
    recurrent_constraint: null,
    bias_constraint: null,
    dropout: layer.dropout,
    recurrent_dropout: layer.recurrentDropout,
    ...(isGru ? { reset_after: layer.cellOptions.resetAfter as boolean } : {}),
    seed: null,
  };
  return {
    className: layer.className,
    entry: entry(layer.className, config, inputShape),
    groups: [
      { path: 'cell', name: isGru ? 'gru_cell' : 'lstm_cell', vars: weights },
      { path: '', name, vars: [] },
    ],
  };
}
