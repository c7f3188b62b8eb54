/** What the language model trainer (trainer.ts) is asked to do, and the hooks it reports through. */
import type { ProgressSink } from '../training/progress.js';
import type { LmCell } from './languageModel.js';
import type { EpochRecord } from './records.js';

export interface TrainConfig {
  /** A file path or 'builtin:moby-dick'. */
  readonly corpus: string;
  /** Validation text; absent: the last 5% of the corpus is held out. */
  readonly validationFile?: string | null;
  readonly cell: LmCell;
  readonly units: number;
  readonly layers: number;
  readonly embeddingDim: number;
  readonly dropout: number;
  readonly seqLen: number;
  readonly batch: number;
  readonly learningRate: number;
  readonly clipNorm: number;
  /** Stop after this many epochs in all (counting those before a resume); null: no limit. */
  readonly epochs: number | null;
  /** Stop (with a checkpoint) after this many seconds of this run; null: no limit. */
  readonly timeLimitSeconds: number | null;
  readonly seed: number;
  /** The model directory: the checkpoint, metrics.csv and learning-curve.svg. */
  readonly out: string;
  /**
   * Continue the checkpoint in `out`. The model, batch and sequence length then come from the checkpoint;
   * the learning rate too, unless `overrideLearningRate`.
   */
  readonly resume: boolean;
  readonly overrideLearningRate?: boolean;
  readonly sampleLength?: number;
  /**
   * Split each batch's streams over this many worker threads (parallel/pool.ts), or 'auto' for one per
   * core; 1 trains on this thread. Default 1.
   */
  readonly workers?: number | 'auto';
  /** A learning-curve point (steps.csv) every this many windows; default DEFAULT_CURVE_EVERY (curve.ts). */
  readonly curveEvery?: number;
}

export interface TrainHooks {
  /** One line of news (epoch summaries, checkpoints). */
  readonly log: (line: string) => void;
  /** Where the live progress line goes. */
  readonly progress: ProgressSink;
  /** Polled after every step: true asks training to checkpoint and stop (Ctrl-C, SIGTERM). */
  readonly stopRequested: () => boolean;
  /** Each record as it joins the history: every epoch, and a partial one cut short by the time limit. */
  readonly onRecord?: (record: EpochRecord) => void;
}
