/**
 * NovoLSTM's per-step gate math with layer norm in the input gate (`layerNorm: 'inputGate'`), for both
 * input gates, forward and backward: a few passes over each row (the softmax and the layer norm need row
 * reductions), everything else fused. The multiplies around it are the same `gemm` calls as the LSTM's
 * (src/engine/lstm.ts).
 *
 * Sizes: B = batch rows, u = units, U = u rounded up to a multiple of 4, gate blocks of U columns in the
 * order `ifcoi'`. The reductions (softmax, mean, variance) run over the u real units only: lanes ≥ u
 * are masked out, so the zero-padded units stay exactly zero.
 *
 *   s = σ(a_i),  p = softmax(a_i') over the units,  LN(q) = γ ⊙ q̂ + β,
 *   q̂ = (q − mean(q)) · r,  r = 1/√(var(q) + ε)  (population variance, ε = 1e-3)
 *   'readme':     i = LN(s) ⊙ p            (q = s)
 *   'reference':  i = LN(s ⊙ p)            (q = s ⊙ p; a_i' has no recurrent part, the driver's concern)
 *   f = σ(a_f),  g = tanh(a_c),  o = σ(a_o),  c_t = f ⊙ c_{t−1} + i ⊙ g,  h_t = o ⊙ tanh(c_t)
 *
 * Each kernel is written once with a `readme` flag and exported twice with the flag constant; @inline
 * lets the compiler drop the branches of the other variant.
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
 * Saves sig = s, xhat = q̂ [B, U] and rstd = r [B] for backward. States as in lstmGatesForward.
 */
