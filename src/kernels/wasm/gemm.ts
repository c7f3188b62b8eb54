/**
 * Matrix multiply C (+)= A·B in float32 with a 4×8 register tile, both operands packed per block.
 *
 * Sizes: M rows of A and C, K inner dimension, N columns of B and C.
 * Any operand may be a transpose: A is read as A(m, k) = a[m·aRow + k·aCol], B as
 * B(k, n) = b[k·bRow + n·bCol] (strides in floats). Packing absorbs the strides, so the micro-kernel sees
 * one layout only:
 *   packed A block: ⌈mc/4⌉ panels of [kc, 4] (k-major, four rows side by side; rows past M are zero)
 *   packed B block: ⌈N/8⌉  panels of [kc, 8] (k-major, eight columns side by side; columns past N zero)
 * Blocking (docs/wasm-notes.md: K blocked at 512 kept 38–52 GFLOP/s): per K block of KC, B is packed once
 * (KC·8 floats = 16 KB per panel, stays in L1 across the row tiles), A per MC rows (MC·KC floats =
 * 128 KB, stays in L2 across the column panels).
 *
 * Pointers are byte addresses into this module's memory; C has row stride ldc (floats, unit columns).
 */
import { madd } from './simd';

/** Register tile: MR rows × NR columns of C, in 8 vector accumulators (V8 has 16 vector registers). */
export const MR: i32 = 4;
export const NR: i32 = 8;
/** Inner-dimension block. */
export const KC: i32 = 512;
/** Row block of A. */
export const MC: i32 = 64;

/** KC, for the callers whose exactness depends on a product being one K block (src/engine/recurrent.ts). */
export function gemmDepthBlock(): i32 {
  return KC;
}

/** Floats of scratch `gemm` needs for N columns: packed B block, packed A block, one edge tile. */
export function gemmScratchFloats(N: i32): i32 {
  return KC * panels(N) * NR + MC * KC + MR * NR;
}

/** Floats of a B operand packed once with `packB` (K × N, padded to whole panels). */
export function packedBFloats(K: i32, N: i32): i32 {
  return K * panels(N) * NR;
}

// @ts-ignore: decorator
@inline
function panels(N: i32): i32 {
  return (N + NR - 1) / NR;
}

/**
 * Packs rows [k0, k0 + kc) of B (K × N, strides bRow, bCol) into ⌈N/8⌉ panels of [kc, 8] at dst.
 * Exported for operands multiplied many times (the recurrent weights): pack once with k0 = 0, kc = K.
 */
export function packB(dst: usize, b: usize, bRow: i32, bCol: i32, k0: i32, kc: i32, N: i32): void {
  packPanels(dst, b, bRow, bCol, k0, kc, N, 0);
}

/**
 * packB, and with `sums` ≠ 0 (a row-major B only) each packed row also added into sums[N], rows in
 * order: the same additions as `columnSums` (src/kernels/wasm/rows.ts) over the rows packed, without
 * reading B from memory a second time.
 */
// @ts-ignore: decorator
@inline
function packPanels(dst: usize, b: usize, bRow: i32, bCol: i32, k0: i32, kc: i32, N: i32, sums: usize): void {
  const np = panels(N);
  const panelBytes = <usize>(kc * NR) << 2;
  let j0 = 0;
  if (bCol == 1) {
    // A row-major B: its full panels row by row, each row read once from start to end. Panel by panel,
    // each row's 32 bytes came from a new cache line 4·bRow bytes on, which the prefetchers do not
    // follow: packing the weight gradient's dz (T·B rows of 4·G bytes, read from memory once per
    // product) ran at ~8 GB/s (docs/wasm-notes.md, "The seed-size step").
    j0 = N / NR;
    let src = b + (<usize>(k0 * bRow) << 2);
    const rowBytes = <usize>bRow << 2;
    for (let k = 0; k < kc; k++) {
      let from = src;
      let out = dst + (<usize>(k * NR) << 2);
      let sum = sums;
      for (let j = 0; j < j0; j++) {
        const b0 = v128.load(from);
        const b1 = v128.load(from, 16);
        v128.store(out, b0);
        v128.store(out, b1, 16);
        if (sums) {
          v128.store(sum, f32x4.add(v128.load(sum), b0));
          v128.store(sum, f32x4.add(v128.load(sum, 16), b1), 16);
          sum += NR << 2;
        }
        from += NR << 2;
        out += panelBytes;
      }
      src += rowBytes;
    }
  }
  // A transposed B, and a row-major B's last panel when it is partial: element by element.
  for (let j = j0; j < np; j++) {
    const n0 = j * NR;
    let out = dst + <usize>j * panelBytes;
    for (let k = 0; k < kc; k++) {
      for (let c = 0; c < NR; c++) {
        const n = n0 + c;
        const v: f32 = n < N ? load<f32>(b + (<usize>((k0 + k) * bRow + n * bCol) << 2)) : 0;
        store<f32>(out + (<usize>c << 2), v);
        if (sums && n < N) {
          const at = sums + (<usize>n << 2);
          store<f32>(at, load<f32>(at) + v);
        }
      }
      out += NR << 2;
    }
  }
}

