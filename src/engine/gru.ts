/**
 * The fused GRU sequence in WebAssembly (`gruCell`, both conventions): forward over T steps and backward
 * through time with the same contract as the reference driver (`recurrentForward` / `recurrentBackward`
 * with gruCell), in float32.
 *
 * Sizes: T = time steps, B = batch rows, D = input features, u = units, U = u rounded up to a multiple
 * of 4, G = 3U gate columns (blocks `zrh`).
 *
 * Where the work goes (resetAfter: true, Keras' default):
 *   forward   zx = x·W for all T·B rows (one multiply); per step zh = h_{k−1}·U with U packed once, then
 *             the fused gate pass (biases, activations, h).
 *   backward  per step the fused gate pass gives dzx_k and dzh_k (they differ in block h by the factor r),
 *             then dh_{k−1} = dh ⊙ z + dzh_k·Uᵀ with Uᵀ packed once; after the loop one multiply each over
 *             all T·B rows: dW = xᵀ·dzx, dU = Hᵀ·dzh, dx = dzx·Wᵀ, and the biases' sums.
 * resetAfter: false puts a second multiply inside each step, (r ⊙ h_{k−1})·U_h, between two gate passes
 * (and its transpose in backward); U_zr and U_h are packed separately, both ways, once. There the
 * gradients w.r.t. the input and recurrent projections are the same dz, and dU_h = (r ⊙ H)ᵀ·dz_h.
 *
 * As in FastLstm: processing order inside WebAssembly memory, zero-padded units, buffers kept per plan,
 * and `step` for one time step at a time with the state kept between calls.
 */
import { ConfigError } from '../errors.js';
import type { CellKernel, Params } from '../kernels/reference/cell.js';
import type { SequenceOptions, SequenceUpstream } from '../kernels/reference/recurrence.js';
import { checkFinite, checkLength, checkParams, checkSizes } from '../kernels/reference/validate.js';
import type { Engine } from './loader.js';
import { addGateRow, checkFloat32, copyGateRow, unpadRows } from './padding.js';
import type { SharedRow, StepShare } from './share.js';
import { checkFiniteIn, maskIn, rowsIn, rowsOut, type SequenceLayout } from './steps.js';

export interface FastGruOutput {
  /** Outputs at their time index, zero at masked steps. [T, B, u] */
  readonly h: Float32Array;
  /** [B, u] */
  readonly hT: Float32Array;
}

export interface FastGruGradients {
  /** [T, B, D] */
  readonly dx: Float32Array;
  /** [B, u] */
  readonly dh0: Float32Array;
}

/** Addresses of the plan's buffers in WebAssembly memory (bytes), with their shapes. */
interface Buffers {
  readonly W: number; // [D, G] kernel, padded
  readonly packedW: number; // the same packed as the B operand of x·W
  readonly biasX: number; // [G] input-side bias (row 0 of bias, or all of it without resetAfter)
  readonly biasH: number; // [G] recurrent bias (row 1; resetAfter: true)
  // resetAfter: true
  readonly packedU: number; // recurrent kernel [U, G] packed as the B operand of h·U
  readonly packedUt: number; // its transpose [G, U] packed as the B operand of dzh·Uᵀ
  // resetAfter: false
  readonly packedUzr: number; // U's blocks z, r [U, 2U] packed
  readonly packedUh: number; // U's block h [U, U] packed
  readonly packedUzrT: number; // [2U, U] transposed, packed
  readonly packedUhT: number; // [U, U] transposed, packed
  readonly resetH: number; // [T, B, U] r ⊙ h_{k−1}
  readonly dResetH: number; // [B, U]
  readonly x: number; // [T, B, D] processing order
  readonly mask: number; // [T, B] bytes, processing order
  readonly zx: number; // [T, B, G] x·W, then the gate values z r ĥ (the tape)
  readonly zh: number; // [B, G] the current step's recurrent projection
  readonly recurrentH: number; // [T, B, U] zh_h + b_h (resetAfter: true)
  readonly hs: number; // [T+1, B, U] h before step k at k; final at T
  readonly dzx: number; // [T, B, G] gradient w.r.t. the input projection
  readonly dzh: number; // [T, B, G] gradient w.r.t. the recurrent projection (resetAfter: true)
  readonly dhOut: number; // [T, B, U] upstream gradient w.r.t. the outputs, processing order
  readonly dhCarry: number; // [B, U]
  readonly dhNew: number; // [B, U]
  readonly dW: number; // [D, G]
  readonly dU: number; // [U, G]
  readonly dbX: number; // [G]
  readonly dbH: number; // [G]
  readonly dx: number; // [T, B, D]
  readonly stage: number; // [B, T, max(D, u)] batch-major x, h, dh, dx on their way in or out
  readonly scratch: number; // gemm scratch
}

