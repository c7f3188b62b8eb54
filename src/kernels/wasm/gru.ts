/**
 * The GRU's per-step gate math, forward and backward, fused into passes over a step's rows, in both of
 * Keras' conventions. The multiplies around it are `gemm` calls made by the JavaScript driver
 * (src/engine/gru.ts).
 *
 * Sizes: B = batch rows, U = units padded to a multiple of 4 (zero weights keep the padding at zero).
 * Gate blocks of U columns in the order `zrh` (update, reset, candidate), as Keras.
 *
 * `resetAfter: true` (Keras' default; one kernel per direction):
 *   zx = x_t·W + b_x,  zh = h_{t−1}·U + b_h
 *   z = σ(zx_z + zh_z),  r = σ(zx_r + zh_r),  ĥ = tanh(zx_h + r ⊙ zh_h),  h_t = z ⊙ h_{t−1} + (1 − z) ⊙ ĥ
 * `resetAfter: false` (the original GRU): the reset gate acts before the candidate's multiply, so each
 * direction is two kernels around a second per-step multiply:
 *   z = σ(zx_z + h_{t−1}·U_z),  r = σ(zx_r + h_{t−1}·U_r),  ĥ = tanh(zx_h + (r ⊙ h_{t−1})·U_h)
 *
 * σ is the recurrent activation: the logistic sigmoid, or with `hard` TensorFlow.js' hard sigmoid
 * max(0, min(1, 0.2·x + 0.5)) (simd.ts).
 *
 * Masks: 0 (none) or B bytes, 1 = real step; a padded row carries its state and gets zero gradient.
 */
import { gateGradv, gatev, tanhv } from './simd';

/**
 * One forward step. zx [B, 3U]: x_t·W without bias on entry, the gate values z r ĥ on return (the tape).
 * zh [B, 3U]: h_{t−1}·U without bias. biasX, biasH [3U]. Writes hNext [B, U] and recurrentH [B, U] =
 * zh_h + b_h (saved for backward).
 */
export function gruGatesForward(
  zx: usize,
  zh: usize,
  biasX: usize,
  biasH: usize,
  hPrev: usize,
  hNext: usize,
  recurrentH: usize,
  mask: usize,
  B: i32,
  U: i32,
  hard: bool,
): void {
  const blockBytes = <usize>U << 2;
  for (let b = 0; b < B; b++) {
    const xr = zx + (<usize>(b * 3 * U) << 2);
    const hr = zh + (<usize>(b * 3 * U) << 2);
    const sr = <usize>(b * U) << 2;
    // z and r (side by side, 2U columns) in one loop, the candidate and h in another: with the three
    // activations in one loop body V8 spilled vector registers every iteration (see lstmGatesForward).
    for (let j: usize = 0; j < 2 * blockBytes; j += 16) {
      const a = f32x4.add(
        f32x4.add(v128.load(xr + j), v128.load(biasX + j)),
        f32x4.add(v128.load(hr + j), v128.load(biasH + j)),
      );
      v128.store(xr + j, gatev(a, hard));
    }
    for (let j = 0; j < U; j += 4) {
      const jb = <usize>j << 2;
      const z = v128.load(xr + jb);
      const r = v128.load(xr + blockBytes + jb);
      const rh = f32x4.add(v128.load(hr + 2 * blockBytes + jb), v128.load(biasH + 2 * blockBytes + jb));
      const ax = f32x4.add(v128.load(xr + 2 * blockBytes + jb), v128.load(biasX + 2 * blockBytes + jb));
      const hc = tanhv(f32x4.add(ax, f32x4.mul(r, rh)));
      const hp = v128.load(hPrev + sr + jb);
      // h = z ⊙ h_{t−1} + (1 − z) ⊙ ĥ = ĥ + z ⊙ (h_{t−1} − ĥ)
      v128.store(hNext + sr + jb, f32x4.add(hc, f32x4.mul(z, f32x4.sub(hp, hc))));
      v128.store(xr + 2 * blockBytes + jb, hc);
      v128.store(recurrentH + sr + jb, rh);
    }
    if (mask != 0 && load<u8>(mask + b) == 0) memory.copy(hNext + sr, hPrev + sr, <usize>U << 2);
  }
}

/**
 * One backward step, up to the recurrent multiply. gates [B, 3U] (z r ĥ) and recurrentH [B, U] from
 * forward; hPrev [B, U]. dh = dhCarry + dhOut (dhOut 0 when absent). Writes the gradients w.r.t. the
 * input projection dzx [B, 3U] and the recurrent projection dzh [B, 3U] (they differ in block h by the
 * factor r; both zero on padded rows), and dhDirect [B, U] = dh ⊙ z, the direct path h_t ← h_{t−1} (the
 * driver adds dzh·Uᵀ). dhDirect may be dhCarry itself, and dzx may be gates itself (each column's gates
 * are read before its gradients are written).
 */
