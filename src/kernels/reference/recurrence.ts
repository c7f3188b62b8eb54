/**
 * The sequence driver: runs any cell (LSTM family, GRU) forward over T steps and back through time.
 *
 * Sizes: T = time steps, B = batch rows, D = input features, u = units, P = projection width
 * (the cell's kernel columns: 4u LSTM, 5u NovoLSTM, 3u GRU).
 *
 * Layout: time-major. x is [T, B, D], the output sequence h is [T, B, u] — each step's B rows are
 * contiguous, which is what the per-step recurrent multiply wants. The layers above convert from the
 * batch-major [B, T, D] that Keras users pass in.
 *
 * Direction: with `reverse`, steps run t = T−1 … 0, and each output is still stored at its own time index
 * t (as cuDNN and PyTorch do); the Keras layer flips it for `goBackwards`.
 *
 * Masks (Keras semantics): mask [T, B], 1 = real step, 0 = padding. At a masked step the state is carried
 * unchanged and the output is zero.
 *
 * Recurrent dropout (variational, Keras semantics): `recurrentMask` [B, u] multiplies h_{t−1} where each
 * cell feeds it to its recurrent multiply, the same mask at every step of the sequence (see ../contract.ts).
 *
 * Gradients: backward adds into the parameter gradients `g` (so several calls — chunks, workers — sum),
 * and returns new arrays for dx, dh0, dc0.
 *
 * The options, the upstream gradients and the input checks are the contract the engine keeps too
 * (../contract.ts).
 */
import { ConfigError } from '../../errors.js';
import {
  checkFinite,
  checkLength,
  checkParams,
  checkSameType,
  checkSizes,
  type CellKernel,
  type Params,
  type SequenceGradients,
  type SequenceOptions,
  type SequenceUpstream,
} from '../contract.js';
import { allocLike, gemm, rowMajor, transposed, type Float } from './floats.js';

/**
 * What forward saves for backward. Nothing is recomputed except cheap activations (see each cell). `Tape`:
 * the cell's own (LstmTape, GruTape).
 */
export interface SavedSequence<Tape = unknown> {
  readonly cell: CellKernel<Tape>;
  readonly T: number;
  readonly B: number;
  readonly reverse: boolean;
  readonly mask: Uint8Array | null;
  /** [B, u] or null; by reference. */
  readonly recurrentMask: Float | null;
  /** The input, by reference (not copied): backward needs it for dW. [T, B, D] */
  readonly x: Float;
  /** x·W + b_input for every step. [T, B, P] */
  readonly zx: Float;
  /** hStates[k] = hidden state before the k-th processed step; hStates[T] = final. [T+1, B, u] */
  readonly hStates: Float;
  /** Same for the cell state; empty for GRU. [T+1, B, u] */
  readonly cStates: Float;
  readonly tape: Tape;
}

export interface SequenceOutput<Tape = unknown> {
  /** Outputs at their time index, zero at masked steps. [T, B, u] */
  readonly h: Float;
  /** Final hidden state (the state after the last processed step). [B, u] */
  readonly hT: Float;
  /** Final cell state [B, u]; null for GRU. */
  readonly cT: Float | null;
  readonly saved: SavedSequence<Tape>;
}

