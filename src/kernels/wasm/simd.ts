/**
 * Vector helpers shared by the kernels: the multiply-add that the two builds differ in, and the
 * activations (exp, sigmoid, tanh, and the gates' recurrent activation: sigmoid or hard sigmoid) on four
 * lanes at once.
 *
 * Built twice (scripts/build-wasm.mjs): with relaxed SIMD, `madd` is one fused `relaxed_madd`
 * (vfmadd231ps); without it, a multiply and an add. ASC_FEATURE_RELAXED_SIMD is a compile-time constant,
 * so the branch not taken is never compiled.
 */

/** a·b + c on four lanes. */
// @ts-ignore: decorator
@inline
export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

// exp(x) = 2^n · e^r with n = round(x·log2 e), r = x − n·ln 2 split in two parts so r is exact enough;
// e^r on [−ln2/2, ln2/2] by Cephes' degree-6 polynomial (expf, ~1 ulp).
const LOG2E: f32 = 1.44269504088896341;
const LN2_HI: f32 = 0.693359375;
const LN2_LO: f32 = -2.12194440e-4;
const P0: f32 = 1.9875691500e-4;
const P1: f32 = 1.3981999507e-3;
const P2: f32 = 8.3334519073e-3;
const P3: f32 = 4.1665795894e-2;
const P4: f32 = 1.6666665459e-1;
const P5: f32 = 5.0000001201e-1;
// The clamp keeps 2^n a normal float (n in [−126, 127]): below e^−87 the result is ~1e−38, above e^88
// it would overflow. Callers only need exp for sigmoid and tanh, where these limits are exact to float32.
const EXP_MIN: f32 = -87.0;
const EXP_MAX: f32 = 88.0;
// 1.5·2^23: adding it to |y| < 2^22 rounds y to the nearest integer n (ties to even, as f32x4.nearest)
// and leaves n in the low mantissa bits: bits(y + ROUNDER) = bits(ROUNDER) + n.
const ROUNDER: f32 = 12582912.0;

/**
 * e^x on four lanes, x clamped to [−87, 88]. pmin/pmax rather than min/max: V8 turns the exact
 * (NaN- and ±0-aware) min/max into ~7 instructions each, pmin/pmax into one (docs/wasm-notes.md).
 * n is rounded with ROUNDER rather than f32x4.nearest + i32x4.trunc_sat_f32x4_s: V8 expands the
 * saturating conversion into five instructions (NaN and overflow fix-ups n never needs).
 */
// @ts-ignore: decorator
@inline
export function expv(x: v128): v128 {
  x = f32x4.pmax(f32x4.pmin(x, f32x4.splat(EXP_MAX)), f32x4.splat(EXP_MIN));
  const shifted = madd(x, f32x4.splat(LOG2E), f32x4.splat(ROUNDER)); // ROUNDER + n
  const n = f32x4.sub(shifted, f32x4.splat(ROUNDER));
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(LN2_HI)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(LN2_LO)));
  let p = f32x4.splat(P0);
  p = madd(p, r, f32x4.splat(P1));
  p = madd(p, r, f32x4.splat(P2));
  p = madd(p, r, f32x4.splat(P3));
  p = madd(p, r, f32x4.splat(P4));
  p = madd(p, r, f32x4.splat(P5));
  const r2 = f32x4.mul(r, r);
  const y = f32x4.add(madd(p, r2, r), f32x4.splat(1.0));
  // 2^n from its exponent bits: (n + 127) << 23. bits(shifted) = bits(ROUNDER) + n, and the bits of
  // ROUNDER (0x4B400000) all shift out past bit 31, so (bits(shifted) + 127) << 23 is the same.
  const scale = i32x4.shl(i32x4.add(shifted, i32x4.splat(127)), 23);
  return f32x4.mul(y, scale);
}

/** σ(x) = 1 / (1 + e^−x); never overflows thanks to expv's clamp. */
// @ts-ignore: decorator
@inline
export function sigmoidv(x: v128): v128 {
  const one = f32x4.splat(1.0);
  return f32x4.div(one, f32x4.add(one, expv(f32x4.neg(x))));
}

/**
 * tanh(x) = sign(x) · (1 − e^−2|x|) / (1 + e^−2|x|): the exponent is never positive, so no overflow.
 * Near 0 the error is absolute (~1e−7), not relative, as for any formula through e^x.
 */
// @ts-ignore: decorator
@inline
export function tanhv(x: v128): v128 {
  const one = f32x4.splat(1.0);
  const e = expv(f32x4.mul(f32x4.abs(x), f32x4.splat(-2.0)));
  const t = f32x4.div(f32x4.sub(one, e), f32x4.add(one, e));
  // Copy x's sign bit onto t (t ≥ 0).
  const signBit = v128.and(x, i32x4.splat(0x80000000));
  return v128.or(t, signBit);
}

/**
 * TensorFlow.js' (and Keras 2's) hard sigmoid, max(0, min(1, 0.2·x + 0.5)) — not Keras 3's
 * relu6(x + 3)/6, which has slope 1/6. A multiply and an add (not `madd`), as TensorFlow.js computes it.
 */
// @ts-ignore: decorator
@inline
export function hardSigmoidv(x: v128): v128 {
  const y = f32x4.add(f32x4.mul(x, f32x4.splat(0.2)), f32x4.splat(0.5));
  return f32x4.pmax(f32x4.pmin(y, f32x4.splat(1.0)), f32x4.splat(0.0));
}

/** A gate's recurrent activation: hard sigmoid when `hard`, else σ. */
// @ts-ignore: decorator
@inline
export function gatev(x: v128, hard: bool): v128 {
  return hard ? hardSigmoidv(x) : sigmoidv(x);
}

/**
 * d · (the gate's derivative), from the gate's output y: σ' = y(1 − y); the hard sigmoid's is 0.2 where
 * 0 < y < 1 (inside (−2.5, 2.5)) and 0 where it is clipped.
 */
// @ts-ignore: decorator
@inline
export function gateGradv(d: v128, y: v128, hard: bool): v128 {
  const one = f32x4.splat(1.0);
  if (!hard) return f32x4.mul(d, f32x4.mul(y, f32x4.sub(one, y)));
  const inside = v128.and(f32x4.gt(y, f32x4.splat(0.0)), f32x4.lt(y, one));
  return f32x4.mul(d, v128.and(f32x4.splat(0.2), inside));
}
