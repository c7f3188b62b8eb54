/**
 * What a recurrent cell gives the sequence driver (`recurrence.ts`): its weight shapes and one time step,
 * forward and backward, for all B rows of the batch at once.
 *
 * The driver owns everything that is the same for every cell: the input projection x·W + b for all time
 * steps as one multiply, the order of the steps (forward or reversed), masks, the saved states, and the
 * input-side gradients dx, dW, db as one multiply over all T·B rows. A cell owns its recurrent multiply
 * and its gate equations.
 *
 * Recurrent dropout: the driver may pass a `recurrentMask` [B, u] (0 or 1/(1 − rate), one per sequence).
 * The cell multiplies h_{t−1} by it wherever h_{t−1} enters a recurrent multiply — and only there (the GRU's
 * carry z ⊙ h_{t−1} stays unmasked, as Keras) — and its backward multiplies that path's gradient by it.
 */
import type { RecurrentActivation } from './activations.js';
import type { Float } from './floats.js';

/** Named parameter arrays, e.g. { kernel, recurrentKernel, bias, gamma, beta }. */
export type Params = Record<string, Float>;

export interface WeightSpec {
  readonly name: string;
  readonly shape: readonly number[];
  /** The constant a weight starts at (normalisation gains and shifts); others are initialised by name. */
  readonly initialValue?: number;
}

/** Per-step buffers a cell saves in forward for its backward; allocated by the cell for T steps. */
export type Tape = Record<string, Float>;

export interface CellKernel {
  /** Display name for errors, e.g. `NovoLSTM 'encoder'`. */
  readonly label: string;
  readonly units: number;
  readonly inputDim: number;
  /** Columns of the input projection x·W (the kernel's second dimension). */
  readonly projectionWidth: number;
  /** LSTM-family cells carry a cell state c besides h; GRU does not. */
  readonly hasCellState: boolean;
  /** The gates' σ: 'sigmoid', or TensorFlow.js' 'hardSigmoid' (LSTM and GRU; NovoLSTM is 'sigmoid'). */
  readonly recurrentActivation: RecurrentActivation;
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
