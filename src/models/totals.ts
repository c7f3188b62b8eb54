/**
 * What one or more batches add up to: Σ w ℓ, Σ w, and per metric Σ correct, Σ weight. A model's batch
 * (Sequential.runBatch) makes them; the trainers, the epoch loop and the workers' replies add them up.
 */
export interface BatchTotals {
  lossSum: number;
  weight: number;
  metrics: { correct: number; total: number }[];
}

export function addTotals(into: BatchTotals, part: BatchTotals): void {
  into.lossSum += part.lossSum;
  into.weight += part.weight;
  part.metrics.forEach((m, i) => {
    into.metrics[i] ??= { correct: 0, total: 0 };
    into.metrics[i].correct += m.correct;
    into.metrics[i].total += m.total;
  });
}
