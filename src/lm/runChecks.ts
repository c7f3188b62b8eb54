/**
 * What the language-model trainer checks once its texts are encoded and before the first step, so that a
 * run that would fail at its first validation or at a resumed window fails at once instead of after an
 * epoch of training.
 */
import type { TextStreams } from '../data/text/streams.js';
import { ValueError } from '../errors.js';

/** The validation text must leave something to predict: two characters the model knows. */
export function checkValidationIds(ids: { readonly length: number }, source: string | null): void {
  if (ids.length >= 2) return;
  throw new ValueError(
    source ? `--val ${source}` : 'validation text',
    'has fewer than two characters the model knows, so there is nothing to validate on',
    'at least 2 known characters',
    ids.length,
  );
}

/** A resumed position must lie inside an epoch of these streams (the checkpoint's batch and window). */
export function checkResumePosition(window: number, streams: TextStreams, out: string): void {
  if (Number.isInteger(window) && window >= 0 && window <= streams.windowsPerEpoch) return;
  throw new ValueError(
    `checkpoint in ${out}`,
    'training.window is outside the epoch',
    `an integer in [0, ${streams.windowsPerEpoch}]`,
    window,
  );
}
