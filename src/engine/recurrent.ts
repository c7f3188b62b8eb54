/**
 * What the fused recurrent sequences (FastLstm in ./lstm.ts, FastGru in ./gru.ts) have in common, so that
 * it lives once: the sizes and the buffers both keep, moving inputs, states and gradients between the
 * caller's arrays and the processing-order, padded layout in WebAssembly memory, and stepping — `step`,
 * `stepProjected`, `project`, `stepRecurrentFirst`, `stepShared`'s frame and the state `saveSteps` /
 * `restoreSteps` keep.
 *
 * A subclass supplies what differs: its weights, its own buffers (allocated after the shared ones, see
 * `allocate`), which of them hold the state (the LSTM h and c, the GRU h only), its step — the recurrent
 * multiply and the gate pass on a state slot, alone or with its multiplies shared with another thread —
 * and backward's loop over the steps and the weight gradients.
 *
 * State buffers are [T+1, B, U], the state before step k at k. Stepping uses their first two [B, U]
 * slots in turn: a step reads one and writes the other.
 *
 * `infer` in a subclass is forward with nothing kept for backward (predict, evaluate, scoring), through
 * `inferSteps`: the input projection x·W is made for a block of time steps at a time into the first
 * steps of z, and each step's gate pass writes its intermediates into the tape slots of its index in the
 * block — rewritten every block, so they stay in cache and are never read. The states ping-pong between
 * two slots unless the output sequence is asked for. Every value is computed by the same kernel calls in
 * the same order as in forward (the projection's rows are independent of how many are multiplied at
 * once), so the outputs are bit for bit forward's.
 *
 * x given as an embedding's rows (InputRows, ./steps.ts) lives here too: the table's product made once
 * per forward, gathered by id into z (`projectSteps`), dz summed by id in backward (`stepInputGradient`)
 * and the gradients made from those sums (`tableGradients`). At the seed's size (V = 60 characters
 * against T·B = 6,400 rows per batch) that takes the input's three multiplies out of a training step.
 */
import { ConfigError, ShapeError, ValueError } from '../errors.js';
import {
  checkFinite,
  checkLength,
  checkParams,
  checkSizes,
  type CellKernel,
  type Params,
  type SequenceOptions,
  type SequenceUpstream,
} from '../kernels/contract.js';
import type { Engine } from './loader.js';
import { checkFloat32, unpadRows } from './padding.js';
import type { SharedRow, StepShare } from './share.js';
import { checkFiniteIn, maskIn, rowsIn, rowsOut, type ForwardInput, type InputRows } from './steps.js';

/** The buffers every fused sequence has (addresses in bytes), with their shapes. */
export interface RecurrentBuffers {
  readonly W: number; // [D, G] kernel, padded
  readonly packedW: number; // the same packed as the B operand of x·W
  readonly packedWt: number; // its transpose [G, D] packed as the B operand of dx = dz·Wᵀ
  readonly mask: number; // [T, B] bytes, processing order
  readonly z: number; // [T, B, G] x·W (the LSTM adds h·U), then the gate values (the tape), then dz
  readonly hs: number; // [T+1, B, U] h before step k at k; final at T
  readonly dhOut: number; // [T, B, U] upstream gradient w.r.t. the outputs, processing order
  readonly dhCarry: number; // [B, U] dh carried back to the step before
  readonly dhNew: number; // [B, U] its new value where some rows are masked
  readonly dx: number; // [T, B, D]
  readonly stage: number; // [B, T, max(D, u)] batch-major x, h, dh, dx on their way in or out
  readonly scratch: number; // gemm scratch
}

/**
 * Bytes of z one block of the tape-free forward's time steps fills (`inferSteps`): its x·W is written and
 * then read step by step while still in the core's L2 cache (≥ 1 MB on the machines measured), rather
 * than all T steps' written to memory first and read back.
 */
export const INFER_BLOCK_BYTES = 512 * 1024;

/**
 * A forward's x as rows of a table (InputRows), in this plan's memory past its own buffers, from the
 * forward until its backward (or the end of `infer`). Addresses in bytes.
 */
interface TableRows {
  readonly V: number;
  readonly ids: number; // [T, B] i32, processing order
  readonly table: number; // [V, D]
  readonly tableW: number; // [V, G] table·W: z's x·W rows, gathered by id
  readonly dzById: number; // [V, G] Σ dz over the rows of each id (backward, with `gradient`)
  readonly dTable: number; // [V, D] dzById·Wᵀ, the gradient w.r.t. the table (with `gradient`)
  /** Where backward adds dTable; null: backward returns dx as without a table. */
  readonly gradient: Float32Array | null;
  /** The arena's top before these were allocated, and after. */
  readonly start: number;
  readonly end: number;
}

/** What the last forward saw, for backward. */
export interface LastForward {
  readonly reverse: boolean;
  readonly masked: boolean;
  readonly batchMajor: boolean;
}

