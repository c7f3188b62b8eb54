/**
 * When a language model's training has failed: a non-finite loss, or one far worse than guessing. Shared
 * by the Node trainer (trainer.ts) and the web page's worker, which both stop with this error.
 */
import { NovoLstmError } from '../errors.js';

/** Raised when the loss becomes NaN/Inf or explodes. */
export class TrainingDivergedError extends NovoLstmError {
  override name = 'TrainingDivergedError';
}

/** Loss above this (nats per character) counts as exploded: far worse than guessing uniformly. */
export function explosionThreshold(V: number): number {
  return 2 * Math.log(V) + 1;
}

export function hasDiverged(loss: number, V: number): boolean {
  return !Number.isFinite(loss) || loss > explosionThreshold(V);
}
