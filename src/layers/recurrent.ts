/**
 * The recurrent layers LSTM, NovoLSTM and GRU: Keras' layer semantics around one cell kernel.
 *
 * Sizes: B = batch rows, T = time steps, D = input features, u = units.
 *
 * Users pass batch-major x [B, T, D], and the sequence kernels take it as it is (recurrentKernels.ts; the
 * engine reorders to its time-major processing order inside WebAssembly memory). With `goBackwards` the
 * kernel runs t = T−1 … 0 (`reverse`); Keras returns the outputs in processing order, which is how the
 * kernels hand them back, and the layer flips the mask to match. `returnSequences: false` returns the
 * final state h_T, which masked (padding) steps carry through unchanged, i.e. the output at each row's
 * last real step.
 *
 * `stateful`: each batch starts from the final states of the previous batch (row b continues row b), in
 * training and in predict, until `resetStates()`. Gradients do not flow into earlier batches (truncated
 * backpropagation through time, as Keras).
 *
 * `returnState` and initial states: a model passes one tensor from layer to layer, so inside a Sequential
 * the states travel through `stateful` (`getStates()`, `resetStates(states)`); outside a model,
 * `layer.apply(x, { initialState })` runs the layer on a batch and, with `returnState`, returns
 * [output, h] (GRU) or [output, h, c] (LSTM family), as Keras' and TensorFlow.js' `returnState`.
 *
 * `dropout` is Keras' input dropout in its variational form: one keep-mask [B, D] per sequence, the same
 * at every time step, drawn in training only. `recurrentDropout` is Keras' recurrent dropout, also
 * variational: one keep-mask [B, u] per sequence on h_{t−1} where it enters the recurrent multiply (the
 * kernels apply it inside the step; see kernels/contract.ts), drawn in training only.
 */
import {
  asCellKind,
  CELL_CLASS_NAMES,
  cellKernel,
  checkLstmSpec,
  checkNovoLstmSpec,
  defaultInputGateGain,
  initialWeights,
  type CellClassName,
  type RecurrentCell,
} from '../cells.js';
import { ConfigError, ShapeError, ValueError } from '../errors.js';
import {
  INPUT_GATES,
  RECURRENT_ACTIVATIONS,
  type CellKind,
  type CellSpec,
  type GruSpec,
  type InputGate,
  type LstmSpec,
  type NovoLstmSpec,
  type RecurrentActivation,
  type WeightSpec,
} from '../kernels/contract.js';
import { asTensor, Tensor } from '../tensor.js';
import { Random } from '../random.js';
import { dropoutBackward, dropoutForward } from '../kernels/reference/dropout.js';
import { drawKeep } from './dropout.js';
import {
  Layer,
  type Batch,
  type ForwardContext,
  type LayerConfig,
  type LayerStep,
  type Shape,
} from './layer.js';
import {
  checkOptionKeys,
  optionalBoolean,
  optionalChoice,
  optionalName,
  optionalRate,
  optionalShape,
  positiveInt,
} from './options.js';
import { sequenceBackward, sequenceForward } from './recurrentKernels.js';
import { buildStandalone } from './standalone.js';

/** The Keras class names of the recurrent layers ('LSTM', 'NovoLSTM', 'GRU'; cells.ts maps them). */
export type RecurrentKind = CellClassName;

/**
 * Options as read from a saved model or another layer's config: not yet typed, checked one by one by the
 * constructor exactly as options a user passes.
 */
export type UncheckedOptions = Readonly<Record<string, unknown>>;

/** A spec's options without its kind: each key is there only for the kinds that have it. */
export type CellOptions = Partial<
  Omit<LstmSpec, 'kind' | 'layerNorm'> &
    Omit<NovoLstmSpec, 'kind' | 'layerNorm'> &
    Omit<GruSpec, 'kind'> & { layerNorm: LstmSpec['layerNorm'] | NovoLstmSpec['layerNorm'] }
>;

