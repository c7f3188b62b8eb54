/**
 * The three cells as users configure them: options with Keras' defaults, checked strictly (an unknown or
 * unsupported option is an error, never ignored), turned into the cell's identity (a `CellSpec`,
 * kernels/contract.ts) and the kernel for it; and their initial weights.
 *
 * The cell's kind is spelled 'lstm' | 'novolstm' | 'gru' (CellKind) everywhere below the layers; the
 * Keras class names users and save files see ('LSTM', 'NovoLSTM', 'GRU') are mapped here, once.
 *
 * The equations live in one place each: `kernels/reference/lstm.ts` (LSTM and NovoLSTM) and
 * `kernels/reference/gru.ts`.
 */
import { ConfigError } from './errors.js';
import {
  CELL_KINDS,
  INPUT_GATES,
  RECURRENT_ACTIVATIONS,
  type CellKernel,
  type CellKind,
  type CellSpec,
  type InputGate,
  type LstmSpec,
  type NovoLstmSpec,
  type Params,
  type RecurrentActivation,
} from './kernels/contract.js';
import { allocLike, type Float } from './kernels/reference/floats.js';
import { gruCell as gruKernel, type GruKernel } from './kernels/reference/gru.js';
import { lstmFamilyCell, type LstmFamilyKernel } from './kernels/reference/lstm.js';
import { glorotUniform, orthogonal } from './initializers.js';
import { checkOptionKeys as checkOptions } from './options.js';
import { Random } from './random.js';

/** The Keras class name of each cell kind: a recurrent layer's `className`, and what save files store. */
export const CELL_CLASS_NAMES = Object.freeze({
  novolstm: 'NovoLSTM',
  lstm: 'LSTM',
  gru: 'GRU',
} as const satisfies Record<CellKind, string>);
export type CellClassName = (typeof CELL_CLASS_NAMES)[CellKind];

/** The cell kind of a Keras class name ('LSTM' → 'lstm'), or undefined when it names no cell. */
export function cellKindOf(className: unknown): CellKind | undefined {
  return (Object.keys(CELL_CLASS_NAMES) as CellKind[]).find((k) => CELL_CLASS_NAMES[k] === className);
}

/** A kind given as itself or as its Keras class name ('LSTM' → 'lstm'); anything else is a ConfigError. */
export function asCellKind(kind: CellKind | CellClassName): CellKind {
  const found = CELL_KINDS.find((k) => k === kind) ?? cellKindOf(kind);
  if (found === undefined) {
    const known = [...CELL_KINDS, ...Object.values(CELL_CLASS_NAMES)];
    throw new ConfigError('recurrent layer', 'unknown cell kind', known.join(', '), String(kind));
  }
  return found;
}

/** A kernel of any of the three cells, its tape typed by its kind (`isGruCell` tells them apart). */
export type RecurrentCell = LstmFamilyKernel | GruKernel;

export function isGruCell(cell: RecurrentCell): cell is GruKernel {
  return cell.spec.kind === 'gru';
}

export interface CellSizes {
  readonly units: number;
  readonly inputDim: number;
  readonly name?: string;
}

/** The kernel of a checked spec for these sizes; `name` (default: the kind) labels its errors. */
export function cellKernel(spec: CellSpec, options: CellSizes): RecurrentCell {
  const label = `${CELL_CLASS_NAMES[spec.kind]} '${options.name ?? spec.kind}'`;
  const s = { label, ...sizes(label, options) };
  return spec.kind === 'gru' ? gruKernel(spec, s) : lstmFamilyCell(spec, s);
}

export interface LstmCellOptions extends CellSizes {
  /** σ of the gates: 'sigmoid' (default, as Keras 2) or TensorFlow.js' 'hardSigmoid'. */
  readonly recurrentActivation?: RecurrentActivation;
  /**
   * 'none' (default): the plain LSTM. 'all': the LN-LSTM of Ba et al. 2016, as NovoLSTM's 'all':
   * i = σ(LN_i(a_i)), f = σ(LN_f(a_f)), g = tanh(LN_c(a_c)), o = σ(LN_o(a_o)), h_t = o ⊙ tanh(LN_cell(c_t)),
   * with weights gamma, beta [u] (LN_i) and gateGamma, gateBeta [4, u] (f, c, o, cell). Sigmoid gates only.
   */
  readonly layerNorm?: 'none' | 'all';
}

