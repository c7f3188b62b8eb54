/**
 * The embedding layer's table lookup and its gradient, the fast versions of
 * kernels/reference/embedding.ts (the oracle and the fallback).
 *
 * Sizes: N = ids (B·T), E = embedding width. ids [N] i32 (checked 0 ≤ id < V by the layer), table and
 * dTable [V, E], y and dy [N, E], all row-major f32; pointers are byte addresses.
 *
 *   embeddingGather   y[n, :] = table[ids[n], :]
 *   embeddingScatter  dTable[ids[n], :] += dy[n, :], n = 0 … N−1 in order (as the reference)
 */
export function embeddingGather(y: usize, ids: usize, table: usize, N: i32, E: i32): void {
  const rowBytes = <usize>E << 2;
  for (let n = 0; n < N; n++) {
    const id = <usize>load<i32>(ids + (<usize>n << 2));
    memory.copy(y + <usize>n * rowBytes, table + id * rowBytes, rowBytes);
  }
}

export function embeddingScatter(dTable: usize, dy: usize, ids: usize, N: i32, E: i32): void {
  const rowBytes = <usize>E << 2;
  const vecBytes = <usize>(E & ~3) << 2;
  for (let n = 0; n < N; n++) {
    const to = dTable + <usize>load<i32>(ids + (<usize>n << 2)) * rowBytes;
    const from = dy + <usize>n * rowBytes;
    let j: usize = 0;
    for (; j < vecBytes; j += 16) v128.store(to + j, f32x4.add(v128.load(to + j), v128.load(from + j)));
    for (; j < rowBytes; j += 4) store<f32>(to + j, load<f32>(to + j) + load<f32>(from + j));
  }
}
