/**
 * Metrics: the accuracy variants, counted over output rows with the same row weights as the loss.
 *
 *   categoricalAccuracy        argmax(p) = argmax(y)
 *   sparseCategoricalAccuracy  argmax(p) = y
 *   binaryAccuracy             [p > 0.5] = y  (per element, as Keras; threshold 0.5)
 * 'accuracy' resolves to the variant that fits the loss, as in Keras.
 */
import { ConfigError } from '../errors.js';
import type { LossName } from './losses.js';
import type { Targets } from './objective.js';

export const METRICS = [
  'accuracy',
  'categoricalAccuracy',
  'sparseCategoricalAccuracy',
  'binaryAccuracy',
] as const;
export type MetricName = (typeof METRICS)[number];
type AccuracyKind = Exclude<MetricName, 'accuracy'>;

const ALIASES: Readonly<Record<string, MetricName>> = {
  acc: 'accuracy',
  categorical_accuracy: 'categoricalAccuracy',
  sparse_categorical_accuracy: 'sparseCategoricalAccuracy',
  binary_accuracy: 'binaryAccuracy',
};

export function resolveMetric(name: unknown, loss: LossName): { name: string; kind: AccuracyKind } {
  const metric = typeof name === 'string' ? (ALIASES[name] ?? name) : name;
  if (typeof metric !== 'string' || !(METRICS as readonly string[]).includes(metric)) {
    throw new ConfigError('compile', 'metric is not supported', METRICS.join(', '), String(name));
  }
  if (metric !== 'accuracy') return { name: metric, kind: metric as AccuracyKind };
  const kind: AccuracyKind =
    loss === 'sparseCategoricalCrossentropy'
      ? 'sparseCategoricalAccuracy'
      : loss === 'binaryCrossentropy'
        ? 'binaryAccuracy'
        : 'categoricalAccuracy';
  if (loss === 'meanSquaredError') {
    throw new ConfigError(
      'compile',
      "metric 'accuracy' has no meaning for meanSquaredError",
      'a classification loss',
      loss,
    );
  }
  return { name: 'accuracy', kind };
}

/** Weighted count of correct predictions and the total weight, for p [R, C] against the targets. */
export function accuracyCounts(
  kind: AccuracyKind,
  p: Readonly<Float32Array>,
  targets: Targets,
  weights: Uint8Array | null,
  R: number,
  C: number,
): { correct: number; total: number } {
  let correct = 0;
  let total = 0;
  for (let r = 0; r < R; r++) {
    const w = weights ? weights[r] : 1;
    if (w === 0) continue;
    if (kind === 'binaryAccuracy') {
      for (let c = 0; c < C; c++) {
        const i = r * C + c;
        correct += (p[i] > 0.5 ? 1 : 0) === targets[i] ? w / C : 0;
      }
    } else {
      const predicted = argmax(p, r * C, C);
      const truth = kind === 'sparseCategoricalAccuracy' ? targets[r] : argmax(targets, r * C, C);
      correct += predicted === truth ? w : 0;
    }
    total += w;
  }
  return { correct, total };
}

function argmax(a: ArrayLike<number>, offset: number, n: number): number {
  let best = 0;
  for (let j = 1; j < n; j++) if (a[offset + j] > a[offset + best]) best = j;
  return best;
}
