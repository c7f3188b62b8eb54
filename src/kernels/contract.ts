/**
 * The contract between a recurrent cell and whatever runs it over a sequence: the plain reference driver
 * (`reference/recurrence.ts`) and the fused WebAssembly engine (`src/engine/`, on the kernels in `wasm/`).
 * It lives beside both so that neither imports the other's internals:
 *
 *   - the cell's identity, `CellSpec`: a tagged union of the three kinds and their options, carried from
 *     the layer down to whichever kernel runs it (the engine reads its variant from here, never from the
 *     weights' names or shapes);
 *   - `CellKernel`: a cell's weight shapes and one time step forward and backward, for all B rows of the
 *     batch at once, with its own typed tape;
 *   - the sequence options and upstream gradients both drivers take, and the input checks both run.
 *
 * The driver owns everything that is the same for every cell: the input projection x·W + b for all time
 * steps as one multiply, the order of the steps (forward or reversed), masks, the saved states, and the
 * input-side gradients dx, dW, db as one multiply over all T·B rows. A cell owns its recurrent multiply
 * and its gate equations.
 *
 * Recurrent dropout: the driver may pass a `recurrentMask` [B, u] (0 or 1/(1 − rate), one per sequence).
 * The cell multiplies h_{t−1} by it wherever h_{t−1} enters a recurrent multiply — and only there (the GRU's
 * carry z ⊙ h_{t−1} stays unmasked, as Keras) — and its backward multiplies that path's gradient by it.
 *
 * Input checks: each failure is a typed error naming the cell, the array, the expected and the actual
 * value, thrown before any work starts (never a NaN or a stack trace from inside).
 */
import { ShapeError, ValueError } from '../errors.js';

/**
 * The precision of the reference kernels: float64 (for finite-difference checks) or float32 (what training
 * uses), that of the arrays passed in. The engine is float32 only.
 */
export type Float = Float32Array | Float64Array;

/** Named parameter arrays, e.g. { kernel, recurrentKernel, bias, gamma, beta }. */
export type Params = Record<string, Float>;

export interface WeightSpec {
  readonly name: string;
  readonly shape: readonly number[];
  /** The constant a weight starts at (normalisation gains and shifts); others are initialised by name. */
  readonly initialValue?: number;
}

/**
 * The gates' activation in the LSTM and the GRU (Keras' `recurrent_activation`): the logistic sigmoid σ
 * (Keras 2's default and ours), or TensorFlow.js' hard sigmoid max(0, min(1, 0.2·x + 0.5)) (its layers'
 * default; Keras 3's hard_sigmoid, relu6(x + 3)/6, has another slope and is not this).
 */
export const RECURRENT_ACTIVATIONS = ['sigmoid', 'hardSigmoid'] as const;
export type RecurrentActivation = (typeof RECURRENT_ACTIVATIONS)[number];

/** The three cells, spelled one way everywhere below the layers (the CLI's `--cell` values too). */
export const CELL_KINDS = ['novolstm', 'lstm', 'gru'] as const;
export type CellKind = (typeof CELL_KINDS)[number];

/** The LSTM (equations: reference/lstm.ts). */
export interface LstmSpec {
  readonly kind: 'lstm';
  readonly recurrentActivation: RecurrentActivation;
  /** 'none': the plain LSTM. 'all': the LN-LSTM of Ba et al., LN on a_i, a_f, a_c, a_o and the output's c_t. */
  readonly layerNorm: 'none' | 'all';
}

/**
 * NovoLSTM's input gate (equations: reference/lstm.ts). 'readme' and 'reference' are the two published
 * formulas; 'softmax' and 'lnSigmoid' are ablations, each keeping one of the README gate's two factors:
 *   'readme'     i = LN_i(σ(a_i)) ⊙ softmax(a_i')      blocks ifcoi', recurrent a_i'
 *   'reference'  i = LN_i(σ(a_i) ⊙ softmax(a_i'))      blocks ifcoi', a_i' from the input only
 *   'softmax'    i = u · softmax(a_i)                   blocks ifco, no LN_i
 *   'lnSigmoid'  i = LN_i(σ(a_i))                       blocks ifco
 */