export class FastGru {
  readonly units: number;
  readonly inputDim: number;
  /** Units padded to the vector width: the row stride of the states `step` returns. */
  readonly U: number;
  /** Gate columns, padded: the row width of what `project` writes. */
  readonly G: number;
  private readonly resetAfter: boolean;
  private readonly buf: Buffers;
  private weightsSet = false;
  /** What the last forward saw, for backward; null before it (or after new weights). */
  private last: { reverse: boolean; masked: boolean; batchMajor: boolean } | null = null;
  /** Stepping: which of the two state slots (hs at k = 0 and 1) holds the state; null when not stepping. */
  private slot: 0 | 1 | null = null;

  constructor(
    private readonly engine: Engine,
    private readonly cell: CellKernel,
    readonly T: number,
    readonly B: number,
  ) {
    const u = cell.units;
    const names = cell.weights.map((w) => w.name).join(',');
    if (cell.hasCellState || cell.projectionWidth !== 3 * u || names !== 'kernel,recurrentKernel,bias') {
      throw new ConfigError(
        cell.label,
        'FastGru runs GRU cells only',
        'a gruCell',
        cell.weights.map((w) => `${w.name}[${w.shape.join(', ')}]`).join(' '),
      );
    }
    // resetAfter: true has two bias rows (input and recurrent), false one.
    this.resetAfter = cell.weights.find((w) => w.name === 'bias')?.shape.length === 2;
    const after = this.resetAfter;
    checkSizes(cell.label, { T, B });
    this.units = u;
    this.inputDim = cell.inputDim;
    const U = Math.ceil(u / 4) * 4;
    const G = 3 * U;
    const D = cell.inputDim;
    this.U = U;
    this.G = G;
    const { wasm, arena } = engine;
    const TB = T * B;
    const f = (n: number) => arena.allocFloats(n);
    this.buf = {
      W: f(D * G),
      packedW: f(wasm.packedBFloats(D, G)),
      biasX: f(G),
      biasH: f(G),
      packedU: f(after ? wasm.packedBFloats(U, G) : 0),
      packedUt: f(after ? wasm.packedBFloats(G, U) : 0),
      packedUzr: f(after ? 0 : wasm.packedBFloats(U, 2 * U)),
      packedUh: f(after ? 0 : wasm.packedBFloats(U, U)),
      packedUzrT: f(after ? 0 : wasm.packedBFloats(2 * U, U)),
      packedUhT: f(after ? 0 : wasm.packedBFloats(U, U)),
      resetH: f(after ? 0 : TB * U),
      dResetH: f(after ? 0 : B * U),
      x: f(TB * D),
      mask: arena.allocBytes(TB),
      zx: f(TB * G),
      zh: f(B * G),
      recurrentH: f(after ? TB * U : 0),
      hs: f((T + 1) * B * U),
      dzx: f(TB * G),
      dzh: f(after ? TB * G : 0),
      dhOut: f(TB * U),
      dhCarry: f(B * U),
      dhNew: f(B * U),
      dW: f(D * G),
      dU: f(U * G),
      dbX: f(G),
      dbH: f(G),
      dx: f(TB * D),
      stage: f(TB * Math.max(D, cell.units)),
      scratch: f(wasm.gemmScratchFloats(Math.max(G, U, D))),
    };
  }

