/**
 * Rebuilding a model from the files of a save (format.ts), wherever they come from — a directory
 * (load.ts) or a one-file bundle (bundle.ts). A model is returned only if everything checks out: format
 * name and version, every layer class and option, weight names and shapes against the rebuilt model,
 * byte counts, SHA-256 digests, finite values, optimizer state. Otherwise a typed error names what is
 * wrong; there is no partial model.
 *
 * Nothing in the files is executed: the description is parsed with JSON.parse, layer classes come from a
 * fixed registry, every option goes through the layer's strict constructor (so a `__proto__` or
 * `constructor` key is just an unknown option), and file names must match a fixed pattern (no paths).
 * Browser-safe.
 */
import { ShapeError, ValueError } from '../errors.js';
import { layerFromConfig } from '../layers/index.js';
import type { ConfigValue, Layer } from '../layers/layer.js';
import { Sequential, type CompileOptions } from '../models/sequential.js';
import { optimizerFromConfig } from '../training/optimizers.js';
import { sha256Hex } from './digest.js';
import {
  BINARY_FILE_PATTERN,
  bytesToFloat32,
  DESCRIPTION_FILE,
  FORMAT_NAME,
  FORMAT_VERSION,
} from './format.js';
import { jsonArray, jsonObject } from './jsonShapes.js';

const SUBJECT = 'loadModel';

/** Reads a binary file the description names (already checked against the pattern); null if absent. */
export type BinaryReader = (file: string) => Promise<Uint8Array | null>;