/** A state (or a state's gradient) coming in: its name for errors, its [B, u] values, its [B, U] block. */
export type StateIn = readonly [name: string, values: SequenceOptions['h0'], at: number];

export abstract class FastRecurrent {
  readonly units: number;
  readonly inputDim: number;
  /** Units padded to the vector width: the row stride of the states `step` returns. */
  readonly U: number;
  /** Gate columns, padded: the row width of what `project` writes. */
  readonly G: number;
  protected abstract readonly buf: RecurrentBuffers;
  /** The state buffers, [T+1, B, U] each, in the order `saveSteps` lays them out: h first. */
  protected abstract readonly states: readonly number[];
  protected weightsSet = false;
  /** Set by `retire`: the plan's buffers belong to another plan now. */
  private retired = false;
  /** What the last forward saw, for backward; null before it (or after new weights, or a step). */
  protected last: LastForward | null = null;
  /** Stepping: which of the two state slots (k = 0 and 1) holds the state; null when not stepping. */
  protected slot: 0 | 1 | null = null;
  /** The last forward's x as table rows (`inputRows`), while forward, infer or backward needs them. */
  private tableRows: TableRows | null = null;
  /** Set by `stepRecurrentFirst`: the next step's state-only product is in place. */
  private recurrentReady = false;
  /**
   * Whether the steps' multiplies at batch 1 read their weights from the last columns to the first: the
   * same sums; generation alternates it with the order of the multiplies (src/lm/stepLayers.ts).
   */
  descending = false;

  /** `blocks`: gate blocks of G (4 LSTM, 5 NovoLSTM, 3 GRU). */
  constructor(
    protected readonly engine: Engine,
    protected readonly cell: CellKernel,
    readonly T: number,
    readonly B: number,
    blocks: number,
  ) {
    checkSizes(cell.label, { T, B });
    this.units = cell.units;
    this.inputDim = cell.inputDim;
    this.U = Math.ceil(cell.units / 4) * 4;
    this.G = blocks * this.U;
  }

  /**
   * Step k of the sequence once its input projection is in place in z: the recurrent multiply and the
   * gate pass (which saves its tape at step k). `from` and `to` are byte offsets in every state buffer of
   * the [B, U] state read and the one written.
   */
  protected abstract recurrentStep(k: number, from: number, to: number, mask: number): void;

  /**
   * The part of step 0's recurrent multiply that needs only the state (at byte offset `from` of the state
   * buffers), written now rather than added after x·W (`stepRecurrentFirst`); with `share`, this thread's
   * columns of it.
   */
  protected abstract recurrentProduct(from: number, share: StepShare | null): void;

  /**
   * The rest of step 0 once `recurrentProduct` ran: x·W added (or put beside it), then the gate pass; with
   * `share`, this thread's columns, swapped for the other's before each gate pass.
   */
  protected abstract stepAfterRecurrent(
    x: number,
    xStride: number,
    from: number,
    to: number,
    share: StepShare | null,
  ): void;

  /**
   * The rest of step 0 on two threads once `recurrentProduct` ran on this thread's columns, when the
   * input projection is a row of `project`'s table that the other thread may learn only at the exchange:
   * the state-only product is swapped first, then the row at `projected()` (called after the exchange)
   * is added (or put beside it), then the gate pass.
   */
  protected abstract stepAfterRecurrentProjected(
    projected: () => number,
    from: number,
    to: number,
    share: StepShare,
  ): void;

  /**
   * Whether `stepRecurrentFirst` leaves the step bit for bit the same. In the LSTM family the two products
   * meet in one sum: z = fl(x·W + h·U) either way round (addition commutes) as long as each product is one
   * sum from zero — one K block of the multiply (KC in src/kernels/wasm/gemm.ts); deeper, the blocks would
   * associate differently. The GRU keeps the two products apart, so for it the order is always free.
   * This is the switch for what comes later: a cell option whose step is more than x·W and h·U meeting
   * in the gate pass says false here, and generation keeps the fixed order for it (src/lm/stepLayers.ts).
   */
  abstract readonly recurrentFirstExact: boolean;

  /**
   * `recurrentStep` at batch 1 on the stepping slots, its multiplies shared through `share` (see
   * `stepShared`), once `sharedInput` put the input projection in z; `rows`: the rows it left for the
   * other thread's columns to complete (none, or z).
   */
  protected abstract sharedStep(rows: SharedRow[], share: StepShare, from: number, to: number): void;

  /**
   * Hands the plan's buffers over: its engine's memory is about to hold another plan's (a kept plan's
   * engine taking a new batch shape, src/layers/recurrentKernels.ts). Every later call refuses rather than
   * read or write the new plan's values.
   */
  retire(): void {
    this.retired = true;
    this.tableRows = null; // in memory the next plan takes over
    this.weightsSet = false;
    this.last = null;
    this.slot = null;
  }

