/**
 * The seed author's Keras NovoLSTMCell (github.com/takfarine/NovoLSTM, ported to Keras 3 in
 * /shared/fixtures/keras/novolstm_keras.py) keeps 14 separate variables plus its LayerNormalization's
 * gamma and beta; novolstm's `inputGate: 'reference'` cell keeps them fused (README, "Weights: the Keras
 * layout"). Sizes: D = input features, u = units.
 *
 *   seed cell vars/k                                 novolstm
 *   0 w_i  1 u_i  2 b_i  3 w_i'  4 b_i'              kernel [D, 5u]    = [w_i | w_f | w_c | w_o | w_i']
 *   5 w_f  6 u_f  7 b_f                              recurrentKernel [u, 4u] = [u_i | u_f | u_c | u_o]
 *   8 w_c  9 u_c 10 b_c                              bias [5u]         = [b_i | b_f | b_c | b_o | b_i']
 *  11 w_o 12 u_o 13 b_o      ln/vars/0 γ, 1 β        gamma [u], beta [u]
 */
import { ShapeError } from '../../errors.js';
import type { H5Dataset } from './h5.js';

/** Seed-cell variable index of each block of the fused kernel, recurrent kernel and bias. */
const KERNEL_BLOCKS = [0, 5, 8, 11, 3];
const RECURRENT_BLOCKS = [1, 6, 9, 12];
const BIAS_BLOCKS = [2, 7, 10, 13, 4];
export const SEED_CELL_VARIABLES = 14;

export interface FusedNovoLstm {
  readonly kernel: H5Dataset;
  readonly recurrentKernel: H5Dataset;
  readonly bias: H5Dataset;
}

/** Side by side along the last axis: rows × (blocks · u). Every block must be rows × u. */
function joinColumns(blocks: readonly H5Dataset[], rows: number, u: number, what: string): H5Dataset {
  const out = new Float32Array(rows * u * blocks.length); // [rows, blocks·u]
  blocks.forEach((block, b) => {
    const expected = rows === 1 ? [u] : [rows, u];
    if (block.shape.join() !== expected.join())
      throw new ShapeError(
        `Keras NovoLSTMCell ${what}`,
        `block ${b} has the wrong shape`,
        expected,
        block.shape,
      );
    for (let r = 0; r < rows; r++)
      out.set(block.data.subarray(r * u, (r + 1) * u), (r * blocks.length + b) * u);
  });
  return { shape: rows === 1 ? [blocks.length * u] : [rows, blocks.length * u], data: out };
}

/** The inverse of joinColumns: block b of a rows × (n·u) matrix. */
function columnBlock(m: H5Dataset, b: number, n: number): H5Dataset {
  const rows = m.shape.length === 1 ? 1 : m.shape[0];
  const u = m.shape[m.shape.length - 1] / n;
  const out = new Float32Array(rows * u);
  for (let r = 0; r < rows; r++) out.set(m.data.subarray((r * n + b) * u, (r * n + b + 1) * u), r * u);
  return { shape: m.shape.length === 1 ? [u] : [rows, u], data: out };
}

/** The 14 seed-cell variables (vars/0..13) fused into novolstm's kernel, recurrent kernel and bias. */
export function fuseSeedCell(vars: readonly H5Dataset[], units: number): FusedNovoLstm {
  const D = vars[0].shape[0];
  return {
    kernel: joinColumns(
      KERNEL_BLOCKS.map((k) => vars[k]),
      D,
      units,
      'kernel',
    ),
    recurrentKernel: joinColumns(
      RECURRENT_BLOCKS.map((k) => vars[k]),
      units,
      units,
      'recurrent kernel',
    ),
    bias: joinColumns(
      BIAS_BLOCKS.map((k) => vars[k]),
      1,
      units,
      'bias',
    ),
  };
}

/** novolstm's fused weights split back into the seed cell's 14 variables, in vars/k order. */
export function splitSeedCell(fused: FusedNovoLstm): H5Dataset[] {
  const vars: H5Dataset[] = new Array<H5Dataset>(SEED_CELL_VARIABLES);
  KERNEL_BLOCKS.forEach((k, b) => (vars[k] = columnBlock(fused.kernel, b, KERNEL_BLOCKS.length)));
  RECURRENT_BLOCKS.forEach(
    (k, b) => (vars[k] = columnBlock(fused.recurrentKernel, b, RECURRENT_BLOCKS.length)),
  );
  BIAS_BLOCKS.forEach((k, b) => (vars[k] = columnBlock(fused.bias, b, BIAS_BLOCKS.length)));
  return vars;
}