export const INPUT_GATES = ['readme', 'reference', 'softmax', 'lnSigmoid'] as const;
export type InputGate = (typeof INPUT_GATES)[number];

/** NovoLSTM and its variants (equations: reference/lstm.ts); its gates keep the sigmoid. */
export interface NovoLstmSpec {
  readonly kind: 'novolstm';
  /** 'readme': LN(σ(a_i)) ⊙ softmax(a_i'), and the others of INPUT_GATES. */
  readonly inputGate: InputGate;
  /** 'inputGate': LN only in the input gate (none with 'softmax'). 'all': also on f, c̃, o and c_t. */
  readonly layerNorm: 'inputGate' | 'all';
  /** The initial gain γ of the input gate's layer norm: u ('units') or 1 ('ones'); see cells.ts. 'ones' with 'softmax' (no norm). */
  readonly inputGateGain: 'units' | 'ones';
}

/** The GRU in either of Keras' conventions (equations: reference/gru.ts). */
export interface GruSpec {
  readonly kind: 'gru';
  /** true (Keras' default): the reset gate applies after the recurrent multiply; two bias rows. */
  readonly resetAfter: boolean;
  readonly recurrentActivation: RecurrentActivation;
}

/** A cell's identity: its kind and every option that changes its equations or its weights. */
export type CellSpec = LstmSpec | NovoLstmSpec | GruSpec;

/**
 * One cell for fixed sizes: its spec, weight shapes and one time step. `Tape` is what its forward saves per
 * step for its backward (each cell's own typed object, allocated for T steps by `allocTape`).
 */
export interface CellKernel<Tape = unknown, Spec extends CellSpec = CellSpec> {
  readonly spec: Spec;
  /** Display name for errors, e.g. `NovoLSTM 'encoder'`. */
  readonly label: string;
  readonly units: number;
  readonly inputDim: number;
  /** Columns of the input projection x·W (the kernel's second dimension). */
  readonly projectionWidth: number;
  /** LSTM-family cells carry a cell state c besides h; GRU does not. */
  readonly hasCellState: boolean;
  /** The weights in their canonical order with their shapes (the Keras-compatible layout). */
  readonly weights: readonly WeightSpec[];

  /** The part of the bias added to x·W (all of it, except GRU with resetAfter, which has two rows). */
  inputBias(p: Params): Float;

  allocTape(T: number, B: number, like: Float): Tape;

  /**
   * One step for all rows. zx [B, projectionWidth] = x_t·W + b_input (already computed);
   * hPrev, cPrev [B, u] the state before the step (cPrev empty for GRU). Writes hOut, cOut [B, u]
   * and fills the tape at step k (the k-th step processed). recurrentMask [B, u]: see the top of the file.
   */
  stepForward(
    hOut: Float,
    cOut: Float,
    tape: Tape,
    k: number,
    zx: Readonly<Float>,
    hPrev: Readonly<Float>,
    cPrev: Readonly<Float>,
    p: Params,
    B: number,
    recurrentMask?: Readonly<Float> | null,
  ): void;

  /**
   * Backward of one step, given dh, dc [B, u] (the full gradients w.r.t. h_t and c_t).
   * Writes dzx [B, projectionWidth] (gradient w.r.t. zx), dhPrev, dcPrev [B, u]; adds into the gradients
   * of the cell-owned parameters in g (recurrent kernel, recurrent bias, normalisation gains and shifts).
   * Linear in (dh, dc): zero rows in give zero rows out, which is how the driver handles masked steps.
   * recurrentMask: the same one forward was given.
   */
  stepBackward(
    dzx: Float,
    dhPrev: Float,
    dcPrev: Float,
    g: Params,
    dh: Readonly<Float>,
    dc: Readonly<Float>,
    tape: Tape,
    k: number,
    zx: Readonly<Float>,
    hPrev: Readonly<Float>,
    cPrev: Readonly<Float>,
    p: Params,
    B: number,
    recurrentMask?: Readonly<Float> | null,
  ): void;
}