  /** Refuses `call` on a retired plan. */
  protected checkLive(call: string): void {
    if (this.retired) {
      throw new ConfigError(
        this.cell.label,
        `${call} on a plan whose memory went to a plan for another batch shape`,
        `the plan of this T = ${this.T}, B = ${this.B} made again`,
        'a retired plan',
      );
    }
  }

  /**
   * Sets the subnormal floats of backward's buffers ([address, floats] each, a multiple of 4) to zero.
   * Through a long sequence the gradient carried back shrinks step by step, and a saturated gate's
   * derivative shrinks it at once; below 2⁻¹²⁶ (1.2e-38) it is subnormal, and every multiply that reads it
   * takes the CPU's slow path (on x86 a microcode assist, about 100× slower) — for up to a few hundred steps,
   * since the subnormal range spans 2²³. On adding-modern-400 (T = 400) that made a training step 3–4×
   * slower for NovoLSTM 'reference', NovoLSTM with inputGateGain 'ones' and the GRU (measured in CPU time,
   * 20 batches: 4.1 s → 1.4 s, 2.8 s → 0.9 s). WebAssembly has no flush-to-zero mode, so this does it here, on the
   * carried gradients after each step and on dz_k before it is multiplied. What is dropped lies below
   * float32's normal range, 2²⁴ times below the rounding of any sum it would join above 2⁻¹⁰²; TensorFlow's
   * CPU kernels (flush-to-zero on) drop it too.
   */
  protected flushSubnormals(buffers: readonly (readonly [at: number, floats: number])[]): void {
    for (const [at, n] of buffers) this.engine.wasm.flushSubnormals(at, n);
  }

  /**
   * Allocates the plan's buffers for its sizes: the ones every plan has, then a subclass's own, which
   * `own` lists with `f(n)` allocating n floats, then the two that many runs never touch or touch only in
   * part: the batch-major staging area (all of it only when the output sequence is asked for) and the
   * upstream dh (only when the outputs of every step reach the loss). A page never written is not
   * resident, so they come last: a smaller plan made later in the same memory (a kept plan's new batch
   * shape, src/layers/recurrentKernels.ts) then falls on the pages the larger one wrote, not on its
   * untouched tail (at H = 512, B = 64 per worker, 26 MB of 145). A buffer of no floats (one the cell's
   * variant has not) is placed at the plan's end, after every real one: a kernel that reads it anyway
   * reads past the plan, which a plan ending at the end of memory turns into a trap
   * (test/engine-bounds.test.ts).
   */
  protected allocate<Own extends Record<string, number>>(
    own: (f: (n: number) => number) => Own,
  ): RecurrentBuffers & Own {
    const { T, B, U, G } = this;
    const D = this.inputDim;
    const { wasm, arena } = this.engine;
    const EMPTY = -1;
    const f = (n: number) => (n > 0 ? arena.allocFloats(n) : EMPTY);
    const shared: Omit<RecurrentBuffers, 'stage' | 'dhOut'> = {
      W: f(D * G),
      packedW: f(wasm.packedBFloats(D, G)),
      packedWt: f(wasm.packedBFloats(G, D)),
      mask: arena.allocBytes(T * B),
      z: f(T * B * G),
      hs: f((T + 1) * B * U),
      dhCarry: f(B * U),
      dhNew: f(B * U),
      dx: f(T * B * D),
      scratch: f(wasm.gemmScratchFloats(Math.max(G, U, D))),
    };
    const owned = own(f);
    const rarelyTouched = { stage: f(T * B * Math.max(D, this.units)), dhOut: f(T * B * U) };
    const buffers: RecurrentBuffers & Own = { ...shared, ...owned, ...rarelyTouched };
    const end = arena.mark();
    const addresses: Record<string, number> = buffers;
    for (const key of Object.keys(addresses)) if (addresses[key] === EMPTY) addresses[key] = end;
    return buffers;
  }

