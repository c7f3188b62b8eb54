/**
 * The fused LSTM-family sequence in WebAssembly: forward over T steps and backward through time, with the
 * same contract as the reference driver (`recurrentForward` / `recurrentBackward`), in float32, for
 *   - the LSTM (`lstmCell`), gate blocks `ifco`;
 *   - NovoLSTM (`novoLstmCell`), every variant: input gate 'readme' or 'reference' (blocks `ifcoi'`) or
 *     the ablations 'softmax' and 'lnSigmoid' (blocks `ifco`), layer norm in the input gate or 'all',
 *     plus the norms' gains and shifts;
 *   - the LSTM with `layerNorm: 'all'` (the LN-LSTM), on NovoLSTM's kernel with its own input gate code.
 * GRU cells are rejected here: FastGru (./gru.ts) runs them.
 *
 * Sizes: T = time steps, B = batch rows, D = input features, u = units, U = u rounded up to a multiple
 * of 4 (the vector width), G = blocks·U gate columns (5 with an i' block, else 4), RG = the recurrent kernel's
 * columns (= G, except 4U for the 'reference' input gate, whose a_i' has no recurrent part).
 *
 * Where the work goes:
 *   forward   z = x·W one multiply per block of time steps; per step z_k += h_{k−1}·U with U packed once,
 *             then the fused gate pass (bias, activations, c and h).
 *   backward  per step the fused gate pass gives dz_k, then dh_{k−1} = dz_k·Uᵀ and dx_k = dz_k·Wᵀ with Uᵀ
 *             and Wᵀ packed once; after the loop one multiply over all T·B rows, [dW; dU] = [x | H]ᵀ·dz
 *             (x and the states before each step read where they are, dz packed once for both), and
 *             db = Σ dz.
 *   When x is an embedding's rows (InputRows, ./steps.ts), x·W is the table's rows' product gathered by
 *   id, and backward sums dz by id instead of making dx; dW and the table's gradient come from those
 *   sums (FastRecurrent's `tableGradients`), and only dU is a multiply over all T·B rows.
 *
 * Inside WebAssembly memory everything is in processing order k (k = t, or T−1−t with `reverse`), so the
 * kernels never see the direction; this wrapper reorders x, dh and the outputs. Units are padded to U
 * with zero weights, which keeps the padded units exactly zero forward and backward.
 *
 * A plan is made for fixed sizes and keeps its buffers; `forward` then `backward` can repeat with new
 * weights (`setWeights`) without allocating. `step` runs one time step at a time with the state kept in
 * WebAssembly memory between calls — generation, where each step's input depends on the last output.
 * What the GRU shares (moving data in and out, stepping) is in FastRecurrent (./recurrent.ts); this file
 * has the LSTM family's buffers, weights and gate passes, with h and c as its state.
 */
import { ConfigError } from '../errors.js';
import {
  checkParams,
  type CellKernel,
  type CellSpec,
  type Params,
  type SequenceOptions,
  type SequenceUpstream,
} from '../kernels/contract.js';
import type { Engine } from './loader.js';
import { addGateRow, copyGateRow } from './padding.js';
import { FastRecurrent, type RecurrentBuffers } from './recurrent.js';
import type { SharedRow, StepShare } from './share.js';
import type { ForwardInput } from './steps.js';

export interface FastSequenceOutput {
  /**
   * Outputs, zero at masked steps: [T, B, u] at their time index, or batch-major [B, T, u] in processing
   * order (see SequenceLayout); empty when `sequence: false`.
   */
  readonly h: Float32Array;
  /** [B, u] */
  readonly hT: Float32Array;
  /** [B, u] */
  readonly cT: Float32Array;
}

export interface FastSequenceGradients {
  /** [T, B, D], or [B, T, D] batch-major */
  readonly dx: Float32Array;
  /** [B, u] */
  readonly dh0: Float32Array;
  /** [B, u] */
  readonly dc0: Float32Array;
}

/**
 * Addresses of the plan's buffers in WebAssembly memory (bytes), with their shapes: the shared ones
 * (RecurrentBuffers; z holds x·W + h·U) and these.
 */