export interface NovoLstmCellOptions extends CellSizes {
  /**
   * 'readme' (default): LN(σ(a_i)) ⊙ softmax(a_i'). 'reference': LN(σ(a_i) ⊙ softmax(x·W_i' + b_i')).
   * Two ablations keep one factor of 'readme' each, on the LSTM's four blocks: 'softmax',
   * i = u · softmax(a_i) (no layer norm, no gamma and beta), and 'lnSigmoid', i = LN(σ(a_i)).
   */
  readonly inputGate?: InputGate;
  /** 'inputGate' (default): LN only in the input gate. 'all': also on f, c̃, o and the output's c_t. */
  readonly layerNorm?: 'inputGate' | 'all';
  /**
   * The initial gain γ of the input gate's layer norm: 'units' (the default with inputGate 'readme') or
   * 'ones' (Keras' LayerNormalization default; the default otherwise, and the only value with 'softmax',
   * which has no norm). See `defaultInputGateGain`.
   */
  readonly inputGateGain?: 'units' | 'ones';
}

export interface GruCellOptions extends CellSizes {
  /** σ of the gates: 'sigmoid' (default, as Keras 2) or TensorFlow.js' 'hardSigmoid'. */
  readonly recurrentActivation?: RecurrentActivation;
  /** true (default, as Keras): reset gate applied after the recurrent multiply, two bias rows. */
  readonly resetAfter?: boolean;
}

export function lstmCell(options: LstmCellOptions): LstmFamilyKernel {
  const label = `LSTM '${options.name ?? 'lstm'}'`;
  checkOptions(label, options, ['units', 'inputDim', 'name', 'recurrentActivation', 'layerNorm']);
  const recurrentActivation = options.recurrentActivation ?? 'sigmoid';
  const layerNorm = options.layerNorm ?? 'none';
  checkChoice(label, 'recurrentActivation', recurrentActivation, RECURRENT_ACTIVATIONS);
  checkChoice(label, 'layerNorm', layerNorm, ['none', 'all']);
  checkLstmSpec(label, { kind: 'lstm', recurrentActivation, layerNorm });
  return lstmFamilyCell(
    { kind: 'lstm', recurrentActivation, layerNorm },
    { label, ...sizes(label, options) },
  );
}

/**
 * The combinations of LSTM options the kernels do not have: the LN-LSTM's gates are the sigmoid only
 * (TensorFlow.js' hard sigmoid exists for its plain LSTM; a normalised hard-sigmoid LSTM has no peer).
 */
export function checkLstmSpec(label: string, spec: LstmSpec): void {
  if (spec.layerNorm === 'all' && spec.recurrentActivation !== 'sigmoid') {
    throw new ConfigError(
      label,
      "layerNorm 'all' takes sigmoid gates only",
      "recurrentActivation 'sigmoid'",
      JSON.stringify(spec.recurrentActivation),
    );
  }
}

/** The softmax input gate has no layer norm, so no gain to start: only 'ones' (the default) is taken. */
export function checkNovoLstmSpec(label: string, spec: NovoLstmSpec): void {
  if (spec.inputGate === 'softmax' && spec.inputGateGain !== 'ones') {
    throw new ConfigError(
      label,
      "inputGateGain has no effect with inputGate 'softmax' (it has no layer norm)",
      "'ones' or no inputGateGain",
      JSON.stringify(spec.inputGateGain),
    );
  }
}

export function novoLstmCell(options: NovoLstmCellOptions): LstmFamilyKernel {
  const label = `NovoLSTM '${options.name ?? 'novolstm'}'`;
  checkOptions(label, options, ['units', 'inputDim', 'name', 'inputGate', 'layerNorm', 'inputGateGain']);
  const inputGate = options.inputGate ?? 'readme';
  const layerNorm = options.layerNorm ?? 'inputGate';
  const inputGateGain = options.inputGateGain ?? defaultInputGateGain(inputGate);
  checkChoice(label, 'inputGate', inputGate, INPUT_GATES);
  checkChoice(label, 'layerNorm', layerNorm, ['inputGate', 'all']);
  checkChoice(label, 'inputGateGain', inputGateGain, ['units', 'ones']);
  const spec: NovoLstmSpec = { kind: 'novolstm', inputGate, layerNorm, inputGateGain };
  checkNovoLstmSpec(label, spec);
  return lstmFamilyCell(spec, { label, ...sizes(label, options) });
}