  /**
   * Checks forward's input and options, and puts x (processing order, rows of `xStride` floats at
   * address `xAt`) and the mask in place; returns the options read.
   */
  protected inputIn(
    x: Float32Array,
    options: Omit<SequenceOptions, 'T' | 'B'> & ForwardInput,
    xAt: number,
    xStride: number,
  ): LastForward & { readonly mask: Uint8Array | null } {
    const { cell, T, B, buf } = this;
    const { wasm, arena } = this.engine;
    const D = this.inputDim;
    const label = cell.label;
    this.checkLive('forward');
    if (!this.weightsSet) throw new ConfigError(label, 'forward before setWeights', 'setWeights(p)', 'none');
    checkFloat32(label, 'x', x);
    checkLength(label, 'x', x, T * B * D, `T·B·inputDim = ${T}·${B}·${D}`);
    const reverse = options.reverse ?? false;
    const mask = options.mask ?? null;
    const batchMajor = options.batchMajor ?? false;
    if (mask) checkLength(label, 'mask', mask, T * B, `T·B = ${T}·${B}`);
    this.releaseTableRows();
    const inputRows = options.inputRows;
    if (inputRows) checkInputRows(label, inputRows, T * B, D);
    if (inputRows && 2 * (inputRows.table.length / D) <= T * B) {
      // x·W and its gradients come from the table's rows; x itself is not read.
      this.tableRowsIn(inputRows, reverse, batchMajor);
    } else if (batchMajor) {
      arena.f32(buf.stage, T * B * D).set(x);
      checkFiniteIn(this.engine, label, 'x', buf.stage, T * B * D);
      wasm.batchToSteps(xAt, xStride, buf.stage, D, T, B, D, reverse);
    } else {
      checkFinite(label, 'x', x);
      rowsIn(arena.f32(xAt, T * B * xStride), x, T, B, D, xStride, reverse);
    }
    if (mask) maskIn(arena.u8(buf.mask, T * B), mask, T, B, reverse);
    return { reverse, mask, masked: mask !== null, batchMajor };
  }

  /**
   * Puts a forward's table rows in place past the plan's buffers: the ids in processing order, the table
   * (checked finite, as x would be), and table·W, the x·W rows to gather.
   */
  private tableRowsIn(rows: InputRows, reverse: boolean, batchMajor: boolean): void {
    const { T, B, G, buf } = this;
    const { wasm, arena } = this.engine;
    const D = this.inputDim;
    const V = rows.table.length / D;
    const withGradient = rows.gradient !== undefined;
    const start = arena.mark();
    const at = {
      ids: arena.allocBytes(4 * T * B),
      table: arena.allocFloats(V * D),
      tableW: arena.allocFloats(V * G),
      dzById: withGradient ? arena.allocFloats(V * G) : 0,
      dTable: withGradient ? arena.allocFloats(V * D) : 0,
    };
    const ids = arena.i32(at.ids, T * B);
    for (let k = 0; k < T; k++) {
      const t = reverse ? T - 1 - k : k;
      for (let b = 0; b < B; b++) ids[k * B + b] = rows.ids[batchMajor ? b * T + t : t * B + b];
    }
    arena.f32(at.table, V * D).set(rows.table);
    try {
      checkFiniteIn(this.engine, this.cell.label, 'inputRows.table', at.table, V * D);
    } catch (error) {
      arena.release(start);
      throw error;
    }
    wasm.gemmPacked(at.tableW, G, at.table, D, 1, buf.packedW, V, D, G, false, buf.scratch);
    this.tableRows = { V, ...at, gradient: rows.gradient ?? null, start, end: arena.mark() };
  }

  /**
   * Gives the table rows' memory back. Only from the top of the arena: anything allocated after them
   * (nothing the layers do) keeps them until the engine's memory is reset for another plan.
   */
  protected releaseTableRows(): void {
    const rows = this.tableRows;
    if (!rows) return;
    const { arena } = this.engine;
    if (arena.mark() === rows.end) arena.release(rows.start);
    this.tableRows = null;
  }

  /**
   * z's x·W rows for the n steps from step k0, at address z: gathered from the table's product by id
   * when the forward has table rows, else the multiply of x's rows (at `xAt`, row stride `xStride`).
   */
  private projectSteps(z: number, k0: number, n: number, xAt: number, xStride: number): void {
    const { B, G, buf } = this;
    const { wasm } = this.engine;
    const rows = this.tableRows;
    if (rows) wasm.embeddingGather(z, rows.ids + 4 * k0 * B, rows.tableW, n * B, G);
    else {
      const x = xAt + 4 * k0 * B * xStride;
      wasm.gemmPacked(z, G, x, xStride, 1, buf.packedW, n * B, this.inputDim, G, false, buf.scratch);
    }
  }

  /** Whether backward sums dz by id into the table's gradient rather than making dx and xᵀ·dz. */
  protected get gradientByIds(): boolean {
    return this.tableRows?.gradient != null;
  }

  /**
   * Backward's end with table rows: dW [D, G] (at address dW) = tableᵀ·(dz summed by id), the same sum
   * as xᵀ·dz grouped by id, and the table's gradient (dz summed by id)·Wᵀ added into the caller's.
   */
  protected tableGradients(dW: number): void {
    const rows = this.tableRows!;
    const { G, buf } = this;
    const { wasm, arena } = this.engine;
    const D = this.inputDim;
    const { V } = rows;
    wasm.gemm(dW, G, rows.table, 1, D, rows.dzById, G, 1, D, V, G, false, buf.scratch);
    wasm.gemmPacked(rows.dTable, D, rows.dzById, G, 1, buf.packedWt, V, G, D, false, buf.scratch);
    const dTable = arena.f32(rows.dTable, V * D);
    const gradient = rows.gradient!;
    for (let i = 0; i < V * D; i++) gradient[i] += dTable[i];
  }

