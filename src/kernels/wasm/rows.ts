/**
 * Row-wise copies and sums the sequence drivers need between the multiplies. Sizes in floats; pointers
 * are byte addresses.
 */

/** dst row r = src row r for R rows of N floats, with row strides dstStride, srcStride (floats). */
export function copyRows(dst: usize, dstStride: i32, src: usize, srcStride: i32, R: i32, N: i32): void {
  const bytes = <usize>N << 2;
  for (let r = 0; r < R; r++) {
    memory.copy(dst + (<usize>(r * dstStride) << 2), src + (<usize>(r * srcStride) << 2), bytes);
  }
}

/** dst row b = src row b for every row the mask marks real (all rows when mask is 0). [B, U] each. */
export function copyRealRows(dst: usize, src: usize, mask: usize, B: i32, U: i32): void {
  const rowBytes = (<usize>U) << 2;
  for (let b = 0; b < B; b++) {
    if (mask != 0 && load<u8>(mask + b) == 0) continue;
    memory.copy(dst + <usize>b * rowBytes, src + <usize>b * rowBytes, rowBytes);
  }
}

/** out[N] = Σ_r a[r, :] for a [R, N] row-major, N a multiple of 4 (the bias gradient). */
export function columnSums(out: usize, a: usize, R: i32, N: i32): void {
  memory.fill(out, 0, (<usize>N) << 2);
  const rowBytes = (<usize>N) << 2;
  for (let r = 0; r < R; r++) {
    const row = a + <usize>r * rowBytes;
    for (let j = 0; j < N; j += 4) {
      const jb = (<usize>j) << 2;
      v128.store(out + jb, f32x4.add(v128.load(out + jb), v128.load(row + jb)));
    }
  }
}