/** The saved tape is typed as the cell's own (LstmTape, GruTape); for a cell of any kind, it is unknown. */
export function recurrentForward<Tape>(
  cell: CellKernel<Tape>,
  p: Params,
  x: Float,
  options: SequenceOptions,
): SequenceOutput<Tape>;
export function recurrentForward(
  cell: CellKernel,
  p: Params,
  x: Float,
  options: SequenceOptions,
): SequenceOutput;
export function recurrentForward<Tape>(
  cell: CellKernel<Tape>,
  p: Params,
  x: Float,
  options: SequenceOptions,
): SequenceOutput<Tape> {
  const { T, B } = options;
  const { units: u, inputDim: D, projectionWidth: P, label } = cell;
  checkSizes(label, { T, B });
  checkLength(label, 'x', x, T * B * D, `T·B·inputDim = ${T}·${B}·${D}`);
  checkParams(cell, p, x);
  checkFinite(label, 'x', x);
  const mask = options.mask ?? null;
  if (mask) checkLength(label, 'mask', mask, T * B, `T·B = ${T}·${B}`);
  const recurrentMask = options.recurrentMask ?? null;
  if (recurrentMask) {
    checkSameType(label, 'recurrentMask', recurrentMask, x);
    checkLength(label, 'recurrentMask', recurrentMask, B * u, `B·units = ${B}·${u}`);
    checkFinite(label, 'recurrentMask', recurrentMask);
  }
  for (const [name, state] of [
    ['h0', options.h0],
    ['c0', options.c0],
  ] as const) {
    if (!state) continue;
    if (name === 'c0' && !cell.hasCellState) {
      throw new ConfigError(
        label,
        'c0 was given, but this cell has no cell state',
        'no c0',
        `${state.length} values`,
      );
    }
    checkSameType(label, name, state, x);
    checkLength(label, name, state, B * u, `B·units = ${B}·${u}`);
    checkFinite(label, name, state);
  }

  // zx = x·W + b_input for all T·B rows at once.
  const zx = allocLike(x, T * B * P);
  gemm(rowMajor(zx, P), rowMajor(x, D), rowMajor(p.kernel, P), T * B, D, P, false);
  const bias = cell.inputBias(p);
  for (let row = 0; row < T * B; row++) {
    for (let j = 0; j < P; j++) zx[row * P + j] += bias[j];
  }

  const stateSize = B * u;
  const hStates = allocLike(x, (T + 1) * stateSize);
  const cStates = allocLike(x, cell.hasCellState ? (T + 1) * stateSize : 0);
  if (options.h0) hStates.set(options.h0, 0);
  if (options.c0) cStates.set(options.c0, 0);
  const h = allocLike(x, T * stateSize);
  const tape = cell.allocTape(T, B, x);
  const reverse = options.reverse ?? false;

  for (let k = 0; k < T; k++) {
    const t = reverse ? T - 1 - k : k;
    const hPrev = hStates.subarray(k * stateSize, (k + 1) * stateSize);
    const hNext = hStates.subarray((k + 1) * stateSize, (k + 2) * stateSize);
    const cPrev = cStates.subarray(k * stateSize, (k + 1) * stateSize);
    const cNext = cStates.subarray((k + 1) * stateSize, (k + 2) * stateSize);
    const zxt = zx.subarray(t * B * P, (t + 1) * B * P);
    cell.stepForward(hNext, cNext, tape, k, zxt, hPrev, cPrev, p, B, recurrentMask);
    for (let b = 0; b < B; b++) {
      const row = b * u;
      if (mask && mask[t * B + b] === 0) {
        // Padding: carry the state unchanged, output zero (h was allocated zeroed).
        hNext.set(hPrev.subarray(row, row + u), row);
        if (cell.hasCellState) cNext.set(cPrev.subarray(row, row + u), row);
      } else {
        h.set(hNext.subarray(row, row + u), t * stateSize + row);
      }
    }
  }

  return {
    h,
    hT: hStates.slice(T * stateSize),
    cT: cell.hasCellState ? cStates.slice(T * stateSize) : null,
    saved: { cell, T, B, reverse, mask, recurrentMask, x, zx, hStates, cStates, tape },
  };
}