  /** Copies the weights in (padded) and packs the recurrent kernel both ways. */
  setWeights(p: Params): void {
    const { cell, U, G, buf } = this;
    const { wasm, arena } = this.engine;
    const u = this.units;
    const D = this.inputDim;
    checkParams(cell, p, new Float32Array(0), 'weight', false); // values: below, on the copies
    const W = arena.f32(buf.W, D * G).fill(0);
    for (let d = 0; d < D; d++) copyGateRow(W, d * G, p.kernel, d * 3 * u, u, U, 3);
    // Packed once here rather than per forward: at one row per step, packing W costs more than x·W.
    wasm.packB(buf.packedW, buf.W, G, 1, 0, D, G); // B(k, n) = W[k, n]
    copyGateRow(arena.f32(buf.biasX, G).fill(0), 0, p.bias, 0, u, U, 3);
    if (this.resetAfter) copyGateRow(arena.f32(buf.biasH, G).fill(0), 0, p.bias, 3 * u, u, U, 3);
    // The raw padded recurrent kernel lives in dU's buffer just long enough to be packed.
    const R = arena.f32(buf.dU, U * G).fill(0); // [U, G]
    for (let r = 0; r < u; r++) copyGateRow(R, r * G, p.recurrentKernel, r * 3 * u, u, U, 3);
    const copies: [number, number][] = [
      [buf.W, D * G],
      [buf.biasX, G],
      [buf.biasH, this.resetAfter ? G : 0],
      [buf.dU, U * G],
    ];
    // A weight that is NaN or ±∞: the reference check finds it and names it.
    if (copies.some(([ptr, n]) => wasm.firstNonFinite(ptr, n) >= 0))
      checkParams(cell, p, new Float32Array(0));
    const Rh = buf.dU + 4 * 2 * U; // block h: columns 2U … 3U
    if (this.resetAfter) {
      wasm.packB(buf.packedU, buf.dU, G, 1, 0, U, G); // B(k, n) = R[k, n]
      wasm.packB(buf.packedUt, buf.dU, 1, G, 0, G, U); // B(k, n) = R[n, k]
    } else {
      wasm.packB(buf.packedUzr, buf.dU, G, 1, 0, U, 2 * U); // B(k, n) = R[k, n], n < 2U
      wasm.packB(buf.packedUh, Rh, G, 1, 0, U, U); // B(k, n) = R[k, 2U + n]
      wasm.packB(buf.packedUzrT, buf.dU, 1, G, 0, 2 * U, U); // B(k, n) = R[n, k], k < 2U
      wasm.packB(buf.packedUhT, Rh, 1, G, 0, U, U); // B(k, n) = R[n, 2U + k]
    }
    this.weightsSet = true;
    this.last = null;
  }

