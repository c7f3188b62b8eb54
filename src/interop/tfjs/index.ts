/**
 * TensorFlow.js layers models: `model.json` (format 'layers-model': the topology and the weights
 * manifest) and its float32 weight shards, as `tf.LayersModel.save` and tensorflowjs_converter write
 * them. Bytes in, bytes out (browser-safe); index.ts one floor up reads and writes the files.
 *
 * decodeTfjs: the topology's layers (layersFromTfjs.ts) become a Sequential, built without drawing
 * weights, whose every weight is then found by name in the manifest (weightsManifest.ts): a weight
 * missing, left over, of the wrong shape or not finite is an error, never a partial model. Nothing in the
 * files is executed: JSON.parse, a fixed set of layer classes, strict option readers. The topology's
 * training config is not read (an imported model comes back uncompiled); `userDefinedMetadata` becomes
 * the model's metadata.
 *
 * encodeTfjs: the model's topology (layersToTfjs.ts) and weights, cut into 4 MiB shards.
 *
 * Both refuse a model whose predictions would differ on the other side because of how the two treat
 * masked steps (maskedSteps.ts).
 */
import { ConfigError, ShapeError, ValueError } from '../../errors.js';
import type { ConfigValue, Layer } from '../../layers/layer.js';
import { Bidirectional } from '../../layers/index.js';
import { Sequential } from '../../models/sequential.js';
import { Tensor } from '../../tensor.js';
import type { Decoder, Encoder, ModelFiles } from '../formats.js';
import { asObject } from './configReader.js';
import { layersFromTopology } from './layersFromTfjs.js';
import { topologyOf } from './layersToTfjs.js';
import { checkMaskedSteps } from './maskedSteps.js';
import {
  DEFAULT_SHARD_BYTES,
  readWeights,
  shardPaths,
  writeWeights,
  type NamedWeights,
} from './weightsManifest.js';

const SUBJECT = 'TensorFlow.js model.json';
export const MODEL_JSON = 'model.json';
const ROOT_KEYS = [
  'modelTopology',
  'weightsManifest',
  'format',
  'generatedBy',
  'convertedBy',
  'trainingConfig',
  'userDefinedMetadata',
];

export const decodeTfjs: Decoder = async (files) => {
  const { root, folder } = readModelJson(files);
  const topology = layersFromTopology(root.modelTopology);
  // Every weight comes from the file: drawing initial ones first would be wasted work.
  const model = new Sequential({
    layers: topology.layers.map((l) => l.layer),
    name: topology.name,
    initialize: false,
  });
  if (!model.isBuilt) {
    throw new ConfigError(
      SUBJECT,
      'the first layer has no input shape',
      'batch_input_shape or an InputLayer',
      'none',
    );
  }
  for (const l of topology.layers) l.afterBuild?.();
  checkMaskedSteps(model, 'import');
  const weights = readWeights(root.weightsManifest ?? [], files, folder);
  for (const layer of model.layers) layer.setWeights(weightsOf(layer, weights));
  model.markWeightsChanged();
  if (weights.size > 0) {
    throw new ConfigError(
      SUBJECT,
      'the manifest holds weights that belong to no layer',
      "only the layers' weights",
      [...weights.keys()].join(', '),
    );
  }
  if (root.userDefinedMetadata !== undefined) {
    model.metadata = asObject(SUBJECT, 'userDefinedMetadata', root.userDefinedMetadata) as Record<
      string,
      ConfigValue
    >;
  }
  return model;
};

/** An encoder writing shards of at most `shardBytes` bytes (tensorflowjs_converter's 4 MiB by default). */
export function tfjsEncoder(options: { shardBytes?: number } = {}): Encoder {
  const shardBytes = options.shardBytes ?? DEFAULT_SHARD_BYTES;
  if (!Number.isInteger(shardBytes) || shardBytes < 4 || shardBytes % 4 !== 0) {
    throw new ConfigError(
      'tfjsEncoder',
      'shardBytes must be a positive multiple of 4',
      'e.g. 4194304',
      String(shardBytes),
    );
  }
  return async (model) => {
    checkMaskedSteps(model, 'export');
    const { topology, weights } = topologyOf(model);
    const { manifest, shards } = writeWeights(weights, shardBytes);
    const json = {
      modelTopology: topology,
      format: 'layers-model',
      generatedBy: 'novolstm',
      convertedBy: null,
      weightsManifest: manifest,
      ...(Object.keys(model.metadata).length > 0 ? { userDefinedMetadata: model.metadata } : {}),
    };
    const files = new Map<string, Uint8Array>([[MODEL_JSON, new TextEncoder().encode(JSON.stringify(json))]]);
    for (const [name, bytes] of shards) files.set(name, bytes);
    return files;
  };
}

export const encodeTfjs: Encoder = tfjsEncoder();

/**
 * The shard files a model.json names, relative to its folder and checked to stay inside it: what a
 * caller reading a directory needs to open, and nothing else.
 */
export function tfjsWeightFiles(modelJson: Uint8Array): string[] {
  const { root } = parse(modelJson, '');
  return shardPaths(root.weightsManifest ?? [], '').flat();
}

