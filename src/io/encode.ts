/**
 * A model as the files of the save format (format.ts): the description and its binary files, in memory.
 * Browser-safe: the directory writer (save.ts) and the one-file bundle (bundle.ts) both start here, so
 * the format is written in one place.
 */
import { ConfigError, ValueError } from '../errors.js';
import { firstNonFinite, type ParameterEntry } from '../layers/parameters.js';
import type { Sequential } from '../models/sequential.js';
import { sha256Hex } from './digest.js';
import {
  float32ToBytes,
  FORMAT_NAME,
  FORMAT_VERSION,
  type BinaryFileRef,
  type ModelDescription,
} from './format.js';

export interface NamedBytes {
  readonly file: string;
  readonly bytes: Uint8Array;
}

export interface EncodedModel {
  readonly description: ModelDescription;
  /** model.json's bytes: the description as indented JSON with a final newline. */
  readonly json: Uint8Array;
  /** The weights file, then the optimizer file when the model is compiled. */
  readonly binaries: readonly NamedBytes[];
}

/**
 * The model's save: its description and binary files. `compiled: false` saves it as if it were not
 * compiled (no compile section, no optimizer file): for a copy that only computes (parallel/replicaBundle.ts).
 */
export async function encodeModel(
  model: Sequential,
  subject = 'save',
  options: { readonly compiled?: boolean } = {},
): Promise<EncodedModel> {
  const compiled = options.compiled === false ? null : model.compiled;
  if (!model.isBuilt || !model.inputShape) {
    throw new ConfigError(
      subject,
      'the model is not built yet',
      'an inputShape on the first layer, or a call to fit/predict',
      'unbuilt',
    );
  }
  checkJson(model.metadata, 'metadata', subject);
  // Before anything is made: a save the loader refuses must not replace (save.ts) the previous good one.
  checkFinite(model.values, model.entries, 'weight', subject);
  if (compiled) {
    const { optimizer } = compiled;
    optimizer.prepare(model.values.length);
    for (const name of optimizer.slotNames)
      checkFinite(optimizer.slot(name), model.entries, `optimizer slot '${name}' of weight`, subject);
  }
  const binaries: NamedBytes[] = [];
  const binary = async (kind: 'weights' | 'optimizer', bytes: Uint8Array): Promise<BinaryFileRef> => {
    const sha256 = await sha256Hex(bytes);
    const file = `${kind}-${sha256.slice(0, 16)}.bin`;
    binaries.push({ file, bytes });
    return { file, byteLength: bytes.length, sha256 };
  };
  const weights = await binary('weights', float32ToBytes(model.values));
  let compile: ModelDescription['compile'] = null;
  if (compiled) {
    const { optimizer, loss, fromLogits, metrics } = compiled;
    optimizer.prepare(model.values.length);
    const slots = await binary('optimizer', float32ToBytes(optimizer.slots));
    compile = {
      loss,
      ...(fromLogits ? { fromLogits: true as const } : {}),
      metrics: metrics.map((m) => m.name),
      optimizer: {
        className: optimizer.className,
        config: optimizer.getConfig(),
        iterations: optimizer.iterations,
        slotNames: [...optimizer.slotNames],
        slots,
      },
    };
  }
  const description: ModelDescription = {
    format: FORMAT_NAME,
    formatVersion: FORMAT_VERSION,
    model: {
      className: 'Sequential',
      name: model.name,
      seed: model.seed,
      inputShape: [...model.inputShape],
      layers: model.layers.map((l) => ({
        className: l.className,
        name: l.name,
        config: l.getConfig(),
        ...(l.trainable ? {} : { trainable: false as const }),
      })),
    },
    metadata: model.metadata,
    weights: {
      ...weights,
      dtype: 'float32',
      byteOrder: 'little',
      entries: model.entries.map((e) => ({ name: e.name, shape: [...e.shape] })),
    },
    trainingRngState: model.trainingRng.getState(),
    compile,
  };
  const json = new TextEncoder().encode(JSON.stringify(description, null, 2) + '\n');
  return { description, json, binaries };
}

/** Weights (or one optimizer moment, in the weights' layout) that are not finite would not load again. */
function checkFinite(
  values: Readonly<Float32Array>,
  entries: readonly ParameterEntry[],
  what: string,
  subject: string,
): void {
  const bad = firstNonFinite(values, entries);
  if (bad) {
    throw new ValueError(
      subject,
      `${what} '${bad.entry.name}' [${bad.index}] is not finite, so nothing is written (the model diverged?)`,
      'a finite number',
      bad.value,
    );
  }
}

/** Metadata must survive JSON exactly: plain objects, arrays, strings, finite numbers, booleans, null. */
function checkJson(value: unknown, path: string, subject: string): void {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value))
      throw new ValueError(subject, `${path} is not finite (JSON cannot hold it)`, 'a finite number', value);
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((v, i) => checkJson(v, `${path}[${i}]`, subject));
    return;
  }
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const [k, v] of Object.entries(value)) checkJson(v, `${path}.${k}`, subject);
    return;
  }
  throw new ValueError(subject, `${path} cannot be saved as JSON`, 'JSON data', typeof value);
}
