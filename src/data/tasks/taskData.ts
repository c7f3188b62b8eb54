/**
 * The shape every task generator returns: padded batch-major inputs with a mask, and targets either at the
 * last real step of each sequence or at every step.
 *
 * Sizes: N = sequences, T = longest length (shorter ones are zero-padded at the end, mask 0),
 * D = input features, K = target features.
 */
export interface TaskData {
  /** [N, T, D] batch-major, zero where padded. */
  readonly x: Float32Array;
  /** [N, T], 1 = real step. */
  readonly mask: Uint8Array;
  /** Real length of each sequence. [N] */
  readonly lengths: Int32Array;
  /** [N, K] when targets are at the end; [N, T, K] when at every step (zero where padded). */
  readonly y: Float32Array;
  readonly N: number;
  readonly T: number;
  readonly inputDim: number;
  readonly targetDim: number;
  readonly targetAt: 'end' | 'every-step';
}

/** Allocates zeroed buffers for N sequences of the given lengths. */
export function allocTaskData(
  lengths: Int32Array,
  inputDim: number,
  targetDim: number,
  targetAt: 'end' | 'every-step',
): TaskData & { x: Float32Array; y: Float32Array; mask: Uint8Array } {
  const N = lengths.length;
  let T = 0;
  for (const length of lengths) T = Math.max(T, length);
  const mask = new Uint8Array(N * T);
  for (let n = 0; n < N; n++) mask.fill(1, n * T, n * T + lengths[n]);
  return {
    x: new Float32Array(N * T * inputDim),
    mask,
    lengths,
    y: new Float32Array(targetAt === 'end' ? N * targetDim : N * T * targetDim),
    N,
    T,
    inputDim,
    targetDim,
    targetAt,
  };
}
