/**
 * The embedding lookup and its gradient on the WebAssembly engine, for arrays in JavaScript: copies the
 * operands into the engine's memory, runs the kernel (kernels/wasm/embedding.ts), copies the result out.
 * Same contract as kernels/reference/embedding.ts: forward writes y, backward ADDS into dTable.
 *
 * Sizes: N = ids (B·T), V = vocabulary, E = embedding width.
 */
import type { Engine } from './loader.js';

/** y [N, E] = rows of table [V, E] picked by ids [N] (0 ≤ id < V, checked by the caller). Returns y. */
export function embeddingGather(
  engine: Engine,
  y: Float32Array,
  ids: Readonly<Int32Array>,
  table: Readonly<Float32Array>,
  N: number,
  E: number,
): Float32Array {
  const { wasm, arena } = engine;
  const mark = arena.mark();
  try {
    const pIds = arena.allocBytes(4 * N);
    arena.i32(pIds, N).set(ids.subarray(0, N));
    const pTable = arena.copyIn(table);
    const pY = arena.allocFloats(N * E);
    wasm.embeddingGather(pY, pIds, pTable, N, E);
    y.set(arena.f32(pY, N * E));
    return y;
  } finally {
    arena.release(mark);
  }
}

/** dTable [V, E] += the rows of dy [N, E], each into the row its id picked. */
export function embeddingScatter(
  engine: Engine,
  dTable: Float32Array,
  dy: Readonly<Float32Array>,
  ids: Readonly<Int32Array>,
  N: number,
  E: number,
): void {
  const { wasm, arena } = engine;
  const mark = arena.mark();
  try {
    const pIds = arena.allocBytes(4 * N);
    arena.i32(pIds, N).set(ids.subarray(0, N));
    const pDy = arena.allocFloats(N * E);
    arena.f32(pDy, N * E).set(dy.subarray(0, N * E));
    const pTable = arena.copyIn(dTable);
    wasm.embeddingScatter(pTable, pDy, pIds, N, E);
    dTable.set(arena.f32(pTable, dTable.length));
  } finally {
    arena.release(mark);
  }
}