/** `json` is model.json's text; `read` fetches the binary files it names. */
export async function decodeModel(json: string, read: BinaryReader): Promise<Sequential> {
  let d: unknown;
  try {
    d = JSON.parse(json);
  } catch (e) {
    // V8 quotes the text around the error, newlines included: kept to one line, and short.
    const reason = (e as Error).message.replace(/\s+/g, ' ').slice(0, 160);
    throw new ValueError(SUBJECT, `${DESCRIPTION_FILE} is not valid JSON`, 'JSON', reason);
  }
  requireFiniteNumbers(d);
  const root = object(d, 'description');
  if (root.format !== FORMAT_NAME)
    throw new ValueError(SUBJECT, 'not a novolstm model (format)', FORMAT_NAME, String(root.format));
  if (root.formatVersion !== FORMAT_VERSION) {
    throw new ValueError(SUBJECT, 'unsupported format version', FORMAT_VERSION, String(root.formatVersion));
  }

  // Rebuild the architecture from configs.
  const m = object(root.model, 'model');
  if (m.className !== 'Sequential')
    throw new ValueError(SUBJECT, 'model.className is not supported', 'Sequential', String(m.className));
  const seed = m.seed;
  if (typeof seed !== 'number')
    throw new ValueError(SUBJECT, 'model.seed must be a number', 'a number', String(seed));
  const layers = array(m.layers, 'model.layers').map((raw, i) => {
    const l = object(raw, `model.layers[${i}]`);
    const config = object(l.config, `model.layers[${i}].config`);
    const options: Record<string, unknown> = { ...config, name: l.name };
    if (i === 0) options.inputShape = m.inputShape;
    const layer = layerFromConfig(l.className, options);
    if (l.trainable !== undefined && l.trainable !== false) {
      throw new ValueError(
        SUBJECT,
        `model.layers[${i}].trainable must be false or absent`,
        'false (a frozen layer) or no key',
        JSON.stringify(l.trainable),
      );
    }
    layer.trainable = l.trainable === undefined;
    return layer;
  });
  // Weights: sizes first, before anything is allocated. The layers' configs (units, inputDim, …) imply
  // every weight's shape; a config that disagrees with the declared shapes or with the weights file's size
  // is refused here, so a small file that declares a huge layer never allocates gigabytes.
  const w = object(root.weights, 'weights');
  if (w.dtype !== 'float32' || w.byteOrder !== 'little') {
    throw new ValueError(
      SUBJECT,
      'weights must be float32 little-endian',
      'float32 little',
      `${String(w.dtype)} ${String(w.byteOrder)}`,
    );
  }
  const entries = array(w.entries, 'weights.entries');
  const planned = plannedWeights(layers, m.inputShape);
  if (entries.length !== planned.length) {
    throw new ShapeError(
      SUBJECT,
      'the number of weights does not match the layers',
      planned.length,
      entries.length,
    );
  }
  entries.forEach((raw, i) => {
    const shape = array(object(raw, `weights.entries[${i}]`).shape, `weights.entries[${i}].shape`);
    if (shape.join() !== planned[i].shape.join()) {
      // Named by the config fields that size it, e.g. `units 8000`: the field to look at in the file.
      const { layer } = planned[i];
      const config = layer.getConfig() as Record<string, unknown>;
      const sizes = ['units', 'inputDim', 'outputDim']
        .filter((k) => k in config)
        .map((k) => `${k} ${String(config[k])}`)
        .join(', ');
      throw new ShapeError(
        SUBJECT,
        `weight ${i} does not match the layers: layer '${layer.name}' (${sizes || layer.className}) makes ${planned[i].name}`,
        `[${planned[i].shape.join(', ')}]`,
        `[${shape.join(', ')}]`,
      );
    }
  });
  const weightCount = planned.reduce((sum, p) => sum + p.shape.reduce((a, b) => a * b, 1), 0);
  const values = await readFloats(read, w, weightCount, 'weights');

  // Every weight was read above: drawing initial ones would be wasted work.
  const name = typeof m.name === 'string' ? m.name : 'sequential';
  const model = new Sequential({ layers, name, seed, initialize: false });
  if (!model.isBuilt)
    throw new ValueError(SUBJECT, 'model.inputShape is missing', 'a shape', String(m.inputShape));
  if (entries.length !== model.entries.length) {
    throw new ShapeError(
      SUBJECT,
      'the number of weights does not match the layers',
      model.entries.length,
      entries.length,
    );
  }
  entries.forEach((raw, i) => {
    const e = object(raw, `weights.entries[${i}]`);
    const expected = model.entries[i];
    const shape = array(e.shape, `weights.entries[${i}].shape`);
    if (e.name !== expected.name || shape.join() !== expected.shape.join()) {
      throw new ShapeError(
        SUBJECT,
        `weight ${i} does not match the layers`,
        `${expected.name} [${expected.shape.join(', ')}]`,
        `${String(e.name)} [${shape.join(', ')}]`,
      );
    }
  });
  model.values.set(values);
  model.markWeightsChanged();

  if (!('trainingRngState' in root))
    throw new ValueError(SUBJECT, 'trainingRngState is missing', 'an array', 'nothing');
  const rng = array(root.trainingRngState, 'trainingRngState');
  const wordsOk =
    rng.length === 5 &&
    rng.slice(0, 4).every((v) => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 0xffffffff);
  if (!wordsOk || !(rng[4] === null || (typeof rng[4] === 'number' && Number.isFinite(rng[4])))) {
    throw new ValueError(
      SUBJECT,
      'trainingRngState is malformed',
      'four uint32 words and a number or null',
      JSON.stringify(rng),
    );
  }
  model.trainingRng.setState(rng as (number | null)[]);

  if (root.metadata !== undefined)
    model.metadata = object(root.metadata, 'metadata') as Record<string, ConfigValue>;

  if (root.compile !== null && root.compile !== undefined) {
    const c = object(root.compile, 'compile');
    const o = object(c.optimizer, 'compile.optimizer');
    const optimizer = optimizerFromConfig(String(o.className), object(o.config, 'compile.optimizer.config'));
    model.compile({
      optimizer,
      // Read from the file as it is: compile checks the name, and fromLogits (rejecting an unknown name or
      // a non-boolean), as for a user's.
      loss: (c.fromLogits === undefined
        ? c.loss
        : { name: c.loss, fromLogits: c.fromLogits }) as CompileOptions['loss'],
      metrics: array(c.metrics, 'compile.metrics') as string[],
    });
    const iterations = o.iterations;
    if (typeof iterations !== 'number' || !Number.isInteger(iterations) || iterations < 0) {
      throw new ValueError(
        SUBJECT,
        'compile.optimizer.iterations must be a non-negative integer',
        '≥ 0',
        String(iterations),
      );
    }
    const slotNames = array(o.slotNames, 'compile.optimizer.slotNames');
    if (slotNames.join() !== optimizer.slotNames.join()) {
      throw new ValueError(
        SUBJECT,
        'optimizer moments do not match the optimizer',
        optimizer.slotNames.join(', '),
        slotNames.join(', '),
      );
    }
    optimizer.prepare(model.values.length);
    optimizer.slots.set(
      await readFloats(
        read,
        object(o.slots, 'compile.optimizer.slots'),
        optimizer.slots.length,
        'optimizer moments',
      ),
    );
    optimizer.iterations = iterations;
  }
  return model;
}

