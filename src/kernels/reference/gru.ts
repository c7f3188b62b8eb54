/**
 * The GRU (Cho et al. 2014), one step forward and backward, in both of Keras' conventions.
 *
 * Sizes: B = batch rows, u = units. Gate blocks in the order `zrh` (update, reset, candidate), as Keras.
 *
 * `resetAfter: true` (Keras' default since 2.x; cuDNN-compatible): the reset gate multiplies the
 * recurrent projection after it is computed, and there are separate input and recurrent biases.
 *   zx = x_t·W + b_x,   zh = h_{t−1}·U + b_h              (bias [2, 3u]: row 0 = b_x, row 1 = b_h)
 *   z = σ(zx_z + zh_z),  r = σ(zx_r + zh_r),  ĥ = tanh(zx_h + r ⊙ zh_h)
 *
 * `resetAfter: false` (the original GRU; TensorFlow.js's only convention — it rejects resetAfter: true):
 *   z = σ(zx_z + h_{t−1}·U_z),  r = σ(zx_r + h_{t−1}·U_r),  ĥ = tanh(zx_h + (r ⊙ h_{t−1})·U_h)
 *                                                         (bias [3u], all on the input side)
 * Both:  h_t = z ⊙ h_{t−1} + (1 − z) ⊙ ĥ
 σ is the recurrent activation: the logistic sigmoid, or TensorFlow.js' hard sigmoid (activations.ts).
 *
 * Weights: kernel [D, 3u], recurrentKernel [u, 3u], bias [2, 3u] or [3u].
 *
 * Recurrent dropout (Keras' GRU): with a recurrentMask m [B, u], h_{t−1} ⊙ m replaces h_{t−1} in every
 * recurrent projection above (h_{t−1}·U, and (r ⊙ h_{t−1})·U_h), but not in the carry z ⊙ h_{t−1}.
 */
import type { CellKernel, GruSpec, Params, WeightSpec } from '../contract.js';
import { gateActivation } from './activations.js';
import { allocLike, columnBlock, gemm, masked, rowMajor, transposed, type Float } from './floats.js';
import type { CellSizes } from './lstm.js';

/**
 * What forward saves per step for backward (T steps of B rows). Backward recomputes only h_{t−1} ⊙ m
 * (recurrent dropout) and, without resetAfter, r ⊙ h_{t−1}.
 */
export interface GruTape {
  /** [T, B, u] the update gate */
  readonly z: Float;
  /** [T, B, u] the reset gate */
  readonly r: Float;
  /** [T, B, u] the candidate ĥ */
  readonly hCandidate: Float;
  /** [T, B, u] zh_h = h·U_h + b_h (resetAfter; empty otherwise) */
  readonly recurrentH: Float;
}

export type GruKernel = CellKernel<GruTape, GruSpec>;

