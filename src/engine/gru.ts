/**
 * The fused GRU sequence in WebAssembly (`gruCell`, both conventions): forward over T steps and backward
 * through time with the same contract as the reference driver (`recurrentForward` / `recurrentBackward`
 * with gruCell), in float32.
 *
 * Sizes: T = time steps, B = batch rows, D = input features, u = units, U = u rounded up to a multiple
 * of 4, G = 3U gate columns (blocks `zrh`).
 *
 * Where the work goes (resetAfter: true, Keras' default):
 *   forward   zx = x·W one multiply per block of time steps; per step zh = h_{k−1}·U with U packed once,
 *             then the fused gate pass (biases, activations, h).
 *   backward  per step the fused gate pass gives dzx_k and dzh_k (they differ in block h by the factor r),
 *             then dh_{k−1} = dh ⊙ z + dzh_k·Uᵀ and dx_k = dzx_k·Wᵀ with Uᵀ and Wᵀ packed once; after the
 *             loop one multiply each over all T·B rows: dW = xᵀ·dzx, dU = Hᵀ·dzh, and the biases' sums.
 * resetAfter: false puts a second multiply inside each step, (r ⊙ h_{k−1})·U_h, between two gate passes
 * (and its transpose in backward); U_zr and U_h are packed separately, both ways, once. There the
 * gradients w.r.t. the input and recurrent projections are the same dz, and dU_h = (r ⊙ H)ᵀ·dz_h.
 *
 * As in FastLstm: processing order inside WebAssembly memory, zero-padded units, buffers kept per plan,
 * and `step` for one time step at a time with the state kept between calls. What the two share (moving
 * data in and out, stepping) is in FastRecurrent (./recurrent.ts); this file has the GRU's buffers,
 * weights and gate passes, with h alone as its state.
 */
import { ConfigError } from '../errors.js';
import {
  checkParams,
  type CellKernel,
  type Params,
  type SequenceOptions,
  type SequenceUpstream,
} from '../kernels/contract.js';
import type { Engine } from './loader.js';
import { addGateRow, copyGateRow } from './padding.js';
import { FastRecurrent, type RecurrentBuffers } from './recurrent.js';
import type { SharedRow, StepShare } from './share.js';
import type { ForwardInput } from './steps.js';

export interface FastGruOutput {
  /**
   * Outputs, zero at masked steps: [T, B, u] at their time index, or batch-major [B, T, u] in processing
   * order (see SequenceLayout); empty when `sequence: false`.
   */
  readonly h: Float32Array;
  /** [B, u] */
  readonly hT: Float32Array;
}

export interface FastGruGradients {
  /** [T, B, D], or [B, T, D] batch-major */
  readonly dx: Float32Array;
  /** [B, u] */
  readonly dh0: Float32Array;
}

/**
 * Addresses of the plan's buffers in WebAssembly memory (bytes), with their shapes: the shared ones
 * (RecurrentBuffers; z is zx, x·W, then the gate values z r ĥ, the tape) and these.
 */
interface Buffers extends RecurrentBuffers {
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
  readonly zh: number; // [B, G] the current step's recurrent projection
  readonly recurrentH: number; // [T, B, U] zh_h + b_h (resetAfter: true)
  readonly dzx: number; // [T, B, G] gradient w.r.t. the input projection: z's buffer, step by step
  // The gradient w.r.t. the recurrent projection, dzh (resetAfter: true), equals dzx in blocks z and r and
  // differs in block h by the factor r: only its block h is kept for the weight gradients, [T, B, U]
  // instead of [T, B, G] (26 MB less per worker at H = 512, B = 64), and each step's whole row block
  // lives in dzhStep while the step's multiply reads it.
  readonly dzhH: number; // [T, B, U] block h of dzh
  readonly dzhStep: number; // [B, G] dzh_k, the current step's
  readonly dW: number; // [D, G]
  readonly dU: number; // [U, G]
  readonly dbX: number; // [G]
  readonly dbH: number; // [G]
}

export class FastGru extends FastRecurrent {
  private readonly resetAfter: boolean;
  /** The gates' recurrent activation is the hard sigmoid (else σ). */
  private readonly hard: boolean;
  protected readonly buf: Buffers;
  protected readonly states: readonly number[];

