/**
 * Weight initialisers, as Keras defines them, drawing from a seeded generator.
 */
import type { Float } from './kernels/reference/floats.js';
import type { Random } from './random.js';

/** Glorot (Xavier) uniform: U(−l, l) with l = √(6 / (fanIn + fanOut)), for a [fanIn, fanOut] matrix. */
export function glorotUniform(out: Float, fanIn: number, fanOut: number, rng: Random): Float {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  for (let i = 0; i < out.length; i++) out[i] = (2 * rng.uniform() - 1) * limit;
  return out;
}

/**
 * A random [rows, cols] matrix with orthonormal rows (rows ≤ cols) or columns (rows ≥ cols), as Keras'
 * `Orthogonal`: a normal matrix's QR factor Q, with each column's sign fixed by R's diagonal so that the
 * distribution is uniform over orthogonal matrices. QR by modified Gram–Schmidt, in float64.
 */
export function orthogonal(out: Float, rows: number, cols: number, rng: Random): Float {
  const tall = Math.max(rows, cols);
  const narrow = Math.min(rows, cols);
  // q: [tall, narrow], column-major for the Gram–Schmidt sweeps.
  const q = new Float64Array(tall * narrow);
  for (let i = 0; i < q.length; i++) q[i] = rng.normal();
  for (let j = 0; j < narrow; j++) {
    const col = q.subarray(j * tall, (j + 1) * tall);
    for (let p = 0; p < j; p++) {
      const prev = q.subarray(p * tall, (p + 1) * tall);
      let dot = 0;
      for (let i = 0; i < tall; i++) dot += prev[i] * col[i];
      for (let i = 0; i < tall; i++) col[i] -= dot * prev[i];
    }
    let norm = 0;
    for (let i = 0; i < tall; i++) norm += col[i] * col[i];
    norm = Math.sqrt(norm);
    // R's diagonal entry is `norm` > 0 here, so the sign correction is already applied.
    for (let i = 0; i < tall; i++) col[i] /= norm;
  }
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      // tall × narrow matrix, transposed when the requested shape is wide.
      out[r * cols + c] = rows >= cols ? q[c * tall + r] : q[r * tall + c];
    }
  }
  return out;
}