/** The GRU of `spec` for these sizes. */
export function gruCell(spec: GruSpec, sizes: CellSizes): GruKernel {
  const { label, units: u, inputDim: D } = sizes;
  const { resetAfter } = spec;
  const P = 3 * u;
  const gate = gateActivation(spec.recurrentActivation);
  const Z = 0;
  const R = u;
  const H = 2 * u;
  const weights: WeightSpec[] = [
    { name: 'kernel', shape: [D, P] },
    { name: 'recurrentKernel', shape: [u, P] },
    { name: 'bias', shape: resetAfter ? [2, P] : [P] },
  ];

  return {
    spec,
    label,
    units: u,
    inputDim: D,
    projectionWidth: P,
    hasCellState: false,
    weights,
    // With resetAfter the input-side bias is row 0 of bias; row 1 is added to h·U by the step.
    inputBias: (p: Params) => p.bias.subarray(0, P),

    allocTape(T, B, like): GruTape {
      const n = T * B * u;
      return {
        z: allocLike(like, n), // [T, B, u] update gate
        r: allocLike(like, n), // [T, B, u] reset gate
        hCandidate: allocLike(like, n), // [T, B, u] ĥ
        recurrentH: allocLike(like, resetAfter ? n : 0), // [T, B, u] zh_h = h·U_h + b_h (resetAfter)
      };
    },

    stepForward(hOut, _cOut, tape, k, zx, hPrev, _cPrev, p, B, recurrentMask) {
      const n = B * u;
      const z = tape.z.subarray(k * n, (k + 1) * n);
      const r = tape.r.subarray(k * n, (k + 1) * n);
      const hc = tape.hCandidate.subarray(k * n, (k + 1) * n);
      const U = rowMajor(p.recurrentKernel, P);
      const hRecurrent = recurrentMask ? masked(hPrev, recurrentMask) : hPrev; // h_{t−1} ⊙ m
      // resetAfter: zh = h·U + b_h over all three blocks; otherwise h·U over z and r only.
      const zh = allocLike(hOut, B * P);
      gemm(rowMajor(zh, P), rowMajor(hRecurrent, u), U, B, u, resetAfter ? P : 2 * u, false);
      if (resetAfter) {
        for (let b = 0; b < B; b++) for (let j = 0; j < P; j++) zh[b * P + j] += p.bias[P + j];
      }
      for (let b = 0; b < B; b++) {
        for (let j = 0; j < u; j++) {
          z[b * u + j] = gate.forward(zx[b * P + Z + j] + zh[b * P + Z + j]);
          r[b * u + j] = gate.forward(zx[b * P + R + j] + zh[b * P + R + j]);
        }
      }
      if (resetAfter) {
        const recurrentH = tape.recurrentH.subarray(k * n, (k + 1) * n);
        for (let b = 0; b < B; b++) {
          for (let j = 0; j < u; j++) {
            recurrentH[b * u + j] = zh[b * P + H + j];
            hc[b * u + j] = Math.tanh(zx[b * P + H + j] + r[b * u + j] * recurrentH[b * u + j]);
          }
        }
      } else {
        const resetH = allocLike(hOut, n); // r ⊙ h_{t−1}
        for (let m = 0; m < n; m++) resetH[m] = r[m] * hRecurrent[m];
        const rhU = allocLike(hOut, n);
        gemm(rowMajor(rhU, u), rowMajor(resetH, u), columnBlock(U, H), B, u, u, false);
        for (let b = 0; b < B; b++) {
          for (let j = 0; j < u; j++) hc[b * u + j] = Math.tanh(zx[b * P + H + j] + rhU[b * u + j]);
        }
      }
      for (let m = 0; m < n; m++) hOut[m] = z[m] * hPrev[m] + (1 - z[m]) * hc[m];
    },

    stepBackward(dzx, dhPrev, _dcPrev, g, dh, _dc, tape, k, _zx, hPrev, _cPrev, p, B, recurrentMask) {
      const n = B * u;
      const z = tape.z.subarray(k * n, (k + 1) * n);
      const r = tape.r.subarray(k * n, (k + 1) * n);
      const hc = tape.hCandidate.subarray(k * n, (k + 1) * n);
      const U = rowMajor(p.recurrentKernel, P);
      const dU = rowMajor(g.recurrentKernel, P);
      const dzh = allocLike(dzx, B * P); // gradient w.r.t. the recurrent projection, per block
      // h_{t−1} ⊙ m (recomputed, B·u multiplies) and the gradient w.r.t. it, which reaches dh_{t−1}
      // multiplied by m at the end. Without a mask both are h_{t−1} and dh_{t−1} themselves.
      const hRecurrent = recurrentMask ? masked(hPrev, recurrentMask) : hPrev;
      const dhRecurrent = recurrentMask ? allocLike(dzx, n) : dhPrev;
      for (let b = 0; b < B; b++) {
        for (let j = 0; j < u; j++) {
          const m = b * u + j;
          const dz = dh[m] * (hPrev[m] - hc[m]);
          const daH = dh[m] * (1 - z[m]) * (1 - hc[m] * hc[m]); // w.r.t. the argument of tanh
          dhPrev[m] = dh[m] * z[m]; // the direct path h_t ← z ⊙ h_{t−1}; the multiplies add below
          dzx[b * P + Z + j] = gate.backward(dz, z[m]);
          dzx[b * P + H + j] = daH;
          dzh[b * P + Z + j] = dzx[b * P + Z + j];
        }
      }
      if (resetAfter) {
        const recurrentH = tape.recurrentH.subarray(k * n, (k + 1) * n);
        for (let b = 0; b < B; b++) {
          for (let j = 0; j < u; j++) {
            const m = b * u + j;
            const daH = dzx[b * P + H + j];
            const dr = daH * recurrentH[m];
            dzx[b * P + R + j] = gate.backward(dr, r[m]);
            dzh[b * P + R + j] = dzx[b * P + R + j];
            dzh[b * P + H + j] = daH * r[m];
          }
        }
        // dU += h_{t−1}ᵀ·dzh,  db_h += Σ dzh,  dh_{t−1} += dzh·Uᵀ
        gemm(dU, transposed(rowMajor(hRecurrent, u)), rowMajor(dzh, P), u, B, P, true);
        for (let b = 0; b < B; b++) for (let j = 0; j < P; j++) g.bias[P + j] += dzh[b * P + j];
        gemm(rowMajor(dhRecurrent, u), rowMajor(dzh, P), transposed(U), B, P, u, true);
      } else {
        // ĥ's recurrent input is r ⊙ h_{t−1}: d(r⊙h) = daH·U_hᵀ, then split between r and h_{t−1}.
        const daH = { data: dzx, offset: H, rowStride: P, colStride: 1 };
        const dResetH = allocLike(dzx, n);
        gemm(rowMajor(dResetH, u), daH, transposed(columnBlock(U, H)), B, u, u, false);
        const resetH = allocLike(dzx, n);
        for (let b = 0; b < B; b++) {
          for (let j = 0; j < u; j++) {
            const m = b * u + j;
            resetH[m] = r[m] * hRecurrent[m];
            const dr = dResetH[m] * hRecurrent[m];
            dhRecurrent[m] += dResetH[m] * r[m];
            dzx[b * P + R + j] = gate.backward(dr, r[m]);
            dzh[b * P + R + j] = dzx[b * P + R + j];
          }
        }
        // dU_zr += h_{t−1}ᵀ·dzh_zr,  dU_h += (r⊙h_{t−1})ᵀ·daH,  dh_{t−1} += dzh_zr·U_zrᵀ
        gemm(dU, transposed(rowMajor(hRecurrent, u)), rowMajor(dzh, P), u, B, 2 * u, true);
        gemm(columnBlock(dU, H), transposed(rowMajor(resetH, u)), daH, u, B, u, true);
        gemm(rowMajor(dhRecurrent, u), rowMajor(dzh, P), transposed(U), B, 2 * u, u, true);
      }
      if (recurrentMask) for (let m = 0; m < n; m++) dhPrev[m] += dhRecurrent[m] * recurrentMask[m];
    },
  };
}
