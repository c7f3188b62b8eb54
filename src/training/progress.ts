/**
 * What `fit` prints. On a terminal (verbose 1): one live line per epoch, redrawn at most every 100 ms —
 *   Epoch 2/5 [=========>          ] 12/25 - 1.2s - 523 samples/s - ETA 1s - loss: 0.6931 - accuracy: 0.5000
 * finished with the epoch's time, throughput and validation values. Elsewhere (a file, a pipe, CI, the
 * browser) or with verbose 2: one plain line per epoch, no control characters.
 */

/** Where progress goes: process.stdout in Node; anything with write (and isTTY) in tests. */
export interface ProgressSink {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

const BAR_WIDTH = 20;
const REDRAW_MS = 100;

export class Progress {
  private epoch = 0;
  private started = 0;
  private lastDraw = -Infinity;
  private samples = 0;
  /** Batches done this epoch. */
  private batches = 0;
  /** When the last training batch finished: throughput excludes validation. */
  private trainedUntil = 0;
  private readonly live: boolean;

  constructor(
    private readonly sink: ProgressSink,
    private readonly epochs: number,
    /** null: unknown (a stream); the line then shows the batches done, without a bar or ETA. */
    private readonly batchesPerEpoch: number | null,
    /** Live redrawing only on a terminal and only at verbose 1. */
    verbose: 1 | 2,
    private readonly now: () => number = () => Date.now(),
    /** What `size` in batchDone counts, for the throughput: 'samples' in fit, 'chars' in the language model. */
    private readonly unit = 'samples',
  ) {
    this.live = verbose === 1 && sink.isTTY === true;
  }

  startEpoch(epoch: number): void {
    this.epoch = epoch;
    this.batches = 0;
    this.started = this.now();
    this.lastDraw = -Infinity;
    this.samples = 0;
  }

  /** After batch `batch` (0-based) of `size` samples; `logs` holds the running epoch values. */
  batchDone(batch: number, size: number, logs: Readonly<Record<string, number>>): void {
    this.samples += size;
    this.batches = batch + 1;
    const t = this.now();
    this.trainedUntil = t;
    if (!this.live) return;
    const total = this.batchesPerEpoch;
    const last = batch === (total ?? 0) - 1;
    if (!last && t - this.lastDraw < REDRAW_MS) return;
    this.lastDraw = t;
    const done = batch + 1;
    const elapsed = (t - this.started) / 1000;
    if (total === null) {
      const parts = [
        `${this.header()} ${done}`,
        seconds(elapsed),
        this.throughput(elapsed),
        ...formatLogs(logs),
      ];
      this.sink.write(`\r${parts.join(' - ')}\x1b[K`);
      return;
    }
    const eta = (elapsed / done) * (total - done);
    const filled = Math.round((BAR_WIDTH * done) / total);
    const bar =
      '='.repeat(Math.max(0, filled - 1)) +
      (filled > 0 ? (last ? '=' : '>') : '') +
      ' '.repeat(BAR_WIDTH - filled);
    const parts = [
      `${this.header()} [${bar}] ${done}/${total}`,
      seconds(elapsed),
      this.throughput(elapsed),
      `ETA ${seconds(eta)}`,
      ...formatLogs(logs),
    ];
    // \r returns to the line start; \x1b[K clears what a longer previous line left behind.
    this.sink.write(`\r${parts.join(' - ')}\x1b[K`);
  }

  /**
   * A validation pass over `chars` characters begins: said after the epoch's live line on a terminal (the
   * final line replaces it), on a line of its own elsewhere — a pass over a large text takes a while, and
   * the epoch's line comes only after it.
   */
  validating(chars: number): void {
    if (this.live) this.sink.write(' - validating…');
    else this.sink.write(`${this.header()} - validating on ${chars} characters…\n`);
  }

  /** The epoch's final line, with validation values. */
  epochDone(logs: Readonly<Record<string, number>>): void {
    const elapsed = (this.now() - this.started) / 1000;
    const training = (this.trainedUntil - this.started) / 1000;
    const parts = [
      `${this.header()} - ${this.batchesPerEpoch === null ? `${this.batches} batches` : `${this.batchesPerEpoch}/${this.batchesPerEpoch}`}`,
      seconds(elapsed),
      this.throughput(training),
      ...formatLogs(logs),
    ];
    this.sink.write(`${this.live ? '\r' : ''}${parts.join(' - ')}${this.live ? '\x1b[K' : ''}\n`);
  }

  private header(): string {
    return `Epoch ${this.epoch + 1}/${this.epochs}`;
  }

  private throughput(elapsed: number): string {
    return elapsed > 0 ? `${Math.round(this.samples / elapsed)} ${this.unit}/s` : `– ${this.unit}/s`;
  }
}

function formatLogs(logs: Readonly<Record<string, number>>): string[] {
  return Object.entries(logs).map(([k, v]) => `${k}: ${v.toFixed(4)}`);
}

function seconds(s: number): string {
  return s < 60 ? `${s.toFixed(1)}s` : `${Math.floor(s / 60)}m${Math.round(s % 60)}s`;
}

/** process.stdout in Node; console.log line by line elsewhere (the browser). */
export function defaultSink(): ProgressSink {
  const stdout = (globalThis as { process?: { stdout?: ProgressSink } }).process?.stdout;
  if (stdout) return stdout;
  let pending = '';
  return {
    isTTY: false,
    write(text: string) {
      pending += text;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) console.log(line);
    },
  };
}