/** Packs rows [m0, m0 + mc) × columns [k0, k0 + kc) of A into ⌈mc/4⌉ panels of [kc, 4] at dst. */
function packA(dst: usize, a: usize, aRow: i32, aCol: i32, m0: i32, mc: i32, k0: i32, kc: i32, M: i32): void {
  const np = (mc + MR - 1) / MR;
  for (let i = 0; i < np; i++) {
    const r0 = m0 + i * MR;
    let out = dst + (<usize>(i * kc * MR) << 2);
    if (aRow == 1 && r0 + MR <= M) {
      // A is a transpose (A(m, k) = a[k·aCol + m]): its four rows at one k are contiguous.
      let src = a + (<usize>(k0 * aCol + r0) << 2);
      const step = <usize>aCol << 2;
      for (let k = 0; k < kc; k++) {
        v128.store(out, v128.load(src));
        src += step;
        out += MR << 2;
      }
    } else if (aCol == 1 && r0 + MR <= M) {
      // Row-major A: four k at a time from each of the four rows, transposed 4×4 in registers.
      const rowBytes = <usize>aRow << 2;
      let p0 = a + (<usize>(r0 * aRow + k0) << 2);
      let k = 0;
      for (; k + 4 <= kc; k += 4) {
        const x0 = v128.load(p0);
        const x1 = v128.load(p0 + rowBytes);
        const x2 = v128.load(p0 + 2 * rowBytes);
        const x3 = v128.load(p0 + 3 * rowBytes);
        const t0 = v128.shuffle<f32>(x0, x1, 0, 4, 1, 5); // r0k0 r1k0 r0k1 r1k1
        const t1 = v128.shuffle<f32>(x0, x1, 2, 6, 3, 7); // r0k2 r1k2 r0k3 r1k3
        const t2 = v128.shuffle<f32>(x2, x3, 0, 4, 1, 5);
        const t3 = v128.shuffle<f32>(x2, x3, 2, 6, 3, 7);
        v128.store(out, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
        v128.store(out, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7), 16);
        v128.store(out, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5), 32);
        v128.store(out, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7), 48);
        p0 += 16;
        out += 4 * MR << 2;
      }
      for (; k < kc; k++) {
        for (let r = 0; r < MR; r++) store<f32>(out + (<usize>r << 2), load<f32>(p0 + <usize>r * rowBytes));
        p0 += 4;
        out += MR << 2;
      }
    } else {
      for (let k = 0; k < kc; k++) {
        for (let r = 0; r < MR; r++) {
          const m = r0 + r;
          const v: f32 = m < M ? load<f32>(a + (<usize>(m * aRow + (k0 + k) * aCol) << 2)) : 0;
          store<f32>(out + (<usize>r << 2), v);
        }
        out += MR << 2;
      }
    }
  }
}

/**
 * The 4×8 micro-kernel: C tile (+)= A panel · B panel over kc ≥ 1 steps. ldc in bytes.
 * `addToC` false writes C = A·B, true adds the product to C.
 *
 * The accumulators start at zero and C is read only after the loop: when C was loaded before it, V8
 * computed the four row addresses there and kept them in registers through the loop, which pushed the
 * loop counter out to the stack (a store and a reload every step; seen in --print-wasm-code).
 */