  /**
   * Copies [B, u] states into their [B, U] blocks, zeros where none is given: initial states (`checked`:
   * float32 and finite too) or the upstream gradients of the final ones.
   */
  protected statesIn(states: readonly StateIn[], checked: boolean): void {
    const { cell, B, U } = this;
    const u = this.units;
    for (const [name, state, at] of states) {
      const dst = this.engine.arena.f32(at, B * U).fill(0);
      if (!state) continue;
      if (checked) {
        checkFloat32(cell.label, name, state);
        checkLength(cell.label, name, state, B * u, `B·units = ${B}·${u}`);
        checkFinite(cell.label, name, state);
      } else checkLength(cell.label, name, state, B * u, 'B·units');
      for (let b = 0; b < B; b++) dst.set(state.subarray(b * u, (b + 1) * u), b * U);
    }
  }

  /**
   * The end of forward once every step ran: remembers what backward needs, and returns the outputs h as
   * the options asked (empty with `sequence: false`) and each state buffer's final state [B, u].
   */
  protected outputsOut(
    seen: LastForward & { readonly mask: Uint8Array | null },
    sequence: boolean,
    /** Byte offset of the final states in the state buffers: step T's, or `inferSteps`' slot. */
    finalAt = this.T * 4 * this.B * this.U,
    /** false after `infer`: a backward must refuse (nothing was kept). */
    forBackward = true,
  ): { h: Float32Array; finals: Float32Array[] } {
    const { T, B, U, buf } = this;
    const { wasm, arena } = this.engine;
    const u = this.units;
    const { reverse, mask, batchMajor } = seen;
    this.last = forBackward ? { reverse, masked: mask !== null, batchMajor } : null;
    this.slot = null;
    let h: Float32Array;
    if (!sequence) h = new Float32Array(0);
    else if (batchMajor) {
      wasm.stepsToBatch(buf.stage, u, buf.hs + 4 * B * U, U, mask ? buf.mask : 0, T, B, u, false);
      h = arena.f32(buf.stage, T * B * u).slice();
    } else {
      h = new Float32Array(T * B * u); // padding steps' outputs stay zero
      rowsOut(h, arena.f32(buf.hs, (T + 1) * B * U), B * U, T, B, u, U, reverse, mask);
    }
    const finals = this.states.map((at) => unpadRows(arena.f32(at + finalAt, B * U), 0, B, u, U));
    return { h, finals };
  }

  /** Time steps per block of `inferSteps`: as many as fill INFER_BLOCK_BYTES of z, at least 1. */
  protected inferBlockSteps(): number {
    const perStep = 4 * this.B * this.G;
    return Math.max(1, Math.min(this.T, Math.floor(INFER_BLOCK_BYTES / perStep)));
  }

  /**
   * Forward's loop over the steps, once x is at address `xAt` (processing order, rows of `xStride` floats),
   * the mask and the initial states in place: per block of time steps (`inferBlockSteps`) one multiply x·W
   * (or the table's rows gathered, `projectSteps`) into those steps' place in z, then each step's
   * `recurrentStep`, which saves its tape there. The same sums as one multiply over all T·B rows (the
   * projection's rows are independent of how many are multiplied at once), but a block's z is still in the core's L2 cache when its steps add h·U and run the
   * gate pass, instead of being written to memory for all T steps first and read back step by step
   * (docs/wasm-notes.md, "The seed-size step").
   */
  protected forwardSteps(xAt: number, xStride: number, masked: boolean): void {
    const { T, B, U, G, buf } = this;
    const stateBytes = 4 * B * U;
    const blockSteps = this.inferBlockSteps();
    for (let k0 = 0; k0 < T; k0 += blockSteps) {
      const n = Math.min(blockSteps, T - k0);
      this.projectSteps(buf.z + 4 * k0 * B * G, k0, n, xAt, xStride);
      for (let k = k0; k < k0 + n; k++) {
        this.recurrentStep(k, k * stateBytes, (k + 1) * stateBytes, masked ? buf.mask + k * B : 0);
      }
    }
  }

  /**
   * The tape-free forward's loop over the steps, once x is at address `xAt` (processing order, rows of
   * `xStride` floats), the mask and the initial states in place: per block of time steps one multiply
   * x·W into z's first steps, then each step's `recurrentStep` at its index in the block. With `sequence`
   * the states go to slot k+1 as in forward (the outputs are read from there), else they ping-pong
   * between slots 0 and 1. Returns the byte offset of the final states.
   */
  protected inferSteps(xAt: number, xStride: number, masked: boolean, sequence: boolean): number {
    const { T, B, U, buf } = this;
    const stateBytes = 4 * B * U;
    const slot = (k: number) => (sequence ? k : k & 1) * stateBytes;
    const blockSteps = this.inferBlockSteps();
    for (let k0 = 0; k0 < T; k0 += blockSteps) {
      const n = Math.min(blockSteps, T - k0);
      this.projectSteps(buf.z, k0, n, xAt, xStride);
      for (let j = 0; j < n; j++) {
        const k = k0 + j;
        this.recurrentStep(j, slot(k), slot(k + 1), masked ? buf.mask + k * B : 0);
      }
    }
    this.releaseTableRows(); // nothing after infer reads them
    return slot(T);
  }