  forward(
    x: Float32Array,
    options: Omit<SequenceOptions, 'T' | 'B' | 'c0'> & SequenceLayout = {},
  ): FastGruOutput {
    const { cell, T, B, U, G, buf } = this;
    const { wasm, arena } = this.engine;
    const u = this.units;
    const D = this.inputDim;
    const label = cell.label;
    if (!this.weightsSet) throw new ConfigError(label, 'forward before setWeights', 'setWeights(p)', 'none');
    checkFloat32(label, 'x', x);
    checkLength(label, 'x', x, T * B * D, `T·B·inputDim = ${T}·${B}·${D}`);
    const reverse = options.reverse ?? false;
    const mask = options.mask ?? null;
    const batchMajor = options.batchMajor ?? false;
    if (mask) checkLength(label, 'mask', mask, T * B, `T·B = ${T}·${B}`);

    if (batchMajor) {
      arena.f32(buf.stage, T * B * D).set(x);
      checkFiniteIn(this.engine, label, 'x', buf.stage, T * B * D);
      wasm.batchToSteps(buf.x, D, buf.stage, D, T, B, D, reverse);
    } else {
      checkFinite(label, 'x', x);
      rowsIn(arena.f32(buf.x, T * B * D), x, T, B, D, D, reverse);
    }
    if (mask) maskIn(arena.u8(buf.mask, T * B), mask, T, B, reverse);
    const h0 = arena.f32(buf.hs, B * U).fill(0);
    if (options.h0) {
      checkFloat32(label, 'h0', options.h0);
      checkLength(label, 'h0', options.h0, B * u, `B·units = ${B}·${u}`);
      checkFinite(label, 'h0', options.h0);
      for (let b = 0; b < B; b++) h0.set(options.h0.subarray(b * u, (b + 1) * u), b * U);
    }

    wasm.gemmPacked(buf.zx, G, buf.x, D, 1, buf.packedW, T * B, D, G, false, buf.scratch);
    const stateBytes = 4 * B * U;
    for (let k = 0; k < T; k++) {
      const hPrev = buf.hs + k * stateBytes;
      this.recurrentStep(k, hPrev, hPrev + stateBytes, mask ? buf.mask + k * B : 0);
    }
    this.last = { reverse, masked: mask !== null, batchMajor };
    this.slot = null;

    let h: Float32Array;
    if (options.sequence === false) h = new Float32Array(0);
    else if (batchMajor) {
      wasm.stepsToBatch(buf.stage, u, buf.hs + 4 * B * U, U, mask ? buf.mask : 0, T, B, u, false);
      h = arena.f32(buf.stage, T * B * u).slice();
    } else {
      h = new Float32Array(T * B * u); // padding steps' outputs stay zero
      rowsOut(h, arena.f32(buf.hs, (T + 1) * B * U), B * U, T, B, u, U, reverse, mask);
    }
    const hs = arena.f32(buf.hs, (T + 1) * B * U);
    return { h, hT: unpadRows(hs, T * B * U, B, u, U) };
  }

  /**
   * Step k of the sequence once zx_k = x_k·W is in place: the recurrent multiply and the fused gate pass
   * (which saves its tape at step k). States are addresses of [B, U] blocks.
   */
  private recurrentStep(k: number, hPrev: number, hNext: number, mask: number): void {
    const { B, U, G, buf } = this;
    const { wasm } = this.engine;
    const stateBytes = 4 * B * U;
    const zxk = buf.zx + 4 * k * B * G;
    if (this.resetAfter) {
      wasm.gemmPacked(buf.zh, G, hPrev, U, 1, buf.packedU, B, U, G, false, buf.scratch);
      const recurrentH = buf.recurrentH + k * stateBytes;
      wasm.gruGatesForward(zxk, buf.zh, buf.biasX, buf.biasH, hPrev, hNext, recurrentH, mask, B, U);
      return;
    }
    const blockH = 4 * 2 * U; // byte offset of block h in a row
    const resetH = buf.resetH + k * stateBytes;
    wasm.gemmPacked(buf.zh, G, hPrev, U, 1, buf.packedUzr, B, U, 2 * U, false, buf.scratch);
    wasm.gruResetBeforeGatesForward(zxk, buf.zh, buf.biasX, hPrev, resetH, B, U);
    wasm.gemmPacked(buf.zh + blockH, G, resetH, U, 1, buf.packedUh, B, U, U, false, buf.scratch);
    wasm.gruResetBeforeCandidateForward(zxk, buf.zh, buf.biasX, hPrev, hNext, mask, B, U);
  }

  /**
   * One time step of all B rows, continuing from the state the previous `step` left (zeros on the first
   * step, after `resetSteps`, or after a `forward`): the same arithmetic as a step of `forward`, with
   * nothing allocated and nothing copied in or out. x [B, D] is read in place at address `x` of this
   * engine's memory with row stride `xStride` floats — an embedding row, or the h of the layer below.
   * Returns the address of the new h [B, U] (row stride U, padded units zero), valid until the next step.
   * The saved forward is dropped: backward needs a forward again.
   */
  step(x: number, xStride: number): number {
    const { B, G, buf } = this;
    this.startStep();
    this.engine.wasm.gemmPacked(
      buf.zx,
      G,
      x,
      xStride,
      1,
      buf.packedW,
      B,
      this.inputDim,
      G,
      false,
      buf.scratch,
    );
    return this.advance();
  }

