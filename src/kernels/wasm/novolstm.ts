/**
 * NovoLSTM's per-step gate math, every variant, forward and backward, and the LSTM's with layer norm
 * ('all'): a few passes over each row (the softmax and the layer norms need row reductions), everything
 * else fused. The multiplies around it are the same `gemm` calls as the LSTM's (src/engine/lstm.ts).
 *
 * Sizes: B = batch rows, u = units, U = u rounded up to a multiple of 4, gate blocks of U columns in the
 * order `ifcoi'` (NB = 5 blocks) for the input gates with an i' block, else `ifco` (NB = 4). The
 * reductions (softmax, mean, variance) run over the u real units only: lanes ≥ u are masked out, so the
 * zero-padded units stay exactly zero.
 *
 *   s = σ(a_i),  p = softmax(a_i') over the units,  LN(q) = γ ⊙ q̂ + β,
 *   q̂ = (q − mean(q)) · r,  r = 1/√(var(q) + ε)  (population variance, ε = 1e-3)
 *   GATE_README      i = LN_i(s) ⊙ p          (q = s)
 *   GATE_REFERENCE   i = LN_i(s ⊙ p)          (q = s ⊙ p; a_i' has no recurrent part: the driver's)
 *   GATE_SOFTMAX     i = u · softmax(a_i)     (NB = 4, no LN_i; the tape keeps i, and p = i / u)
 *   GATE_LN_SIGMOID  i = LN_i(s)              (NB = 4)
 *   GATE_LN_LSTM     i = σ(LN_i(a_i))         (NB = 4, the LSTM with layerNorm 'all'; q = a_i, no s)
 *   layerNorm 'inputGate':  f = σ(a_f),  g = tanh(a_c),  o = σ(a_o),  h_t = o ⊙ tanh(c_t)
 *   layerNorm 'all':        f = σ(LN_f(a_f)),  g = tanh(LN_c(a_c)),  o = σ(LN_o(a_o)),
 *                           h_t = o ⊙ tanh(LN_cell(c_t))   (the carried c_t stays unnormalised)
 *   c_t = f ⊙ c_{t−1} + i ⊙ g
 * The gate norms' gains and shifts are gateGamma, gateBeta [4, U], rows f, c, o, cell.
 *
 * Each kernel is written once with the input gate `gate` and the flag `normAll`; the exported entry points
 * call it with constant arguments, so @inline gives specialised copies without the other variants'
 * branches (GATE_LN_LSTM only with normAll: the plain LSTM is lstm.ts).
 */
import { madd, expv, sigmoidv, tanhv } from './simd';

// The input gates (the engine's codes for them: src/engine/lstm.ts).
const GATE_README = 0;
const GATE_REFERENCE = 1;
const GATE_SOFTMAX = 2;
const GATE_LN_SIGMOID = 3;
const GATE_LN_LSTM = 4;

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

// Rows of gateGamma / gateBeta / gateXhat blocks / gateRstd for the 'all' variant's four norms.
const NORM_F = 0;
const NORM_C = 1;
const NORM_O = 2;
const NORM_CELL = 3;

/** q̂ = (q − mean)·r on the real units (lanes of `real`), 0 on padding. */
// @ts-ignore: decorator
@inline
function normalised(q: v128, mean: v128, r: v128, real: v128): v128 {
  return v128.and(f32x4.mul(f32x4.sub(q, mean), r), real);
}

/**
 * The input gate i from its norm's output ln = γ ⊙ q̂ + β: ln ⊙ p (README), else ln on the real units
 * (REFERENCE, LN_SIGMOID). Forward's pass 5 and backward's pass 2 both make i through it (and q̂ through
 * `normalised`), so backward's i is forward's bit for bit without a [T, B, U] copy of it.
 */
// @ts-ignore: decorator
@inline
function inputGate(gate: i32, ln: v128, p: v128, real: v128): v128 {
  return gate == GATE_README ? f32x4.mul(ln, p) : v128.and(ln, real);
}

/** 1/√(Σ d² / u + ε) for the sum of squared deviations in `sumD2`. */
// @ts-ignore: decorator
@inline
function rstdOf(sumD2: v128, invU: f32): f32 {
  return 1.0 / Mathf.sqrt(sumLanes(sumD2) * invU + EPSILON);
}

/**
 * One gate block of a row under its layer norm (layerNorm 'all'): â = (a − mean)·r on the real units
 * (saved to xhatOut), then a = σ(γ ⊙ â + β), or tanh with `tanh`, in place. U floats from each pointer.
 */
// @ts-ignore: decorator
@inline
function normActivate(
  a: usize,
  xhatOut: usize,
  gain: usize,
  shift: usize,
  mean: v128,
  r: v128,
  tanh: bool,
  U: i32,
  u: i32,
): void {
  for (let j = 0; j < U; j += 4) {
    const jb = <usize>j << 2;
    const x = v128.and(f32x4.mul(f32x4.sub(v128.load(a + jb), mean), r), realLanes(j, u));
    v128.store(xhatOut + jb, x);
    const y = madd(v128.load(gain + jb), x, v128.load(shift + jb));
    v128.store(a + jb, tanh ? tanhv(y) : sigmoidv(y));
  }
}