interface Buffers extends RecurrentBuffers {
  readonly bias: number; // [G]
  readonly packedU: number; // recurrent kernel [U, RG] packed as the B operand of h·U
  readonly packedUt: number; // its transpose [RG, U] packed as the B operand of dz·Uᵀ
  readonly x: number; // [T, B, D] processing order (the states before each step are hs's first T)
  readonly cs: number; // [T+1, B, U] same for c
  readonly tanhC: number; // [B, U] tanh(c) after a step: forward's, then backward's step k recomputed
  readonly dz: number; // [T, B, G] gradient w.r.t. the pre-activations: z's buffer, step by step
  readonly dcCarry: number; // [B, U]
  readonly dWU: number; // [D+U, G] dW rows, then dU rows
  readonly db: number; // [G]
  // The input gate's layer norm only (NovoLSTM except 'softmax', the LSTM with 'all'). Its input q and
  // normalised q̂ are not kept where backward can remake them (the gates with σ(a_i) = s: z's block i
  // holds s, see novoGatesForward); the LN-LSTM's q = a_i is gone by then, so it keeps q̂:
  readonly gamma: number; // [U]
  readonly beta: number; // [U]
  readonly mean: number; // [T, B] the normalisation's mean
  readonly rstd: number; // [T, B] 1/σ of the normalisation
  readonly xhat: number; // [T, B, U] q̂, the LN-LSTM only
  readonly dgamma: number; // [U]
  readonly dbeta: number; // [U]
  // layerNorm 'all' only (norms of a_f, a_c, a_o and of c_t for the output, rows f c o cell):
  readonly gateGamma: number; // [4, U]
  readonly gateBeta: number; // [4, U]
  readonly gateXhat: number; // [T, B, 4U] normalised values
  readonly gateRstd: number; // [T, B, 4]
  readonly dGateGamma: number; // [4, U]
  readonly dGateBeta: number; // [4, U]
  readonly work: number; // [5U] scratch of the NovoLSTM backward gate pass
}

/** The input gate codes of novoGatesForward / novoGatesBackward (the GATE_ constants of wasm/novolstm.ts). */
const GATE_CODES = Object.freeze({ readme: 0, reference: 1, softmax: 2, lnSigmoid: 3, lnLstm: 4 } as const);
type GateName = keyof typeof GATE_CODES;

/**
 * Which fused kernel runs a cell: the plain LSTM's (`gate` null), or NovoLSTM's with the input gate and
 * the norm placement (NovoLSTM, and the LSTM with layerNorm 'all' as its 'lnLstm' gate).
 */
interface Variant {
  /** The input gate on NovoLSTM's kernel, or null for the plain LSTM's kernel. */
  readonly gate: GateName | null;
  /** layerNorm 'all'. */
  readonly normAll: boolean;
  /** The gates' recurrent activation is the hard sigmoid (else σ); the plain LSTM only. */
  readonly hard: boolean;
}

/** The fused kernel for a cell's spec, or null when it has none here (the GRU: FastGru runs it). */
function fusedVariant(spec: CellSpec): Variant | null {
  if (spec.kind === 'lstm') {
    const normAll = spec.layerNorm === 'all';
    return { gate: normAll ? 'lnLstm' : null, normAll, hard: spec.recurrentActivation === 'hardSigmoid' };
  }
  if (spec.kind === 'novolstm') {
    return { gate: spec.inputGate, normAll: spec.layerNorm === 'all', hard: false };
  }
  return null;
}

export class FastLstm extends FastRecurrent {
  private readonly variant: Variant;
  /** Gate blocks: 4 (ifco) or 5 (ifcoi'). */
  private readonly blocks: number;
  /** Gate blocks of the recurrent kernel: 4, or 5 for the 'readme' input gate. */
  private readonly recurrentBlocks: number;
  protected readonly buf: Buffers;
  protected readonly states: readonly number[];

