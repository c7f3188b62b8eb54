/**
 * A model as one safetensors file (container.ts), for PyTorch and the Python package in `python/`.
 *
 * `__metadata__.novolstm` holds the description our own save format stores (io/format.ts, made by
 * io/encode.ts): the layer classes and configs, the weight names and shapes, the model's metadata and its
 * training generator's state — but not the weights' file name and digest, and not the optimizer (a
 * safetensors file carries weights; the optimizer's moments stay with our own format). Decoding rebuilds the
 * model with io/decode.ts, so a safetensors file goes through every check a save does.
 *
 * Tensor names: `layers.<i>.<layer name>.<weight name>`, i the layer's index in the model and '/' in our
 * weight names written as '.' — e.g. `layers.1.lstm.recurrentKernel`,
 * `layers.2.bidirectional.backward.kernel`. Shapes and layouts are our own (Keras'): docs/formats.md.
 */
import { ShapeError, ValueError } from '../../errors.js';
import { decodeModel } from '../../io/decode.js';
import { sha256Hex } from '../../io/digest.js';
import { encodeModel } from '../../io/encode.js';
import type { ModelDescription } from '../../io/format.js';
import type { Sequential } from '../../models/sequential.js';
import type { Decoder, Encoder, ModelFiles } from '../formats.js';
import { readSafetensors, writeSafetensors, type NamedTensor } from './container.js';

/** The key of `__metadata__` that holds the model description (JSON). */
export const METADATA_KEY = 'novolstm';
/** The file name in a ModelFiles map, and the extension of the file export writes. */
export const SAFETENSORS_FILE = 'model.safetensors';

const ENCODE_SUBJECT = 'exportModel (safetensors)';
const DECODE_SUBJECT = 'importModel (safetensors)';

/** The description stored in the file: the save format's, without what safetensors carries itself. */
export type SafetensorsDescription = Omit<ModelDescription, 'weights' | 'compile'> & {
  readonly weights: Pick<ModelDescription['weights'], 'dtype' | 'byteOrder' | 'entries'>;
};

/** The safetensors name of a weight: `layers.<i>.` and our name `<layer>/<weight>` with '/' as '.'. */
export function tensorName(layerIndex: number, weightName: string): string {
  return `layers.${layerIndex}.${weightName.replaceAll('/', '.')}`;
}

export const encodeSafetensors: Encoder = async (model: Sequential): Promise<ModelFiles> => {
  const { description } = await encodeModel(model, ENCODE_SUBJECT);
  const { weights, compile: _compile, ...rest } = description;
  const stored: SafetensorsDescription = {
    ...rest,
    weights: { dtype: weights.dtype, byteOrder: weights.byteOrder, entries: weights.entries },
  };
  const layerIndex = layerIndexByName(description);
  const tensors: NamedTensor[] = model.entries.map((e) => ({
    name: tensorName(layerIndex(e.name), e.name),
    shape: e.shape,
    values: model.values.subarray(e.offset, e.offset + e.size),
  }));
  const bytes = writeSafetensors({ [METADATA_KEY]: JSON.stringify(stored) }, tensors);
  return new Map([[SAFETENSORS_FILE, bytes]]);
};

export const decodeSafetensors: Decoder = async (files: ModelFiles): Promise<Sequential> => {
  if (files.size !== 1) {
    throw new ValueError(DECODE_SUBJECT, 'a safetensors model is one file', '1 file', `${files.size} files`);
  }
  const [bytes] = files.values();
  const file = readSafetensors(bytes, DECODE_SUBJECT);
  const text = file.metadata[METADATA_KEY];
  if (text === undefined) {
    throw new ValueError(
      DECODE_SUBJECT,
      `not a novolstm model: __metadata__ has no '${METADATA_KEY}' entry`,
      `'${METADATA_KEY}'`,
      Object.keys(file.metadata).join(', ') || 'no metadata',
    );
  }
  let stored: Record<string, unknown>;
  try {
    stored = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new ValueError(
      DECODE_SUBJECT,
      `__metadata__.${METADATA_KEY} is not valid JSON`,
      'JSON',
      (e as Error).message,
    );
  }
  const description = stored as unknown as SafetensorsDescription;
  const entries = description?.weights?.entries;
  if (!Array.isArray(entries)) {
    throw new ValueError(
      DECODE_SUBJECT,
      'the description has no weights.entries',
      'an array',
      typeof entries,
    );
  }

  // The weights, in the description's order. Every tensor must be named and shaped as an entry says, and
  // no tensor may be left over; decodeModel then checks the entries against the rebuilt layers.
  const layerIndex = layerIndexByName(description);
  const parts: Uint8Array[] = [];
  const used = new Set<string>();
  for (const entry of entries as { name: unknown; shape: unknown }[]) {
    if (typeof entry?.name !== 'string' || !Array.isArray(entry.shape)) {
      throw new ValueError(
        DECODE_SUBJECT,
        'a weights entry is malformed',
        '{ name, shape }',
        JSON.stringify(entry),
      );
    }
    const name = tensorName(layerIndex(entry.name), entry.name);
    const tensor = file.tensors.get(name);
    if (!tensor) throw new ValueError(DECODE_SUBJECT, `tensor '${name}' is missing`, name, 'nothing');
    if (tensor.shape.join() !== entry.shape.join()) {
      throw new ShapeError(
        DECODE_SUBJECT,
        `tensor '${name}' has the wrong shape`,
        `[${entry.shape.join(', ')}]`,
        `[${tensor.shape.join(', ')}]`,
      );
    }
    used.add(name);
    parts.push(tensor.bytes);
  }
  const extra = [...file.tensors.keys()].filter((n) => !used.has(n));
  if (extra.length > 0) {
    throw new ValueError(
      DECODE_SUBJECT,
      'the file holds tensors the model does not have',
      'none',
      extra.join(', '),
    );
  }
  const weightBytes = concat(parts);
  const sha256 = await sha256Hex(weightBytes);
  const weightsFile = `weights-${sha256.slice(0, 16)}.bin`;
  // safetensors has no digest of its own: the one decodeModel checks is taken from the bytes just
  // validated above, and the optimizer is absent (the model comes back uncompiled).
  const full = {
    ...stored,
    weights: { ...(stored.weights as object), file: weightsFile, byteLength: weightBytes.length, sha256 },
    compile: null,
  };
  return decodeModel(JSON.stringify(full), async (name) => (name === weightsFile ? weightBytes : null));
};

/** The index of the layer a weight belongs to, from the weight's name `<layer name>/…`. */
function layerIndexByName(description: Pick<ModelDescription, 'model'>): (weightName: string) => number {
  const layers = description?.model?.layers;
  if (!Array.isArray(layers)) {
    throw new ValueError(DECODE_SUBJECT, 'the description has no model.layers', 'an array', typeof layers);
  }
  const index = new Map<string, number>();
  layers.forEach((l, i) => index.set(String(l?.name), i));
  return (weightName) => {
    const layer = weightName.split('/')[0];
    const i = index.get(layer);
    if (i === undefined) {
      throw new ValueError(
        DECODE_SUBJECT,
        `weight '${weightName}' names no layer of the model`,
        [...index.keys()].join(', '),
        layer,
      );
    }
    return i;
  };
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