/**
 * One forward step. z [B, NB·U]: pre-activations without bias on entry; on return blocks f c o hold the
 * gate values f g o, block i' (if any) holds p = softmax(a_i'), and block i holds i — except for the gates
 * with s (README, REFERENCE, LN_SIGMOID), where it holds s: i is LN_i(q) (⊙ p), which backward recomputes
 * from s, p and the norm's mean and r with these same operations, so neither q̂ nor s needs a [T, B, U]
 * buffer of its own (26 MB per worker at H = 512, B = 64). That is the tape. bias [NB·U], gamma, beta [U].
 * Saves the input gate norm's mean and r in mean, rstd [B]; for LN_LSTM (whose q = a_i is gone once i is
 * in its block) xhat = q̂ [B, U]; with normAll also gateXhat [B, 4U] (â_f, â_c, â_o, ĉ) and gateRstd
 * [B, 4]. tanhC [B, U] = tanh(c_t), or tanh(LN_cell(c_t)). States as in lstmGatesForward.
 */
// @ts-ignore: decorator
@inline
function gatesForward(
  gate: i32,
  normAll: bool,
  z: usize,
  bias: usize,
  gamma: usize,
  beta: usize,
  gateGamma: usize,
  gateBeta: usize,
  cPrev: usize,
  hPrev: usize,
  cNext: usize,
  hNext: usize,
  tanhC: usize,
  meanOut: usize,
  xhat: usize,
  rstd: usize,
  gateXhat: usize,
  gateRstd: usize,
  mask: usize,
  B: i32,
  U: i32,
  u: i32,
): void {
  const blockBytes = <usize>U << 2;
  const invU: f32 = 1.0 / <f32>u;
  const NB = gate == GATE_README || gate == GATE_REFERENCE ? 5 : 4;
  const hasSig = gate == GATE_README || gate == GATE_REFERENCE || gate == GATE_LN_SIGMOID;
  const hasSoftmax = gate == GATE_README || gate == GATE_REFERENCE || gate == GATE_SOFTMAX;
  // The block the softmax runs over: a_i' (block 4), or a_i itself for GATE_SOFTMAX.
  const softBlock: usize = gate == GATE_SOFTMAX ? 0 : 4 * blockBytes;
  for (let b = 0; b < B; b++) {
    const zr = z + (<usize>(b * NB * U) << 2);
    const sr = <usize>(b * U) << 2;
    const gx = gateXhat + (<usize>(b * 4 * U) << 2); // this row's [4U] of gateXhat
    const gr = gateRstd + (<usize>(b * 4) << 2); // this row's [4] of gateRstd
    // Pass 1: s = σ(a_i) (kept in block i, the tape), Σ s, max of the softmax's input (kept in its
    // block with its bias added); GATE_LN_LSTM: the biased a_i (kept in block i) and its sum; with
    // normAll the biased a_f, a_c, a_o (kept in their blocks) and their sums.
    let sumS = f32x4.splat(0);
    let maxA = f32x4.splat(-Infinity);
    let sumF = f32x4.splat(0);
    let sumC = f32x4.splat(0);
    let sumO = f32x4.splat(0);
    for (let j = 0; j < U; j += 4) {
      const jb = <usize>j << 2;
      const real = realLanes(j, u);
      if (hasSig) {
        const s = v128.and(sigmoidv(f32x4.add(v128.load(zr + jb), v128.load(bias + jb))), real);
        v128.store(zr + jb, s);
        sumS = f32x4.add(sumS, s);
      }
      if (gate == GATE_LN_LSTM) {
        const ai = f32x4.add(v128.load(zr + jb), v128.load(bias + jb)); // padded: 0
        v128.store(zr + jb, ai);
        sumS = f32x4.add(sumS, ai);
      }
      if (hasSoftmax) {
        const pa = zr + softBlock + jb;
        const a = f32x4.add(v128.load(pa), v128.load(bias + softBlock + jb));
        v128.store(pa, a);
        maxA = f32x4.pmax(maxA, v128.bitselect(a, f32x4.splat(-Infinity), real));
      }
      if (normAll) {
        // Padded units have zero weights and bias, so their a is 0 and adds nothing to the sums.
        const af = f32x4.add(v128.load(zr + blockBytes + jb), v128.load(bias + blockBytes + jb));
        const ac = f32x4.add(v128.load(zr + 2 * blockBytes + jb), v128.load(bias + 2 * blockBytes + jb));
        const ao = f32x4.add(v128.load(zr + 3 * blockBytes + jb), v128.load(bias + 3 * blockBytes + jb));
        v128.store(zr + blockBytes + jb, af);
        v128.store(zr + 2 * blockBytes + jb, ac);
        v128.store(zr + 3 * blockBytes + jb, ao);
        sumF = f32x4.add(sumF, af);
        sumC = f32x4.add(sumC, ac);
        sumO = f32x4.add(sumO, ao);
      }
    }
    const maxV = f32x4.splat(maxLanes(maxA));
    const meanF = f32x4.splat(sumLanes(sumF) * invU);
    const meanC = f32x4.splat(sumLanes(sumC) * invU);
    const meanO = f32x4.splat(sumLanes(sumO) * invU);
    // Pass 2: e = exp(a − max) (into the softmax's block), Σ e; with normAll the gate norms' variances.
    let sumE = f32x4.splat(0);
    let d2F = f32x4.splat(0);
    let d2C = f32x4.splat(0);
    let d2O = f32x4.splat(0);
    for (let j = 0; j < U; j += 4) {
      const jb = <usize>j << 2;
      const real = realLanes(j, u);
      if (hasSoftmax) {
        const pa = zr + softBlock + jb;
        const e = v128.and(expv(f32x4.sub(v128.load(pa), maxV)), real);
        v128.store(pa, e);
        sumE = f32x4.add(sumE, e);
      }
      if (normAll) {
        const df = v128.and(f32x4.sub(v128.load(zr + blockBytes + jb), meanF), real);
        const dc = v128.and(f32x4.sub(v128.load(zr + 2 * blockBytes + jb), meanC), real);
        const dO = v128.and(f32x4.sub(v128.load(zr + 3 * blockBytes + jb), meanO), real);
        d2F = madd(df, df, d2F);
        d2C = madd(dc, dc, d2C);
        d2O = madd(dO, dO, d2O);
      }
    }
    const invSum = f32x4.splat(hasSoftmax ? 1.0 / sumLanes(sumE) : 0);
    let rF = f32x4.splat(0);
    let rC = f32x4.splat(0);
    let rO = f32x4.splat(0);
    if (normAll) {
      const f = rstdOf(d2F, invU);
      const c = rstdOf(d2C, invU);
      const o = rstdOf(d2O, invU);
      store<f32>(gr, f, NORM_F << 2);
      store<f32>(gr, c, NORM_C << 2);
      store<f32>(gr, o, NORM_O << 2);
      rF = f32x4.splat(f);
      rC = f32x4.splat(c);
      rO = f32x4.splat(o);
    }
    // The input gate norm's input q, from block i: s (README, LN_SIGMOID), a_i (LN_LSTM, normalised in
    // its block in pass 4) or s ⊙ p (REFERENCE, remade from s and e in each pass that reads it: the same
    // two products each time). SOFTMAX: none.
    let meanS: f32 = sumLanes(sumS) * invU;
    if (gate == GATE_REFERENCE) {
      let sumQ = f32x4.splat(0);
      for (let j = 0; j < U; j += 4) {
        const jb = <usize>j << 2;
        const p = f32x4.mul(v128.load(zr + 4 * blockBytes + jb), invSum);
        sumQ = f32x4.add(sumQ, f32x4.mul(v128.load(zr + jb), p));
      }
      meanS = sumLanes(sumQ) * invU;
    }
    const mean = f32x4.splat(meanS);
    // Pass 3: Σ (q − mean)², two-pass so the variance does not cancel.
    let rV = f32x4.splat(0);
    if (gate != GATE_SOFTMAX) {
      let sumD2 = f32x4.splat(0);
      for (let j = 0; j < U; j += 4) {
        const jb = <usize>j << 2;
        let q = v128.load(zr + jb);
        if (gate == GATE_REFERENCE) q = f32x4.mul(q, f32x4.mul(v128.load(zr + 4 * blockBytes + jb), invSum));
        const d = v128.and(f32x4.sub(q, mean), realLanes(j, u));
        sumD2 = madd(d, d, sumD2);
      }
      const r: f32 = rstdOf(sumD2, invU);
      store<f32>(meanOut + (<usize>b << 2), meanS);
      store<f32>(rstd + (<usize>b << 2), r);
      rV = f32x4.splat(r);
    }
    // GATE_LN_LSTM: i = σ(LN_i(a_i)) in place in block i, q̂ saved to xhat.
    if (gate == GATE_LN_LSTM) normActivate(zr, xhat + sr, gamma, beta, mean, rV, false, U, u);
    // Pass 4: f, g, o in place in their blocks, one activation per loop: with all of them (and tanh c)
    // in one loop body V8 ran out of vector registers and spilled every iteration (as in
    // lstmGatesForward). With normAll the normalised â_f, â_c, â_o are saved first.
    if (normAll) {
      normActivate(zr + blockBytes, gx + (<usize>(NORM_F * U) << 2), gateGamma + (<usize>(NORM_F * U) << 2), gateBeta + (<usize>(NORM_F * U) << 2), meanF, rF, false, U, u);
      normActivate(zr + 3 * blockBytes, gx + (<usize>(NORM_O * U) << 2), gateGamma + (<usize>(NORM_O * U) << 2), gateBeta + (<usize>(NORM_O * U) << 2), meanO, rO, false, U, u);
      normActivate(zr + 2 * blockBytes, gx + (<usize>(NORM_C * U) << 2), gateGamma + (<usize>(NORM_C * U) << 2), gateBeta + (<usize>(NORM_C * U) << 2), meanC, rC, true, U, u);
    } else {
      for (let j: usize = blockBytes; j < 2 * blockBytes; j += 16) {
        v128.store(zr + j, sigmoidv(f32x4.add(v128.load(zr + j), v128.load(bias + j))));
      }
      for (let j: usize = 3 * blockBytes; j < 4 * blockBytes; j += 16) {
        v128.store(zr + j, sigmoidv(f32x4.add(v128.load(zr + j), v128.load(bias + j))));
      }
      for (let j: usize = 2 * blockBytes; j < 3 * blockBytes; j += 16) {
        v128.store(zr + j, tanhv(f32x4.add(v128.load(zr + j), v128.load(bias + j))));
      }
    }
    // Pass 5: p, q̂, i, c (and without normAll, h). i goes into block i only where it is not made from s.
    const uV = f32x4.splat(<f32>u);
    let sumCell = f32x4.splat(0);
    for (let j = 0; j < U; j += 4) {
      const jb = <usize>j << 2;
      const real = realLanes(j, u);
      const pi = zr + jb;
      const pf = pi + blockBytes;
      const pc = pf + blockBytes;
      const po = pc + blockBytes;
      const pp = po + blockBytes; // block i' (NB = 5 only)
      let i = v128.load(pi); // GATE_LN_LSTM: already σ(LN_i(a_i)); with s: s
      if (gate == GATE_SOFTMAX) {
        i = f32x4.mul(f32x4.mul(i, invSum), uV); // e, padded 0, to u · p
        v128.store(pi, i);
      } else if (gate != GATE_LN_LSTM) {
        // gatesBackward remakes q̂ and i from s and p with the same operations (normalised, inputGate).
        let p = f32x4.splat(0);
        if (gate == GATE_README || gate == GATE_REFERENCE) {
          p = f32x4.mul(v128.load(pp), invSum);
          v128.store(pp, p);
        }
        const q = gate == GATE_REFERENCE ? f32x4.mul(i, p) : i;
        const ln = madd(v128.load(gamma + jb), normalised(q, mean, rV, real), v128.load(beta + jb));
        i = inputGate(gate, ln, p, real);
      }
      const f = v128.load(pf);
      const g = v128.load(pc);
      const c = f32x4.add(f32x4.mul(f, v128.load(cPrev + sr + jb)), f32x4.mul(i, g));
      v128.store(cNext + sr + jb, c);
      if (normAll) {
        sumCell = f32x4.add(sumCell, c); // padded c is 0
      } else {
        const tc = tanhv(c);
        v128.store(tanhC + sr + jb, tc);
        v128.store(hNext + sr + jb, f32x4.mul(v128.load(po), tc));
      }
    }
    if (normAll) {
      // Passes 6 and 7: h_t = o ⊙ tanh(LN_cell(c_t)).
      const meanCell = f32x4.splat(sumLanes(sumCell) * invU);
      let d2Cell = f32x4.splat(0);
      for (let j = 0; j < U; j += 4) {
        const d = v128.and(f32x4.sub(v128.load(cNext + sr + (<usize>j << 2)), meanCell), realLanes(j, u));
        d2Cell = madd(d, d, d2Cell);
      }
      const rc: f32 = rstdOf(d2Cell, invU);
      store<f32>(gr, rc, NORM_CELL << 2);
      const rCell = f32x4.splat(rc);
      for (let j = 0; j < U; j += 4) {
        const jb = <usize>j << 2;
        const off = <usize>(NORM_CELL * U + j) << 2;
        const xcell = v128.and(f32x4.mul(f32x4.sub(v128.load(cNext + sr + jb), meanCell), rCell), realLanes(j, u));
        v128.store(gx + off, xcell);
        const tc = tanhv(madd(v128.load(gateGamma + off), xcell, v128.load(gateBeta + off)));
        v128.store(tanhC + sr + jb, tc);
        v128.store(hNext + sr + jb, f32x4.mul(v128.load(zr + 3 * blockBytes + jb), tc));
      }
    }
    if (mask != 0 && load<u8>(mask + b) == 0) {
      memory.copy(hNext + sr, hPrev + sr, <usize>U << 2);
      memory.copy(cNext + sr, cPrev + sr, <usize>U << 2);
    }
  }
}