export function recurrentBackward<Tape>(
  g: Params,
  saved: SavedSequence<Tape>,
  p: Params,
  upstream: SequenceUpstream,
): SequenceGradients {
  const { cell, T, B, reverse, mask, recurrentMask, x, zx, hStates, cStates, tape } = saved;
  const { units: u, inputDim: D, projectionWidth: P, label } = cell;
  checkParams(cell, g, x, 'gradient');
  const stateSize = B * u;
  if (upstream.dh) checkLength(label, 'upstream dh', upstream.dh, T * stateSize, `T·B·units`);
  if (upstream.dhT) checkLength(label, 'upstream dhT', upstream.dhT, stateSize, `B·units`);
  if (upstream.dcT) checkLength(label, 'upstream dcT', upstream.dcT, stateSize, `B·units`);

  // Gradients w.r.t. the state after the step being processed, carried backwards through time.
  const dhCarry = allocLike(x, stateSize);
  const dcCarry = allocLike(x, cell.hasCellState ? stateSize : 0);
  if (upstream.dhT) dhCarry.set(upstream.dhT);
  if (upstream.dcT && cell.hasCellState) dcCarry.set(upstream.dcT);
  const dh = allocLike(x, stateSize);
  const dc = allocLike(x, dcCarry.length);
  const dhPrev = allocLike(x, stateSize);
  const dcPrev = allocLike(x, dcCarry.length);
  const dzx = allocLike(x, T * B * P);

  for (let k = T - 1; k >= 0; k--) {
    const t = reverse ? T - 1 - k : k;
    for (let b = 0; b < B; b++) {
      const row = b * u;
      const masked = mask !== null && mask[t * B + b] === 0;
      for (let j = 0; j < u; j++) {
        // A masked step's output is the constant 0, so its upstream gradient goes nowhere; and the step
        // itself gets zero gradient (its state is passed through below instead).
        const fromOutput = masked || !upstream.dh ? 0 : upstream.dh[t * stateSize + row + j];
        dh[row + j] = masked ? 0 : dhCarry[row + j] + fromOutput;
        if (cell.hasCellState) dc[row + j] = masked ? 0 : dcCarry[row + j];
      }
    }
    const kPrev = k * stateSize;
    cell.stepBackward(
      dzx.subarray(t * B * P, (t + 1) * B * P),
      dhPrev,
      dcPrev,
      g,
      dh,
      dc,
      tape,
      k,
      zx.subarray(t * B * P, (t + 1) * B * P),
      hStates.subarray(kPrev, kPrev + stateSize),
      cStates.subarray(kPrev, kPrev + (cell.hasCellState ? stateSize : 0)),
      p,
      B,
      recurrentMask,
    );
    for (let b = 0; b < B; b++) {
      const row = b * u;
      const masked = mask !== null && mask[t * B + b] === 0;
      for (let j = 0; j < u; j++) {
        dhCarry[row + j] = masked ? dhCarry[row + j] : dhPrev[row + j];
        if (cell.hasCellState) dcCarry[row + j] = masked ? dcCarry[row + j] : dcPrev[row + j];
      }
    }
  }

  // Input side, one multiply over all T·B rows each: dW += xᵀ·dzx, db += Σ dzx, dx = dzx·Wᵀ.
  gemm(rowMajor(g.kernel, P), transposed(rowMajor(x, D)), rowMajor(dzx, P), D, T * B, P, true);
  const dBias = cell.inputBias(g);
  for (let row = 0; row < T * B; row++) {
    for (let j = 0; j < P; j++) dBias[j] += dzx[row * P + j];
  }
  const dx = allocLike(x, T * B * D);
  gemm(rowMajor(dx, D), rowMajor(dzx, P), transposed(rowMajor(p.kernel, P)), T * B, P, D, false);

  return { dx, dh0: dhCarry, dc0: cell.hasCellState ? dcCarry : null };
}

/** Zeroed gradient arrays for every weight of a cell, in the precision of `like`. */
export function zeroGradients(cell: CellKernel, like: Float): Params {
  const g: Params = {};
  for (const w of cell.weights)
    g[w.name] = allocLike(
      like,
      w.shape.reduce((a, b) => a * b, 1),
    );
  return g;
}