  /**
   * Like `step`, with the input projection x·W already computed by `project`: z [B, G] at address z (left
   * unchanged). For inputs from a small fixed set, such as the rows of an embedding, this saves reading W
   * at every step.
   */
  stepProjected(z: number): number {
    const { B, G, buf } = this;
    this.startStep();
    this.engine.wasm.copyRows(buf.zx, G, z, G, B, G);
    return this.advance();
  }

  /**
   * out [R, G] = x·W for R rows of x at address x (row stride xStride floats): the projections
   * `stepProjected` takes, bit for bit those `step` computes (the one-row multiply is the tile's).
   */
  project(out: number, x: number, xStride: number, R: number): void {
    const { G, buf } = this;
    if (!this.weightsSet) {
      throw new ConfigError(this.cell.label, 'project before setWeights', 'setWeights(p)', 'none');
    }
    this.engine.wasm.gemmPacked(out, G, x, xStride, 1, buf.packedW, R, this.inputDim, G, false, buf.scratch);
  }

  private startStep(): void {
    if (!this.weightsSet) {
      throw new ConfigError(this.cell.label, 'step before setWeights', 'setWeights(p)', 'none');
    }
    if (this.slot === null) this.resetSteps();
  }

  /** The rest of a step once its input projection is in place; returns the address of the new h. */
  private advance(): number {
    const { B, U, buf } = this;
    const stateBytes = 4 * B * U;
    // Two state slots, used in turn: the step reads one and writes the other.
    const from = buf.hs + this.slot! * stateBytes;
    const to = buf.hs + (1 - this.slot!) * stateBytes;
    this.recurrentStep(0, from, to, 0);
    this.slot = this.slot === 0 ? 1 : 0;
    this.last = null;
    return to;
  }

  /**
   * `step` (x ≠ null) or `stepProjected` (z ≠ null) at batch 1, its multiplies shared with another thread
   * that runs the same plan (src/engine/share.ts): this thread computes its columns of each multiply,
   * `share` swaps them for the other thread's, and both run the whole gate passes. resetAfter: false
   * needs r ⊙ h_{k−1} of every unit before the candidate's multiply, so it swaps twice: after x·W and
   * h·U_zr, then after (r ⊙ h_{k−1})·U_h. Bit for bit `step`; returns the address of the new h [1, U].
   */
  stepShared(x: number | null, xStride: number, z: number | null, share: StepShare): number {
    const { G, U, buf } = this;
    const { wasm } = this.engine;
    const D = this.inputDim;
    if (this.B !== 1) throw new ConfigError(this.cell.label, 'stepShared runs batch 1 only', 1, this.B);
    this.startStep();
    const hPrev = buf.hs + this.slot! * 4 * U;
    const hNext = buf.hs + (1 - this.slot!) * 4 * U;
    // Packed operands are panels of [K, 8] columns: column n0 (a multiple of 8) starts at n0·K floats.
    const part = (c: number, a: number, aStride: number, packed: number, K: number, N: number) => {
      const [n0, n1] = share.columns(N);
      if (n1 === n0) return;
      wasm.gemmPacked(c + 4 * n0, G, a, aStride, 1, packed + 4 * n0 * K, 1, K, n1 - n0, false, buf.scratch);
    };
    const rows: SharedRow[] = [];
    if (z !== null) wasm.copyRows(buf.zx, G, z, G, 1, G);
    else {
      part(buf.zx, x!, xStride, buf.packedW, D, G);
      rows.push({ at: buf.zx, width: G });
    }
    if (this.resetAfter) {
      part(buf.zh, hPrev, U, buf.packedU, U, G);
      share.exchange([...rows, { at: buf.zh, width: G }]);
      wasm.gruGatesForward(buf.zx, buf.zh, buf.biasX, buf.biasH, hPrev, hNext, buf.recurrentH, 0, 1, U);
    } else {
      const blockH = buf.zh + 4 * 2 * U;
      part(buf.zh, hPrev, U, buf.packedUzr, U, 2 * U);
      share.exchange([...rows, { at: buf.zh, width: 2 * U }]);
      wasm.gruResetBeforeGatesForward(buf.zx, buf.zh, buf.biasX, hPrev, buf.resetH, 1, U);
      part(blockH, buf.resetH, U, buf.packedUh, U, U);
      share.exchange([{ at: blockH, width: U }]);
      wasm.gruResetBeforeCandidateForward(buf.zx, buf.zh, buf.biasX, hPrev, hNext, 0, 1, U);
    }
    this.slot = this.slot === 0 ? 1 : 0;
    this.last = null;
    return hNext;
  }