  constructor(engine: Engine, cell: CellKernel, T: number, B: number) {
    const variant = fusedVariant(cell.spec);
    if (!variant) {
      throw new ConfigError(
        cell.label,
        'FastLstm has no kernel for this cell yet (FastGru runs the GRU)',
        "an 'lstm' or 'novolstm' cell",
        `a '${cell.spec.kind}' cell`,
      );
    }
    const { gate, normAll } = variant;
    const blocks = gate === 'readme' || gate === 'reference' ? 5 : 4;
    super(engine, cell, T, B, blocks);
    this.variant = variant;
    this.blocks = blocks;
    this.recurrentBlocks = gate === 'readme' ? 5 : 4;
    const { U, G } = this;
    const RG = this.recurrentBlocks * U;
    const fused = gate !== null; // on NovoLSTM's kernel
    const norm = fused && gate !== 'softmax'; // has the input gate's layer norm
    const D = cell.inputDim;
    const { wasm } = engine;
    const TB = T * B;
    const own = this.allocate((f) => ({
      bias: f(G),
      packedU: f(wasm.packedBFloats(U, RG)),
      packedUt: f(wasm.packedBFloats(RG, U)),
      x: f(TB * D),
      cs: f((T + 1) * B * U),
      tanhC: f(B * U),
      dcCarry: f(B * U),
      dWU: f((D + U) * G),
      db: f(G),
      gamma: f(norm ? U : 0),
      beta: f(norm ? U : 0),
      mean: f(norm ? TB : 0),
      rstd: f(norm ? TB : 0),
      xhat: f(gate === 'lnLstm' ? TB * U : 0),
      dgamma: f(norm ? U : 0),
      dbeta: f(norm ? U : 0),
      gateGamma: f(normAll ? 4 * U : 0),
      gateBeta: f(normAll ? 4 * U : 0),
      gateXhat: f(normAll ? TB * 4 * U : 0),
      gateRstd: f(normAll ? TB * 4 : 0),
      dGateGamma: f(normAll ? 4 * U : 0),
      dGateBeta: f(normAll ? 4 * U : 0),
      work: f(fused ? 5 * U : 0),
    }));
    // dz_k is written over the gate values z_k it is computed from (the gate passes read each column's
    // gates before they write its gradients), so the tape and its gradient share one [T, B, G] buffer:
    // at H = 512, B = 128 that is 131 MB (NovoLSTM) not held twice. Backward consumes the tape.
    this.buf = { ...own, dz: own.z };
    this.states = [this.buf.hs, this.buf.cs];
  }

  /** The cell has the input gate's layer norm (gamma, beta): NovoLSTM except 'softmax', the LN-LSTM. */
  private get hasInputNorm(): boolean {
    return this.variant.gate !== null && this.variant.gate !== 'softmax';
  }

  /** Copies the weights in (padded) and packs the recurrent kernel both ways. */
  setWeights(p: Params): void {
    this.checkLive('setWeights');
    const { cell, U, G, buf, blocks, recurrentBlocks } = this;
    const { wasm, arena } = this.engine;
    const u = this.units;
    const D = this.inputDim;
    const RG = recurrentBlocks * U;
    checkParams(cell, p, new Float32Array(0), 'weight', false); // values: below, on the copies
    const W = arena.f32(buf.W, D * G).fill(0);
    for (let d = 0; d < D; d++) copyGateRow(W, d * G, p.kernel, d * blocks * u, u, U, blocks);
    // Packed once here rather than per forward: at one row per step, packing W costs more than x·W.
    wasm.packB(buf.packedW, buf.W, G, 1, 0, D, G); // B(k, n) = W[k, n]
    wasm.packB(buf.packedWt, buf.W, 1, G, 0, G, D); // B(k, n) = W[n, k]
    copyGateRow(arena.f32(buf.bias, G).fill(0), 0, p.bias, 0, u, U, blocks);
    const norm = this.hasInputNorm;
    if (norm) {
      arena.f32(buf.gamma, U).fill(0).set(p.gamma);
      arena.f32(buf.beta, U).fill(0).set(p.beta);
    }
    if (this.variant.normAll) {
      copyGateRow(arena.f32(buf.gateGamma, 4 * U).fill(0), 0, p.gateGamma, 0, u, U, 4);
      copyGateRow(arena.f32(buf.gateBeta, 4 * U).fill(0), 0, p.gateBeta, 0, u, U, 4);
    }
    // The raw padded recurrent kernel lives in the gradient buffer just long enough to be packed.
    const R = arena.f32(buf.dWU, U * RG).fill(0); // [U, RG]
    for (let r = 0; r < u; r++) {
      copyGateRow(R, r * RG, p.recurrentKernel, r * recurrentBlocks * u, u, U, recurrentBlocks);
    }
    const copies: [number, number][] = [
      [buf.W, D * G],
      [buf.bias, G],
      [buf.dWU, U * RG],
      [buf.gamma, norm ? U : 0],
      [buf.beta, norm ? U : 0],
      [buf.gateGamma, this.variant.normAll ? 4 * U : 0],
      [buf.gateBeta, this.variant.normAll ? 4 * U : 0],
    ];
    // A weight that is NaN or ±∞: the reference check finds it and names it.
    if (copies.some(([ptr, n]) => wasm.firstNonFinite(ptr, n) >= 0))
      checkParams(cell, p, new Float32Array(0));
    wasm.packB(buf.packedU, buf.dWU, RG, 1, 0, U, RG); // B(k, n) = R[k, n]
    wasm.packB(buf.packedUt, buf.dWU, 1, RG, 0, RG, U); // B(k, n) = R[n, k]
    this.weightsSet = true;
    // A saved forward pass belongs to the old weights: backward must not mix it with the new ones.
    this.last = null;
  }

