/**
 * Per-step arrays between the caller's time order and the engine's processing order: the k-th step
 * processed is time t = k, or t = T−1−k with `reverse`. Inside WebAssembly memory everything is in
 * processing order, so the kernels never see the direction; rows there may be padded (row stride ≥ width).
 */
import type { Float } from '../kernels/reference/floats.js';
import { checkFinite } from '../kernels/contract.js';
import type { Engine } from './loader.js';

/** dst (processing order, row stride `stride`) ← src [T, rows, width] (time order). */
export function rowsIn(
  dst: Float32Array,
  src: Readonly<Float>,
  T: number,
  rows: number,
  width: number,
  stride: number,
  reverse: boolean,
): void {
  for (let k = 0; k < T; k++) {
    const t = reverse ? T - 1 - k : k;
    if (stride === width) {
      dst.set(src.subarray(t * rows * width, (t + 1) * rows * width), k * rows * width);
      continue;
    }
    for (let r = 0; r < rows; r++) {
      const s = (t * rows + r) * width;
      dst.set(src.subarray(s, s + width), (k * rows + r) * stride);
    }
  }
}

/**
 * dst [T, rows, width] (time order) ← src from `offset` (processing order, row stride `stride`). Rows the
 * mask ([T, rows], time order) marks as padding are skipped: they keep what dst holds (zeros, fresh).
 */
export function rowsOut(
  dst: Float32Array,
  src: Float32Array,
  offset: number,
  T: number,
  rows: number,
  width: number,
  stride: number,
  reverse: boolean,
  mask: Uint8Array | null,
): void {
  for (let k = 0; k < T; k++) {
    const t = reverse ? T - 1 - k : k;
    if (!mask && stride === width) {
      const s = offset + k * rows * width;
      dst.set(src.subarray(s, s + rows * width), t * rows * width);
      continue;
    }
    for (let r = 0; r < rows; r++) {
      if (mask && mask[t * rows + r] === 0) continue;
      const s = offset + (k * rows + r) * stride;
      dst.set(src.subarray(s, s + width), (t * rows + r) * width);
    }
  }
}

/** dst (processing order) ← mask [T, B] (time order). */
export function maskIn(dst: Uint8Array, mask: Uint8Array, T: number, B: number, reverse: boolean): void {
  for (let k = 0; k < T; k++) {
    const t = reverse ? T - 1 - k : k;
    dst.set(mask.subarray(t * B, (t + 1) * B), k * B);
  }
}

/**
 * How a sequence kernel's caller lays out its sequences. Time-major (the default): x [T, B, D] and h
 * [T, B, u] at their time index. Batch-major (what the layers hold): x [B, T, D] in time order, and the
 * outputs h [B, T, u] and upstream dh [B, T, u] in processing order (a `reverse` run's step k at index k,
 * as Keras returns goBackwards sequences); dx [B, T, D] in time order. Batch-major sequences are copied
 * into WebAssembly memory whole and reordered there.
 */
export interface SequenceLayout {
  readonly batchMajor?: boolean;
  /** Whether forward returns the output sequence h (default true); without it h is empty (length 0). */
  readonly sequence?: boolean;
}

/**
 * x given as rows of a table: row r of x (in x's layout, [B, T] batch-major or [T, B]) is
 * table[ids[r]] — an embedding's output. The engine then multiplies each of the table's V rows by W once
 * and gathers x·W by id instead of multiplying all T·B rows of x (the same values bit for bit: every
 * row's product is its own), and with `gradient`, backward sums dz by id and adds the table's gradient
 * (dz·Wᵀ summed by id, as the embedding's backward would from dx) into it instead of returning dx. x is
 * then not read at all: the caller keeps x = table[ids]. The reference kernels, and the engine where V is
 * not below T·B / 2 (the table's product would not pay), run on x as without it, and return dx.
 */
export interface InputRows {
  /** [V, D] */
  readonly table: Float32Array;
  /** [T·B] ids into the table, 0 ≤ id < V, one per row of x in x's layout */
  readonly ids: Int32Array;
  /** Where backward adds the gradient w.r.t. the table, [V, D] (instead of returning dx). */
  readonly gradient?: Float32Array;
}

/** What a forward takes beside x and the cell's options: the layout, and where x came from. */
export interface ForwardInput extends SequenceLayout {
  readonly inputRows?: InputRows;
}

/** Throws the finiteness error of `checkFinite` if a float at ptr (n of them) is NaN or ±∞. */
export function checkFiniteIn(engine: Engine, label: string, name: string, ptr: number, n: number): void {
  const i = engine.wasm.firstNonFinite(ptr, n);
  if (i >= 0) checkFinite(label, name, engine.arena.f32(ptr, n));
}

/**
 * The same reorderings in JavaScript, for the reference kernels (which take time-major sequences at their
 * time index): toTimeMajor gives out[t, b] = src[b, j], toBatchMajor out[b, j] = src[t, b], where
 * j = T−1−t with `reverse`, else t. Both [·, ·, N], fresh arrays.
 */
export function toTimeMajor(src: Readonly<Float32Array>, T: number, B: number, N: number, reverse: boolean) {
  const out = new Float32Array(T * B * N);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const s = (b * T + (reverse ? T - 1 - t : t)) * N;
      out.set(src.subarray(s, s + N), (t * B + b) * N);
    }
  }
  return out;
}

export function toBatchMajor(src: Readonly<Float32Array>, T: number, B: number, N: number, reverse: boolean) {
  const out = new Float32Array(T * B * N);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const s = (t * B + b) * N;
      out.set(src.subarray(s, s + N), (b * T + (reverse ? T - 1 - t : t)) * N);
    }
  }
  return out;
}