// @ts-ignore: decorator
@inline
function gatesForward(
  readme: bool,
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
    const maxV = f32x4.splat(maxLanes(maxA));
    // Pass 2: e = exp(a_i' − max) (into block i'), Σ e.
    let sumE = f32x4.splat(0);
    for (let j = 0; j < U; j += 4) {
      const pa = zr + 4 * blockBytes + (<usize>j << 2);
      const e = v128.and(expv(f32x4.sub(v128.load(pa), maxV)), realLanes(j, u));
      v128.store(pa, e);
      sumE = f32x4.add(sumE, e);
    }
    const invSum = f32x4.splat(1.0 / sumLanes(sumE));
    // The layer norm's input q: s ('readme'), or s ⊙ p ('reference', parked in xhat until pass 4).
    let mean = f32x4.splat(sumLanes(sumS) * invU);
    const q = readme ? sig : xhat;
    if (!readme) {
      let sumQ = f32x4.splat(0);
      for (let j = 0; j < U; j += 4) {
        const jb = <usize>j << 2;
        const p = f32x4.mul(v128.load(zr + 4 * blockBytes + jb), invSum);
        const qv = f32x4.mul(v128.load(sig + sr + jb), p);
        v128.store(xhat + sr + jb, qv);
        sumQ = f32x4.add(sumQ, qv);
      }
      mean = f32x4.splat(sumLanes(sumQ) * invU);
    }
    // Pass 3: Σ (q − mean)², two-pass so the variance does not cancel.
    let sumD2 = f32x4.splat(0);
    for (let j = 0; j < U; j += 4) {
      const d = v128.and(f32x4.sub(v128.load(q + sr + (<usize>j << 2)), mean), realLanes(j, u));
      sumD2 = madd(d, d, sumD2);
    }
    const r: f32 = 1.0 / Mathf.sqrt(sumLanes(sumD2) * invU + EPSILON);
    store<f32>(rstd + (<usize>b << 2), r);
    const rV = f32x4.splat(r);
    // Pass 4: p, q̂, the input gate, the other gates, c and h.
    for (let j = 0; j < U; j += 4) {
      const jb = <usize>j << 2;
      const real = realLanes(j, u);
      const pi = zr + jb;
      const pf = pi + blockBytes;
      const pc = pf + blockBytes;
      const po = pc + blockBytes;
      const pp = po + blockBytes;
      const p = f32x4.mul(v128.load(pp), invSum);
      const xh = v128.and(f32x4.mul(f32x4.sub(v128.load(q + sr + jb), mean), rV), real);
      v128.store(xhat + sr + jb, xh);
      const ln = madd(v128.load(gamma + jb), xh, v128.load(beta + jb));
      const i = readme ? f32x4.mul(ln, p) : v128.and(ln, real);
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
// @ts-ignore: decorator
@inline
function gatesBackward(
  readme: bool,
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
    // Pass 1: everything up to the layer norm's reductions. Its gv = dLN ⊙ γ waits in block i, and
    // ('readme') dp in block i', until pass 2.
    let sumG = f32x4.splat(0);
    let sumGX = f32x4.splat(0);
    let dot = f32x4.splat(0); // Σ dp ⊙ p, for the softmax's Jacobian
    for (let j = 0; j < U; j += 4) {
      const jb = <usize>j << 2;
      const pg = gates + zr + jb;
      const f = v128.load(pg + blockBytes);
      const g = v128.load(pg + 2 * blockBytes);
      const o = v128.load(pg + 3 * blockBytes);
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
      // Into the layer norm's output: dI ⊙ p ('readme', where i = LN ⊙ p) or dI ('reference').
      const xh = v128.load(xhat + sr + jb);
      const gam = v128.load(gamma + jb);
      let dLn = dI;
      if (readme) {
        const p = v128.load(pg + 4 * blockBytes);
        dLn = f32x4.mul(dI, p);
        const dP = f32x4.mul(dI, madd(gam, xh, v128.load(beta + jb)));
        dot = madd(dP, p, dot);
        v128.store(pd + 4 * blockBytes, dP);
      }
      v128.store(dgamma + jb, madd(dLn, xh, v128.load(dgamma + jb)));
      v128.store(dbeta + jb, f32x4.add(v128.load(dbeta + jb), dLn));
      const gv = f32x4.mul(dLn, gam);
      sumG = f32x4.add(sumG, gv);
      sumGX = madd(gv, xh, sumGX);
      v128.store(pd, gv);
    }
    const meanG = f32x4.splat(sumLanes(sumG) * invU);
    const meanGX = f32x4.splat(sumLanes(sumGX) * invU);
    const r = v128.load32_splat(rstd + (<usize>b << 2));
    // Pass 2: through the layer norm to dq, then to da_i (and 'reference': dp = dq ⊙ s into block i').
    for (let j = 0; j < U; j += 4) {
      const jb = <usize>j << 2;
      const real = realLanes(j, u);
      const pd = dz + zr + jb;
      const xh = v128.load(xhat + sr + jb);
      const dQ = v128.and(f32x4.mul(r, f32x4.sub(f32x4.sub(v128.load(pd), meanG), f32x4.mul(xh, meanGX))), real);
      const s = v128.load(sig + sr + jb);
      let dS = dQ;
      if (!readme) {
        const p = v128.load(gates + zr + 4 * blockBytes + jb);
        dS = f32x4.mul(dQ, p);
        const dP = f32x4.mul(dQ, s);
        dot = madd(dP, p, dot);
        v128.store(pd + 4 * blockBytes, dP);
      }
      v128.store(pd, f32x4.mul(dS, f32x4.mul(s, f32x4.sub(one, s))));
    }
    // Pass 3: the softmax's Jacobian, da_i' = p ⊙ (dp − Σ dp ⊙ p).
    const dotV = f32x4.splat(sumLanes(dot));
    for (let j = 0; j < U; j += 4) {
      const jb = <usize>j << 2;
      const pd = dz + zr + 4 * blockBytes + jb;
      const p = v128.load(gates + zr + 4 * blockBytes + jb);
      v128.store(pd, f32x4.mul(p, f32x4.sub(v128.load(pd), dotV)));
    }
  }
}

/** Forward step of `inputGate: 'readme'` (see gatesForward). */
export function novoReadmeGatesForward(
  z: usize, bias: usize, gamma: usize, beta: usize, cPrev: usize, hPrev: usize, cNext: usize, hNext: usize,
  tanhC: usize, sig: usize, xhat: usize, rstd: usize, mask: usize, B: i32, U: i32, u: i32,
): void {
  gatesForward(true, z, bias, gamma, beta, cPrev, hPrev, cNext, hNext, tanhC, sig, xhat, rstd, mask, B, U, u);
}

/** Forward step of `inputGate: 'reference'` (see gatesForward). */
export function novoReferenceGatesForward(
  z: usize, bias: usize, gamma: usize, beta: usize, cPrev: usize, hPrev: usize, cNext: usize, hNext: usize,
  tanhC: usize, sig: usize, xhat: usize, rstd: usize, mask: usize, B: i32, U: i32, u: i32,
): void {
  gatesForward(false, z, bias, gamma, beta, cPrev, hPrev, cNext, hNext, tanhC, sig, xhat, rstd, mask, B, U, u);
}

/** Backward step of `inputGate: 'readme'` (see gatesBackward). */
export function novoReadmeGatesBackward(
  dz: usize, gates: usize, tanhC: usize, cPrev: usize, sig: usize, xhat: usize, rstd: usize, gamma: usize,
  beta: usize, dgamma: usize, dbeta: usize, dhCarry: usize, dhOut: usize, dcCarry: usize, mask: usize,
  B: i32, U: i32, u: i32,
): void {
  gatesBackward(true, dz, gates, tanhC, cPrev, sig, xhat, rstd, gamma, beta, dgamma, dbeta, dhCarry, dhOut, dcCarry, mask, B, U, u);
}

/** Backward step of `inputGate: 'reference'` (see gatesBackward). */
export function novoReferenceGatesBackward(
  dz: usize, gates: usize, tanhC: usize, cPrev: usize, sig: usize, xhat: usize, rstd: usize, gamma: usize,
  beta: usize, dgamma: usize, dbeta: usize, dhCarry: usize, dhOut: usize, dcCarry: usize, mask: usize,
  B: i32, U: i32, u: i32,
): void {
  gatesBackward(false, dz, gates, tanhC, cPrev, sig, xhat, rstd, gamma, beta, dgamma, dbeta, dhCarry, dhOut, dcCarry, mask, B, U, u);
}