  /**
   * The start of backward: what the last forward saw (an error without one), the gradients g checked,
   * and the upstream gradient w.r.t. the outputs put in place; its address, or 0 when there is none.
   */
  protected upstreamIn(g: Params, upstream: SequenceUpstream): { last: LastForward; dhOut: number } {
    const { T, B, U, buf } = this;
    const { wasm, arena } = this.engine;
    const u = this.units;
    const last = this.last;
    this.checkLive('backward');
    if (!last) throw new ConfigError(this.cell.label, 'backward before forward', 'forward(x) first', 'none');
    checkParams(this.cell, g, new Float32Array(0), 'gradient');
    if (upstream.dh) checkLength(this.cell.label, 'upstream dh', upstream.dh, T * B * u, 'T·B·units');
    // Backward writes the gradients over the tape (z), so a second backward needs a forward again; an
    // argument refused above leaves the tape whole.
    this.last = null;
    const rows = this.tableRows;
    if (rows?.gradient) arena.f32(rows.dzById, rows.V * this.G).fill(0);
    if (!upstream.dh) return { last, dhOut: 0 };
    const dhOut = arena.f32(buf.dhOut, T * B * U);
    if (last.batchMajor) {
      if (u !== U) dhOut.fill(0); // the padded units' gradient
      arena.f32(buf.stage, T * B * u).set(upstream.dh);
      wasm.batchToSteps(buf.dhOut, U, buf.stage, u, T, B, u, false);
    } else {
      rowsIn(dhOut.fill(0), upstream.dh, T, B, u, U, last.reverse);
    }
    return { last, dhOut: buf.dhOut };
  }

  /**
   * dx_k = dz_k·Wᵀ for the B rows of step k, into its place in dx [T, B, D], with dz_k at address `dz` (row
   * stride `dzStride`): in backward's loop, while dz_k is still in cache, rather than one multiply over all
   * T·B rows after it that reads dz back from memory. Rows are independent and every row's sum runs over
   * the same K blocks in the same order either way, so dx is bit for bit the one multiply's.
   */
  protected stepInputGradient(k: number, dz: number, dzStride: number): void {
    const { B, G, buf } = this;
    const D = this.inputDim;
    const rows = this.tableRows;
    if (rows?.gradient) {
      // dz_k's rows summed by id instead (dzStride is G in both cells): dx is never made.
      this.engine.wasm.embeddingScatter(rows.dzById, dz, rows.ids + 4 * k * B, B, G);
      return;
    }
    const dx = buf.dx + 4 * k * B * D;
    this.engine.wasm.gemmPacked(dx, D, dz, dzStride, 1, buf.packedWt, B, G, D, false, buf.scratch);
  }

  /**
   * The end of backward: dx [T, B, D] (or batch-major) from its buffer, in the caller's order; empty when
   * the table's gradient took its place. The table rows are given back.
   */
  protected dxOut(last: LastForward): Float32Array {
    const { T, B, buf } = this;
    const { wasm, arena } = this.engine;
    const D = this.inputDim;
    const byIds = this.gradientByIds;
    this.releaseTableRows();
    if (byIds) return new Float32Array(0);
    if (last.batchMajor) {
      wasm.stepsToBatch(buf.stage, D, buf.dx, D, 0, T, B, D, last.reverse);
      return arena.f32(buf.stage, T * B * D).slice();
    }
    const dx = new Float32Array(T * B * D);
    rowsOut(dx, arena.f32(buf.dx, T * B * D), 0, T, B, D, D, last.reverse, null);
    return dx;
  }