  /** The state the next `step` continues from: h [B, U] (padded), copied out. */
  saveSteps(): Float32Array {
    if (this.slot === null) this.resetSteps();
    const size = this.B * this.U;
    return this.engine.arena.f32(this.buf.hs + this.slot! * 4 * size, size).slice();
  }

  /** The next `step` continues from a state `saveSteps` returned (of a plan of the same sizes). */
  restoreSteps(state: Readonly<Float32Array>): void {
    const size = this.B * this.U;
    checkLength(this.cell.label, 'saved step state', state, size, 'B·U');
    this.engine.arena.f32(this.buf.hs, size).set(state);
    this.slot = 0;
  }

  /** The next `step` starts from a zero state. */
  resetSteps(): void {
    this.engine.arena.f32(this.buf.hs, this.B * this.U).fill(0);
    this.slot = 0;
  }

  /** Adds the weight gradients into g (float32, the cell's shapes); returns dx, dh0. */
  backward(g: Params, upstream: Omit<SequenceUpstream, 'dcT'>): FastGruGradients {
    const { cell, T, B, U, G, buf } = this;
    const { wasm, arena } = this.engine;
    const u = this.units;
    const D = this.inputDim;
    const label = cell.label;
    const last = this.last;
    if (!last) throw new ConfigError(label, 'backward before forward', 'forward(x) first', 'none');
    checkParams(cell, g, new Float32Array(0), 'gradient');
    const stateSize = B * U;

    let dhOutPtr = 0;
    if (upstream.dh) {
      checkLength(label, 'upstream dh', upstream.dh, T * B * u, 'T·B·units');
      dhOutPtr = buf.dhOut;
      const dhOut = arena.f32(buf.dhOut, T * stateSize);
      if (last.batchMajor) {
        if (u !== U) dhOut.fill(0); // the padded units' gradient
        arena.f32(buf.stage, T * B * u).set(upstream.dh);
        wasm.batchToSteps(buf.dhOut, U, buf.stage, u, T, B, u, false);
      } else {
        rowsIn(dhOut.fill(0), upstream.dh, T, B, u, U, last.reverse);
      }
    }
    const carry = arena.f32(buf.dhCarry, stateSize).fill(0);
    if (upstream.dhT) {
      checkLength(label, 'upstream dhT', upstream.dhT, B * u, 'B·units');
      for (let b = 0; b < B; b++) carry.set(upstream.dhT.subarray(b * u, (b + 1) * u), b * U);
    }

    const stateBytes = 4 * stateSize;
    for (let k = T - 1; k >= 0; k--) {
      const maskK = last.masked ? buf.mask + k * B : 0;
      const dzxk = buf.dzx + 4 * k * B * G;
      const dzhk = buf.dzh + 4 * k * B * G;
      // dh_{k−1} = dh ⊙ z + dzh_k·Uᵀ; padded rows keep their carried gradient.
      const dhNew = maskK ? buf.dhNew : buf.dhCarry;
      const gates = buf.zx + 4 * k * B * G;
      const hPrev = buf.hs + k * stateBytes;
      const dhOut = dhOutPtr ? dhOutPtr + k * stateBytes : 0;
      if (this.resetAfter) {
        const recurrentH = buf.recurrentH + k * stateBytes;
        wasm.gruGatesBackward(dzxk, dzhk, dhNew, gates, recurrentH, hPrev, buf.dhCarry, dhOut, maskK, B, U);
        wasm.gemmPacked(dhNew, U, dzhk, G, 1, buf.packedUt, B, G, U, true, buf.scratch);
      } else {
        wasm.gruResetBeforeBackward1(dzxk, dhNew, gates, hPrev, buf.dhCarry, dhOut, maskK, B, U);
        // d(r ⊙ h_{k−1}) = dz_h·U_hᵀ, then block r and its share of dh_{k−1}, then dz_zr·U_zrᵀ.
        wasm.gemmPacked(buf.dResetH, U, dzxk + 4 * 2 * U, G, 1, buf.packedUhT, B, U, U, false, buf.scratch);
        wasm.gruResetBeforeBackward2(dzxk, dhNew, buf.dResetH, gates, hPrev, B, U);
        wasm.gemmPacked(dhNew, U, dzxk, G, 1, buf.packedUzrT, B, 2 * U, U, true, buf.scratch);
      }
      if (maskK) wasm.copyRealRows(buf.dhCarry, buf.dhNew, maskK, B, U);
    }

    // One multiply each over all T·B rows. A(m, k) = x[k, m]: x read transposed, strides (1, D).
    const TB = T * B;
    wasm.gemm(buf.dW, G, buf.x, 1, D, buf.dzx, G, 1, D, TB, G, false, buf.scratch);
    if (this.resetAfter) {
      wasm.gemm(buf.dU, G, buf.hs, 1, U, buf.dzh, G, 1, U, TB, G, false, buf.scratch);
      wasm.columnSums(buf.dbH, buf.dzh, TB, G);
    } else {
      // dU_zr = Hᵀ·dz_zr and dU_h = (r ⊙ H)ᵀ·dz_h, side by side in dU's rows.
      const blockH = 4 * 2 * U;
      wasm.gemm(buf.dU, G, buf.hs, 1, U, buf.dzx, G, 1, U, TB, 2 * U, false, buf.scratch);
      wasm.gemm(buf.dU + blockH, G, buf.resetH, 1, U, buf.dzx + blockH, G, 1, U, TB, U, false, buf.scratch);
    }
    wasm.columnSums(buf.dbX, buf.dzx, TB, G);
    wasm.gemm(buf.dx, D, buf.dzx, G, 1, buf.W, 1, G, TB, G, D, false, buf.scratch);

    const dW = arena.f32(buf.dW, D * G);
    for (let d = 0; d < D; d++) addGateRow(g.kernel, d * 3 * u, dW, d * G, u, U, 3);
    const dU = arena.f32(buf.dU, U * G);
    for (let r = 0; r < u; r++) addGateRow(g.recurrentKernel, r * 3 * u, dU, r * G, u, U, 3);
    addGateRow(g.bias, 0, arena.f32(buf.dbX, G), 0, u, U, 3);
    if (this.resetAfter) addGateRow(g.bias, 3 * u, arena.f32(buf.dbH, G), 0, u, U, 3);

    let dx: Float32Array;
    if (last.batchMajor) {
      wasm.stepsToBatch(buf.stage, D, buf.dx, D, 0, T, B, D, last.reverse);
      dx = arena.f32(buf.stage, TB * D).slice();
    } else {
      dx = new Float32Array(TB * D);
      rowsOut(dx, arena.f32(buf.dx, TB * D), 0, T, B, D, D, last.reverse, null);
    }
    return { dx, dh0: unpadRows(arena.f32(buf.dhCarry, stateSize), 0, B, u, U) };
  }
}