export interface RecurrentOptions {
  readonly units: number;
  /** Return the whole output sequence [B, T, u] (true) or only the final output [B, u] (false, default). */
  readonly returnSequences?: boolean;
  /** Process the sequence in reverse; the returned sequence is in processing order (as Keras). */
  readonly goBackwards?: boolean;
  /** Carry the final states over to the next batch (until resetStates). Default false. */
  readonly stateful?: boolean;
  /**
   * `apply` returns the final states too: [output, h] (GRU) or [output, h, c]. Only outside a model (a
   * Sequential passes one tensor between layers; use `stateful` and getStates there).
   */
  readonly returnState?: boolean;
  /** Input dropout rate (variational: one mask per sequence). */
  readonly dropout?: number;
  /** Recurrent dropout rate on h_{t−1} in the recurrent multiply (variational: one mask per sequence). */
  readonly recurrentDropout?: number;
  readonly name?: string;
  readonly inputShape?: Shape;
}

export interface LstmLayerOptions extends RecurrentOptions {
  /**
   * σ of the gates i, f, o: 'sigmoid' (default, as Keras 2) or 'hardSigmoid', TensorFlow.js'
   * max(0, min(1, 0.2·x + 0.5)) (its layers' default; not Keras 3's hard_sigmoid, whose slope is 1/6).
   */
  readonly recurrentActivation?: RecurrentActivation;
  /**
   * 'none' (default): the plain LSTM. 'all': the LN-LSTM of Ba et al. 2016, layer norm on a_i, a_f, a_c,
   * a_o and on c_t before the output's tanh, as NovoLSTM's 'all' (equations: cells.ts, LstmCellOptions).
   * Sigmoid gates only. Saved only when 'all'; no Keras, TensorFlow.js or ONNX LSTM computes it, so
   * those exports refuse it.
   */
  readonly layerNorm?: 'none' | 'all';
}

export interface NovoLstmLayerOptions extends RecurrentOptions {
  /** NovoLSTM's gates use the sigmoid only: 'sigmoid' is accepted, anything else is an error. */
  readonly recurrentActivation?: 'sigmoid';
  /**
   * 'readme' (default) i = LN(σ(a_i)) ⊙ softmax(a_i'); 'reference' i = LN(σ(a_i) ⊙ softmax(x·W_i' + b_i'));
   * the ablations 'softmax' i = units · softmax(a_i) and 'lnSigmoid' i = LN(σ(a_i)) (cells.ts). The
   * ablations export to our own format and safetensors only.
   */
  readonly inputGate?: InputGate;
  readonly layerNorm?: 'inputGate' | 'all';
  /** The input gate's layer-norm gain at the start: 'units' (default with 'readme') or 'ones' (cells.ts). */
  readonly inputGateGain?: 'units' | 'ones';
}

export interface GruLayerOptions extends RecurrentOptions {
  readonly resetAfter?: boolean;
  /** σ of the gates z and r: 'sigmoid' (default) or TensorFlow.js' 'hardSigmoid' (see LstmLayerOptions). */
  readonly recurrentActivation?: RecurrentActivation;
}

const COMMON = [
  'units',
  'returnSequences',
  'returnState',
  'goBackwards',
  'stateful',
  'dropout',
  'recurrentDropout',
  'name',
  'inputShape',
];
const CELL_OPTIONS: Record<CellKind, readonly string[]> = {
  lstm: ['recurrentActivation', 'layerNorm'],
  novolstm: ['inputGate', 'layerNorm', 'inputGateGain', 'recurrentActivation'],
  gru: ['resetAfter', 'recurrentActivation'],
};
/** Keras options that exist but are not implemented yet: rejected by name rather than ignored. */
const NOT_YET = [
  'unroll',
  'implementation',
  'activation',
  'useBias',
  'kernelInitializer',
  'recurrentInitializer',
  'biasInitializer',
  'unitForgetBias',
  'kernelRegularizer',
  'recurrentRegularizer',
  'biasRegularizer',
  'timeMajor',
];