  constructor(engine: Engine, cell: CellKernel, T: number, B: number) {
    const spec = cell.spec;
    if (spec.kind !== 'gru') {
      throw new ConfigError(
        cell.label,
        'FastGru runs GRU cells only',
        "a 'gru' cell",
        `a '${spec.kind}' cell`,
      );
    }
    super(engine, cell, T, B, 3);
    // resetAfter: true has two bias rows (input and recurrent), false one.
    this.resetAfter = spec.resetAfter;
    const after = this.resetAfter;
    this.hard = spec.recurrentActivation === 'hardSigmoid';
    const { U, G } = this;
    const D = cell.inputDim;
    const { wasm } = engine;
    const TB = T * B;
    const own = this.allocate((f) => ({
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
      zh: f(B * G),
      recurrentH: f(after ? TB * U : 0),
      dzhH: f(after ? TB * U : 0),
      dzhStep: f(after ? B * G : 0),
      dW: f(D * G),
      dU: f(U * G),
      dbX: f(G),
      dbH: f(G),
    }));
    // dzx_k is written over the gate values z_k it is computed from (the kernels read each column's gates
    // before they write its gradients), so the tape and its gradient share one [T, B, G] buffer.
    this.buf = { ...own, dzx: own.z };
    this.states = [this.buf.hs];
  }

  /** Copies the weights in (padded) and packs the recurrent kernel both ways. */
  setWeights(p: Params): void {
    this.checkLive('setWeights');
    const { cell, U, G, buf } = this;
    const { wasm, arena } = this.engine;
    const u = this.units;
    const D = this.inputDim;
    checkParams(cell, p, new Float32Array(0), 'weight', false); // values: below, on the copies
    const W = arena.f32(buf.W, D * G).fill(0);
    for (let d = 0; d < D; d++) copyGateRow(W, d * G, p.kernel, d * 3 * u, u, U, 3);
    // Packed once here rather than per forward: at one row per step, packing W costs more than x·W.
    wasm.packB(buf.packedW, buf.W, G, 1, 0, D, G); // B(k, n) = W[k, n]
    wasm.packB(buf.packedWt, buf.W, 1, G, 0, G, D); // B(k, n) = W[n, k]
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
    options: Omit<SequenceOptions, 'T' | 'B' | 'c0'> & ForwardInput = {},
  ): FastGruOutput {
    const { buf } = this;
    const D = this.inputDim;
    const seen = this.sequenceIn(x, options);

    this.forwardSteps(buf.x, D, seen.mask !== null);
    const { h, finals } = this.outputsOut(seen, options.sequence !== false);
    return { h, hT: finals[0] };
  }

  /** The inputs and initial state of `forward` and `infer` into their buffers; what inputIn saw. */
  private sequenceIn(x: Float32Array, options: Omit<SequenceOptions, 'T' | 'B' | 'c0'> & ForwardInput) {
    const seen = this.inputIn(x, options, this.buf.x, this.inputDim);
    this.statesIn([['h0', options.h0, this.buf.hs]], true);
    return seen;
  }

  /**
   * `forward` with nothing kept for backward (FastRecurrent's `inferSteps`): the same outputs bit for bit,
   * without the tape's memory traffic; a `backward` after it refuses, as before any forward.
   */
  infer(
    x: Float32Array,
    options: Omit<SequenceOptions, 'T' | 'B' | 'c0'> & ForwardInput = {},
  ): FastGruOutput {
    const { buf } = this;
    const D = this.inputDim;
    const seen = this.sequenceIn(x, options);
    const sequence = options.sequence !== false;
    const finalAt = this.inferSteps(buf.x, D, seen.mask !== null, sequence);
    const { h, finals } = this.outputsOut(seen, sequence, finalAt, false);
    return { h, hT: finals[0] };
  }