/**
 * out [B, U] = tanh(γ_cell ⊙ ĉ + β_cell) for layerNorm 'all', ĉ the cell norm's saved values (gateXhat
 * [B, 4U], block NORM_CELL), γ, β its gain and shift ([4U] each): bit for bit the tanh(LN_cell(c_t)) the
 * forward gate pass computed, recomputed for a backward step rather than kept for every step.
 */
export function tanhNormedCells(out: usize, gateXhat: usize, gateGamma: usize, gateBeta: usize, B: i32, U: i32): void {
  for (let b = 0; b < B; b++) {
    const gx = gateXhat + (<usize>(b * 4 * U) << 2);
    const sr = <usize>(b * U) << 2;
    for (let j = 0; j < U; j += 4) {
      const jb = <usize>j << 2;
      const off = <usize>(NORM_CELL * U + j) << 2;
      v128.store(out + sr + jb, tanhv(madd(v128.load(gateGamma + off), v128.load(gx + off), v128.load(gateBeta + off))));
    }
  }
}

/**
 * One backward step, up to the recurrent multiply. Reads the tape (gates [B, NB·U] as gatesForward left
 * them, tanhC [B, U], the input gate norm's mean and rstd [B], LN_LSTM's xhat [B, U]; with normAll
 * gateXhat [B, 4U], gateRstd [B, 4]) and the norms' gains and shifts; dhCarry, dhOut, dcCarry as in
 * lstmGatesBackward. Writes dz [B, NB·U] (zero on padded rows), adds into dgamma, dbeta [U] (and
 * dGateGamma, dGateBeta [4, U]). work: 5U floats of scratch. dz may be gates itself (the engine
 * overwrites the tape with its gradient): every pass reads a gate value at column j before it writes dz
 * at column j, and p, which pass 4 needs after dp went over it, waits in work 2.
 *
 * The passes, per row (dz's blocks hold intermediate values until their last pass):
 *   1  through h_t = o ⊙ tanh(y): dO (work 0) and dy; with normAll dy through LN_cell's sums (work 1),
 *      else dc_t = dcCarry + dy ⊙ tanh' (work 1)
 *   2  the gates with s remake q̂ and i from s (block i), p and the mean and r, as forward made them;
 *      dc_t (normAll: finishing LN_cell); through c_t: dI, df, dg, dc_{t−1}; the gate
 *      activations' derivatives (final, or into the gate norms' sums with normAll); the input gate's
 *      norm sums (its gv into work 3, q̂ into work 4; README: dp into block i'; SOFTMAX: dp into block i)
 *   3  the gate norms (normAll) and the input gate's norm to da_i, with s read from block i before da_i
 *      goes there (REFERENCE: dp into block i')
 *   4  the softmax: da = p ⊙ (dp − Σ dp ⊙ p), into block i' (block i for SOFTMAX, with p = i / u)
 */
