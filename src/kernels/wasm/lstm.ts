/**
 * The LSTM's per-step gate math, forward and backward, fused into one pass over a step's rows.
 * The multiplies around it (x·W for all steps, h·U per step, the weight gradients) are `gemm` calls
 * made by the JavaScript driver (src/engine/lstm.ts).
 *
 * Sizes: B = batch rows, U = units padded to a multiple of 4 (the driver pads weights with zeros, which
 * keeps the padded units exactly 0 forward and backward). Gate blocks of U columns in the order `ifco`.
 *
 *   i = σ(a_i),  f = σ(a_f),  g = tanh(a_c),  o = σ(a_o)
 *   c_t = f ⊙ c_{t−1} + i ⊙ g,   h_t = o ⊙ tanh(c_t)
 *
 * σ is the recurrent activation: the logistic sigmoid, or with `hard` TensorFlow.js' hard sigmoid
 * max(0, min(1, 0.2·x + 0.5)) (simd.ts).
 *
 * Masks: mask is 0 (no mask) or a pointer to B bytes, 1 = real step, 0 = padding. A padded row carries its
 * state unchanged (Keras semantics) and gets zero gradient.
 */
import { gateGradv, gatev, tanhv } from './simd';

/**
 * One forward step. z [B, 4U]: pre-activations without bias on entry (x_t·W + h_{t−1}·U), the gate
 * values i f g o on return — the tape backward reads. bias [4U]. cPrev, hPrev [B, U] in;
 * cNext, hNext, tanhC [B, U] out (tanhC = tanh(c_t), saved so backward needs no exp).
 */
export function lstmGatesForward(
  z: usize,
  bias: usize,
  cPrev: usize,
  hPrev: usize,
  cNext: usize,
  hNext: usize,
  tanhC: usize,
  mask: usize,
  B: i32,
  U: i32,
  hard: bool,
): void {
  const blockBytes = (<usize>U) << 2; // one gate block of a row
  for (let b = 0; b < B; b++) {
    const zr = z + ((<usize>(b * 4 * U)) << 2);
    const sr = (<usize>(b * U)) << 2; // offset of this row in the [B, U] state buffers
    // One activation per loop: with all five exponentials in one loop body V8 ran out of vector
    // registers and spilled (and re-materialised the polynomial's constants) every iteration.
    // i and f are side by side (2U columns), then o, then g.
    for (let j: usize = 0; j < 2 * blockBytes; j += 16) {
      v128.store(zr + j, gatev(f32x4.add(v128.load(zr + j), v128.load(bias + j)), hard));
    }
    for (let j: usize = 3 * blockBytes; j < 4 * blockBytes; j += 16) {
      v128.store(zr + j, gatev(f32x4.add(v128.load(zr + j), v128.load(bias + j)), hard));
    }
    for (let j: usize = 2 * blockBytes; j < 3 * blockBytes; j += 16) {
      v128.store(zr + j, tanhv(f32x4.add(v128.load(zr + j), v128.load(bias + j))));
    }
    for (let j = 0; j < U; j += 4) {
      const jb = (<usize>j) << 2;
      const pi = zr + jb;
      const i = v128.load(pi);
      const f = v128.load(pi + blockBytes);
      const g = v128.load(pi + 2 * blockBytes);
      const o = v128.load(pi + 3 * blockBytes);
      const c = f32x4.add(f32x4.mul(f, v128.load(cPrev + sr + jb)), f32x4.mul(i, g));
      const tc = tanhv(c);
      v128.store(cNext + sr + jb, c);
      v128.store(tanhC + sr + jb, tc);
      v128.store(hNext + sr + jb, f32x4.mul(o, tc));
    }
    if (mask != 0 && load<u8>(mask + b) == 0) {
      // Padding: the state passes through. (The gates computed above are never used: backward gives
      // this row zero gradient.)
      memory.copy(hNext + sr, hPrev + sr, (<usize>U) << 2);
      memory.copy(cNext + sr, cPrev + sr, (<usize>U) << 2);
    }
  }
}

/**
 * out [n] = tanh(c [n]) with forward's tanh: the tanh(c_t) a backward step reads, recomputed from the
 * saved cell states rather than kept for every step (bit for bit what `lstmGatesForward` and NovoLSTM's
 * gate pass without layerNorm 'all' wrote). n a multiple of 4.
 */
export function tanhRows(out: usize, c: usize, n: i32): void {
  const bytes = (<usize>n) << 2;
  for (let j: usize = 0; j < bytes; j += 16) v128.store(out + j, tanhv(v128.load(c + j)));
}

/**
 * One backward step, up to the recurrent multiply. gates [B, 4U] and tanhC [B, U] from forward,
 * cPrev [B, U] the cell state before the step. dhCarry [B, U]: gradient w.r.t. h_t from later steps;
 * dhOut [B, U] (or 0): gradient w.r.t. this step's output; dcCarry [B, U]: gradient w.r.t. c_t on entry,
 * w.r.t. c_{t−1} on return (unchanged on padded rows). Writes dz [B, 4U], the gradient w.r.t. the
 * pre-activations (zero on padded rows); the driver then computes dh_{t−1} = dz·Uᵀ. dz may be gates itself
 * (each column's four gates are read before its four gradients are written).
 */
export function lstmGatesBackward(
  dz: usize,
  gates: usize,
  tanhC: usize,
  cPrev: usize,
  dhCarry: usize,
  dhOut: usize,
  dcCarry: usize,
  mask: usize,
  B: i32,
  U: i32,
  hard: bool,
): void {
  const blockBytes = (<usize>U) << 2;
  const one = f32x4.splat(1.0);
  for (let b = 0; b < B; b++) {
    const zr = (<usize>(b * 4 * U)) << 2;
    const sr = (<usize>(b * U)) << 2;
    if (mask != 0 && load<u8>(mask + b) == 0) {
      memory.fill(dz + zr, 0, 4 * blockBytes);
      continue;
    }
    for (let j = 0; j < U; j += 4) {
      const jb = (<usize>j) << 2;
      const pg = gates + zr + jb;
      const i = v128.load(pg);
      const f = v128.load(pg + blockBytes);
      const g = v128.load(pg + 2 * blockBytes);
      const o = v128.load(pg + 3 * blockBytes);
      const tc = v128.load(tanhC + sr + jb);
      let dh = v128.load(dhCarry + sr + jb);
      if (dhOut != 0) dh = f32x4.add(dh, v128.load(dhOut + sr + jb));
      // Through h_t = o ⊙ tanh(c_t).
      const dO = f32x4.mul(dh, tc);
      const dTanhC = f32x4.mul(dh, o);
      const dc = f32x4.add(
        v128.load(dcCarry + sr + jb),
        f32x4.mul(dTanhC, f32x4.sub(one, f32x4.mul(tc, tc))),
      );
      // Through c_t = f ⊙ c_{t−1} + i ⊙ g.
      const dI = f32x4.mul(dc, g);
      const dF = f32x4.mul(dc, v128.load(cPrev + sr + jb));
      const dG = f32x4.mul(dc, i);
      v128.store(dcCarry + sr + jb, f32x4.mul(dc, f));
      // Through the activations: σ' from σ's output (gateGradv), tanh' = 1 − t².
      const pd = dz + zr + jb;
      v128.store(pd, gateGradv(dI, i, hard));
      v128.store(pd + blockBytes, gateGradv(dF, f, hard));
      v128.store(pd + 2 * blockBytes, f32x4.mul(dG, f32x4.sub(one, f32x4.mul(g, g))));
      v128.store(pd + 3 * blockBytes, gateGradv(dO, o, hard));
    }
  }
}
