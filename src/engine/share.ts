/**
 * One recurrent step at batch 1 shared by two threads, each with its own engine instance holding the same
 * weights (src/lm/sharedStepper.ts): each multiply's output columns are split in two, each thread computes
 * its part, and the threads swap parts, so that both hold the whole row; then both run the same gate pass
 * on it (cheap beside the multiplies, and it keeps every reduction of NovoLSTM's gates whole).
 *
 * Bit for bit the one-thread step: at batch 1 every output column sums k = 0 … K−1 in the same order with
 * the same multiply-add whichever columns a call computes (rowTimesBlock in src/kernels/wasm/gemm.ts), and
 * a part starts on a panel boundary (8 columns), where the packed operand's columns begin.
 */

/** What the engine's `stepShared` needs from the thread that runs the other part. */
export interface StepShare {
  /** This thread's columns [n0, n1) of an N-column multiply (`shareColumns(N, part)`). */
  columns(N: number): readonly [number, number];
  /**
   * Called by both threads in the same order once each has written its columns of the rows named: gives
   * this thread the other's columns of each row. A row: `width` floats at byte address `at`.
   */
  exchange(rows: readonly SharedRow[]): void;
}

export interface SharedRow {
  readonly at: number;
  readonly width: number;
}

/** Panel width of the packed operands (NR in src/kernels/wasm/gemm.ts): a part starts at a multiple. */
const PANEL = 8;

/** Columns [n0, n1) of N for part 0 (the first half, rounded to a panel) or part 1 (the rest). */
export function shareColumns(N: number, part: 0 | 1): [number, number] {
  const split = Math.min(N, Math.round(N / 2 / PANEL) * PANEL);
  return part === 0 ? [0, split] : [split, N];
}
