/**
 * NovoLSTM's per-step gate math (defaults: `inputGate: 'readme'`, `layerNorm: 'inputGate'`), forward and
 * backward, fused into one pass per row plus the row reductions the softmax and the layer norm need.
 * The multiplies around it are the same `gemm` calls as the LSTM's (src/engine/lstm.ts).
 *
 * Sizes: B = batch rows, u = units, U = u rounded up to a multiple of 4, gate blocks of U columns in the
 * order `ifcoi'`. The reductions (softmax, mean, variance) run over the u real units only: lanes ≥ u
 * are masked out, so the zero-padded units stay exactly zero.
 *
 *   s = σ(a_i),  p = softmax(a_i') over the units,  i = LN(s) ⊙ p  with  LN(s) = γ ⊙ ŝ + β,
 *   ŝ = (s − mean(s)) · r,  r = 1/√(var(s) + ε)  (population variance, ε = 1e-3)
 *   f = σ(a_f),  g = tanh(a_c),  o = σ(a_o),  c_t = f ⊙ c_{t−1} + i ⊙ g,  h_t = o ⊙ tanh(c_t)
 */
import { madd, expv, sigmoidv, tanhv } from './simd';

/** Keras' layer-norm ε (LAYER_NORM_EPSILON in the reference). */
const EPSILON: f32 = 1e-3;

/** All-ones lanes for units j … j+3 that are real (< u), zero lanes for padding. */
// @ts-ignore: decorator
@inline
function realLanes(j: i32, u: i32): v128 {
  return i32x4.lt_s(i32x4.add(i32x4.splat(j), i32x4(0, 1, 2, 3)), i32x4.splat(u));
}

// @ts-ignore: decorator
@inline
function sumLanes(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

// @ts-ignore: decorator
@inline
function maxLanes(v: v128): f32 {
  return max(max(f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1)), max(f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3)));
}

/**
 * One forward step. z [B, 5U]: pre-activations without bias on entry; on return blocks i f c o hold the
 * gate values i f g o and block i' holds p = softmax(a_i') — the tape. bias [5U], gamma, beta [U].
 * Saves sig = s, xhat = ŝ [B, U] and rstd = r [B] for backward. States as in lstmGatesForward.
 */