export function gruGatesBackward(
  dzx: usize,
  dzh: usize,
  dhDirect: usize,
  gates: usize,
  recurrentH: usize,
  hPrev: usize,
  dhCarry: usize,
  dhOut: usize,
  mask: usize,
  B: i32,
  U: i32,
  hard: bool,
): void {
  const blockBytes = <usize>U << 2;
  const one = f32x4.splat(1.0);
  for (let b = 0; b < B; b++) {
    const gr = <usize>(b * 3 * U) << 2;
    const sr = <usize>(b * U) << 2;
    if (mask != 0 && load<u8>(mask + b) == 0) {
      memory.fill(dzx + gr, 0, 3 * blockBytes);
      memory.fill(dzh + gr, 0, 3 * blockBytes);
      memory.fill(dhDirect + sr, 0, blockBytes);
      continue;
    }
    for (let j = 0; j < U; j += 4) {
      const jb = <usize>j << 2;
      const pg = gates + gr + jb;
      const z = v128.load(pg);
      const r = v128.load(pg + blockBytes);
      const hc = v128.load(pg + 2 * blockBytes);
      let dh = v128.load(dhCarry + sr + jb);
      if (dhOut != 0) dh = f32x4.add(dh, v128.load(dhOut + sr + jb));
      // Through h_t = z ⊙ h_{t−1} + (1 − z) ⊙ ĥ.
      const dZ = f32x4.mul(dh, f32x4.sub(v128.load(hPrev + sr + jb), hc));
      const dHc = f32x4.mul(dh, f32x4.sub(one, z));
      v128.store(dhDirect + sr + jb, f32x4.mul(dh, z));
      // Through the activations; ĥ's argument is zx_h + r ⊙ zh_h.
      const daZ = gateGradv(dZ, z, hard);
      const daH = f32x4.mul(dHc, f32x4.sub(one, f32x4.mul(hc, hc)));
      const daR = gateGradv(f32x4.mul(daH, v128.load(recurrentH + sr + jb)), r, hard);
      v128.store(dzx + gr + jb, daZ);
      v128.store(dzx + gr + blockBytes + jb, daR);
      v128.store(dzx + gr + 2 * blockBytes + jb, daH);
      v128.store(dzh + gr + jb, daZ);
      v128.store(dzh + gr + blockBytes + jb, daR);
      v128.store(dzh + gr + 2 * blockBytes + jb, f32x4.mul(daH, r));
    }
  }
}

/**
 * `resetAfter: false`, forward, before the candidate's multiply. zx [B, 3U]: x_t·W without bias; blocks
 * z and r become the gate values. zh [B, 3U]: blocks z, r hold h_{t−1}·U_zr. bias [3U]. Writes
 * resetH [B, U] = r ⊙ h_{t−1}, the candidate multiply's input (saved for backward too).
 */
export function gruResetBeforeGatesForward(
  zx: usize,
  zh: usize,
  bias: usize,
  hPrev: usize,
  resetH: usize,
  B: i32,
  U: i32,
  hard: bool,
): void {
  const blockBytes = <usize>U << 2;
  for (let b = 0; b < B; b++) {
    const xr = zx + (<usize>(b * 3 * U) << 2);
    const hr = zh + (<usize>(b * 3 * U) << 2);
    const sr = <usize>(b * U) << 2;
    for (let j = 0; j < U; j += 4) {
      const jb = <usize>j << 2;
      const z = gatev(f32x4.add(f32x4.add(v128.load(xr + jb), v128.load(bias + jb)), v128.load(hr + jb)), hard);
      const ar = f32x4.add(v128.load(xr + blockBytes + jb), v128.load(bias + blockBytes + jb));
      const r = gatev(f32x4.add(ar, v128.load(hr + blockBytes + jb)), hard);
      v128.store(xr + jb, z);
      v128.store(xr + blockBytes + jb, r);
      v128.store(resetH + sr + jb, f32x4.mul(r, v128.load(hPrev + sr + jb)));
    }
  }
}

/**
 * `resetAfter: false`, forward, after the candidate's multiply: zh block h holds (r ⊙ h_{t−1})·U_h.
 * Block h of zx becomes ĥ; writes hNext [B, U] (padded rows carry hPrev).
 */
