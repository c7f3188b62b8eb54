/**
 * Matrix multiply on float32 arrays through the WebAssembly kernel: copies the operands into the
 * engine's memory, multiplies, copies the result out. For one-off products and tests; the sequence
 * kernels keep their operands in WebAssembly memory and call the kernel directly.
 */
import type { Engine } from './loader.js';

export interface GemmOptions {
  /** a is stored [K, M] (use its transpose). */
  readonly transA?: boolean;
  /** b is stored [N, K] (use its transpose). */
  readonly transB?: boolean;
  /** out += product instead of out = product. */
  readonly accumulate?: boolean;
}

/**
 * out[M, N] (+)= A[M, K] · B[K, N], all row-major; A is a, or aᵀ with transA; B is b, or bᵀ with transB.
 * Returns out.
 */
export function gemm(
  engine: Engine,
  out: Float32Array,
  a: Readonly<Float32Array>,
  b: Readonly<Float32Array>,
  M: number,
  K: number,
  N: number,
  options: GemmOptions = {},
): Float32Array {
  const { transA = false, transB = false, accumulate = false } = options;
  for (const [name, array, expected] of [
    ['out', out, M * N],
    ['a', a, M * K],
    ['b', b, K * N],
  ] as const) {
    if (array.length !== expected) {
      throw new Error(
        `gemm: ${name} has ${array.length} values, expected ${expected} (M=${M} K=${K} N=${N})`,
      );
    }
  }
  const { wasm, arena } = engine;
  const mark = arena.mark();
  try {
    const pa = arena.copyIn(a);
    const pb = arena.copyIn(b);
    const pc = accumulate ? arena.copyIn(out) : arena.allocFloats(M * N);
    const scratch = arena.allocFloats(wasm.gemmScratchFloats(N));
    // Strides of A(m, k) and B(k, n) in the stored arrays.
    const [aRow, aCol] = transA ? [1, M] : [K, 1];
    const [bRow, bCol] = transB ? [1, K] : [N, 1];
    wasm.gemm(pc, N, pa, aRow, aCol, pb, bRow, bCol, M, K, N, accumulate, scratch);
    out.set(arena.f32(pc, M * N));
    return out;
  } finally {
    arena.release(mark);
  }
}