// @ts-ignore: decorator
@inline
function gatesBackward(
  gate: i32,
  normAll: bool,
  dz: usize,
  gates: usize,
  tanhC: usize,
  cPrev: usize,
  meanIn: usize,
  xhat: usize,
  rstd: usize,
  gamma: usize,
  beta: usize,
  dgamma: usize,
  dbeta: usize,
  gateXhat: usize,
  gateRstd: usize,
  gateGamma: usize,
  gateBeta: usize,
  dGateGamma: usize,
  dGateBeta: usize,
  work: usize,
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
  const w0 = work; // dO
  const w1 = work + blockBytes; // normAll: LN_cell's gv, then dc_t; else dc_t
  // The row's softmax output p (README, REFERENCE; SOFTMAX: its i = u·p), kept here for pass 4 because
  // dz may be the gates' own buffer (the engine writes each step's gradient over its gate values): the
  // pass that writes dp over p's block reads p first and parks it here.
  const w2 = work + 2 * blockBytes;
  // The input gate norm's gv = dLn ⊙ γ and q̂ from pass 2 to pass 3: block i still holds s then.
  const w3 = work + 3 * blockBytes;
  const w4 = work + 4 * blockBytes;
  const NB = gate == GATE_README || gate == GATE_REFERENCE ? 5 : 4;
  const uV = f32x4.splat(<f32>u);
  const invUV = f32x4.splat(invU);
  for (let b = 0; b < B; b++) {
    const zr = <usize>(b * NB * U) << 2;
    const sr = <usize>(b * U) << 2;
    const gx = gateXhat + (<usize>(b * 4 * U) << 2);
    const gr = gateRstd + (<usize>(b * 4) << 2);
    if (mask != 0 && load<u8>(mask + b) == 0) {
      memory.fill(dz + zr, 0, <usize>NB * blockBytes);
      continue;
    }
    // Pass 1.
    let sumGCell = f32x4.splat(0);
    let sumGXCell = f32x4.splat(0);
    for (let j = 0; j < U; j += 4) {
      const jb = <usize>j << 2;
      const o = v128.load(gates + zr + 3 * blockBytes + jb);
      const tc = v128.load(tanhC + sr + jb);
      let dh = v128.load(dhCarry + sr + jb);
      if (dhOut != 0) dh = f32x4.add(dh, v128.load(dhOut + sr + jb));
      v128.store(w0 + jb, f32x4.mul(dh, tc));
      const dy = f32x4.mul(f32x4.mul(dh, o), f32x4.sub(one, f32x4.mul(tc, tc)));
      if (normAll) {
        const off = <usize>(NORM_CELL * U + j) << 2;
        const xc = v128.load(gx + off);
        v128.store(dGateGamma + off, madd(dy, xc, v128.load(dGateGamma + off)));
        v128.store(dGateBeta + off, f32x4.add(v128.load(dGateBeta + off), dy));
        const gv = f32x4.mul(dy, v128.load(gateGamma + off));
        sumGCell = f32x4.add(sumGCell, gv);
        sumGXCell = madd(gv, xc, sumGXCell);
        v128.store(w1 + jb, gv);
      } else {
        v128.store(w1 + jb, f32x4.add(v128.load(dcCarry + sr + jb), dy));
      }
    }
    // Pass 2. The input gate norm's mean and r (GATE_SOFTMAX has neither: nothing may be read).
    const hasNorm = gate != GATE_SOFTMAX;
    const mean = hasNorm ? v128.load32_splat(meanIn + (<usize>b << 2)) : one;
    const r = hasNorm ? v128.load32_splat(rstd + (<usize>b << 2)) : one;
    const meanGCell = f32x4.splat(sumLanes(sumGCell) * invU);
    const meanGXCell = f32x4.splat(sumLanes(sumGXCell) * invU);
    const rCell = normAll ? v128.load32_splat(gr, NORM_CELL << 2) : one;
    let sumG = f32x4.splat(0);
    let sumGX = f32x4.splat(0);
    let dot = f32x4.splat(0); // Σ dp ⊙ p, for the softmax's Jacobian
    let sumGF = f32x4.splat(0);
    let sumGXF = f32x4.splat(0);
    let sumGC = f32x4.splat(0);
    let sumGXC = f32x4.splat(0);
    let sumGO = f32x4.splat(0);
    let sumGXO = f32x4.splat(0);
    for (let j = 0; j < U; j += 4) {
      const jb = <usize>j << 2;
      const real = realLanes(j, u);
      const pg = gates + zr + jb;
      const pd = dz + zr + jb;
      // i, and q̂ for the input gate's norm: remade from s, p, mean and r as gatesForward's pass 5 made
      // them; LN_LSTM keeps i in block i and q̂ in xhat; SOFTMAX has i in block i and no norm.
      let i = v128.load(pg);
      let xh = f32x4.splat(0);
      let p = f32x4.splat(0);
      if (gate == GATE_README || gate == GATE_REFERENCE) p = v128.load(pg + 4 * blockBytes);
      if (gate == GATE_README || gate == GATE_REFERENCE || gate == GATE_LN_SIGMOID) {
        const q = gate == GATE_REFERENCE ? f32x4.mul(i, p) : i;
        xh = normalised(q, mean, r, real);
        i = inputGate(gate, madd(v128.load(gamma + jb), xh, v128.load(beta + jb)), p, real);
      } else if (gate == GATE_LN_LSTM) {
        xh = v128.load(xhat + sr + jb);
      }
      const f = v128.load(pg + blockBytes);
      const g = v128.load(pg + 2 * blockBytes);
      const o = v128.load(pg + 3 * blockBytes);
      let dc = v128.load(w1 + jb);
      if (normAll) {
        const xc = v128.load(gx + (<usize>(NORM_CELL * U + j) << 2));
        const dCell = v128.and(f32x4.mul(rCell, f32x4.sub(f32x4.sub(dc, meanGCell), f32x4.mul(xc, meanGXCell))), real);
        dc = f32x4.add(v128.load(dcCarry + sr + jb), dCell);
      }
      // Through c_t = f ⊙ c_{t−1} + i ⊙ g, then the activations (σ' = s(1 − s), tanh' = 1 − t²).
      const dI = f32x4.mul(dc, g);
      v128.store(dcCarry + sr + jb, f32x4.mul(dc, f));
      const dF = f32x4.mul(f32x4.mul(dc, v128.load(cPrev + sr + jb)), f32x4.mul(f, f32x4.sub(one, f)));
      const dG = f32x4.mul(f32x4.mul(dc, i), f32x4.sub(one, f32x4.mul(g, g)));
      const dO = f32x4.mul(v128.load(w0 + jb), f32x4.mul(o, f32x4.sub(one, o)));
      if (normAll) {
        // Into the gate norms: dγ, dβ, and gv = d ⊙ γ (parked in the gate's block) with its sums.
        const offF = <usize>(NORM_F * U + j) << 2;
        const offC = <usize>(NORM_C * U + j) << 2;
        const offO = <usize>(NORM_O * U + j) << 2;
        const xf = v128.load(gx + offF);
        const xc = v128.load(gx + offC);
        const xo = v128.load(gx + offO);
        v128.store(dGateGamma + offF, madd(dF, xf, v128.load(dGateGamma + offF)));
        v128.store(dGateGamma + offC, madd(dG, xc, v128.load(dGateGamma + offC)));
        v128.store(dGateGamma + offO, madd(dO, xo, v128.load(dGateGamma + offO)));
        v128.store(dGateBeta + offF, f32x4.add(v128.load(dGateBeta + offF), dF));
        v128.store(dGateBeta + offC, f32x4.add(v128.load(dGateBeta + offC), dG));
        v128.store(dGateBeta + offO, f32x4.add(v128.load(dGateBeta + offO), dO));
        const gvF = f32x4.mul(dF, v128.load(gateGamma + offF));
        const gvC = f32x4.mul(dG, v128.load(gateGamma + offC));
        const gvO = f32x4.mul(dO, v128.load(gateGamma + offO));
        sumGF = f32x4.add(sumGF, gvF);
        sumGC = f32x4.add(sumGC, gvC);
        sumGO = f32x4.add(sumGO, gvO);
        sumGXF = madd(gvF, xf, sumGXF);
        sumGXC = madd(gvC, xc, sumGXC);
        sumGXO = madd(gvO, xo, sumGXO);
        v128.store(pd + blockBytes, gvF);
        v128.store(pd + 2 * blockBytes, gvC);
        v128.store(pd + 3 * blockBytes, gvO);
      } else {
        v128.store(pd + blockBytes, dF);
        v128.store(pd + 2 * blockBytes, dG);
        v128.store(pd + 3 * blockBytes, dO);
      }
      if (gate == GATE_SOFTMAX) {
        // i = u · p: dp = u · dI (block i), and Σ dp ⊙ p = Σ dI ⊙ i.
        v128.store(w2 + jb, i);
        v128.store(pd, f32x4.mul(dI, uV));
        dot = madd(dI, i, dot);
        continue;
      }
      // Into the input gate's norm: its output gets dI ⊙ p (README, i = LN ⊙ p), dI (REFERENCE,
      // LN_SIGMOID) or dI ⊙ σ'(LN output) (LN_LSTM, i = σ(LN)).
      const gam = v128.load(gamma + jb);
      let dLn = dI;
      if (gate == GATE_README) {
        v128.store(w2 + jb, p);
        dLn = f32x4.mul(dI, p);
        const dP = f32x4.mul(dI, madd(gam, xh, v128.load(beta + jb)));
        dot = madd(dP, p, dot);
        v128.store(pd + 4 * blockBytes, dP);
      } else if (gate == GATE_LN_LSTM) {
        dLn = f32x4.mul(dI, f32x4.mul(i, f32x4.sub(one, i)));
      }
      v128.store(dgamma + jb, madd(dLn, xh, v128.load(dgamma + jb)));
      v128.store(dbeta + jb, f32x4.add(v128.load(dbeta + jb), dLn));
      const gv = f32x4.mul(dLn, gam);
      sumG = f32x4.add(sumG, gv);
      sumGX = madd(gv, xh, sumGX);
      v128.store(w3 + jb, gv);
      v128.store(w4 + jb, xh);
    }
    // Pass 3.
    const meanG = f32x4.splat(sumLanes(sumG) * invU);
    const meanGX = f32x4.splat(sumLanes(sumGX) * invU);
    const meanGF = f32x4.splat(sumLanes(sumGF) * invU);
    const meanGXF = f32x4.splat(sumLanes(sumGXF) * invU);
    const meanGC = f32x4.splat(sumLanes(sumGC) * invU);
    const meanGXC = f32x4.splat(sumLanes(sumGXC) * invU);
    const meanGO = f32x4.splat(sumLanes(sumGO) * invU);
    const meanGXO = f32x4.splat(sumLanes(sumGXO) * invU);
    const rF = normAll ? v128.load32_splat(gr, NORM_F << 2) : one;
    const rC = normAll ? v128.load32_splat(gr, NORM_C << 2) : one;
    const rO = normAll ? v128.load32_splat(gr, NORM_O << 2) : one;
    for (let j = 0; j < U; j += 4) {
      const jb = <usize>j << 2;
      const real = realLanes(j, u);
      const pd = dz + zr + jb;
      if (normAll) {
        // LN backward: dx = r · (gv − mean(gv) − x̂ · mean(gv ⊙ x̂)).
        const xf = v128.load(gx + (<usize>(NORM_F * U + j) << 2));
        const xc = v128.load(gx + (<usize>(NORM_C * U + j) << 2));
        const xo = v128.load(gx + (<usize>(NORM_O * U + j) << 2));
        const pf = pd + blockBytes;
        const pc = pd + 2 * blockBytes;
        const po = pd + 3 * blockBytes;
        v128.store(pf, v128.and(f32x4.mul(rF, f32x4.sub(f32x4.sub(v128.load(pf), meanGF), f32x4.mul(xf, meanGXF))), real));
        v128.store(pc, v128.and(f32x4.mul(rC, f32x4.sub(f32x4.sub(v128.load(pc), meanGC), f32x4.mul(xc, meanGXC))), real));
        v128.store(po, v128.and(f32x4.mul(rO, f32x4.sub(f32x4.sub(v128.load(po), meanGO), f32x4.mul(xo, meanGXO))), real));
      }
      if (gate == GATE_SOFTMAX) continue; // dp stays in block i for pass 4
      const xh = v128.load(w4 + jb);
      const dQ = v128.and(f32x4.mul(r, f32x4.sub(f32x4.sub(v128.load(w3 + jb), meanG), f32x4.mul(xh, meanGX))), real);
      if (gate == GATE_LN_LSTM) {
        v128.store(pd, dQ); // q = a_i
        continue;
      }
      const s = v128.load(gates + zr + jb);
      let dS = dQ;
      if (gate == GATE_REFERENCE) {
        const p = v128.load(gates + zr + 4 * blockBytes + jb);
        v128.store(w2 + jb, p);
        dS = f32x4.mul(dQ, p);
        const dP = f32x4.mul(dQ, s);
        dot = madd(dP, p, dot);
        v128.store(pd + 4 * blockBytes, dP);
      }
      v128.store(pd, f32x4.mul(dS, f32x4.mul(s, f32x4.sub(one, s))));
    }
    // Pass 4: the softmax's Jacobian, da = p ⊙ (dp − Σ dp ⊙ p).
    if (gate == GATE_README || gate == GATE_REFERENCE) {
      const dotV = f32x4.splat(sumLanes(dot));
      for (let j = 0; j < U; j += 4) {
        const jb = <usize>j << 2;
        const pd = dz + zr + 4 * blockBytes + jb;
        const p = v128.load(w2 + jb);
        v128.store(pd, f32x4.mul(p, f32x4.sub(v128.load(pd), dotV)));
      }
    } else if (gate == GATE_SOFTMAX) {
      const dotV = f32x4.splat(sumLanes(dot));
      for (let j = 0; j < U; j += 4) {
        const jb = <usize>j << 2;
        const pd = dz + zr + jb;
        const p = f32x4.mul(v128.load(w2 + jb), invUV); // padded i = 0
        v128.store(pd, f32x4.mul(p, f32x4.sub(v128.load(pd), dotV)));
      }
    }
  }
}