  /**
   * Step k of the sequence once zx_k = x_k·W is in place: the recurrent multiply and the fused gate pass
   * (which saves its tape at step k). The states read and written are at byte offsets from and to of hs.
   */
  protected recurrentStep(k: number, from: number, to: number, mask: number): void {
    const { B, U, G, buf } = this;
    const { wasm } = this.engine;
    const stateBytes = 4 * B * U;
    const [hPrev, hNext] = [buf.hs + from, buf.hs + to];
    const zxk = buf.z + 4 * k * B * G;
    if (this.resetAfter) {
      this.product(buf.zh, G, hPrev, U, buf.packedU, U, G, false);
      const recurrentH = buf.recurrentH + k * stateBytes;
      wasm.gruGatesForward(
        zxk,
        buf.zh,
        buf.biasX,
        buf.biasH,
        hPrev,
        hNext,
        recurrentH,
        mask,
        B,
        U,
        this.hard,
      );
      return;
    }
    const blockH = 4 * 2 * U; // byte offset of block h in a row
    const resetH = buf.resetH + k * stateBytes;
    this.product(buf.zh, G, hPrev, U, buf.packedUzr, U, 2 * U, false);
    wasm.gruResetBeforeGatesForward(zxk, buf.zh, buf.biasX, hPrev, resetH, B, U, this.hard);
    this.product(buf.zh + blockH, G, resetH, U, buf.packedUh, U, U, false);
    wasm.gruResetBeforeCandidateForward(zxk, buf.zh, buf.biasX, hPrev, hNext, mask, B, U);
  }

  /** The GRU keeps x·W (zx) and h·U (zh) apart until the gate pass: the order changes no sum. */
  readonly recurrentFirstExact = true;

  /** zh = h·U (resetAfter), or its blocks z r = h·U_zr (without): the products reading only the state. */
  protected recurrentProduct(from: number, share: StepShare | null): void {
    const { U, G, buf } = this;
    const [packed, N] = this.resetAfter ? [buf.packedU, G] : [buf.packedUzr, 2 * U];
    const [n0, n1] = share ? share.columns(N) : [0, N];
    this.columnsOf(buf.zh, n0, n1, buf.hs + from, U, packed, U, false);
  }

  /** zx = x·W, then the rest of `recurrentStep` (or `sharedStep`) on the zh in place. */
  protected stepAfterRecurrent(
    x: number,
    xStride: number,
    from: number,
    to: number,
    share: StepShare | null,
  ) {
    const { U, G, buf } = this;
    const [n0, n1] = share ? share.columns(G) : [0, G];
    this.columnsOf(buf.z, n0, n1, x, xStride, buf.packedW, this.inputDim, false);
    share?.exchange([
      { at: buf.z, width: G },
      { at: buf.zh, width: this.resetAfter ? G : 2 * U },
    ]);
    this.gatesAfterProducts(from, to, share);
  }

  /**
   * The first layer's step on two threads (`stepSharedProjected`): this thread's columns of zh swapped
   * for the other's, then zx copied from the token's row, then the gate passes.
   */
  protected stepAfterRecurrentProjected(projected: () => number, from: number, to: number, share: StepShare) {
    const { U, G, buf } = this;
    share.exchange([{ at: buf.zh, width: this.resetAfter ? G : 2 * U }]);
    this.engine.wasm.copyRows(buf.z, G, projected(), G, 1, G);
    this.gatesAfterProducts(from, to, share);
  }

  /**
   * Step 0's gate passes once zx and the state-only products are whole; without resetAfter, with the
   * candidate's multiply between them (its columns swapped with `share`).
   */
  private gatesAfterProducts(from: number, to: number, share: StepShare | null): void {
    const { B, U, buf } = this;
    const { wasm } = this.engine;
    const [hPrev, hNext] = [buf.hs + from, buf.hs + to];
    if (this.resetAfter) {
      wasm.gruGatesForward(
        buf.z,
        buf.zh,
        buf.biasX,
        buf.biasH,
        hPrev,
        hNext,
        buf.recurrentH,
        0,
        B,
        U,
        this.hard,
      );
      return;
    }
    wasm.gruResetBeforeGatesForward(buf.z, buf.zh, buf.biasX, hPrev, buf.resetH, B, U, this.hard);
    const blockH = buf.zh + 4 * 2 * U;
    const [m0, m1] = share ? share.columns(U) : [0, U];
    this.columnsOf(blockH, m0, m1, buf.resetH, U, buf.packedUh, U, false);
    share?.exchange([{ at: blockH, width: U }]);
    wasm.gruResetBeforeCandidateForward(buf.z, buf.zh, buf.biasX, hPrev, hNext, 0, B, U);
  }

