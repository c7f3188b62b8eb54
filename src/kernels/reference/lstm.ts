/**
 * The LSTM family: the standard LSTM and NovoLSTM with its variants, one step forward and backward.
 *
 * Sizes: B = batch rows, u = units, D = input features. Pre-activations a = x_t·W + h_{t−1}·U + b,
 * packed in gate blocks of u columns each, in the order `ifco` (LSTM) or `ifcoi'` (NovoLSTM).
 *
 * LSTM (Hochreiter & Schmidhuber 1997, with the forget gate of Gers et al. 2000):
 *   i = σ(a_i),  f = σ(a_f),  g = tanh(a_c),  o = σ(a_o)
 *   c_t = f ⊙ c_{t−1} + i ⊙ g,   h_t = o ⊙ tanh(c_t)
 where σ is the recurrent activation: the logistic sigmoid, or with `recurrentActivation: 'hardSigmoid'`
 * TensorFlow.js' max(0, min(1, 0.2·a + 0.5)) (activations.ts). NovoLSTM's gates keep the sigmoid.
 *
 * NovoLSTM, `inputGate: 'readme'` (the formula of the NovoLSTM README):
 *   i = LN_i(σ(a_i)) ⊙ softmax(a_i')       a_i' = x_t·W_i' + h_{t−1}·U_i' + b_i'
 * NovoLSTM, `inputGate: 'reference'` (what the published Keras code computes):
 *   i = LN_i(σ(a_i) ⊙ softmax(a_i'))       a_i' = x_t·W_i' + b_i'   (U has no i' block)
 * LN normalises over the units (population variance, ε = 1e-3) with gain γ and shift β. i may be
 * negative; that is the formula.
 *
 * The ablations of the README gate (issue #18), each keeping one of its two factors, blocks `ifco`:
 *   `inputGate: 'softmax'`     i = u · softmax(a_i)      (no LN_i: the softmax's share, at mean 1)
 *   `inputGate: 'lnSigmoid'`   i = LN_i(σ(a_i))
 *
 * `layerNorm: 'all'` (the LN-LSTM of Ba, Kiros & Hinton 2016; on NovoLSTM on top of any input gate):
 *   f = σ(LN_f(a_f)),  g = tanh(LN_c(a_c)),  o = σ(LN_o(a_o)),  h_t = o ⊙ tanh(LN_cell(c_t))
 * while the carried c_t stays unnormalised; the LSTM's input gate is normalised the same way,
 * i = σ(LN_i(a_i)). (Ba et al. normalise x·W and h·U apart; like NovoLSTM's, these norms take their sum.)
 *
 * Weights (Keras layout): kernel [D, P], recurrentKernel [u, R], bias [P], where P = 5u for the input
 * gates with an i' block ('readme', 'reference'), else 4u, and R = P, except R = 4u for the reference
 * input gate; LN_i's gamma [u], beta [u] (NovoLSTM except 'softmax'; the LSTM with 'all');
 * `layerNorm: 'all'` adds gateGamma [4, u], gateBeta [4, u], rows in the order f, c, o, cell.
 *
 * Recurrent dropout: with a recurrentMask m [B, u], every h_{t−1}·U above is (h_{t−1} ⊙ m)·U (one mask on
 * the whole recurrent multiply, as Keras' LSTM), and dh_{t−1} = (da·Uᵀ) ⊙ m.
 */
import type { CellKernel, InputGate, LstmSpec, NovoLstmSpec, WeightSpec } from '../contract.js';
import { gateActivation, softmaxRow } from './activations.js';
import { allocLike, gemm, masked, rowMajor, sigmoid, transposed, type Float } from './floats.js';
import { layerNormBackward, layerNormForward, rows } from './layerNorm.js';

/** The sizes of a cell and its name for errors, e.g. `NovoLSTM 'encoder'`. */
export interface CellSizes {
  readonly label: string;
  readonly units: number;
  readonly inputDim: number;
}

/**
 * What forward saves per step for backward (T steps of B rows). Arrays a variant does not use are empty.
 * Backward recomputes only h_{t−1} ⊙ m (recurrent dropout) and LN_i's output from its normalised input.
 */