export function novoGatesForward(
  z: usize,
  bias: usize,
  gamma: usize,
  beta: usize,
  cPrev: usize,
  hPrev: usize,
  cNext: usize,
  hNext: usize,
  tanhC: usize,
  sig: usize,
  xhat: usize,
  rstd: usize,
  mask: usize,
  B: i32,
  U: i32,
  u: i32,
): void {
  const blockBytes = <usize>U << 2;
  const invU: f32 = 1.0 / <f32>u;
  for (let b = 0; b < B; b++) {
    const zr = z + (<usize>(b * 5 * U) << 2);
    const sr = <usize>(b * U) << 2;
    // Pass 1: s = σ(a_i) (saved), Σ s, and max a_i' (kept in block i' with its bias added).
    let sumS = f32x4.splat(0);
    let maxA = f32x4.splat(-Infinity);
    for (let j = 0; j < U; j += 4) {
      const jb = <usize>j << 2;
      const real = realLanes(j, u);
      const s = v128.and(sigmoidv(f32x4.add(v128.load(zr + jb), v128.load(bias + jb))), real);
      v128.store(sig + sr + jb, s);
      sumS = f32x4.add(sumS, s);
      const pa = zr + 4 * blockBytes + jb;
      const a = f32x4.add(v128.load(pa), v128.load(bias + 4 * blockBytes + jb));
      v128.store(pa, a);
      maxA = f32x4.pmax(maxA, v128.bitselect(a, f32x4.splat(-Infinity), real));
    }
    const mean = f32x4.splat(sumLanes(sumS) * invU);
    const maxV = f32x4.splat(maxLanes(maxA));
    // Pass 2: e = exp(a_i' − max) (into block i'), Σ e, and Σ (s − mean)².
    let sumE = f32x4.splat(0);
    let sumD2 = f32x4.splat(0);
    for (let j = 0; j < U; j += 4) {
      const jb = <usize>j << 2;
      const real = realLanes(j, u);
      const pa = zr + 4 * blockBytes + jb;
      const e = v128.and(expv(f32x4.sub(v128.load(pa), maxV)), real);
      v128.store(pa, e);
      sumE = f32x4.add(sumE, e);
      const d = v128.and(f32x4.sub(v128.load(sig + sr + jb), mean), real);
      sumD2 = madd(d, d, sumD2);
    }
    const r: f32 = 1.0 / Mathf.sqrt(sumLanes(sumD2) * invU + EPSILON);
    store<f32>(rstd + (<usize>b << 2), r);
    const rV = f32x4.splat(r);
    const invSum = f32x4.splat(1.0 / sumLanes(sumE));
    // Pass 3: p, ŝ, i = (γ ŝ + β) ⊙ p, the other gates, c and h.
    for (let j = 0; j < U; j += 4) {
      const jb = <usize>j << 2;
      const real = realLanes(j, u);
      const pi = zr + jb;
      const pf = pi + blockBytes;
      const pc = pf + blockBytes;
      const po = pc + blockBytes;
      const pp = po + blockBytes;
      const p = f32x4.mul(v128.load(pp), invSum);
      const xh = v128.and(f32x4.mul(f32x4.sub(v128.load(sig + sr + jb), mean), rV), real);
      v128.store(xhat + sr + jb, xh);
      const i = f32x4.mul(madd(v128.load(gamma + jb), xh, v128.load(beta + jb)), p);
      const f = sigmoidv(f32x4.add(v128.load(pf), v128.load(bias + blockBytes + jb)));
      const g = tanhv(f32x4.add(v128.load(pc), v128.load(bias + 2 * blockBytes + jb)));
      const o = sigmoidv(f32x4.add(v128.load(po), v128.load(bias + 3 * blockBytes + jb)));
      const c = f32x4.add(f32x4.mul(f, v128.load(cPrev + sr + jb)), f32x4.mul(i, g));
      const tc = tanhv(c);
      v128.store(pi, i);
      v128.store(pf, f);
      v128.store(pc, g);
      v128.store(po, o);
      v128.store(pp, p);
      v128.store(cNext + sr + jb, c);
      v128.store(tanhC + sr + jb, tc);
      v128.store(hNext + sr + jb, f32x4.mul(o, tc));
    }
    if (mask != 0 && load<u8>(mask + b) == 0) {
      memory.copy(hNext + sr, hPrev + sr, <usize>U << 2);
      memory.copy(cNext + sr, cPrev + sr, <usize>U << 2);
    }
  }
}

/**
 * One backward step, up to the recurrent multiply. Reads the tape (gates [B, 5U], tanhC, sig, xhat
 * [B, U], rstd [B]), gamma, beta [U]; dhCarry, dhOut, dcCarry as in lstmGatesBackward. Writes dz [B, 5U]
 * (zero on padded rows) and adds into dgamma, dbeta [U].
 */