  /**
   * The shared step (`stepShared`): this thread's columns of each multiply, swapped for the other
   * thread's, and the whole gate passes. resetAfter: false needs r ⊙ h_{k−1} of every unit before the
   * candidate's multiply, so it swaps twice: after x·W and h·U_zr, then after (r ⊙ h_{k−1})·U_h.
   */
  protected sharedStep(rows: SharedRow[], share: StepShare, from: number, to: number): void {
    const { G, U, buf } = this;
    const { wasm } = this.engine;
    const [hPrev, hNext] = [buf.hs + from, buf.hs + to];
    const part = (c: number, a: number, packed: number, N: number) => {
      const [n0, n1] = share.columns(N);
      this.columnsOf(c, n0, n1, a, U, packed, U, false);
    };
    if (this.resetAfter) {
      part(buf.zh, hPrev, buf.packedU, G);
      share.exchange([...rows, { at: buf.zh, width: G }]);
      wasm.gruGatesForward(
        buf.z,
        buf.zh,
        buf.biasX,
        buf.biasH,
        hPrev,
        hNext,
        buf.recurrentH,
        0,
        1,
        U,
        this.hard,
      );
    } else {
      const blockH = buf.zh + 4 * 2 * U;
      part(buf.zh, hPrev, buf.packedUzr, 2 * U);
      share.exchange([...rows, { at: buf.zh, width: 2 * U }]);
      wasm.gruResetBeforeGatesForward(buf.z, buf.zh, buf.biasX, hPrev, buf.resetH, 1, U, this.hard);
      part(blockH, buf.resetH, buf.packedUh, U);
      share.exchange([{ at: blockH, width: U }]);
      wasm.gruResetBeforeCandidateForward(buf.z, buf.zh, buf.biasX, hPrev, hNext, 0, 1, U);
    }
  }