// @ts-ignore: decorator
@inline
function micro(pa: usize, pb: usize, kc: i32, c: usize, ldc: usize, addToC: bool): void {
  let c00 = f32x4.splat(0);
  let c01 = c00;
  let c10 = c00;
  let c11 = c00;
  let c20 = c00;
  let c21 = c00;
  let c30 = c00;
  let c31 = c00;
  let k = kc;
  // Bottom-tested: V8 kept a top-tested loop's bound in memory (9%, docs/wasm-notes.md).
  do {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let a = v128.load32_splat(pa);
    c00 = madd(a, b0, c00);
    c01 = madd(a, b1, c01);
    a = v128.load32_splat(pa, 4);
    c10 = madd(a, b0, c10);
    c11 = madd(a, b1, c11);
    a = v128.load32_splat(pa, 8);
    c20 = madd(a, b0, c20);
    c21 = madd(a, b1, c21);
    a = v128.load32_splat(pa, 12);
    c30 = madd(a, b0, c30);
    c31 = madd(a, b1, c31);
    pa += MR << 2;
    pb += NR << 2;
  } while (--k);
  if (addToC) {
    c00 = f32x4.add(c00, v128.load(c));
    c01 = f32x4.add(c01, v128.load(c, 16));
    c10 = f32x4.add(c10, v128.load(c + ldc));
    c11 = f32x4.add(c11, v128.load(c + ldc, 16));
    c20 = f32x4.add(c20, v128.load(c + 2 * ldc));
    c21 = f32x4.add(c21, v128.load(c + 2 * ldc, 16));
    c30 = f32x4.add(c30, v128.load(c + 3 * ldc));
    c31 = f32x4.add(c31, v128.load(c + 3 * ldc, 16));
  }
  v128.store(c, c00);
  v128.store(c, c01, 16);
  v128.store(c + ldc, c10);
  v128.store(c + ldc, c11, 16);
  v128.store(c + 2 * ldc, c20);
  v128.store(c + 2 * ldc, c21, 16);
  v128.store(c + 3 * ldc, c30);
  v128.store(c + 3 * ldc, c31, 16);
}

/**
 * A tile at the bottom or right edge (rows < 4 or columns < 8): runs the micro-kernel on a full 4×8
 * scratch tile and copies the valid part to or from C.
 */
function edgeTile(pa: usize, pb: usize, kc: i32, c: usize, ldc: i32, rows: i32, cols: i32, addToC: bool, tile: usize): void {
  for (let r = 0; r < MR; r++) {
    for (let q = 0; q < NR; q++) {
      const v: f32 = addToC && r < rows && q < cols ? load<f32>(c + (<usize>(r * ldc + q) << 2)) : 0;
      store<f32>(tile + (<usize>(r * NR + q) << 2), v);
    }
  }
  micro(pa, pb, kc, tile, NR << 2, true);
  for (let r = 0; r < rows; r++) {
    for (let q = 0; q < cols; q++) {
      store<f32>(c + (<usize>(r * ldc + q) << 2), load<f32>(tile + (<usize>(r * NR + q) << 2)));
    }
  }
}

/**
 * C (+)= A·B for one K block [k0, k0 + kc) with B already packed (panel j at packedB + j·panelStride
 * floats, rows of the block starting at the panel's row k0 − bRow0).
 */
function multiplyBlock(
  c: usize,
  ldc: i32,
  a: usize,
  aRow: i32,
  aCol: i32,
  packedB: usize,
  panelStride: i32,
  k0: i32,
  kc: i32,
  M: i32,
  N: i32,
  addToC: bool,
  packedA: usize,
  tile: usize,
): void {
  const np = panels(N);
  if (M == 1) return rowTimesBlock(c, a, aCol, packedB, panelStride, k0, kc, N, addToC, tile, false);
  const ldcBytes = <usize>ldc << 2;
  for (let m0 = 0; m0 < M; m0 += MC) {
    const mc = min(MC, M - m0);
    packA(packedA, a, aRow, aCol, m0, mc, k0, kc, M);
    const tiles = (mc + MR - 1) / MR;
    for (let j = 0; j < np; j++) {
      const n0 = j * NR;
      const cols = min(NR, N - n0);
      const pb = packedB + (<usize>(j * panelStride) << 2);
      for (let i = 0; i < tiles; i++) {
        const r0 = m0 + i * MR;
        const rows = min(MR, M - r0);
        const pa = packedA + (<usize>(i * kc * MR) << 2);
        const ct = c + (<usize>(r0 * ldc + n0) << 2);
        if (rows == MR && cols == NR) {
          if (addToC) micro(pa, pb, kc, ct, ldcBytes, true);
          else micro(pa, pb, kc, ct, ldcBytes, false);
        } else {
          edgeTile(pa, pb, kc, ct, ldc, rows, cols, addToC, tile);
        }
      }
    }
  }
}