interface RecurrentSaved {
  readonly saved: ReturnType<typeof sequenceForward>['saved'];
  readonly B: number;
  readonly T: number;
  /** The input dropout keep-mask [B, D], or null when dropout is off. */
  readonly keep: Float32Array | null;
}

export class Recurrent extends Layer {
  readonly className: RecurrentKind;
  /** The cell's identity: its kind and the options that change its equations (kernels/contract.ts). */
  readonly spec: CellSpec;
  readonly units: number;
  readonly returnSequences: boolean;
  readonly goBackwards: boolean;
  readonly dropout: number;
  readonly recurrentDropout: number;
  readonly stateful: boolean;
  readonly returnState: boolean;
  /** With `stateful`: the final h and c [B, u] of the last batch, or null after resetStates. */
  private states: { h: Float32Array; c: Float32Array | null } | null = null;
  private cell: RecurrentCell | null = null;

  /** `kind`: 'lstm', 'novolstm' or 'gru', or the class name 'LSTM', 'NovoLSTM' or 'GRU' (cells.ts maps it). */
  constructor(cell: CellKind | RecurrentKind, options: RecurrentOptions | UncheckedOptions) {
    const kind = asCellKind(cell);
    const label = kind;
    const o = checkOptionKeys(label, options, [...COMMON, ...CELL_OPTIONS[kind]], NOT_YET);
    super(optionalName(label, o.name), optionalShape(label, o.inputShape));
    this.className = CELL_CLASS_NAMES[kind];
    this.units = positiveInt(label, 'units', o.units);
    this.returnSequences = optionalBoolean(label, 'returnSequences', o.returnSequences, false);
    this.goBackwards = optionalBoolean(label, 'goBackwards', o.goBackwards, false);
    this.dropout = optionalRate(label, 'dropout', o.dropout);
    this.recurrentDropout = optionalRate(label, 'recurrentDropout', o.recurrentDropout);
    this.stateful = optionalBoolean(label, 'stateful', o.stateful, false);
    this.returnState = optionalBoolean(label, 'returnState', o.returnState, false);
    this.spec = cellSpecOf(kind, label, o);
  }

  /** The cell's own options with their defaults, as the config saves them: the spec without its kind. */
  get cellOptions(): CellOptions {
    return specOptions(this.spec);
  }

  protected computeOutputShape(inputShape: Shape): Shape {
    if (inputShape.length !== 2 || inputShape[1] === null) {
      throw new ShapeError(
        this.label,
        'input must be a sequence [batch, time, features]',
        '[T, D] per row',
        JSON.stringify(inputShape),
      );
    }
    this.cell = cellKernel(this.spec, { units: this.units, inputDim: inputShape[1], name: this.name });
    return this.returnSequences ? [inputShape[0], this.units] : [this.units];
  }

  /** The cell kernel the layer runs (made by build): for code that steps the layer itself, e.g. generation. */
  get builtCell(): RecurrentCell {
    if (!this.cell)
      throw new ShapeError(this.label, 'the layer is not built yet', 'a built layer', 'unbuilt');
    return this.cell;
  }

  weightSpecs(): readonly WeightSpec[] {
    return this.builtCell.weights;
  }

  initialize(rng: Random): void {
    const initial = initialWeights(this.builtCell, rng.nextUint32());
    for (const { name } of this.builtCell.weights) this.params[name].set(initial[name]);
  }

  forward(input: Batch, ctx: ForwardContext): LayerStep {
    return this.run(input, ctx, null).step;
  }

