/** What the language model trainer (trainer.ts) is asked to do, and the hooks it reports through. */
import type { ProgressSink } from '../training/progress.js';
import type { LmCell } from './languageModel.js';
import type { EpochRecord } from './records.js';

/**
 * The settings a checkpoint fixes: the model's shape and initialisation, its gradient clipping and the data
 * layout of its carried states. A resumed run keeps the checkpoint's; a different value asked for is an
 * error (checkpoint.ts). The learning rate, epochs, time and character limits and workers may change on a
 * resume.
 */
export const CHECKPOINT_SETTINGS = [
  'cell',
  'units',
  'layers',
  'embeddingDim',
  'dropout',
  'clipNorm',
  'seed',
  'seqLen',
  'batch',
] as const;
export type CheckpointSetting = (typeof CHECKPOINT_SETTINGS)[number];

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
  /**
   * Stop as the time limit does (a validation score for the partial epoch, a checkpoint) at the first
   * window that brings the characters trained in all (counting those before a resume) to this many or more
   * — at an epoch's last window, with that epoch's own record and checkpoint; absent or null: no limit.
   * Unlike the time limit it ends at the same window on any machine and under any load, so a seeded run is
   * reproduced exactly, and a run trained in segments (each resuming the last with a higher limit) ends
   * with the same weights as one run. A positive integer.
   */
  readonly charLimit?: number | null;
  readonly seed: number;
  /** The model directory: the checkpoint, metrics.csv and learning-curve.svg. */
  readonly out: string;
  /**
   * Continue the checkpoint in `out`. The checkpoint settings (CHECKPOINT_SETTINGS) then come from the
   * checkpoint, and the corpus and validation text must be the ones it was trained on; the learning rate
   * too, unless `overrideLearningRate`.
   */
  readonly resume: boolean;
  readonly overrideLearningRate?: boolean;
  /**
   * On a resume, the checkpoint settings the caller asked for (the CLI: the flags typed); each must equal
   * the checkpoint's, and the others are taken from it. Absent: every one of them is the caller's.
   */
  readonly givenSettings?: readonly CheckpointSetting[];
  readonly sampleLength?: number;
  /**
   * Split each batch's streams over this many worker threads (parallel/pool.ts), or 'auto' for one per
   * core; 1 trains on this thread. Default 1.
   */
  readonly workers?: number | 'auto';
  /**
   * Streams per micro-batch (models/microbatches.ts): the gradient is summed over micro-batches of this
   * many streams, so the weights do not depend on `workers`; workers ≤ the micro-batch count. Default: none.
   */
  readonly microbatchSize?: number;
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
  /**
   * Aborted by the same request, for what is not a step and takes longer: the workers' start-up and the
   * validation pass are cut short by it (trainer.ts says what is then written). Absent: they run to their
   * end, and the stop is seen at the next poll of `stopRequested`.
   */
  readonly stopSignal?: AbortSignal;
  /** Each record as it joins the history: every epoch, and a partial one cut short by the time limit. */
  readonly onRecord?: (record: EpochRecord) => void;
}