/**
 * multiplyBlock for one row (M = 1: a step of generation at batch 1). The 4×8 tile would spend three
 * quarters of its work on zero rows, and packing A costs as much as the product; here row 0 of A is read
 * in place and each panel of B is streamed once. Every output sums k = k0 … k0 + kc − 1 in the same order
 * with the same multiply-add as `micro`, from zero, and adds C afterwards, so the result is bit for bit the
 * tile's. `descending` runs the panels from the last to the first, the same sums (each column's own) in
 * another order of reading B (src/lm/stepLayers.ts says why). Four panels per pass:
 * one splat of a(k) feeds eight independent accumulators (with two, the multiply-add latency limited it
 * to ~20 GB/s of B from L2; with eight, 30–37).
 */
function rowTimesBlock(
  c: usize,
  a: usize,
  aCol: i32,
  packedB: usize,
  panelStride: i32,
  k0: i32,
  kc: i32,
  N: i32,
  addToC: bool,
  tile: usize,
  descending: bool,
): void {
  const aStep = <usize>aCol << 2;
  const a0 = a + (<usize>(k0 * aCol) << 2);
  const stride = <usize>panelStride << 2;
  const groups = N / (4 * NR); // whole groups of four panels; the panels after them go through the tile
  if (descending) rowTimesTail(c, a0, aStep, packedB, stride, groups * 4, kc, N, addToC, tile);
  for (let g = 0; g < groups; g++) {
    const j = (descending ? groups - 1 - g : g) * 4;
    const cj = c + (<usize>(j * NR) << 2);
    let c0 = f32x4.splat(0);
    let c1 = c0;
    let c2 = c0;
    let c3 = c0;
    let c4 = c0;
    let c5 = c0;
    let c6 = c0;
    let c7 = c0;
    let p0 = packedB + <usize>j * stride;
    let p1 = p0 + stride;
    let p2 = p1 + stride;
    let p3 = p2 + stride;
    let pa = a0;
    let k = kc;
    do {
      const x = v128.load32_splat(pa);
      c0 = madd(x, v128.load(p0), c0);
      c1 = madd(x, v128.load(p0, 16), c1);
      c2 = madd(x, v128.load(p1), c2);
      c3 = madd(x, v128.load(p1, 16), c3);
      c4 = madd(x, v128.load(p2), c4);
      c5 = madd(x, v128.load(p2, 16), c5);
      c6 = madd(x, v128.load(p3), c6);
      c7 = madd(x, v128.load(p3, 16), c7);
      pa += aStep;
      p0 += NR << 2;
      p1 += NR << 2;
      p2 += NR << 2;
      p3 += NR << 2;
    } while (--k);
    // C is added after the sum, as in `micro`, so that both round alike.
    if (addToC) {
      c0 = f32x4.add(c0, v128.load(cj));
      c1 = f32x4.add(c1, v128.load(cj, 16));
      c2 = f32x4.add(c2, v128.load(cj, 32));
      c3 = f32x4.add(c3, v128.load(cj, 48));
      c4 = f32x4.add(c4, v128.load(cj, 64));
      c5 = f32x4.add(c5, v128.load(cj, 80));
      c6 = f32x4.add(c6, v128.load(cj, 96));
      c7 = f32x4.add(c7, v128.load(cj, 112));
    }
    v128.store(cj, c0);
    v128.store(cj, c1, 16);
    v128.store(cj, c2, 32);
    v128.store(cj, c3, 48);
    v128.store(cj, c4, 64);
    v128.store(cj, c5, 80);
    v128.store(cj, c6, 96);
    v128.store(cj, c7, 112);
  }
  if (!descending) rowTimesTail(c, a0, aStep, packedB, stride, groups * 4, kc, N, addToC, tile);
}

