/**
 * Keras' per-sample loss weights for fit and fitDataset: `sampleWeight` checked into a float32 tensor, and
 * `classWeight` folded into it by each sample's class. The loss itself applies them (objective.ts).
 */
import { ConfigError, ShapeError, ValueError } from '../errors.js';
import type { Sequential } from '../models/sequential.js';
import { asTensor, Tensor } from '../tensor.js';

/**
 * fit's sampleWeight as a float32 tensor [N] (or [N, T] for a sequence output of T steps), every value
 * finite and ≥ 0; null when absent.
 */
export function sampleWeightsOf(
  model: Sequential,
  x: Tensor,
  y: Tensor,
  raw: unknown,
  subject = 'fit',
): Tensor | null {
  if (raw === undefined || raw === null) return null;
  const label = `${subject}: sampleWeight`;
  const w = asTensor(raw, label);
  const N = y.shape[0];
  const out = model.outputShape ?? [];
  const T = out.length === 2 ? (out[0] ?? x.shape[1]) : null;
  const fits =
    (w.rank === 1 && w.shape[0] === N) || (T !== null && w.rank === 2 && w.shape.join() === `${N},${T}`);
  if (!fits) {
    throw new ShapeError(
      label,
      'must hold one weight per sample (or per step of a sequence output)',
      T === null ? `[${N}]` : `[${N}] or [${N}, ${T}]`,
      `[${w.shape.join(', ')}]`,
    );
  }
  const bad = w.data.findIndex((v) => !(Number.isFinite(v) && v >= 0));
  if (bad >= 0) {
    throw new ValueError(
      label,
      `weight ${bad} (sample ${Math.floor(bad / (w.size / N))}) is not a finite number ≥ 0`,
      '≥ 0',
      w.data[bad],
    );
  }
  return w.dtype === 'float32' ? w : new Tensor(Float32Array.from(w.data), w.shape);
}

/**
 * The sample weights times each sample's class weight (Keras' class_weight): the class of a sample is its
 * index (sparse), its one-hot argmax (categorical), or its 0/1 target rounded (one binary output). Classes
 * the map does not list weigh 1, as in Keras.
 */
export function withClassWeights(
  model: Sequential,
  y: Tensor,
  sampleWeight: Tensor | null,
  raw: unknown,
  subject = 'fit',
): Tensor | null {
  if (raw === undefined || raw === null) return sampleWeight;
  const label = `${subject}: classWeight`;
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(label, 'must map class indices to weights', '{ 0: 1, 1: 5, … }', String(raw));
  }
  const table = new Map<number, number>();
  for (const [key, value] of Object.entries(raw)) {
    const k = Number(key);
    if (!Number.isInteger(k) || k < 0 || String(k) !== key) {
      throw new ConfigError(label, `key '${key}' is not a class index`, 'an integer ≥ 0', key);
    }
    if (typeof value !== 'number' || !(Number.isFinite(value) && value >= 0)) {
      throw new ConfigError(
        label,
        `weight of class ${key} must be a finite number ≥ 0`,
        '≥ 0',
        String(value),
      );
    }
    table.set(k, value);
  }
  const out = model.outputShape ?? [];
  if (out.length !== 1) {
    throw new ConfigError(
      label,
      'needs one class per sample; for per-step classes give sampleWeight [N, T]',
      'an output [batch, classes]',
      `[batch, ${out.map((d) => d ?? 'T').join(', ')}]`,
    );
  }
  const N = y.shape[0];
  const perSample = y.size / N;
  const weights = new Float32Array(N);
  for (let n = 0; n < N; n++) {
    let cls: number;
    if (perSample === 1) cls = Math.round(y.data[n]);
    else {
      cls = 0;
      for (let c = 1; c < perSample; c++)
        if (y.data[n * perSample + c] > y.data[n * perSample + cls]) cls = c;
    }
    weights[n] = (table.get(cls) ?? 1) * (sampleWeight ? sampleWeight.data[n] : 1);
  }
  return new Tensor(weights, [N]);
}