export function novoGatesBackward(
  dz: usize,
  gates: usize,
  tanhC: usize,
  cPrev: usize,
  sig: usize,
  xhat: usize,
  rstd: usize,
  gamma: usize,
  beta: usize,
  dgamma: usize,
  dbeta: usize,
  dhCarry: usize,
  dhOut: usize,
  dcCarry: usize,
  mask: usize,
  B: i32,
  U: i32,
  u: i32,
): void {
  const blockBytes = <usize>U << 2;
  const one = f32x4.splat(1.0);
  const invU: f32 = 1.0 / <f32>u;
  for (let b = 0; b < B; b++) {
    const zr = <usize>(b * 5 * U) << 2;
    const sr = <usize>(b * U) << 2;
    if (mask != 0 && load<u8>(mask + b) == 0) {
      memory.fill(dz + zr, 0, 5 * blockBytes);
      continue;
    }
    // Pass 1: everything but the input gate's reductions; the LN's g = dLN ⊙ γ goes to block i and
    // dp to block i' until pass 2 replaces them.
    let sumG = f32x4.splat(0);
    let sumGX = f32x4.splat(0);
    let dot = f32x4.splat(0);
    for (let j = 0; j < U; j += 4) {
      const jb = <usize>j << 2;
      const pg = gates + zr + jb;
      const f = v128.load(pg + blockBytes);
      const g = v128.load(pg + 2 * blockBytes);
      const o = v128.load(pg + 3 * blockBytes);
      const p = v128.load(pg + 4 * blockBytes);
      const i = v128.load(pg);
      const tc = v128.load(tanhC + sr + jb);
      let dh = v128.load(dhCarry + sr + jb);
      if (dhOut != 0) dh = f32x4.add(dh, v128.load(dhOut + sr + jb));
      // Through h_t = o ⊙ tanh(c_t) and c_t = f ⊙ c_{t−1} + i ⊙ g, as in the LSTM.
      const dO = f32x4.mul(dh, tc);
      const dc = f32x4.add(v128.load(dcCarry + sr + jb), f32x4.mul(f32x4.mul(dh, o), f32x4.sub(one, f32x4.mul(tc, tc))));
      const dI = f32x4.mul(dc, g);
      const dF = f32x4.mul(dc, v128.load(cPrev + sr + jb));
      const dG = f32x4.mul(dc, i);
      v128.store(dcCarry + sr + jb, f32x4.mul(dc, f));
      const pd = dz + zr + jb;
      v128.store(pd + blockBytes, f32x4.mul(dF, f32x4.mul(f, f32x4.sub(one, f))));
      v128.store(pd + 2 * blockBytes, f32x4.mul(dG, f32x4.sub(one, f32x4.mul(g, g))));
      v128.store(pd + 3 * blockBytes, f32x4.mul(dO, f32x4.mul(o, f32x4.sub(one, o))));
      // Through i = LN(s) ⊙ p.
      const xh = v128.load(xhat + sr + jb);
      const gam = v128.load(gamma + jb);
      const lnOut = madd(gam, xh, v128.load(beta + jb));
      const dLn = f32x4.mul(dI, p);
      const dP = f32x4.mul(dI, lnOut);
      v128.store(dgamma + jb, madd(dLn, xh, v128.load(dgamma + jb)));
      v128.store(dbeta + jb, f32x4.add(v128.load(dbeta + jb), dLn));
      const gv = f32x4.mul(dLn, gam);
      sumG = f32x4.add(sumG, gv);
      sumGX = madd(gv, xh, sumGX);
      dot = madd(dP, p, dot);
      v128.store(pd, gv);
      v128.store(pd + 4 * blockBytes, dP);
    }
    const meanG = f32x4.splat(sumLanes(sumG) * invU);
    const meanGX = f32x4.splat(sumLanes(sumGX) * invU);
    const dotV = f32x4.splat(sumLanes(dot));
    const r = v128.load32_splat(rstd + (<usize>b << 2));
    // Pass 2: the layer norm's and the softmax's Jacobians.
    for (let j = 0; j < U; j += 4) {
      const jb = <usize>j << 2;
      const real = realLanes(j, u);
      const pd = dz + zr + jb;
      const xh = v128.load(xhat + sr + jb);
      const dS = v128.and(f32x4.mul(r, f32x4.sub(f32x4.sub(v128.load(pd), meanG), f32x4.mul(xh, meanGX))), real);
      const s = v128.load(sig + sr + jb);
      v128.store(pd, f32x4.mul(dS, f32x4.mul(s, f32x4.sub(one, s))));
      const p = v128.load(gates + zr + 4 * blockBytes + jb);
      v128.store(pd + 4 * blockBytes, f32x4.mul(p, f32x4.sub(v128.load(pd + 4 * blockBytes), dotV)));
    }
  }
}