/**
 * Forward step of every NovoLSTM variant and of the LSTM with layerNorm 'all' (see gatesForward): `gate`
 * is one of the GATE_ codes above, `normAll` the layer-norm placement ('all' or 'inputGate'; always
 * true with GATE_LN_LSTM). Unused pointers may be 0.
 */
export function novoGatesForward(
  gate: i32, normAll: bool,
  z: usize, bias: usize, gamma: usize, beta: usize, gateGamma: usize, gateBeta: usize,
  cPrev: usize, hPrev: usize, cNext: usize, hNext: usize, tanhC: usize,
  mean: usize, xhat: usize, rstd: usize, gateXhat: usize, gateRstd: usize,
  mask: usize, B: i32, U: i32, u: i32,
): void {
  if (gate == GATE_README) {
    if (normAll) gatesForward(GATE_README, true, z, bias, gamma, beta, gateGamma, gateBeta, cPrev, hPrev, cNext, hNext, tanhC, mean, xhat, rstd, gateXhat, gateRstd, mask, B, U, u);
    else gatesForward(GATE_README, false, z, bias, gamma, beta, gateGamma, gateBeta, cPrev, hPrev, cNext, hNext, tanhC, mean, xhat, rstd, gateXhat, gateRstd, mask, B, U, u);
  } else if (gate == GATE_REFERENCE) {
    if (normAll) gatesForward(GATE_REFERENCE, true, z, bias, gamma, beta, gateGamma, gateBeta, cPrev, hPrev, cNext, hNext, tanhC, mean, xhat, rstd, gateXhat, gateRstd, mask, B, U, u);
    else gatesForward(GATE_REFERENCE, false, z, bias, gamma, beta, gateGamma, gateBeta, cPrev, hPrev, cNext, hNext, tanhC, mean, xhat, rstd, gateXhat, gateRstd, mask, B, U, u);
  } else if (gate == GATE_SOFTMAX) {
    if (normAll) gatesForward(GATE_SOFTMAX, true, z, bias, gamma, beta, gateGamma, gateBeta, cPrev, hPrev, cNext, hNext, tanhC, mean, xhat, rstd, gateXhat, gateRstd, mask, B, U, u);
    else gatesForward(GATE_SOFTMAX, false, z, bias, gamma, beta, gateGamma, gateBeta, cPrev, hPrev, cNext, hNext, tanhC, mean, xhat, rstd, gateXhat, gateRstd, mask, B, U, u);
  } else if (gate == GATE_LN_SIGMOID) {
    if (normAll) gatesForward(GATE_LN_SIGMOID, true, z, bias, gamma, beta, gateGamma, gateBeta, cPrev, hPrev, cNext, hNext, tanhC, mean, xhat, rstd, gateXhat, gateRstd, mask, B, U, u);
    else gatesForward(GATE_LN_SIGMOID, false, z, bias, gamma, beta, gateGamma, gateBeta, cPrev, hPrev, cNext, hNext, tanhC, mean, xhat, rstd, gateXhat, gateRstd, mask, B, U, u);
  } else {
    gatesForward(GATE_LN_LSTM, true, z, bias, gamma, beta, gateGamma, gateBeta, cPrev, hPrev, cNext, hNext, tanhC, mean, xhat, rstd, gateXhat, gateRstd, mask, B, U, u);
  }
}