  /**
   * Runs the layer on x [B, T, D] outside a model's training: no dropout, no gradient — TensorFlow.js'
   * `layer.apply` on a concrete tensor. `initialState` ([h] for GRU, [h, c] for the LSTM family, each
   * [B, units]) replaces the zero state (or, when stateful, the carried one). Returns the output, or with
   * `returnState` [output, h] / [output, h, c].
   *
   * A layer that is in no model is built from x's shape on its first call and gets weights of its own
   * (Keras initialisation, drawn from `seed`, default 0); `getWeights`/`setWeights` read and write them.
   */
  apply(x: unknown, options: { initialState?: readonly Tensor[]; seed?: number } = {}): Tensor | Tensor[] {
    const o = checkOptionKeys(`${this.label}.apply`, options, ['initialState', 'seed']);
    const input = asTensor(x, 'x');
    if (input.dtype !== 'float32' || input.rank !== 3) {
      throw new ShapeError(
        `${this.label}.apply`,
        'x must be float32 [batch, time, features]',
        '[B, T, D] float32',
        `[${input.shape.join(', ')}] ${input.dtype}`,
      );
    }
    if (!this.cell) buildStandalone(this, [null, input.shape[2]], (o.seed as number | undefined) ?? 0);
    let initial: { h: Float32Array; c: Float32Array | null } | null = null;
    if (o.initialState !== undefined) {
      initial = this.checkStates(o.initialState as readonly Tensor[], 'initialState');
      if (initial.h.length !== input.shape[0] * this.units) {
        throw new ShapeError(
          this.label,
          'initialState and x have different batch sizes',
          input.shape[0],
          initial.h.length / this.units,
        );
      }
    }
    const run = this.run(
      { data: input.data, shape: input.shape, mask: null },
      { training: false, rng: new Random(0) },
      initial,
    );
    const out = run.step.output;
    const output = new Tensor(out.data as Float32Array, out.shape);
    if (!this.returnState) return output;
    const B = input.shape[0];
    const states = [new Tensor(run.hT.slice(), [B, this.units])];
    if (run.cT) states.push(new Tensor(run.cT.slice(), [B, this.units]));
    return [output, ...states];
  }

  private run(
    input: Batch,
    ctx: ForwardContext,
    /** Replaces the zero (or carried) state when given. */
    initialState: { h: Float32Array; c: Float32Array | null } | null,
  ): { step: LayerStep; hT: Float32Array; cT: Float32Array | null } {
    const cell = this.builtCell;
    const D = cell.inputDim;
    const u = this.units;
    const x = input.data;
    if (!(x instanceof Float32Array) || input.shape.length !== 3 || input.shape[2] !== D) {
      throw new ShapeError(
        this.label,
        `input must be [batch, time, ${D}] float32`,
        `[B, T, ${D}]`,
        `[${input.shape.join(', ')}] ${x.constructor.name}`,
      );
    }
    const [B, T] = input.shape;
    let xs = x; // [B, T, D]
    let keep: Float32Array | null = null;
    if (ctx.training && this.dropout > 0) {
      keep = drawKeep(new Float32Array(B * D), this.dropout, ctx.rng); // [B, D]
      xs = new Float32Array(B * T * D);
      for (let b = 0; b < B; b++) {
        const [from, to] = [b * T * D, (b + 1) * T * D];
        dropoutForward(
          xs.subarray(from, to),
          x.subarray(from, to),
          keep.subarray(b * D, (b + 1) * D),
          T * D,
          D,
        );
      }
    }
    let maskT: Uint8Array | null = null; // [T, B]
    if (input.mask) {
      maskT = new Uint8Array(T * B);
      for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) maskT[t * B + b] = input.mask[b * T + t];
    }
    let recurrentMask: Float32Array | null = null; // [B, u]
    if (ctx.training && this.recurrentDropout > 0) {
      recurrentMask = drawKeep(new Float32Array(B * u), this.recurrentDropout, ctx.rng);
    }
    const initial = initialState ?? (this.stateful ? this.initialStates(B) : null);
    const out = sequenceForward(
      cell,
      this.params,
      xs,
      {
        T,
        B,
        mask: maskT,
        reverse: this.goBackwards,
        h0: initial?.h,
        c0: initial?.c,
        recurrentMask,
        sequence: this.returnSequences,
        gradient: ctx.gradient !== false,
        // Only while x is the embedding's output as it came: input dropout makes new rows.
        inputRows: keep ? undefined : input.rows,
      },
      ctx.weightsVersion,
    );
    if (this.stateful)
      this.states = {
        h: out.hT.slice() as Float32Array,
        c: out.cT ? (out.cT.slice() as Float32Array) : null,
      };
    const saved: RecurrentSaved = { saved: out.saved, B, T, keep };