  forward(
    x: Float32Array,
    options: Omit<SequenceOptions, 'T' | 'B'> & ForwardInput = {},
  ): FastSequenceOutput {
    const { buf } = this;
    const D = this.inputDim;
    const seen = this.sequenceIn(x, options);

    this.forwardSteps(buf.x, D, seen.mask !== null);
    const { h, finals } = this.outputsOut(seen, options.sequence !== false);
    return { h, hT: finals[0], cT: finals[1] };
  }

  /** The inputs and initial states of `forward` and `infer` into their buffers; what inputIn saw. */
  private sequenceIn(x: Float32Array, options: Omit<SequenceOptions, 'T' | 'B'> & ForwardInput) {
    const { buf } = this;
    const seen = this.inputIn(x, options, buf.x, this.inputDim);
    this.statesIn(
      [
        ['h0', options.h0, buf.hs],
        ['c0', options.c0, buf.cs],
      ],
      true,
    );
    return seen;
  }

  /**
   * `forward` with nothing kept for backward (FastRecurrent's `inferSteps`): the same outputs bit for bit,
   * without the tape's memory traffic; a `backward` after it refuses, as before any forward.
   */
  infer(x: Float32Array, options: Omit<SequenceOptions, 'T' | 'B'> & ForwardInput = {}): FastSequenceOutput {
    const { buf } = this;
    const D = this.inputDim;
    const seen = this.sequenceIn(x, options);
    const sequence = options.sequence !== false;
    const finalAt = this.inferSteps(buf.x, D, seen.mask !== null, sequence);
    const { h, finals } = this.outputsOut(seen, sequence, finalAt, false);
    return { h, hT: finals[0], cT: finals[1] };
  }

  /**
   * Step k of the sequence once z_k = x_k·W is in place: z_k += h_{k−1}·U, then the fused gate pass
   * (which saves its tape at step k). The states read and written are at byte offsets from and to of hs
   * and cs.
   */
  protected recurrentStep(k: number, from: number, to: number, mask: number): void {
    const { B, U, G, buf } = this;
    const zk = buf.z + 4 * k * B * G;
    const hPrev = buf.hs + from;
    // Only the first RG columns of z have a recurrent part.
    this.product(zk, G, hPrev, U, buf.packedU, U, this.recurrentBlocks * U, true);
    this.gatePass(k, hPrev, buf.cs + from, buf.hs + to, buf.cs + to, mask);
  }

  get recurrentFirstExact(): boolean {
    const KC = this.engine.wasm.gemmDepthBlock();
    return this.inputDim <= KC && this.U <= KC;
  }

  /** z_0[:, :RG] = h·U from the state at `from` (this thread's columns): what `recurrentStep` adds. */
  protected recurrentProduct(from: number, share: StepShare | null): void {
    const { U, G, buf } = this;
    const [n0, n1] = share ? share.columns(G) : [0, G];
    const RG = this.recurrentBlocks * U;
    this.columnsOf(buf.z, n0, Math.min(n1, RG), buf.hs + from, U, buf.packedU, U, false);
  }

  /**
   * z_0 = x·W + h·U with h·U already in its first RG columns, then the gate pass: x·W added there, and
   * written alone into the columns past RG (the 'reference' input gate's block, which has no h·U).
   */
  protected stepAfterRecurrent(
    x: number,
    xStride: number,
    from: number,
    to: number,
    share: StepShare | null,
  ) {
    const { U, G, buf } = this;
    const [n0, n1] = share ? share.columns(G) : [0, G];
    const RG = this.recurrentBlocks * U;
    this.columnsOf(buf.z, n0, Math.min(n1, RG), x, xStride, buf.packedW, this.inputDim, true);
    this.columnsOf(buf.z, Math.max(n0, RG), n1, x, xStride, buf.packedW, this.inputDim, false);
    share?.exchange([{ at: buf.z, width: G }]);
    this.gatePass(0, buf.hs + from, buf.cs + from, buf.hs + to, buf.cs + to, 0);
  }