/**
 * A sequence run's options. Layout (both drivers): time-major x [T, B, D]; the engine also takes
 * batch-major input (engine/steps.ts, SequenceLayout).
 */
export interface SequenceOptions {
  readonly T: number;
  readonly B: number;
  /** Initial hidden state [B, u]; zeros when absent. */
  readonly h0?: Float | null;
  /** Initial cell state [B, u] (LSTM family only); zeros when absent. */
  readonly c0?: Float | null;
  /** [T, B], 1 = real step, 0 = padding. Absent: every step is real. */
  readonly mask?: Uint8Array | null;
  readonly reverse?: boolean;
  /** [B, u] recurrent dropout multipliers (0 or 1/(1 − rate)), the same at every step. Absent: none. */
  readonly recurrentMask?: Float | null;
}

export interface SequenceUpstream {
  /** Gradient w.r.t. the output sequence [T, B, u]. */
  readonly dh?: Float | null;
  /** Gradient w.r.t. the final hidden state [B, u]. */
  readonly dhT?: Float | null;
  /** Gradient w.r.t. the final cell state [B, u]. */
  readonly dcT?: Float | null;
}

export interface SequenceGradients {
  /** [T, B, D] */
  readonly dx: Float;
  /** [B, u] */
  readonly dh0: Float;
  /** [B, u]; null for GRU. */
  readonly dc0: Float | null;
}

export function checkSizes(label: string, sizes: Record<string, number>): void {
  for (const [name, value] of Object.entries(sizes)) {
    if (!Number.isInteger(value) || value < 1) {
      throw new ShapeError(label, `${name} must be a positive integer`, 'an integer ≥ 1', value);
    }
  }
}

export function checkLength(
  label: string,
  name: string,
  array: ArrayLike<number>,
  expected: number,
  formula: string,
): void {
  if (array.length !== expected) {
    throw new ShapeError(
      label,
      `${name} has the wrong number of values`,
      `${formula} = ${expected}`,
      array.length,
    );
  }
}

export function checkSameType(label: string, name: string, array: Float, like: Float): void {
  if (array.constructor !== like.constructor) {
    throw new ShapeError(
      label,
      `${name} has a different precision from x (mixing float32 and float64)`,
      like.constructor.name,
      array.constructor.name,
    );
  }
}

export function checkFinite(label: string, name: string, array: ArrayLike<number>): void {
  for (let i = 0; i < array.length; i++) {
    if (!Number.isFinite(array[i])) {
      throw new ValueError(label, `${name}[${i}] is not finite`, 'a finite number', array[i]);
    }
  }
}

/**
 * Every weight the cell declares is present, of the right length and precision, and (weights, unless
 * `finite` is false: the caller checks the values itself) finite.
 */
export function checkParams(
  cell: CellKernel,
  p: Params,
  like: Float,
  what = 'weight',
  finite = what === 'weight',
): void {
  for (const { name, shape } of cell.weights) {
    const array = p[name];
    const expected = shape.reduce((a, b) => a * b, 1);
    if (!array)
      throw new ShapeError(cell.label, `${what} '${name}' is missing`, `[${shape.join(', ')}]`, 'nothing');
    checkSameType(cell.label, `${what} '${name}'`, array, like);
    if (array.length !== expected) {
      throw new ShapeError(
        cell.label,
        `${what} '${name}' has the wrong size`,
        `[${shape.join(', ')}] = ${expected} values`,
        `${array.length} values`,
      );
    }
    if (finite) checkFinite(cell.label, `${what} '${name}'`, array);
  }
}
