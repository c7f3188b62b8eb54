/**
 * Truncated backpropagation through time over a text's streams (data/text/streams.ts), one window per
 * step: every stream's next `seqLen` characters, each predicting the character after it, trained from the
 * states the previous window left in the stateful layers (the model's, or with a pool each worker's for
 * its own streams). The first window of an epoch starts from zero states. A loss that is not finite, or far
 * worse than guessing (divergence.ts), stops the loop with the caller's error.
 *
 * The caller drives it a window at a time: the Node trainer (trainer.ts) between its checkpoints, time
 * limit and stop signals; the page's worker (web/worker.ts) between pause, generate and save messages.
 * Browser-safe: nothing here imports node: modules.
 */
import type { TextStreams } from '../data/text/streams.js';
import { tensor } from '../tensor.js';
import type { Trainer } from '../training/trainer.js';
import { hasDiverged } from './divergence.js';

export interface WindowResult {
  /** The window's mean loss in nats per character (computed before the update). */
  readonly loss: number;
  /** Characters trained: streams × the window's length. */
  readonly chars: number;
}

/** Makes the error a diverged loss stops with; `window` is the window that produced it. */
export type DivergedError = (loss: number, window: number) => Error;

export class TbpttLoop {
  constructor(
    readonly trainer: Trainer,
    readonly streams: TextStreams,
    /** V: a loss far above log V is divergence. */
    private readonly vocabularySize: number,
    private readonly diverged: DivergedError,
    /** The next window of the current epoch (a resumed run starts mid-epoch). */
    public window = 0,
  ) {}

  /** Whether the current epoch's last window has been trained. */
  get epochDone(): boolean {
    return this.window >= this.streams.windowsPerEpoch;
  }

  /** Starts the next epoch at its first window (whose step forgets the carried states). */
  nextEpoch(): void {
    this.window = 0;
  }

  /** Trains the next window; the loop moves on to the one after it. */
  async step(): Promise<WindowResult> {
    const win = this.streams.window(this.window);
    const x = tensor(win.inputs, [win.B, win.S], 'int32');
    const y = tensor(win.targets, [win.B, win.S], 'int32');
    if (this.window === 0) await this.trainer.resetStates();
    const loss = this.trainer.model.report(await this.trainer.step(x, y)) as number;
    if (hasDiverged(loss, this.vocabularySize)) throw this.diverged(loss, this.window);
    this.window++;
    return { loss, chars: win.B * win.S };
  }
}
