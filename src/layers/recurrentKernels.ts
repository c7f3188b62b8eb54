/**
 * The one place the recurrent layers call the sequence kernels. Today: the float32 reference kernels
 * (`kernels/reference/recurrence.ts`). The fast WebAssembly engine will replace these two functions, and
 * nothing else in `layers/` has to change.
 *
 * Layout: time-major, x [T, B, D], h [T, B, u]; see recurrence.ts for masks, `reverse` and the
 * accumulate-into-gradients contract.
 */
import type { CellKernel, Params } from '../kernels/reference/cell.js';
import {
  recurrentBackward,
  recurrentForward,
  type SavedSequence,
  type SequenceGradients,
  type SequenceOptions,
  type SequenceOutput,
  type SequenceUpstream,
} from '../kernels/reference/recurrence.js';

export type { SavedSequence, SequenceOutput };

export function sequenceForward(
  cell: CellKernel,
  params: Params,
  x: Float32Array,
  options: SequenceOptions,
): SequenceOutput {
  return recurrentForward(cell, params, x, options);
}

/** Adds the parameter gradients into `grads`; returns dx [T, B, D], dh0, dc0. */
export function sequenceBackward(
  grads: Params,
  saved: SavedSequence,
  params: Params,
  upstream: SequenceUpstream,
): SequenceGradients {
  return recurrentBackward(grads, saved, params, upstream);
}