  /** Adds the weight gradients into g (float32, the cell's shapes); returns dx, dh0. */
  backward(g: Params, upstream: Omit<SequenceUpstream, 'dcT'>): FastGruGradients {
    const { T, B, U, G, buf } = this;
    const { wasm, arena } = this.engine;
    const u = this.units;
    const D = this.inputDim;
    const { last, dhOut: dhOutPtr } = this.upstreamIn(g, upstream);
    this.statesIn([['upstream dhT', upstream.dhT, buf.dhCarry]], false);
    const stateSize = B * U;

    const stateBytes = 4 * stateSize;
    for (let k = T - 1; k >= 0; k--) {
      const maskK = last.masked ? buf.mask + k * B : 0;
      const dzxk = buf.dzx + 4 * k * B * G;
      const dzhk = buf.dzhStep;
      // dh_{k−1} = dh ⊙ z + dzh_k·Uᵀ; padded rows keep their carried gradient.
      const dhNew = maskK ? buf.dhNew : buf.dhCarry;
      const gates = buf.z + 4 * k * B * G;
      const hPrev = buf.hs + k * stateBytes;
      const dhOut = dhOutPtr ? dhOutPtr + k * stateBytes : 0;
      if (this.resetAfter) {
        const recurrentH = buf.recurrentH + k * stateBytes;
        wasm.gruGatesBackward(
          dzxk,
          dzhk,
          dhNew,
          gates,
          recurrentH,
          hPrev,
          buf.dhCarry,
          dhOut,
          maskK,
          B,
          U,
          this.hard,
        );
        // Before dz_k is multiplied (here and in the weight gradients).
        this.flushSubnormals([
          [dzxk, B * G],
          [dzhk, B * G],
        ]);
        wasm.gemmPacked(dhNew, U, dzhk, G, 1, buf.packedUt, B, G, U, true, buf.scratch);
        wasm.copyRows(buf.dzhH + 4 * k * B * U, U, dzhk + 4 * 2 * U, G, B, U);
      } else {
        wasm.gruResetBeforeBackward1(dzxk, dhNew, gates, hPrev, buf.dhCarry, dhOut, maskK, B, U, this.hard);
        // Its h block is multiplied next. Block r still holds the gate r (dzx is z's buffer) until the
        // second part reads it, so only the h blocks are flushed here; block z is with the whole row below.
        this.flushSubnormals(Array.from({ length: B }, (_, b) => [dzxk + 4 * (b * G + 2 * U), U] as const));
        // d(r ⊙ h_{k−1}) = dz_h·U_hᵀ, then block r and its share of dh_{k−1}, then dz_zr·U_zrᵀ.
        wasm.gemmPacked(buf.dResetH, U, dzxk + 4 * 2 * U, G, 1, buf.packedUhT, B, U, U, false, buf.scratch);
        wasm.gruResetBeforeBackward2(dzxk, dhNew, buf.dResetH, gates, hPrev, B, U, this.hard);
        this.flushSubnormals([[dzxk, B * G]]);
        wasm.gemmPacked(dhNew, U, dzxk, G, 1, buf.packedUzrT, B, 2 * U, U, true, buf.scratch);
      }
      if (maskK) wasm.copyRealRows(buf.dhCarry, buf.dhNew, maskK, B, U);
      this.flushSubnormals([[buf.dhCarry, stateSize]]);
      this.stepInputGradient(k, dzxk, G);
    }

    // One multiply each over all T·B rows. A(m, k) = x[k, m]: x read transposed, strides (1, D).
    const TB = T * B;
    // The biases' sums Σ dzx, Σ dzh are made while dzx and dzh are packed for the multiplies.
    if (this.gradientByIds) {
      // x's rows are the table's: dW from dzx summed by id.
      wasm.columnSums(buf.dbX, buf.dzx, TB, G);
      this.tableGradients(buf.dW);
    } else wasm.gemmColumnSums(buf.dW, G, buf.x, 1, D, buf.dzx, G, D, TB, G, false, buf.scratch, buf.dbX);
    const blockH = 4 * 2 * U;
    if (this.resetAfter) {
      // dU = Hᵀ·dzh, its blocks z and r from dzx's (the same values) and block h from dzhH: split at
      // column 2U, a panel boundary of the packed operand, each column sums the same terms in the same
      // order as one multiply over the whole of dzh would. dbH likewise: blocks z and r are dbX's.
      wasm.gemm(buf.dU, G, buf.hs, 1, U, buf.dzx, G, 1, U, TB, 2 * U, false, buf.scratch);
      const dbHh = buf.dbH + blockH;
      wasm.gemmColumnSums(buf.dU + blockH, G, buf.hs, 1, U, buf.dzhH, U, U, TB, U, false, buf.scratch, dbHh);
      wasm.copyRows(buf.dbH, G, buf.dbX, G, 1, 2 * U);
    } else {
      // dU_zr = Hᵀ·dz_zr and dU_h = (r ⊙ H)ᵀ·dz_h, side by side in dU's rows.
      wasm.gemm(buf.dU, G, buf.hs, 1, U, buf.dzx, G, 1, U, TB, 2 * U, false, buf.scratch);
      wasm.gemm(buf.dU + blockH, G, buf.resetH, 1, U, buf.dzx + blockH, G, 1, U, TB, U, false, buf.scratch);
    }

    const dW = arena.f32(buf.dW, D * G);
    for (let d = 0; d < D; d++) addGateRow(g.kernel, d * 3 * u, dW, d * G, u, U, 3);
    const dU = arena.f32(buf.dU, U * G);
    for (let r = 0; r < u; r++) addGateRow(g.recurrentKernel, r * 3 * u, dU, r * G, u, U, 3);
    addGateRow(g.bias, 0, arena.f32(buf.dbX, G), 0, u, U, 3);
    if (this.resetAfter) addGateRow(g.bias, 3 * u, arena.f32(buf.dbH, G), 0, u, U, 3);

    return { dx: this.dxOut(last), dh0: this.unpadded(buf.dhCarry) };
  }
}