    let output: Batch;
    if (this.returnSequences) {
      let mask: Uint8Array | null = null; // [B, T], in processing order as the outputs
      if (input.mask && !this.goBackwards) mask = input.mask;
      else if (input.mask) {
        mask = new Uint8Array(B * T);
        for (let b = 0; b < B; b++)
          for (let k = 0; k < T; k++) mask[b * T + k] = input.mask[b * T + T - 1 - k];
      }
      output = { data: out.h, shape: [B, T, u], mask }; // [B, T, u], in processing order
    } else {
      output = { data: out.hT as Float32Array, shape: [B, u], mask: null };
    }
    return {
      step: { output, backward: (dy) => this.backward(dy, saved) },
      hT: out.hT,
      cT: out.cT,
    };
  }

  /** The carried states for a batch of B rows (null at the start or after resetStates). */
  private initialStates(B: number): { h: Float32Array; c: Float32Array | null } | null {
    if (!this.states) return null;
    const carried = this.states.h.length / this.units;
    if (carried !== B) {
      throw new ShapeError(
        this.label,
        'a stateful layer needs the same batch size every batch (or resetStates())',
        carried,
        B,
      );
    }
    return this.states;
  }

  /**
   * Copies of the carried states of a stateful layer — [h] for GRU, [h, c] for the LSTM family, each
   * [B, units] — after the last batch; null before the first batch and after resetStates().
   */
  getStates(): Tensor[] | null {
    if (!this.states) return null;
    const B = this.states.h.length / this.units;
    const out = [new Tensor(this.states.h.slice(), [B, this.units])];
    if (this.states.c) out.push(new Tensor(this.states.c.slice(), [B, this.units]));
    return out;
  }

  /**
   * Forgets the carried states (the next batch starts from zeros), or with `states` sets them: [h] for
   * GRU, [h, c] for the LSTM family, each [B, units] — an initial state for the next batch (TensorFlow.js'
   * resetStates(states)). Only for stateful layers.
   */
  resetStates(states?: readonly Tensor[]): void {
    if (!this.stateful) {
      throw new ConfigError(
        this.label,
        'resetStates needs a stateful layer',
        'stateful: true',
        'stateful: false',
      );
    }
    if (states === undefined) {
      this.states = null;
      return;
    }
    this.states = this.checkStates(states, 'resetStates');
  }

  /** [h] or [h, c], each [B, units] float32 and finite, as copies. */
  private checkStates(states: readonly Tensor[], what: string): { h: Float32Array; c: Float32Array | null } {
    const want = this.builtCell.hasCellState ? 2 : 1;
    if (!Array.isArray(states) || states.length !== want) {
      throw new ShapeError(
        this.label,
        `${what} takes one tensor per state`,
        want === 2 ? '[h, c]' : '[h]',
        Array.isArray(states) ? states.length : typeof states,
      );
    }
    const checked = states.map((s, i) => {
      const name = i === 0 ? 'h' : 'c';
      if (!(s instanceof Tensor) || s.dtype !== 'float32' || s.rank !== 2 || s.shape[1] !== this.units) {
        throw new ShapeError(
          this.label,
          `state ${name} must be [batch, ${this.units}] float32`,
          `[B, ${this.units}]`,
          s instanceof Tensor ? `[${s.shape.join(', ')}] ${s.dtype}` : typeof s,
        );
      }
      for (let j = 0; j < s.size; j++) {
        if (!Number.isFinite(s.data[j]))
          throw new ValueError(this.label, `state ${name}[${j}] is not finite`, 'a finite number', s.data[j]);
      }
      return (s.data as Float32Array).slice();
    });
    if (checked.length === 2 && checked[0].length !== checked[1].length) {
      throw new ShapeError(
        this.label,
        'h and c must have the same batch size',
        checked[0].length / this.units,
        checked[1].length / this.units,
      );
    }
    return { h: checked[0], c: checked[1] ?? null };
  }

  /** dx [B, T, D]; null when the engine added the embedding's gradient itself (Batch.rows). */
  private backward(dy: Float32Array, s: RecurrentSaved): Float32Array | null {
    const { B, T, keep } = s;
    const D = this.builtCell.inputDim;
    // dy: [B, T, u] in processing order with returnSequences, else [B, u].
    const upstream = this.returnSequences ? { dh: dy } : { dhT: dy };
    const dx = sequenceBackward(this.grads, s.saved, upstream).dx as Float32Array; // [B, T, D]
    if (dx.length === 0 && B * T * D > 0) return null;
    if (keep) {
      for (let b = 0; b < B; b++) {
        const part = dx.subarray(b * T * D, (b + 1) * T * D);
        dropoutBackward(part, part, keep.subarray(b * D, (b + 1) * D), T * D, D);
      }
    }
    return dx;
  }

  getConfig(): LayerConfig {
    return {
      units: this.units,
      returnSequences: this.returnSequences,
      goBackwards: this.goBackwards,
      stateful: this.stateful,
      returnState: this.returnState,
      dropout: this.dropout,
      recurrentDropout: this.recurrentDropout,
      ...specOptions(this.spec),
    };
  }
}