/**
 * rowTimesBlock's last panels from panel j0 (fewer than four), possibly past N: through the tile, copying
 * only the valid columns.
 */
function rowTimesTail(
  c: usize,
  a0: usize,
  aStep: usize,
  packedB: usize,
  stride: usize,
  j0: i32,
  kc: i32,
  N: i32,
  addToC: bool,
  tile: usize,
): void {
  const np = panels(N);
  for (let j = j0; j < np; j++) {
    const n0 = j * NR;
    const cols = min(NR, N - n0);
    const cj = c + (<usize>n0 << 2);
    for (let q = 0; q < NR; q++) {
      store<f32>(tile + (<usize>q << 2), addToC && q < cols ? load<f32>(cj + (<usize>q << 2)) : 0);
    }
    let c0 = f32x4.splat(0);
    let c1 = c0;
    let pb = packedB + <usize>j * stride;
    let pa = a0;
    let k = kc;
    do {
      const x = v128.load32_splat(pa);
      c0 = madd(x, v128.load(pb), c0);
      c1 = madd(x, v128.load(pb, 16), c1);
      pa += aStep;
      pb += NR << 2;
    } while (--k);
    v128.store(tile, f32x4.add(c0, v128.load(tile)));
    v128.store(tile, f32x4.add(c1, v128.load(tile, 16)), 16);
    for (let q = 0; q < cols; q++) store<f32>(cj + (<usize>q << 2), load<f32>(tile + (<usize>q << 2)));
  }
}

/** C = 0 (when not accumulating) for K = 0, where there is no block to run. */
function clearIfEmpty(c: usize, ldc: i32, M: i32, N: i32, accumulate: bool): void {
  if (accumulate) return;
  for (let m = 0; m < M; m++) memory.fill(c + (<usize>(m * ldc) << 2), 0, <usize>N << 2);
}

/**
 * C[M, N] (+)= A[M, K] · B[K, N], packing B per K block. scratch: gemmScratchFloats(N) floats,
 * 16-byte aligned.
 */
export function gemm(
  c: usize,
  ldc: i32,
  a: usize,
  aRow: i32,
  aCol: i32,
  b: usize,
  bRow: i32,
  bCol: i32,
  M: i32,
  K: i32,
  N: i32,
  accumulate: bool,
  scratch: usize,
): void {
  multiply(c, ldc, a, aRow, aCol, b, bRow, bCol, M, K, N, accumulate, scratch, 0);
}

/**
 * gemm with a row-major B (bCol = 1), and sums[N] = Σ_k B[k, :], its column sums, made while B is packed:
 * bit for bit `columnSums(sums, b, K, N)` (rows added in order from zero). For the weight gradient
 * [x | H]ᵀ·dz and the bias gradient Σ dz, which would otherwise each read dz from memory.
 */
export function gemmColumnSums(
  c: usize,
  ldc: i32,
  a: usize,
  aRow: i32,
  aCol: i32,
  b: usize,
  bRow: i32,
  M: i32,
  K: i32,
  N: i32,
  accumulate: bool,
  scratch: usize,
  sums: usize,
): void {
  memory.fill(sums, 0, <usize>N << 2);
  multiply(c, ldc, a, aRow, aCol, b, bRow, 1, M, K, N, accumulate, scratch, sums);
}

/**
 * gemmColumnSums over A stacked from two operands: C's first M1 rows from a1 (A1(m, k) = a1[m·a1Row +
 * k·a1Col]), the M2 rows after them from a2, each block of B packed once for both. Bit for bit
 * gemmColumnSums on the stacked A (every row's sums are its own). For the LSTM's weight gradient
 * [dW; dU] = [x | H]ᵀ·dz with x and the states H where they are, not copied side by side.
 */
