/**
 * Scores of a binary classifier on a whole set, from its probabilities: accuracy, precision, recall and
 * F1 of the positive class. F1 is not a per-batch mean (it does not decompose over batches), so it is
 * computed here once over all predictions rather than as a training metric.
 */
import { ShapeError, ValueError } from '../errors.js';

export interface BinaryScores {
  readonly accuracy: number;
  /** TP / (TP + FP); 0 when nothing is predicted positive. */
  readonly precision: number;
  /** TP / (TP + FN); 0 when there is no positive example. */
  readonly recall: number;
  /** 2·precision·recall / (precision + recall); 0 when both are 0. */
  readonly f1: number;
  readonly truePositives: number;
  readonly falsePositives: number;
  readonly trueNegatives: number;
  readonly falseNegatives: number;
}

/** `probabilities` [N] of the positive class against `labels` [N] (0 or 1); positive when p > threshold. */
export function binaryScores(
  probabilities: ArrayLike<number>,
  labels: ArrayLike<number>,
  threshold = 0.5,
): BinaryScores {
  if (probabilities.length !== labels.length || labels.length === 0) {
    throw new ShapeError(
      'binaryScores',
      'probabilities and labels must have the same, non-zero length',
      labels.length,
      probabilities.length,
    );
  }
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i];
    if (label !== 0 && label !== 1) {
      throw new ValueError('labels', `label ${i} is not 0 or 1`, '0 or 1', label);
    }
    const positive = probabilities[i] > threshold;
    if (positive && label === 1) tp++;
    else if (positive) fp++;
    else if (label === 1) fn++;
    else tn++;
  }
  const precision = tp + fp > 0 ? tp / (tp + fp) : 0;
  const recall = tp + fn > 0 ? tp / (tp + fn) : 0;
  return {
    accuracy: (tp + tn) / labels.length,
    precision,
    recall,
    f1: precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0,
    truePositives: tp,
    falsePositives: fp,
    trueNegatives: tn,
    falseNegatives: fn,
  };
}