  /**
   * The first layer's step on two threads (`stepSharedProjected`): z with this thread's columns of h·U is
   * swapped whole (the columns past RG are overwritten below), then the token's x·W row is added to the
   * first RG columns and copied into the rest, then the gate pass.
   */
  protected stepAfterRecurrentProjected(projected: () => number, from: number, to: number, share: StepShare) {
    const { U, G, buf } = this;
    const { wasm } = this.engine;
    const RG = this.recurrentBlocks * U;
    share.exchange([{ at: buf.z, width: G }]);
    const row = projected();
    wasm.addRow(buf.z, row, RG);
    if (RG < G) wasm.copyRows(buf.z + 4 * RG, G, row + 4 * RG, G, 1, G - RG);
    this.gatePass(0, buf.hs + from, buf.cs + from, buf.hs + to, buf.cs + to, 0);
  }

  /** The fused gate pass of step k on z_k (in place, the tape saved at step k). */
  private gatePass(k: number, hPrev: number, cPrev: number, hNext: number, cNext: number, mask: number) {
    const { B, U, G, buf } = this;
    const { wasm } = this.engine;
    const stateBytes = 4 * B * U;
    const zk = buf.z + 4 * k * B * G;
    // tanh(c_t) is not kept per step: backward recomputes it from c_t (or ĉ_t) with the same function.
    const tanhC = buf.tanhC;
    const { gate } = this.variant;
    if (gate === null) {
      wasm.lstmGatesForward(zk, buf.bias, cPrev, hPrev, cNext, hNext, tanhC, mask, B, U, this.variant.hard);
      return;
    }
    wasm.novoGatesForward(
      GATE_CODES[gate],
      this.variant.normAll,
      zk,
      buf.bias,
      buf.gamma,
      buf.beta,
      buf.gateGamma,
      buf.gateBeta,
      cPrev,
      hPrev,
      cNext,
      hNext,
      tanhC,
      buf.mean + 4 * k * B,
      buf.xhat + k * stateBytes,
      buf.rstd + 4 * k * B,
      buf.gateXhat + 4 * k * stateBytes,
      buf.gateRstd + 16 * k * B,
      mask,
      B,
      U,
      this.units,
    );
  }

  /**
   * The shared step (`stepShared`): this thread's columns of x·W + h·U, swapped for the other thread's,
   * then the whole gate pass.
   */
  protected sharedStep(_rows: SharedRow[], share: StepShare, from: number, to: number): void {
    const { G, U, buf } = this;
    // h·U adds into this thread's columns of z (only the first RG have a recurrent part), so z is swapped
    // whole even when the input projection came in whole.
    const [n0, n1] = share.columns(G);
    this.columnsOf(buf.z, n0, Math.min(n1, this.recurrentBlocks * U), buf.hs + from, U, buf.packedU, U, true);
    share.exchange([{ at: buf.z, width: G }]);
    this.gatePass(0, buf.hs + from, buf.cs + from, buf.hs + to, buf.cs + to, 0);
  }