/** Backward step of every variant (see gatesBackward and novoGatesForward). */
export function novoGatesBackward(
  gate: i32, normAll: bool,
  dz: usize, gates: usize, tanhC: usize, cPrev: usize, mean: usize, xhat: usize, rstd: usize,
  gamma: usize, beta: usize, dgamma: usize, dbeta: usize,
  gateXhat: usize, gateRstd: usize, gateGamma: usize, gateBeta: usize, dGateGamma: usize, dGateBeta: usize,
  work: usize, dhCarry: usize, dhOut: usize, dcCarry: usize, mask: usize, B: i32, U: i32, u: i32,
): void {
  if (gate == GATE_README) {
    if (normAll) gatesBackward(GATE_README, true, dz, gates, tanhC, cPrev, mean, xhat, rstd, gamma, beta, dgamma, dbeta, gateXhat, gateRstd, gateGamma, gateBeta, dGateGamma, dGateBeta, work, dhCarry, dhOut, dcCarry, mask, B, U, u);
    else gatesBackward(GATE_README, false, dz, gates, tanhC, cPrev, mean, xhat, rstd, gamma, beta, dgamma, dbeta, gateXhat, gateRstd, gateGamma, gateBeta, dGateGamma, dGateBeta, work, dhCarry, dhOut, dcCarry, mask, B, U, u);
  } else if (gate == GATE_REFERENCE) {
    if (normAll) gatesBackward(GATE_REFERENCE, true, dz, gates, tanhC, cPrev, mean, xhat, rstd, gamma, beta, dgamma, dbeta, gateXhat, gateRstd, gateGamma, gateBeta, dGateGamma, dGateBeta, work, dhCarry, dhOut, dcCarry, mask, B, U, u);
    else gatesBackward(GATE_REFERENCE, false, dz, gates, tanhC, cPrev, mean, xhat, rstd, gamma, beta, dgamma, dbeta, gateXhat, gateRstd, gateGamma, gateBeta, dGateGamma, dGateBeta, work, dhCarry, dhOut, dcCarry, mask, B, U, u);
  } else if (gate == GATE_SOFTMAX) {
    if (normAll) gatesBackward(GATE_SOFTMAX, true, dz, gates, tanhC, cPrev, mean, xhat, rstd, gamma, beta, dgamma, dbeta, gateXhat, gateRstd, gateGamma, gateBeta, dGateGamma, dGateBeta, work, dhCarry, dhOut, dcCarry, mask, B, U, u);
    else gatesBackward(GATE_SOFTMAX, false, dz, gates, tanhC, cPrev, mean, xhat, rstd, gamma, beta, dgamma, dbeta, gateXhat, gateRstd, gateGamma, gateBeta, dGateGamma, dGateBeta, work, dhCarry, dhOut, dcCarry, mask, B, U, u);
  } else if (gate == GATE_LN_SIGMOID) {
    if (normAll) gatesBackward(GATE_LN_SIGMOID, true, dz, gates, tanhC, cPrev, mean, xhat, rstd, gamma, beta, dgamma, dbeta, gateXhat, gateRstd, gateGamma, gateBeta, dGateGamma, dGateBeta, work, dhCarry, dhOut, dcCarry, mask, B, U, u);
    else gatesBackward(GATE_LN_SIGMOID, false, dz, gates, tanhC, cPrev, mean, xhat, rstd, gamma, beta, dgamma, dbeta, gateXhat, gateRstd, gateGamma, gateBeta, dGateGamma, dGateBeta, work, dhCarry, dhOut, dcCarry, mask, B, U, u);
  } else {
    gatesBackward(GATE_LN_LSTM, true, dz, gates, tanhC, cPrev, mean, xhat, rstd, gamma, beta, dgamma, dbeta, gateXhat, gateRstd, gateGamma, gateBeta, dGateGamma, dGateBeta, work, dhCarry, dhOut, dcCarry, mask, B, U, u);
  }
}