export interface LstmTape {
  /** [T, B, 4u] the gate values i f c̃ o after their activations */
  readonly ifco: Float;
  /** [T, B, u] tanh(c_t), or tanh(LN_cell(c_t)) with layerNorm 'all' */
  readonly tanhCell: Float;
  /** [T, B, u] σ(a_i) (NovoLSTM except 'softmax') */
  readonly sig: Float;
  /** [T, B, u] softmax(a_i') or, with 'softmax', softmax(a_i) (NovoLSTM except 'lnSigmoid') */
  readonly soft: Float;
  /** [T, B, u] the normalised input of LN_i (NovoLSTM except 'softmax'; a_i of the LSTM with 'all') */
  readonly inXhat: Float;
  /** [T, B] 1/σ of LN_i's input */
  readonly inRstd: Float;
  /** [T, B, 4u] normalised a_f, a_c, a_o, c_t (layerNorm 'all') */
  readonly gateXhat: Float;
  /** [T, B, 4] their 1/σ (layerNorm 'all') */
  readonly gateRstd: Float;
}

export type LstmFamilyKernel = CellKernel<LstmTape, LstmSpec | NovoLstmSpec>;

// Row of gateGamma / gateBeta for each normalised quantity of `layerNorm: 'all'`.
const NORM_F = 0;
const NORM_C = 1;
const NORM_O = 2;
const NORM_CELL = 3;