/** Reads a binary file named in the description: name pattern, byte count, digest, finite values. */
async function readFloats(
  read: BinaryReader,
  ref: Record<string, unknown>,
  count: number,
  what: string,
): Promise<Float32Array> {
  const file = ref.file;
  if (typeof file !== 'string' || !BINARY_FILE_PATTERN.test(file)) {
    throw new ValueError(
      SUBJECT,
      `${what} file name is not allowed`,
      String(BINARY_FILE_PATTERN),
      String(file),
    );
  }
  if (ref.byteLength !== count * 4)
    throw new ShapeError(
      SUBJECT,
      `${what}: declared byte count does not match the model`,
      count * 4,
      String(ref.byteLength),
    );
  const bytes = await read(file).catch(() => null);
  if (!bytes) throw new ValueError(SUBJECT, `${what} file is missing`, file, 'nothing');
  if (bytes.length !== count * 4)
    throw new ShapeError(
      SUBJECT,
      `${what} file '${file}' has the wrong size`,
      `${count * 4} bytes`,
      `${bytes.length} bytes`,
    );
  const digest = await sha256Hex(bytes);
  if (digest !== ref.sha256)
    throw new ValueError(
      SUBJECT,
      `${what} file '${file}' is corrupt (SHA-256 differs)`,
      String(ref.sha256),
      digest,
    );
  const values = bytesToFloat32(bytes);
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i]))
      throw new ValueError(SUBJECT, `${what} value ${i} is not finite`, 'a finite number', values[i]);
  }
  return values;
}

/**
 * The weights the layers will have, by name and shape, for an input row of `inputShape`: found by building
 * the layers' shapes only (no weights are allocated; the model builds them again when it is made).
 */
function plannedWeights(
  layers: readonly Layer[],
  inputShape: unknown,
): { readonly name: string; readonly shape: readonly number[]; readonly layer: Layer }[] {
  const dims = array(inputShape, 'model.inputShape');
  if (!dims.every((n) => n === null || (Number.isInteger(n) && (n as number) > 0)))
    throw new ValueError(
      SUBJECT,
      'model.inputShape must hold positive integers or null',
      'e.g. [null, 5]',
      JSON.stringify(dims),
    );
  let shape = dims as Parameters<Layer['build']>[0];
  return layers.flatMap((layer) => {
    shape = layer.build(shape);
    return layer
      .weightSpecs()
      .map((spec) => ({ name: `${layer.name}/${spec.name}`, shape: spec.shape, layer }));
  });
}

/**
 * JSON.parse reads `1e999` as Infinity: every number in the description must be finite, wherever it is
 * (layer configs, metadata, the training record). Iterative, so a deeply nested file cannot overflow the
 * stack.
 */
function requireFiniteNumbers(root: unknown): void {
  const pending: [unknown, string][] = [[root, 'model.json']];
  while (pending.length > 0) {
    const [value, where] = pending.pop()!;
    if (typeof value === 'number') {
      if (!Number.isFinite(value))
        throw new ValueError(SUBJECT, `${where} is not a finite number`, 'a finite number', value);
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => pending.push([v, `${where}[${i}]`]));
    } else if (typeof value === 'object' && value !== null) {
      for (const [k, v] of Object.entries(value)) pending.push([v, `${where}.${k}`]);
    }
  }
}

const object = (value: unknown, what: string): Record<string, unknown> => jsonObject(SUBJECT, value, what);
const array = (value: unknown, what: string): unknown[] => jsonArray(SUBJECT, value, what);
