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

/**
 * dst[j] = dst[j] + src[j] for N floats, each sum rounded once to f32 as `dst + src` anywhere else: the
 * input projection of a token added after the recurrent product it is summed with (generation on two
 * threads, src/lm/stepLayers.ts), bit for bit the product added to it (addition commutes).
 */
export function addRow(dst: usize, src: usize, N: i32): void {
  const bytes = <usize>N << 2;
  const vecBytes = <usize>(N & ~3) << 2;
  let j: usize = 0;
  for (; j < vecBytes; j += 16) v128.store(dst + j, f32x4.add(v128.load(dst + j), v128.load(src + j)));
  for (; j < bytes; j += 4) store<f32>(dst + j, load<f32>(dst + j) + load<f32>(src + j));
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

/**
 * Sets every subnormal float of p[0, n) to zero of the same sign (n a multiple of 4), by its bits alone:
 * integer operations, which the CPU runs at full speed whatever the value (x86 takes a slow microcode
 * path for float arithmetic on subnormal operands; WebAssembly has no flush-to-zero mode).
 */
export function flushSubnormals(p: usize, n: i32): void {
  const exponent = i32x4.splat(0x7f800000);
  const sign = i32x4.splat(0x80000000);
  for (let i = 0; i < n; i += 4) {
    const at = p + (<usize>i << 2);
    const v = v128.load(at);
    // Lanes whose exponent field is 0 (zero or subnormal) keep only their sign bit.
    const tiny = i32x4.eq(v128.and(v, exponent), i32x4.splat(0));
    v128.store(at, v128.bitselect(v128.and(v, sign), v, tiny));
  }
}

/**
 * Sequences between the caller's batch-major layout [B, T, N] and the engine's processing order
 * [T, B, ·], where step k is time t = k, or t = T−1−k with `reverse`:
 *   batchToSteps  dst row k·B + b (stride dstStride) ← src row b·T + t (stride srcStride)
 *   stepsToBatch  dst row b·T + t (stride dstStride) ← src row k·B + b (stride srcStride); rows the
 *                 mask ([T, B] bytes, processing order; 0 = none) marks padding are zero.
 * stepsToBatch with reverse false writes batch-major in processing order (a goBackwards layer's output).
 */
export function batchToSteps(
  dst: usize,
  dstStride: i32,
  src: usize,
  srcStride: i32,
  T: i32,
  B: i32,
  N: i32,
  reverse: bool,
): void {
  const bytes = <usize>N << 2;
  for (let k = 0; k < T; k++) {
    const t = reverse ? T - 1 - k : k;
    for (let b = 0; b < B; b++) {
      const to = dst + (<usize>((k * B + b) * dstStride) << 2);
      memory.copy(to, src + (<usize>((b * T + t) * srcStride) << 2), bytes);
    }
  }
}

export function stepsToBatch(
  dst: usize,
  dstStride: i32,
  src: usize,
  srcStride: i32,
  mask: usize,
  T: i32,
  B: i32,
  N: i32,
  reverse: bool,
): void {
  const bytes = <usize>N << 2;
  for (let k = 0; k < T; k++) {
    const t = reverse ? T - 1 - k : k;
    for (let b = 0; b < B; b++) {
      const to = dst + (<usize>((b * T + t) * dstStride) << 2);
      if (mask != 0 && load<u8>(mask + <usize>(k * B + b)) == 0) memory.fill(to, 0, bytes);
      else memory.copy(to, src + (<usize>((k * B + b) * srcStride) << 2), bytes);
    }
  }
}

/** The index of the first value among n floats at p that is NaN or ±∞, or −1 when all are finite. */
export function firstNonFinite(p: usize, n: i32): i32 {
  // x − x is 0 for finite x and NaN otherwise; NaN survives the sum, so one test at the end suffices.
  let acc = f32x4.splat(0);
  const n4 = n & ~3;
  for (let i = 0; i < n4; i += 4) {
    const v = v128.load(p + (<usize>i << 2));
    acc = f32x4.add(acc, f32x4.sub(v, v));
  }
  let s = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1);
  s += f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
  for (let i = n4; i < n; i++) {
    const v = load<f32>(p + (<usize>i << 2));
    s += v - v;
  }
  if (s == 0) return -1;
  for (let i = 0; i < n; i++) {
    const v = load<f32>(p + (<usize>i << 2));
    if (v - v != 0 || v != v) return i;
  }
  return -1;
}
