/**
 * Bits per character of a text under a language model: the mean of −log₂ p(next character) over every
 * scored character. The text is cut into `batch` streams read in windows with the state carried, exactly
 * as in training (each stream starts from a zero state, so its first characters are predicted cold).
 *
 * `scoreText` reads the whole text at once; `scoreWindows` is the same reading a window at a time, for a
 * caller that lets other work run between windows or drops the pass half-way (the trainer's validation
 * pass, which a Ctrl-C interrupts).
 */
import type { TokenIds } from '../data/text/charVocabulary.js';
import { TextStreams } from '../data/text/streams.js';
import { ValueError } from '../errors.js';
import type { Sequential } from '../models/sequential.js';
import { tensor } from '../tensor.js';
import { cloneLanguageModel } from './languageModel.js';

export interface TextScore {
  readonly bpc: number;
  /** Characters whose prediction was scored. */
  readonly chars: number;
}

/** `model` is left untouched (its carried states too): a copy does the reading. */
export function scoreText(model: Sequential, ids: TokenIds, batch: number, seqLen: number): TextScore {
  const windows = scoreWindows(model, ids, batch, seqLen);
  for (;;) {
    const next = windows.next();
    if (next.done) return next.value;
  }
}

/**
 * `scoreText`, pausing after each window; the score is the generator's return value. The text is checked
 * at the first `next()`.
 */
export function* scoreWindows(
  model: Sequential,
  ids: TokenIds,
  batch: number,
  seqLen: number,
): Generator<void, TextScore, void> {
  if (ids.length < 2) {
    throw new ValueError(
      'text to score',
      'is too short: nothing to predict',
      'at least 2 known characters',
      ids.length,
    );
  }
  // Few characters: fewer streams and shorter windows, so that each stream still holds one window.
  const S = Math.min(seqLen, ids.length - 1);
  const B = Math.max(1, Math.min(batch, Math.floor((ids.length - 1) / S)));
  const streams = new TextStreams(ids, B, S);
  const runner = cloneLanguageModel(model);
  let nats = 0;
  let chars = 0;
  for (let w = 0; w < streams.windowsPerEpoch; w++) {
    const win = streams.window(w);
    const loss = runner.evaluate(
      tensor(win.inputs, [B, win.S], 'int32'),
      tensor(win.targets, [B, win.S], 'int32'),
      {
        batchSize: B,
      },
    ) as number;
    nats += loss * B * win.S;
    chars += B * win.S;
    yield;
  }
  return { bpc: nats / chars / Math.LN2, chars };
}