export function gruResetBeforeCandidateForward(
  zx: usize,
  zh: usize,
  bias: usize,
  hPrev: usize,
  hNext: usize,
  mask: usize,
  B: i32,
  U: i32,
): void {
  const blockBytes = <usize>U << 2;
  for (let b = 0; b < B; b++) {
    const xr = zx + (<usize>(b * 3 * U) << 2);
    const hr = zh + (<usize>(b * 3 * U) << 2);
    const sr = <usize>(b * U) << 2;
    for (let j = 0; j < U; j += 4) {
      const jb = <usize>j << 2;
      const ax = f32x4.add(v128.load(xr + 2 * blockBytes + jb), v128.load(bias + 2 * blockBytes + jb));
      const hc = tanhv(f32x4.add(ax, v128.load(hr + 2 * blockBytes + jb)));
      const z = v128.load(xr + jb);
      const hp = v128.load(hPrev + sr + jb);
      v128.store(hNext + sr + jb, f32x4.add(hc, f32x4.mul(z, f32x4.sub(hp, hc))));
      v128.store(xr + 2 * blockBytes + jb, hc);
    }
    if (mask != 0 && load<u8>(mask + b) == 0) memory.copy(hNext + sr, hPrev + sr, <usize>U << 2);
  }
}

/**
 * `resetAfter: false`, backward, first part: dz [B, 3U] gets blocks z and h (zero on padded rows; block r
 * is left for the second part, which reads r there when dz is gates itself); dhDirect [B, U] = dh ⊙ z.
 * dhDirect may be dhCarry. The driver then computes d(r ⊙ h_{t−1}) = dz_h·U_hᵀ.
 */
export function gruResetBeforeBackward1(
  dz: usize,
  dhDirect: usize,
  gates: usize,
  hPrev: usize,
  dhCarry: usize,
  dhOut: usize,
  mask: usize,
  B: i32,
  U: i32,
  hard: bool,
): void {
  const blockBytes = <usize>U << 2;
  const one = f32x4.splat(1.0);
  for (let b = 0; b < B; b++) {
    const gr = <usize>(b * 3 * U) << 2;
    const sr = <usize>(b * U) << 2;
    if (mask != 0 && load<u8>(mask + b) == 0) {
      memory.fill(dz + gr, 0, blockBytes);
      memory.fill(dz + gr + 2 * blockBytes, 0, blockBytes);
      memory.fill(dhDirect + sr, 0, blockBytes);
      continue;
    }
    for (let j = 0; j < U; j += 4) {
      const jb = <usize>j << 2;
      const z = v128.load(gates + gr + jb);
      const hc = v128.load(gates + gr + 2 * blockBytes + jb);
      let dh = v128.load(dhCarry + sr + jb);
      if (dhOut != 0) dh = f32x4.add(dh, v128.load(dhOut + sr + jb));
      const dZ = f32x4.mul(dh, f32x4.sub(v128.load(hPrev + sr + jb), hc));
      v128.store(dhDirect + sr + jb, f32x4.mul(dh, z));
      v128.store(dz + gr + jb, gateGradv(dZ, z, hard));
      const dHc = f32x4.mul(dh, f32x4.sub(one, z));
      v128.store(dz + gr + 2 * blockBytes + jb, f32x4.mul(dHc, f32x4.sub(one, f32x4.mul(hc, hc))));
    }
  }
}

/**
 * `resetAfter: false`, backward, second part, given dResetH [B, U] = d(r ⊙ h_{t−1}): block r of dz, and
 * dhDirect += dResetH ⊙ r. (On padded rows dResetH is zero, so both stay zero.) The driver then adds
 * dz_zr·U_zrᵀ into dhDirect.
 */
export function gruResetBeforeBackward2(
  dz: usize,
  dhDirect: usize,
  dResetH: usize,
  gates: usize,
  hPrev: usize,
  B: i32,
  U: i32,
  hard: bool,
): void {
  const blockBytes = <usize>U << 2;
  const one = f32x4.splat(1.0);
  for (let b = 0; b < B; b++) {
    const gr = <usize>(b * 3 * U) << 2;
    const sr = <usize>(b * U) << 2;
    for (let j = 0; j < U; j += 4) {
      const jb = <usize>j << 2;
      const r = v128.load(gates + gr + blockBytes + jb);
      const d = v128.load(dResetH + sr + jb);
      const dR = f32x4.mul(d, v128.load(hPrev + sr + jb));
      v128.store(dz + gr + blockBytes + jb, gateGradv(dR, r, hard));
      v128.store(dhDirect + sr + jb, f32x4.add(v128.load(dhDirect + sr + jb), f32x4.mul(d, r)));
    }
  }
}
