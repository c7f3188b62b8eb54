/**
 * A language model stepper: feeds one token at a time and returns the distribution over the next. Made by
 * languageModelStepper (stepper.ts), on one thread, or on two through sharedStepper.ts.
 */
export interface LanguageModelStepper {
  /** 'relaxed' or 'simd' (the WebAssembly build), or 'reference'. */
  readonly runsOn: string;
  /** The vocabulary size V. */
  readonly size: number;
  /**
   * Threads the steps run on now: 1, or 2 (sharedStepper.ts) — with threads: 2 once the worker is ready,
   * with 'auto' while two are timed faster.
   */
  readonly threads: number;
  /**
   * Feeds token `id` (0 ≤ id < V) after those fed before; returns the distribution over the next token [V],
   * an array the next call overwrites.
   */
  step(id: number): Float32Array;
  /** Resolves with the threads the steps will run on once a second thread has started or failed to. */
  whenReady(): Promise<number>;
  /** Ends the stepper (stops its worker thread); resolves once the thread is gone. Steps after it throw. */
  close(): Promise<void>;
}