/** The single-blob form TensorFlow.js hands a save handler (`tf.io.withSaveHandler`), in memory. */
export interface TfjsArtifacts {
  readonly modelTopology?: unknown;
  readonly weightSpecs?: readonly unknown[];
  readonly weightData?: ArrayBuffer | readonly ArrayBuffer[];
  readonly format?: string;
  readonly generatedBy?: string;
  readonly convertedBy?: string | null;
  readonly trainingConfig?: unknown;
  readonly userDefinedMetadata?: unknown;
}

/**
 * The files `tf.LayersModel.save` would have written for these artifacts: model.json with a one-shard
 * manifest, and the shard. For a browser page holding artifacts rather than files; decodeTfjs then checks
 * them as any files.
 */
export function tfjsFilesFromArtifacts(artifacts: TfjsArtifacts): ModelFiles {
  asObject(SUBJECT, 'artifacts', artifacts);
  const { weightSpecs, weightData, ...rest } = artifacts;
  const parts: readonly ArrayBuffer[] =
    weightData === undefined ? [] : weightData instanceof ArrayBuffer ? [weightData] : weightData;
  const shard = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    shard.set(new Uint8Array(p), at);
    at += p.byteLength;
  }
  const json = { ...rest, weightsManifest: [{ paths: ['weights.bin'], weights: weightSpecs ?? [] }] };
  return new Map([
    [MODEL_JSON, new TextEncoder().encode(JSON.stringify(json))],
    ['weights.bin', shard],
  ]);
}

function readModelJson(files: ModelFiles): { root: Record<string, unknown>; folder: string } {
  let key = files.has(MODEL_JSON) ? MODEL_JSON : undefined;
  if (!key) {
    const jsons = [...files.keys()].filter((k) => k.endsWith('.json'));
    if (jsons.length !== 1) {
      throw new ValueError(
        SUBJECT,
        'cannot tell which file is the model',
        'model.json',
        jsons.join(', ') || 'no .json file',
      );
    }
    key = jsons[0];
  }
  const folder = key.includes('/') ? key.slice(0, key.lastIndexOf('/') + 1) : '';
  return parse(files.get(key)!, folder);
}

function parse(bytes: Uint8Array, folder: string): { root: Record<string, unknown>; folder: string } {
  let root: unknown;
  try {
    root = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    throw new ValueError(SUBJECT, 'model.json is not valid JSON', 'JSON', (e as Error).message);
  }
  const r = asObject(SUBJECT, 'model.json', root);
  if (r.format === 'graph-model') {
    throw new ConfigError(
      SUBJECT,
      'graph models (from a SavedModel) are not supported',
      'layers-model',
      'graph-model',
    );
  }
  if (r.format !== undefined && r.format !== 'layers-model')
    throw new ConfigError(SUBJECT, 'format is not supported', 'layers-model', String(r.format));
  for (const key of Object.keys(r)) {
    if (!ROOT_KEYS.includes(key))
      throw new ConfigError(SUBJECT, `unknown key '${key}'`, ROOT_KEYS.join(', '), key);
  }
  if (r.modelTopology === undefined)
    throw new ValueError(SUBJECT, 'modelTopology is missing', 'a layers model', 'nothing');
  return { root: r, folder };
}

/**
 * The layer's weights in its own order, taken out of `weights` by name: `<layer>/…/<weight>` with the
 * weight's Keras name (recurrent_kernel for recurrentKernel), under a `forward…`/`backward…` scope for a
 * Bidirectional's two copies.
 */
function weightsOf(layer: Layer, weights: NamedWeights): Tensor[] {
  const prefix = `${layer.name}/`;
  const found = new Map<string, string>();
  for (const name of weights.keys()) {
    if (!name.startsWith(prefix)) continue;
    const parts = name.slice(prefix.length).split('/');
    const weight = parts[parts.length - 1].replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    const scope = parts.slice(0, -1).find((p) => /^(forward|backward)/.test(p));
    const key =
      layer instanceof Bidirectional && scope
        ? `${scope.startsWith('forward') ? 'forward' : 'backward'}/${weight}`
        : weight;
    if (found.has(key)) {
      throw new ValueError(
        `${SUBJECT}: ${layer.label}`,
        `two weights map to '${key}'`,
        'one',
        `${found.get(key)}, ${name}`,
      );
    }
    found.set(key, name);
  }
  return layer.weightSpecs().map((spec) => {
    const name = found.get(spec.name);
    if (name === undefined) {
      throw new ShapeError(
        `${SUBJECT}: ${layer.label}`,
        `weight '${spec.name}' is missing from the manifest`,
        `${prefix}…`,
        'nothing',
      );
    }
    const w = weights.get(name)!;
    if (w.shape.join() !== spec.shape.join()) {
      throw new ShapeError(
        `${SUBJECT}: ${layer.label}`,
        `weight '${name}' has the wrong shape`,
        `[${spec.shape.join(', ')}]`,
        `[${w.shape.join(', ')}]`,
      );
    }
    weights.delete(name);
    return new Tensor(w.values, spec.shape);
  });
}