/** The cell of `spec` (the LSTM or a NovoLSTM variant) for these sizes. */
export function lstmFamilyCell(spec: LstmSpec | NovoLstmSpec, sizes: CellSizes): LstmFamilyKernel {
  const { label, units: u, inputDim: D } = sizes;
  const novo = spec.kind === 'novolstm';
  // The input gate: σ (LSTM), or one of NovoLSTM's.
  const inputGate: InputGate | 'sigmoid' = novo ? spec.inputGate : 'sigmoid';
  // σ of i, f, o. NovoLSTM's gates (and the σ(a_i) inside its input gate) are the logistic sigmoid.
  const gate = gateActivation(novo ? 'sigmoid' : spec.recurrentActivation);
  const normAll = spec.layerNorm === 'all';
  const softmaxBranch = inputGate === 'readme' || inputGate === 'reference'; // has the i' block
  // NovoLSTM's gate products read σ(a_i) and a softmax; LN_i normalises a NovoLSTM gate's σ(a_i)
  // (or σ ⊙ softmax), or the LSTM's a_i under 'all'.
  const hasSig = novo && inputGate !== 'softmax';
  const hasSoft = novo && inputGate !== 'lnSigmoid';
  const hasInputNorm = hasSig || (!novo && normAll);
  const P = softmaxBranch ? 5 * u : 4 * u; // kernel columns: blocks i f c o [i']
  const R = inputGate === 'readme' ? 5 * u : 4 * u; // recurrent kernel columns
  // Block offsets inside a row of pre-activations.
  const I = 0;
  const F = u;
  const C = 2 * u;
  const O = 3 * u;
  const I2 = 4 * u;

  const weights: WeightSpec[] = [
    { name: 'kernel', shape: [D, P] },
    { name: 'recurrentKernel', shape: [u, R] },
    { name: 'bias', shape: [P] },
  ];
  if (hasInputNorm) {
    weights.push(
      { name: 'gamma', shape: [u], initialValue: novo && spec.inputGateGain === 'units' ? u : 1 },
      { name: 'beta', shape: [u], initialValue: 0 },
    );
  }
  if (normAll) {
    weights.push(
      { name: 'gateGamma', shape: [4, u], initialValue: 1 },
      { name: 'gateBeta', shape: [4, u], initialValue: 0 },
    );
  }

  return {
    spec,
    label,
    units: u,
    inputDim: D,
    projectionWidth: P,
    hasCellState: true,
    weights,
    inputBias: (p) => p.bias,

    allocTape(T, B, like): LstmTape {
      const n = T * B * u;
      return {
        ifco: allocLike(like, 4 * n), // [T, B, 4u] gate values after their activations
        tanhCell: allocLike(like, n), // [T, B, u] tanh(c_t), or tanh(LN_cell(c_t)) with 'all'
        sig: allocLike(like, hasSig ? n : 0), // [T, B, u] σ(a_i)
        soft: allocLike(like, hasSoft ? n : 0), // [T, B, u] softmax(a_i') (or of a_i)
        inXhat: allocLike(like, hasInputNorm ? n : 0), // [T, B, u] normalised input of LN_i
        inRstd: allocLike(like, hasInputNorm ? T * B : 0), // [T, B]    1/σ of LN_i's input
        gateXhat: allocLike(like, normAll ? 4 * n : 0), // [T, B, 4u] normalised a_f, a_c, a_o, c_t
        gateRstd: allocLike(like, normAll ? 4 * T * B : 0), // [T, B, 4]
      };
    },

    stepForward(hOut, cOut, tape, k, zx, hPrev, cPrev, p, B, recurrentMask) {
      // a = zx + (h_{t−1} ⊙ m)·U over the recurrent blocks.
      const a = allocLike(hOut, B * P);
      a.set(zx);
      const hRecurrent = recurrentMask ? masked(hPrev, recurrentMask) : hPrev;
      gemm(rowMajor(a, P), rowMajor(hRecurrent, u), rowMajor(p.recurrentKernel, R), B, u, R, true);
      const ifco = tape.ifco.subarray(k * B * 4 * u, (k + 1) * B * 4 * u);

      if (normAll) {
        // The LSTM's a_i under LN_i, in place like the others below.
        if (!novo) {
          layerNormForward(
            rows(a, I, P),
            rows(tape.inXhat, k * B * u, u),
            rows(tape.inRstd, k * B, 1),
            rows(a, I, P),
            rows(p.gamma, 0, 0),
            rows(p.beta, 0, 0),
            B,
            u,
          );
        }
        // Normalise a_f, a_c, a_o in place (their raw values are not needed again).
        for (const [block, norm] of [
          [F, NORM_F],
          [C, NORM_C],
          [O, NORM_O],
        ]) {
          layerNormForward(
            rows(a, block, P), // normalised in place
            rows(tape.gateXhat, k * B * 4 * u + norm * u, 4 * u),
            rows(tape.gateRstd, k * B * 4 + norm, 4),
            rows(a, block, P),
            rows(p.gateGamma, norm * u, 0),
            rows(p.gateBeta, norm * u, 0),
            B,
            u,
          );
        }
      }

      for (let b = 0; b < B; b++) {
        const ar = b * P;
        const gr = b * 4 * u;
        for (let j = 0; j < u; j++) {
          ifco[gr + F + j] = gate.forward(a[ar + F + j]);
          ifco[gr + C + j] = Math.tanh(a[ar + C + j]);
          ifco[gr + O + j] = gate.forward(a[ar + O + j]);
        }
      }

      if (!novo) {
        for (let b = 0; b < B; b++) {
          for (let j = 0; j < u; j++) ifco[b * 4 * u + I + j] = gate.forward(a[b * P + I + j]);
        }
      } else if (inputGate === 'softmax') {
        const soft = tape.soft.subarray(k * B * u, (k + 1) * B * u);
        for (let b = 0; b < B; b++) {
          softmaxRow(soft, a, b * u, u, b * P + I);
          for (let j = 0; j < u; j++) ifco[b * 4 * u + I + j] = u * soft[b * u + j];
        }
      } else {
        const sig = tape.sig.subarray(k * B * u, (k + 1) * B * u);
        const soft = tape.soft.subarray(k * B * u, (k + 1) * B * u);
        for (let b = 0; b < B; b++) {
          for (let j = 0; j < u; j++) sig[b * u + j] = sigmoid(a[b * P + I + j]);
          if (softmaxBranch) softmaxRow(soft, a, b * u, u, b * P + I2);
        }
        // LN_i's input: σ(a_i) ('readme', 'lnSigmoid') or σ(a_i) ⊙ softmax(a_i') ('reference').
        const lnIn = allocLike(hOut, B * u);
        for (let n = 0; n < B * u; n++) lnIn[n] = inputGate === 'reference' ? sig[n] * soft[n] : sig[n];
        const lnOut = allocLike(hOut, B * u);
        layerNormForward(
          rows(lnOut, 0, u),
          rows(tape.inXhat, k * B * u, u),
          rows(tape.inRstd, k * B, 1),
          rows(lnIn, 0, u),
          rows(p.gamma, 0, 0),
          rows(p.beta, 0, 0),
          B,
          u,
        );
        for (let b = 0; b < B; b++) {
          for (let j = 0; j < u; j++) {
            const n = b * u + j;
            ifco[b * 4 * u + I + j] = inputGate === 'readme' ? lnOut[n] * soft[n] : lnOut[n];
          }
        }
      }

      // c_t = f ⊙ c_{t−1} + i ⊙ g;  h_t = o ⊙ tanh(c_t)  (or tanh(LN_cell(c_t)))
      for (let b = 0; b < B; b++) {
        for (let j = 0; j < u; j++) {
          const gr = b * 4 * u;
          cOut[b * u + j] = ifco[gr + F + j] * cPrev[b * u + j] + ifco[gr + I + j] * ifco[gr + C + j];
        }
      }
      const cellOut = normAll ? allocLike(hOut, B * u) : cOut;
      if (normAll) {
        layerNormForward(
          rows(cellOut, 0, u),
          rows(tape.gateXhat, k * B * 4 * u + NORM_CELL * u, 4 * u),
          rows(tape.gateRstd, k * B * 4 + NORM_CELL, 4),
          rows(cOut, 0, u),
          rows(p.gateGamma, NORM_CELL * u, 0),
          rows(p.gateBeta, NORM_CELL * u, 0),
          B,
          u,
        );
      }
      const tanhCell = tape.tanhCell.subarray(k * B * u, (k + 1) * B * u);
      for (let b = 0; b < B; b++) {
        for (let j = 0; j < u; j++) {
          const n = b * u + j;
          tanhCell[n] = Math.tanh(cellOut[n]);
          hOut[n] = ifco[b * 4 * u + O + j] * tanhCell[n];
        }
      }
    },

    stepBackward(dzx, dhPrev, dcPrev, g, dh, dc, tape, k, _zx, hPrev, cPrev, p, B, recurrentMask) {
      const ifco = tape.ifco.subarray(k * B * 4 * u, (k + 1) * B * 4 * u);
      const tanhCell = tape.tanhCell.subarray(k * B * u, (k + 1) * B * u);
      const da = dzx; // [B, P] gradient w.r.t. the pre-activations (= w.r.t. zx and h·U alike)

      // Through h_t = o ⊙ tanh(y), y = c_t or LN_cell(c_t).
      const dy = allocLike(dzx, B * u);
      for (let b = 0; b < B; b++) {
        for (let j = 0; j < u; j++) {
          const n = b * u + j;
          const o = ifco[b * 4 * u + O + j];
          const dO = dh[n] * tanhCell[n];
          da[b * P + O + j] = gate.backward(dO, o); // σ'; LN_o is applied below with 'all'
          dy[n] = dh[n] * o * (1 - tanhCell[n] * tanhCell[n]);
        }
      }
      if (normAll) {
        layerNormBackward(
          rows(dy, 0, u),
          rows(g.gateGamma, NORM_CELL * u, 0),
          rows(g.gateBeta, NORM_CELL * u, 0),
          rows(dy, 0, u),
          rows(tape.gateXhat, k * B * 4 * u + NORM_CELL * u, 4 * u),
          rows(tape.gateRstd, k * B * 4 + NORM_CELL, 4),
          rows(p.gateGamma, NORM_CELL * u, 0),
          B,
          u,
        );
      }

      // Through c_t = f ⊙ c_{t−1} + i ⊙ g.
      const di = allocLike(dzx, B * u);
      for (let b = 0; b < B; b++) {
        for (let j = 0; j < u; j++) {
          const n = b * u + j;
          const gr = b * 4 * u;
          const dcTotal = dc[n] + dy[n];
          const f = ifco[gr + F + j];
          const gc = ifco[gr + C + j];
          di[n] = dcTotal * gc;
          dcPrev[n] = dcTotal * f;
          const df = dcTotal * cPrev[n];
          const dg = dcTotal * ifco[gr + I + j];
          da[b * P + F + j] = gate.backward(df, f);
          da[b * P + C + j] = dg * (1 - gc * gc);
        }
      }
      if (normAll) {
        for (const [block, norm] of [
          [F, NORM_F],
          [C, NORM_C],
          [O, NORM_O],
        ]) {
          layerNormBackward(
            rows(da, block, P),
            rows(g.gateGamma, norm * u, 0),
            rows(g.gateBeta, norm * u, 0),
            rows(da, block, P),
            rows(tape.gateXhat, k * B * 4 * u + norm * u, 4 * u),
            rows(tape.gateRstd, k * B * 4 + norm, 4),
            rows(p.gateGamma, norm * u, 0),
            B,
            u,
          );
        }
      }

      // The input gate.
      if (!novo) {
        for (let b = 0; b < B; b++) {
          for (let j = 0; j < u; j++) {
            const i = ifco[b * 4 * u + I + j];
            da[b * P + I + j] = gate.backward(di[b * u + j], i);
          }
        }
        if (normAll) {
          layerNormBackward(
            rows(da, I, P),
            rows(g.gamma, 0, 0),
            rows(g.beta, 0, 0),
            rows(da, I, P),
            rows(tape.inXhat, k * B * u, u),
            rows(tape.inRstd, k * B, 1),
            rows(p.gamma, 0, 0),
            B,
            u,
          );
        }
      } else if (inputGate === 'softmax') {
        // i = u · p: dp = u · di, then the softmax's Jacobian da_i = p ⊙ (dp − Σ dp ⊙ p).
        const soft = tape.soft.subarray(k * B * u, (k + 1) * B * u);
        for (let b = 0; b < B; b++) {
          let dot = 0;
          for (let j = 0; j < u; j++) dot += u * di[b * u + j] * soft[b * u + j];
          for (let j = 0; j < u; j++) {
            const n = b * u + j;
            da[b * P + I + j] = soft[n] * (u * di[n] - dot);
          }
        }
      } else {
        const sig = tape.sig.subarray(k * B * u, (k + 1) * B * u);
        const soft = tape.soft.subarray(k * B * u, (k + 1) * B * u);
        const xhat = tape.inXhat.subarray(k * B * u, (k + 1) * B * u);
        const dLnOut = allocLike(dzx, B * u); // gradient w.r.t. LN_i's output
        const dSoft = allocLike(dzx, B * u); // gradient w.r.t. softmax(a_i')
        for (let n = 0; n < B * u; n++) {
          if (inputGate === 'readme') {
            const lnOut = p.gamma[n % u] * xhat[n] + p.beta[n % u];
            dLnOut[n] = di[n] * soft[n];
            dSoft[n] = di[n] * lnOut;
          } else {
            dLnOut[n] = di[n];
          }
        }
        const dLnIn = allocLike(dzx, B * u);
        layerNormBackward(
          rows(dLnIn, 0, u),
          rows(g.gamma, 0, 0),
          rows(g.beta, 0, 0),
          rows(dLnOut, 0, u),
          rows(tape.inXhat, k * B * u, u),
          rows(tape.inRstd, k * B, 1),
          rows(p.gamma, 0, 0),
          B,
          u,
        );
        for (let b = 0; b < B; b++) {
          let dot = 0; // Σ_j dSoft ⊙ softmax, for the softmax Jacobian
          for (let j = 0; j < u; j++) {
            const n = b * u + j;
            const s = sig[n];
            const dSig = inputGate === 'reference' ? dLnIn[n] * soft[n] : dLnIn[n];
            if (inputGate === 'reference') dSoft[n] = dLnIn[n] * s;
            da[b * P + I + j] = dSig * s * (1 - s);
            if (softmaxBranch) dot += dSoft[n] * soft[n];
          }
          if (!softmaxBranch) continue; // 'lnSigmoid': no softmax
          for (let j = 0; j < u; j++) {
            const n = b * u + j;
            da[b * P + I2 + j] = soft[n] * (dSoft[n] - dot);
          }
        }
      }

      // The recurrent multiply: dU += (h_{t−1} ⊙ m)ᵀ·da[:, :R],  dh_{t−1} = (da[:, :R]·Uᵀ) ⊙ m.
      // h_{t−1} ⊙ m is recomputed rather than saved: B·u multiplies per step.
      const hRecurrent = recurrentMask ? masked(hPrev, recurrentMask) : hPrev;
      const daRecurrent = { data: da, offset: 0, rowStride: P, colStride: 1 };
      gemm(rowMajor(g.recurrentKernel, R), transposed(rowMajor(hRecurrent, u)), daRecurrent, u, B, R, true);
      gemm(rowMajor(dhPrev, u), daRecurrent, transposed(rowMajor(p.recurrentKernel, R)), B, R, u, false);
      if (recurrentMask) for (let n = 0; n < B * u; n++) dhPrev[n] *= recurrentMask[n];
    },
  };
}