export function gemmColumnSumsStacked(
  c: usize,
  ldc: i32,
  a1: usize,
  a1Row: i32,
  a1Col: i32,
  M1: i32,
  a2: usize,
  a2Row: i32,
  a2Col: i32,
  M2: i32,
  b: usize,
  bRow: i32,
  K: i32,
  N: i32,
  accumulate: bool,
  scratch: usize,
  sums: usize,
): void {
  memory.fill(sums, 0, <usize>N << 2);
  if (K == 0) return clearIfEmpty(c, ldc, M1 + M2, N, accumulate);
  const packedB = scratch;
  const packedA = packedB + (<usize>(KC * panels(N) * NR) << 2);
  const tile = packedA + (<usize>(MC * KC) << 2);
  const c2 = c + (<usize>(M1 * ldc) << 2);
  for (let k0 = 0; k0 < K; k0 += KC) {
    const kc = min(KC, K - k0);
    packPanels(packedB, b, bRow, 1, k0, kc, N, sums);
    const addToC = accumulate || k0 > 0;
    if (M1 > 0) multiplyBlock(c, ldc, a1, a1Row, a1Col, packedB, kc * NR, k0, kc, M1, N, addToC, packedA, tile);
    if (M2 > 0) multiplyBlock(c2, ldc, a2, a2Row, a2Col, packedB, kc * NR, k0, kc, M2, N, addToC, packedA, tile);
  }
}

// @ts-ignore: decorator
@inline
function multiply(
  c: usize,
  ldc: i32,
  a: usize,
  aRow: i32,
  aCol: i32,
  b: usize,
  bRow: i32,
  bCol: i32,
  M: i32,
  K: i32,
  N: i32,
  accumulate: bool,
  scratch: usize,
  sums: usize,
): void {
  if (K == 0) return clearIfEmpty(c, ldc, M, N, accumulate);
  const packedB = scratch;
  const packedA = packedB + (<usize>(KC * panels(N) * NR) << 2);
  const tile = packedA + (<usize>(MC * KC) << 2);
  for (let k0 = 0; k0 < K; k0 += KC) {
    const kc = min(KC, K - k0);
    packPanels(packedB, b, bRow, bCol, k0, kc, N, sums);
    multiplyBlock(c, ldc, a, aRow, aCol, packedB, kc * NR, k0, kc, M, N, accumulate || k0 > 0, packedA, tile);
  }
}

/**
 * C[M, N] (+)= A[M, K] · B[K, N] with B packed once by packB(dst, b, bRow, bCol, 0, K, N).
 * scratch: gemmScratchFloats(N) floats (only its A part and tile are used).
 */
export function gemmPacked(
  c: usize,
  ldc: i32,
  a: usize,
  aRow: i32,
  aCol: i32,
  packedB: usize,
  M: i32,
  K: i32,
  N: i32,
  accumulate: bool,
  scratch: usize,
): void {
  if (K == 0) return clearIfEmpty(c, ldc, M, N, accumulate);
  const packedA = scratch + (<usize>(KC * panels(N) * NR) << 2);
  const tile = packedA + (<usize>(MC * KC) << 2);
  for (let k0 = 0; k0 < K; k0 += KC) {
    const kc = min(KC, K - k0);
    const block = packedB + (<usize>(k0 * NR) << 2);
    multiplyBlock(c, ldc, a, aRow, aCol, block, K * NR, k0, kc, M, N, accumulate || k0 > 0, packedA, tile);
  }
}

/**
 * gemmPacked for one row (M = 1), its panels of B read from the first or, `descending`, from the last: bit
 * for bit the same C either way. scratch: gemmScratchFloats(N) floats (only the tile is used).
 */
export function rowTimesPacked(
  c: usize,
  a: usize,
  aCol: i32,
  packedB: usize,
  K: i32,
  N: i32,
  accumulate: bool,
  descending: bool,
  scratch: usize,
): void {
  if (K == 0) return clearIfEmpty(c, 0, 1, N, accumulate);
  const tile = scratch + (<usize>(KC * panels(N) * NR + MC * KC) << 2);
  for (let k0 = 0; k0 < K; k0 += KC) {
    const kc = min(KC, K - k0);
    const block = packedB + (<usize>(k0 * NR) << 2);
    rowTimesBlock(c, a, aCol, block, K * NR, k0, kc, N, accumulate || k0 > 0, tile, descending);
  }
}