/**
 * Why 'units' for the README's input gate: there i = LN(σ(a_i)) ⊙ softmax(a_i'), and the softmax over the u
 * units sums to 1, so with Keras' gain of 1 the gate starts at a scale of about 1/u (±0.01 at 128 units)
 * where an LSTM's σ starts near 0.5. Adam moves a gain by about its learning rate per step, so growing it
 * to u takes tens of thousands of steps, and until then the cell barely writes: in a character model on
 * Moby-Dick (2 × 114 units) validation was 5.24 bits per character after one epoch with gain 1 and 2.76
 * with gain u (the LSTM at the same budget: 3.17). A gain of u starts u·softmax at a mean of 1: the same
 * formula, at the scale the rest of the cell expects. In the 'reference' gate the norm comes after the
 * softmax and already gives unit scale, so its gain starts at 1; so does 'lnSigmoid' (LN(σ(a_i)) is the
 * gate itself), and 'softmax' has no norm.
 */
export function defaultInputGateGain(inputGate: InputGate): 'units' | 'ones' {
  return inputGate === 'readme' ? 'units' : 'ones';
}

export function gruCell(options: GruCellOptions): GruKernel {
  const label = `GRU '${options.name ?? 'gru'}'`;
  checkOptions(label, options, ['units', 'inputDim', 'name', 'resetAfter', 'recurrentActivation']);
  const resetAfter = options.resetAfter ?? true;
  checkChoice(label, 'resetAfter', resetAfter, [true, false]);
  const recurrentActivation = options.recurrentActivation ?? 'sigmoid';
  checkChoice(label, 'recurrentActivation', recurrentActivation, RECURRENT_ACTIVATIONS);
  return gruKernel({ kind: 'gru', resetAfter, recurrentActivation }, { label, ...sizes(label, options) });
}

/**
 * Keras' default initial weights: kernel Glorot-uniform, recurrent kernel orthogonal, bias zero with the
 * LSTM forget-gate block at 1 (unitForgetBias), layer-norm gains and shifts at the constants the cell
 * declares (gains 1 and shifts 0, except NovoLSTM's input-gate gain: see `defaultInputGateGain`). `like`
 * picks the precision (Float32Array or Float64Array).
 */
export function initialWeights(cell: CellKernel, seed: number, like: Float = new Float32Array(0)): Params {
  const rng = new Random(seed);
  const p: Params = {};
  const u = cell.units;
  for (const { name, shape } of cell.weights) {
    const w = allocLike(
      like,
      shape.reduce((a, b) => a * b, 1),
    );
    p[name] = w;
    if (name === 'kernel') glorotUniform(w, shape[0], shape[1], rng);
    else if (name === 'recurrentKernel') orthogonal(w, shape[0], shape[1], rng);
    else if (name === 'bias' && cell.hasCellState) w.fill(1, u, 2 * u); // blocks i f c o …: f = 1
  }
  for (const { name, initialValue } of cell.weights)
    if (initialValue !== undefined) p[name].fill(initialValue);
  return p;
}

function sizes(label: string, options: CellSizes): { units: number; inputDim: number } {
  for (const key of ['units', 'inputDim'] as const) {
    const v = options[key];
    if (!Number.isInteger(v) || v < 1)
      throw new ConfigError(label, `${key} must be a positive integer`, '≥ 1', v);
  }
  return { units: options.units, inputDim: options.inputDim };
}

function checkChoice<T>(label: string, key: string, value: T, choices: readonly T[]): void {
  if (!choices.includes(value)) {
    throw new ConfigError(
      label,
      `${key} is not supported`,
      choices.map((c) => JSON.stringify(c)).join(' or '),
      JSON.stringify(value),
    );
  }
}
