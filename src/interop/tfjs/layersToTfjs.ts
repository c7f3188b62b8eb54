/**
 * Our layers → TensorFlow.js' `modelTopology` (a Sequential, snake_case, as `tf.LayersModel.save` writes
 * it) and the weights under the names TensorFlow.js gives them when it rebuilds that topology
 * (`dense/kernel`, `bidirectional/forward_bidirectional_lstm/recurrent_kernel`); `tf.loadLayersModel`
 * matches weights by those names.
 *
 * Every key of each layer's getConfig() is read by a ConfigReader, so an option a layer gains later is
 * refused here until it is mapped, never dropped. NovoLSTM (TensorFlow.js has no such layer) and GRU with
 * resetAfter (its GRU rejects reset_after: true) get a ConfigError pointing to formats that carry them.
 */
import { ConfigError } from '../../errors.js';
import type { Layer, LayerConfig } from '../../layers/layer.js';
import {
  Bidirectional,
  Dense,
  Dropout,
  Embedding,
  LayerNormalization,
  Masking,
  Recurrent,
} from '../../layers/index.js';
import type { Sequential } from '../../models/sequential.js';
import { STATELESS_OPTION } from '../formats.js';
import { tfjsRecurrentActivation } from './activations.js';
import { ConfigReader } from './configReader.js';
import type { ManifestWeight } from './weightsManifest.js';

/** What model.json's `keras_version` says: TensorFlow.js' own files say 'tfjs-layers …'. */
export const TOPOLOGY_KERAS_VERSION = 'tfjs-layers 4.22.0';

type Json = LayerConfig;

export interface EncodedTopology {
  readonly topology: Json;
  readonly weights: (ManifestWeight & { readonly values: Float32Array })[];
}

export function topologyOf(model: Sequential): EncodedTopology {
  if (!model.isBuilt || !model.inputShape) {
    throw new ConfigError(
      'TensorFlow.js export',
      'the model is not built (give the first layer an inputShape, or call predict once)',
      'a built model',
      'unbuilt',
    );
  }
  const layers = model.layers.map((layer, i) => {
    const config = layerConfig(layer);
    if (i === 0) config.config = { ...config.config, batch_input_shape: [null, ...model.inputShape!] };
    return config;
  });
  const weights = model.layers.flatMap((layer) => {
    const values = layer.getWeights(); // float32 copies, in weightSpecs order
    return layer.weightSpecs().map((spec, i) => ({
      name: weightName(layer, spec.name),
      shape: spec.shape,
      values: values[i].data as Float32Array,
    }));
  });
  return {
    topology: {
      class_name: 'Sequential',
      config: { name: model.name, layers },
      keras_version: TOPOLOGY_KERAS_VERSION,
      backend: 'tensor_flow.js',
    },
    weights,
  };
}

function layerConfig(layer: Layer): { class_name: string; config: Record<string, Json[string]> } {
  const r = new ConfigReader(`TensorFlow.js export: ${layer.label}`, layer.getConfig());
  const common = { name: layer.name, trainable: layer.trainable, dtype: 'float32' };
  let out: { class_name: string; config: Record<string, Json[string]> };
  if (layer instanceof Embedding) {
    out = {
      class_name: 'Embedding',
      config: {
        ...common,
        input_dim: r.number('inputDim'),
        output_dim: r.number('outputDim'),
        mask_zero: r.boolean('maskZero', false),
      },
    };
  } else if (layer instanceof Recurrent) {
    out = { class_name: layer.className, config: { ...common, ...recurrentConfig(r, layer) } };
  } else if (layer instanceof Bidirectional) {
    const inner = layer.forwardLayer;
    const saved = r.take('layer') as { config: LayerConfig };
    const ir = new ConfigReader(`${r.subject}'s ${inner.className}`, saved.config);
    out = {
      class_name: 'Bidirectional',
      config: {
        ...common,
        merge_mode: r.string('mergeMode', 'concat'),
        layer: {
          class_name: inner.className,
          config: {
            name: innerName(layer),
            trainable: layer.trainable,
            dtype: 'float32',
            ...recurrentConfig(ir, inner),
          },
        },
      },
    };
    ir.finish();
  } else if (layer instanceof Dense) {
    out = {
      class_name: 'Dense',
      config: {
        ...common,
        units: r.number('units'),
        activation: r.string('activation', 'linear'),
        use_bias: r.boolean('useBias', true),
      },
    };
  } else if (layer instanceof Dropout) {
    out = { class_name: 'Dropout', config: { ...common, rate: r.number('rate') } };
  } else if (layer instanceof LayerNormalization) {
    out = {
      class_name: 'LayerNormalization',
      config: { ...common, axis: -1, epsilon: r.number('epsilon'), center: true, scale: true },
    };
  } else if (layer instanceof Masking) {
    out = { class_name: 'Masking', config: { ...common, mask_value: r.number('maskValue', 0) } };
  } else {
    throw new ConfigError(
      r.subject,
      'has no TensorFlow.js layer',
      'a layer this format carries',
      layer.className,
    );
  }
  r.finish();
  return out;
}

function recurrentConfig(r: ConfigReader, layer: Recurrent): Record<string, Json[string]> {
  if (layer.className === 'NovoLSTM') {
    throw new ConfigError(
      r.subject,
      'TensorFlow.js has no NovoLSTM layer: export it to the keras format (a custom layer) or onnx',
      "format 'keras' or 'onnx'",
      "format 'tfjs'",
    );
  }
  const config: Record<string, Json[string]> = {
    units: r.number('units'),
    activation: 'tanh',
    recurrent_activation: tfjsRecurrentActivation(r.subject, r.take('recurrentActivation')),
    use_bias: true,
    dropout: r.number('dropout', 0),
    recurrent_dropout: r.number('recurrentDropout', 0),
    return_sequences: r.boolean('returnSequences', false),
    go_backwards: r.boolean('goBackwards', false),
    return_state: false,
    stateful: false,
    unroll: false,
  };
  r.only('returnState', [false], false);
  // TensorFlow.js' LSTM has no layer norm: the LN-LSTM is refused by name, not as an unknown key.
  if (layer.className === 'LSTM') r.only('layerNorm', ['none'], 'none');
  // A stateful model carries states across predict calls by batch row; TensorFlow.js fixes the batch
  // size for that, which a novolstm model does not record.
  if (r.boolean('stateful', false)) {
    throw new ConfigError(
      r.subject,
      'a stateful layer cannot be exported to TensorFlow.js: it needs a fixed batch size in the model input',
      `stateful: false, or ${STATELESS_OPTION}, which writes it starting every call from zero state`,
      'stateful: true',
    );
  }
  if (layer.className === 'GRU') {
    if (r.boolean('resetAfter', true)) {
      throw new ConfigError(
        r.subject,
        "TensorFlow.js' GRU has no reset_after: true: export this model to the keras or onnx format",
        'resetAfter: false',
        'resetAfter: true',
      );
    }
    config.reset_after = false;
  }
  return config;
}

/** The wrapped layer's name in a Bidirectional's config; TensorFlow.js prefixes forward_ / backward_. */
function innerName(layer: Bidirectional): string {
  return `${layer.name}_${layer.forwardLayer.className.toLowerCase()}`;
}

/** The name TensorFlow.js gives a weight of the rebuilt layer: its scope, then the Keras weight name. */
function weightName(layer: Layer, ours: string): string {
  const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  if (layer instanceof Bidirectional) {
    const [direction, weight] = ours.split('/');
    return `${layer.name}/${direction}_${innerName(layer)}/${snake(weight)}`;
  }
  return `${layer.name}/${snake(ours)}`;
}
