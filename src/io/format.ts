/**
 * The save format, version 1: a directory holding
 *
 *   model.json              the description below (written last: it is the commit point)
 *   weights-<hash>.bin      every weight, float32 little-endian, in `weights.entries` order
 *   optimizer-<hash>.bin    the optimizer's moments (float32 little-endian), when the model was compiled
 *
 * Binary files are named by a prefix of their SHA-256, so a save never overwrites a file that the
 * previous model.json refers to: until the new model.json is renamed into place, the previous save stays
 * complete and loadable.
 */
import type { ConfigValue } from '../layers/layer.js';
import type { OptimizerConfig } from '../training/optimizers.js';

export const FORMAT_NAME = 'novolstm-model';
export const FORMAT_VERSION = 1;
export const DESCRIPTION_FILE = 'model.json';
/** Binary file names a description may refer to: nothing else (no paths) is ever opened. */
export const BINARY_FILE_PATTERN = /^(weights|optimizer)-[0-9a-f]{16}\.bin$/;
/** A description larger than this is refused before parsing. */
export const MAX_DESCRIPTION_BYTES = 64 * 1024 * 1024;

export interface BinaryFileRef {
  readonly file: string;
  readonly byteLength: number;
  readonly sha256: string;
}

export interface SavedLayer {
  readonly className: string;
  readonly name: string;
  readonly config: Readonly<Record<string, ConfigValue>>;
  /** false for a frozen layer (`layer.trainable`); absent means true, as in saves written before it. */
  readonly trainable?: false;
}

export interface ModelDescription {
  readonly format: typeof FORMAT_NAME;
  readonly formatVersion: number;
  readonly model: {
    readonly className: 'Sequential';
    readonly name: string;
    readonly seed: number;
    /** Shape of one input row; null = any length. */
    readonly inputShape: readonly (number | null)[];
    readonly layers: readonly SavedLayer[];
  };
  readonly metadata: Readonly<Record<string, ConfigValue>>;
  readonly weights: BinaryFileRef & {
    readonly dtype: 'float32';
    readonly byteOrder: 'little';
    readonly entries: readonly { readonly name: string; readonly shape: readonly number[] }[];
  };
  /** The training generator's state (shuffles, dropout): four uint32 words and a spare normal (or null). */
  readonly trainingRngState: readonly (number | null)[];
  /** null when the model was saved uncompiled. */
  readonly compile: {
    readonly loss: string;
    /** true for a cross-entropy from logits (`nl.losses.*({ fromLogits: true })`); absent means false. */
    readonly fromLogits?: true;
    readonly metrics: readonly string[];
    readonly optimizer: {
      readonly className: string;
      readonly config: OptimizerConfig;
      readonly iterations: number;
      readonly slotNames: readonly string[];
      readonly slots: BinaryFileRef;
    };
  } | null;
}

/** Float32 values as little-endian bytes, whatever the machine's byte order. */
export function float32ToBytes(values: Readonly<Float32Array>): Uint8Array {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
  return bytes;
}

export function bytesToFloat32(bytes: Readonly<Uint8Array>): Float32Array {
  const out = new Float32Array(bytes.length / 4);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}