  /** Adds the weight gradients into g (float32, the cell's shapes); returns dx, dh0, dc0. */
  backward(g: Params, upstream: SequenceUpstream): FastSequenceGradients {
    const { T, B, U, G, buf, blocks } = this;
    const { wasm, arena } = this.engine;
    const u = this.units;
    const D = this.inputDim;
    const { gate, normAll } = this.variant;
    const norm = this.hasInputNorm;
    const RG = this.recurrentBlocks * U;
    const { last, dhOut: dhOutPtr } = this.upstreamIn(g, upstream);
    this.statesIn(
      [
        ['upstream dhT', upstream.dhT, buf.dhCarry],
        ['upstream dcT', upstream.dcT, buf.dcCarry],
      ],
      false,
    );
    const stateSize = B * U;

    const stateBytes = 4 * stateSize;
    if (norm) {
      arena.f32(buf.dgamma, U).fill(0);
      arena.f32(buf.dbeta, U).fill(0);
    }
    if (normAll) {
      arena.f32(buf.dGateGamma, 4 * U).fill(0);
      arena.f32(buf.dGateBeta, 4 * U).fill(0);
    }
    for (let k = T - 1; k >= 0; k--) {
      const maskK = last.masked ? buf.mask + k * B : 0;
      const dzk = buf.dz + 4 * k * B * G;
      const gates = buf.z + 4 * k * B * G;
      const [tanhC, cPrev] = [buf.tanhC, buf.cs + k * stateBytes];
      // tanh(c_k) again, bit for bit forward's (from the step's saved c, or ĉ with layerNorm 'all'):
      // one tanh a unit beside the gate pass's, for a [T, B, U] buffer not kept (13 MB per worker at
      // H = 512, B = 64).
      if (normAll) {
        wasm.tanhNormedCells(tanhC, buf.gateXhat + 4 * k * stateBytes, buf.gateGamma, buf.gateBeta, B, U);
      } else wasm.tanhRows(tanhC, buf.cs + (k + 1) * stateBytes, B * U);
      const dhOut = dhOutPtr ? dhOutPtr + k * stateBytes : 0;
      if (gate === null) {
        wasm.lstmGatesBackward(
          dzk,
          gates,
          tanhC,
          cPrev,
          buf.dhCarry,
          dhOut,
          buf.dcCarry,
          maskK,
          B,
          U,
          this.variant.hard,
        );
      } else {
        wasm.novoGatesBackward(
          GATE_CODES[gate],
          normAll,
          dzk,
          gates,
          tanhC,
          cPrev,
          buf.mean + 4 * k * B,
          buf.xhat + k * stateBytes,
          buf.rstd + 4 * k * B,
          buf.gamma,
          buf.beta,
          buf.dgamma,
          buf.dbeta,
          buf.gateXhat + 4 * k * stateBytes,
          buf.gateRstd + 16 * k * B,
          buf.gateGamma,
          buf.gateBeta,
          buf.dGateGamma,
          buf.dGateBeta,
          buf.work,
          buf.dhCarry,
          dhOut,
          buf.dcCarry,
          maskK,
          B,
          U,
          u,
        );
      }
      // Before dz_k is multiplied (here and in the weight gradients).
      this.flushSubnormals([
        [dzk, B * G],
        [buf.dcCarry, stateSize],
      ]);
      // dh_{k−1} = dz_k[:, :RG]·Uᵀ; padded rows keep their carried gradient.
      if (maskK) {
        wasm.gemmPacked(buf.dhNew, U, dzk, G, 1, buf.packedUt, B, RG, U, false, buf.scratch);
        wasm.copyRealRows(buf.dhCarry, buf.dhNew, maskK, B, U);
      } else {
        wasm.gemmPacked(buf.dhCarry, U, dzk, G, 1, buf.packedUt, B, RG, U, false, buf.scratch);
      }
      this.flushSubnormals([[buf.dhCarry, stateSize]]);
      this.stepInputGradient(k, dzk, G);
    }

    // One multiply over all T·B rows, [dW; dU] = [x | H]ᵀ·dz: x and the states before each step (hs's
    // first T) read transposed where they are, strides (1, D) and (1, U), each block of dz packed once for
    // both; no copy of H beside x (13 MB per worker at H = 512). db = Σ dz, made while dz is packed.
    const TB = T * B;
    const XH = D + U;
    // With an embedding's rows, dW comes from dz summed by id (tableGradients): only H's rows are multiplied.
    const byIds = this.gradientByIds;
    wasm.gemmColumnSumsStacked(
      buf.dWU + (byIds ? 4 * D * G : 0),
      G,
      buf.x,
      1,
      D,
      byIds ? 0 : D,
      buf.hs,
      1,
      U,
      U,
      buf.dz,
      G,
      TB,
      G,
      false,
      buf.scratch,
      buf.db,
    );
    if (byIds) this.tableGradients(buf.dWU);

    const dWU = arena.f32(buf.dWU, XH * G);
    for (let d = 0; d < D; d++) addGateRow(g.kernel, d * blocks * u, dWU, d * G, u, U, blocks);
    // dU is the first RG columns of its rows (for 'reference', Hᵀ·dz_i' was computed and is not needed).
    const rb = this.recurrentBlocks;
    for (let r = 0; r < u; r++) addGateRow(g.recurrentKernel, r * rb * u, dWU, (D + r) * G, u, U, rb);
    addGateRow(g.bias, 0, arena.f32(buf.db, G), 0, u, U, blocks);
    if (norm) {
      addGateRow(g.gamma, 0, arena.f32(buf.dgamma, U), 0, u, U, 1);
      addGateRow(g.beta, 0, arena.f32(buf.dbeta, U), 0, u, U, 1);
    }
    if (normAll) {
      addGateRow(g.gateGamma, 0, arena.f32(buf.dGateGamma, 4 * U), 0, u, U, 4);
      addGateRow(g.gateBeta, 0, arena.f32(buf.dGateBeta, 4 * U), 0, u, U, 4);
    }

    return { dx: this.dxOut(last), dh0: this.unpadded(buf.dhCarry), dc0: this.unpadded(buf.dcCarry) };
  }
}