/** The cell's own options, checked, with their defaults: its spec. */
function cellSpecOf(kind: CellKind, label: string, o: Readonly<Record<string, unknown>>): CellSpec {
  const recurrentActivation = (): RecurrentActivation =>
    optionalChoice(label, 'recurrentActivation', o.recurrentActivation, RECURRENT_ACTIVATIONS, 'sigmoid');
  if (kind === 'lstm') {
    const layerNorm = optionalChoice(label, 'layerNorm', o.layerNorm, ['none', 'all'], 'none');
    const spec: LstmSpec = { kind, recurrentActivation: recurrentActivation(), layerNorm };
    checkLstmSpec(label, spec);
    return spec;
  }
  if (kind === 'gru') {
    const resetAfter = optionalBoolean(label, 'resetAfter', o.resetAfter, true);
    return { kind, resetAfter, recurrentActivation: recurrentActivation() };
  }
  const inputGate = optionalChoice(label, 'inputGate', o.inputGate, INPUT_GATES, 'readme');
  const layerNorm = optionalChoice(label, 'layerNorm', o.layerNorm, ['inputGate', 'all'], 'inputGate');
  const inputGateGain = optionalChoice(
    label,
    'inputGateGain',
    o.inputGateGain,
    ['units', 'ones'],
    defaultInputGateGain(inputGate),
  );
  // Accepted only as 'sigmoid' (the one NovoLSTM has), and not saved: the config stays as it was.
  optionalChoice(label, 'recurrentActivation', o.recurrentActivation, ['sigmoid'], 'sigmoid');
  const spec: NovoLstmSpec = { kind, inputGate, layerNorm, inputGateGain };
  checkNovoLstmSpec(label, spec);
  return spec;
}

/** The spec's options as the layer's config saves them (without the kind, which the class name gives). */
function specOptions(spec: CellSpec): CellOptions {
  switch (spec.kind) {
    case 'lstm':
      // layerNorm only when 'all': a plain LSTM's config stays the one every LSTM reader knows (TensorFlow.js,
      // the Python package), and a reader that does not know the LN-LSTM meets the key and refuses it.
      return {
        recurrentActivation: spec.recurrentActivation,
        ...(spec.layerNorm === 'all' ? { layerNorm: spec.layerNorm } : {}),
      };
    case 'novolstm':
      return { inputGate: spec.inputGate, layerNorm: spec.layerNorm, inputGateGain: spec.inputGateGain };
    case 'gru':
      return { resetAfter: spec.resetAfter, recurrentActivation: spec.recurrentActivation };
  }
}