  /** A [B, U] block at address `at`, unpadded to [B, u] (the initial states' gradients). */
  protected unpadded(at: number): Float32Array {
    const { B, U } = this;
    return unpadRows(this.engine.arena.f32(at, B * U), 0, B, this.units, U);
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
    if (this.recurrentReady) {
      this.recurrentReady = false;
      const stateBytes = 4 * B * this.U;
      const to = (1 - this.slot!) * stateBytes;
      this.stepAfterRecurrent(x, xStride, this.slot! * stateBytes, to, null);
      return this.stepped(to);
    }
    this.product(buf.z, G, x, xStride, buf.packedW, this.inputDim, G, false);
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
    this.notAfterRecurrentFirst('stepProjected');
    this.engine.wasm.copyRows(buf.z, G, z, G, B, G);
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

  /**
   * The first half of the next `step`, run early: the recurrent multiply that reads only the state
   * h_{k−1} (all of it for the LSTM family and the GRU with resetAfter; h·U_zr without it). The next call
   * must be `step`, which adds x·W and runs the gate pass. The same step bit for bit where
   * `recurrentFirstExact` (an error otherwise).
   *
   * With `share` (batch 1), this thread's columns of it, and the next call must be `stepShared` with x.
   *
   * Why: generation at batch 1 reads every weight once per character, more than L2 holds at 2 × 256
   * units; a caller that alternates the order of the multiplies from one character to the next (see
   * src/lm/stepLayers.ts) starts a character on the weights the last one ended with, still in L2.
   */
  stepRecurrentFirst(share: StepShare | null = null): void {
    if (!this.recurrentFirstExact) {
      throw new ConfigError(
        this.cell.label,
        'the recurrent product first changes the sums at these sizes',
        `inputDim and units ≤ ${this.engine.wasm.gemmDepthBlock()}`,
        `${this.inputDim} and ${this.units}`,
      );
    }
    this.startStep();
    this.notAfterRecurrentFirst('stepRecurrentFirst');
    this.recurrentProduct(this.slot! * 4 * this.B * this.U, share);
    this.recurrentReady = true;
  }

  /** Whether `stepRecurrentFirst` ran and the step it began is still to come. */
  get recurrentPending(): boolean {
    return this.recurrentReady;
  }

  /**
   * Forgets the product `stepRecurrentFirst` made (the state is untouched): a two-thread stepper going
   * back to one thread holds only its own columns of it.
   */
  dropRecurrentFirst(): void {
    this.recurrentReady = false;
  }

  private notAfterRecurrentFirst(call: string): void {
    if (this.recurrentReady) {
      throw new ConfigError(this.cell.label, `${call} after stepRecurrentFirst`, 'step(x)', call);
    }
  }

  private startStep(): void {
    if (!this.weightsSet) {
      throw new ConfigError(this.cell.label, 'step before setWeights', 'setWeights(p)', 'none');
    }
    if (this.slot === null) this.resetSteps();
  }

  /** The rest of a step once its input projection is in place; returns the address of the new h. */
  private advance(): number {
    const stateBytes = 4 * this.B * this.U;
    const to = (1 - this.slot!) * stateBytes;
    this.recurrentStep(0, this.slot! * stateBytes, to, 0);
    return this.stepped(to);
  }

  /** The slots swapped once a step wrote its state at byte offset `to`; returns the address of the new h. */
  private stepped(to: number): number {
    this.slot = this.slot === 0 ? 1 : 0;
    this.last = null;
    return this.buf.hs + to;
  }

  /**
   * `step` (x ≠ null) or `stepProjected` (z ≠ null) at batch 1, its multiplies shared with another thread
   * that runs the same plan (src/engine/share.ts): this thread computes its columns of each multiply,
   * `share` swaps them for the other thread's, then both run the whole gate pass (see each subclass's
   * `sharedStep`). Bit for bit `step`; returns the address of the new h [1, U].
   */
  stepShared(x: number | null, xStride: number, z: number | null, share: StepShare): number {
    if (this.B !== 1) throw new ConfigError(this.cell.label, 'stepShared runs batch 1 only', 1, this.B);
    this.startStep();
    const [from, to] = [this.slot! * 4 * this.U, (1 - this.slot!) * 4 * this.U];
    if (this.recurrentReady) {
      if (x === null) this.notAfterRecurrentFirst('stepShared with projected z');
      this.recurrentReady = false;
      this.stepAfterRecurrent(x!, xStride, from, to, share);
    } else {
      this.sharedStep(this.sharedInput(x, xStride, z, share), share, from, to);
    }
    return this.stepped(to);
  }

  /**
   * `stepProjected` at batch 1 shared with another thread, after `stepRecurrentFirst(share)`: the first
   * layer of generation on two threads (src/lm/stepLayers.ts). The state-only product was made before the
   * token was known; its columns are swapped first, and only then is the token's projection read, at the
   * address `projected()` returns — so the exchange can be the one that tells the other thread the token.
   * Bit for bit `stepProjected`: z = fl(x·W + h·U) either way round (see `recurrentFirstExact`).
   * Returns the address of the new h [1, U].
   */
  stepSharedProjected(projected: () => number, share: StepShare): number {
    if (this.B !== 1) throw new ConfigError(this.cell.label, 'stepShared runs batch 1 only', 1, this.B);
    if (!this.recurrentReady) {
      throw new ConfigError(
        this.cell.label,
        'stepSharedProjected comes after stepRecurrentFirst',
        'stepRecurrentFirst(share)',
        'no recurrent product',
      );
    }
    const [from, to] = [this.slot! * 4 * this.U, (1 - this.slot!) * 4 * this.U];
    this.recurrentReady = false;
    this.stepAfterRecurrentProjected(projected, from, to, share);
    return this.stepped(to);
  }

  /**
   * The input side of a shared step: z copied in whole, or this thread's columns of x·W computed into z;
   * returns the rows the other thread's columns are still to come for (none, or z).
   */
  private sharedInput(x: number | null, xStride: number, z: number | null, share: StepShare): SharedRow[] {
    const { G, buf } = this;
    if (z !== null) {
      this.engine.wasm.copyRows(buf.z, G, z, G, 1, G);
      return [];
    }
    const [n0, n1] = share.columns(G);
    this.columnsOf(buf.z, n0, n1, x!, xStride, buf.packedW, this.inputDim, false);
    return [{ at: buf.z, width: G }];
  }

  /**
   * Columns [n0, n1) of the product c (B rows, row stride G) = a·B, B packed with K rows, added to c with
   * `accumulate`. Packed operands are panels of [K, 8] columns: column n0 (a multiple of 8) starts at
   * n0·K floats.
   */
  protected columnsOf(
    c: number,
    n0: number,
    n1: number,
    a: number,
    aStride: number,
    packed: number,
    K: number,
    accumulate: boolean,
  ): void {
    if (n1 <= n0) return;
    this.product(c + 4 * n0, this.G, a, aStride, packed + 4 * n0 * K, K, n1 - n0, accumulate);
  }

  /**
   * c [B, N] (row stride ldc) (+)= a [B, K] (row stride aStride) · B, B packed once: the multiplies of a
   * step. At batch 1 the panels of B are read in the order `descending` asks, the same sums either way.
   */
  protected product(
    c: number,
    ldc: number,
    a: number,
    aStride: number,
    packed: number,
    K: number,
    N: number,
    accumulate: boolean,
  ): void {
    const { wasm } = this.engine;
    const { B, buf } = this;
    if (B === 1) wasm.rowTimesPacked(c, a, 1, packed, K, N, accumulate, this.descending, buf.scratch);
    else wasm.gemmPacked(c, ldc, a, aStride, 1, packed, B, K, N, accumulate, buf.scratch);
  }

  /** The state the next `step` continues from: each state buffer's [B, U] (padded) in turn, copied out. */
  saveSteps(): Float32Array {
    if (this.slot === null) this.resetSteps();
    const size = this.B * this.U;
    const at = this.slot! * 4 * size;
    const state = new Float32Array(this.states.length * size);
    this.states.forEach((ptr, i) => state.set(this.engine.arena.f32(ptr + at, size), i * size));
    return state;
  }

  /** The next `step` continues from a state `saveSteps` returned (of a plan of the same sizes). */
  restoreSteps(state: Readonly<Float32Array>): void {
    const size = this.B * this.U;
    const n = this.states.length;
    checkLength(this.cell.label, 'saved step state', state, n * size, n === 1 ? 'B·U' : `${n}·B·U`);
    this.states.forEach((ptr, i) =>
      this.engine.arena.f32(ptr, size).set(state.subarray(i * size, (i + 1) * size)),
    );
    this.slot = 0;
    this.recurrentReady = false;
  }

  /** The next `step` starts from zero states. */
  resetSteps(): void {
    const size = this.B * this.U;
    for (const ptr of this.states) this.engine.arena.f32(ptr, size).fill(0);
    this.slot = 0;
    this.recurrentReady = false;
  }
}

/** Checks a forward's `inputRows` against x's T·B rows of D features. */
function checkInputRows(label: string, rows: InputRows, TB: number, D: number): void {
  checkFloat32(label, 'inputRows.table', rows.table);
  if (rows.table.length === 0 || rows.table.length % D !== 0) {
    throw new ShapeError(
      label,
      'inputRows.table must be [V, inputDim]',
      `a multiple of ${D} values`,
      rows.table.length,
    );
  }
  if (!(rows.ids instanceof Int32Array)) {
    throw new ShapeError(label, 'inputRows.ids must be an Int32Array', 'Int32Array', describe(rows.ids));
  }
  checkLength(label, 'inputRows.ids', rows.ids, TB, 'T·B');
  const V = rows.table.length / D;
  for (let r = 0; r < TB; r++) {
    const id = rows.ids[r];
    if (!(id >= 0 && id < V))
      throw new ValueError(label, `inputRows.ids[${r}] is out of range`, `0 … ${V - 1}`, id);
  }
  if (rows.gradient !== undefined) {
    checkFloat32(label, 'inputRows.gradient', rows.gradient);
    checkLength(label, 'inputRows.gradient', rows.gradient, V * D, 'V·inputDim');
  }
}

function describe(value: unknown): string {
  return value === null || value === undefined ? String(value) : (value as object).constructor.name;
}
