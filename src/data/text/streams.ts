/**
 * Batches for truncated back-propagation through time over contiguous text.
 *
 * The text's N ids are cut into B parallel streams of L = ⌊(N − 1) / B⌋ characters each; stream b is
 * ids[b·L … (b+1)·L], plus one more for the last target. Window w of length S holds, for every stream,
 * inputs ids[b·L + w·S + t] and targets ids[b·L + w·S + t + 1] (t < S; the last window may be shorter).
 * Consecutive windows continue the same streams, so the hidden state is carried from one to the next,
 * and one epoch — all ⌈L / S⌉ windows — shows every character once (except the last (N − 1) mod B).
 */
import { ShapeError } from '../../errors.js';
import type { TokenIds } from './charVocabulary.js';

export interface TextWindow {
  /** [B, S] batch-major ids. */
  readonly inputs: Int32Array;
  /** [B, S] the next character of each input. */
  readonly targets: Int32Array;
  readonly B: number;
  readonly S: number;
  /** Which window of the epoch this is, 0-based. */
  readonly index: number;
}

export class TextStreams {
  readonly streamLength: number;
  readonly windowsPerEpoch: number;

  constructor(
    private readonly ids: TokenIds,
    readonly B: number,
    readonly seqLen: number,
  ) {
    this.streamLength = Math.floor((ids.length - 1) / B);
    if (this.streamLength < seqLen) {
      throw new ShapeError(
        'text streams',
        `the text is too short for ${B} streams of one ${seqLen}-character window`,
        `at least ${B * seqLen + 1} characters`,
        `${ids.length} characters`,
      );
    }
    this.windowsPerEpoch = Math.ceil(this.streamLength / seqLen);
  }

  window(index: number): TextWindow {
    const { B, seqLen, streamLength: L } = this;
    const start = index * seqLen;
    const S = Math.min(seqLen, L - start);
    const inputs = new Int32Array(B * S);
    const targets = new Int32Array(B * S);
    for (let b = 0; b < B; b++) {
      const from = b * L + start;
      inputs.set(this.ids.subarray(from, from + S), b * S);
      targets.set(this.ids.subarray(from + 1, from + S + 1), b * S);
    }
    return { inputs, targets, B, S, index };
  }
}

/** Splits ids into training text and the held-out last fraction (5% by default); views, not copies. */
export function holdOut<Ids extends TokenIds>(ids: Ids, fraction = 0.05): { train: Ids; validation: Ids } {
  const cut = Math.floor(ids.length * (1 - fraction));
  return { train: ids.subarray(0, cut) as Ids, validation: ids.subarray(cut) as Ids };
}
