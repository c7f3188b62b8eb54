/**
 * The three cells as users configure them: options with Keras' defaults, checked strictly (an unknown or
 * unsupported option is an error, never ignored), and their initial weights.
 *
 * The equations live in one place each: `kernels/reference/lstm.ts` (LSTM and NovoLSTM) and
 * `kernels/reference/gru.ts`.
 */
import { ConfigError } from './errors.js';
import type { CellKernel, Params } from './kernels/reference/cell.js';
import { allocLike, type Float } from './kernels/reference/floats.js';
import { gruCell as gruKernel } from './kernels/reference/gru.js';
import { lstmFamilyCell } from './kernels/reference/lstm.js';
import { glorotUniform, orthogonal } from './initializers.js';
import { Random } from './random.js';

export interface LstmCellOptions {
  readonly units: number;
  readonly inputDim: number;
  readonly name?: string;
}

export interface NovoLstmCellOptions extends LstmCellOptions {
  /** 'readme' (default): LN(σ(a_i)) ⊙ softmax(a_i'). 'reference': LN(σ(a_i) ⊙ softmax(x·W_i' + b_i')). */
  readonly inputGate?: 'readme' | 'reference';
  /** 'inputGate' (default): LN only in the input gate. 'all': also on f, c̃, o and the output's c_t. */
  readonly layerNorm?: 'inputGate' | 'all';
}

export interface GruCellOptions extends LstmCellOptions {
  /** true (default, as Keras): reset gate applied after the recurrent multiply, two bias rows. */
  readonly resetAfter?: boolean;
}

export function lstmCell(options: LstmCellOptions): CellKernel {
  const label = `LSTM '${options.name ?? 'lstm'}'`;
  checkOptions(label, options, ['units', 'inputDim', 'name']);
  return lstmFamilyCell({ label, ...sizes(label, options), inputGate: 'sigmoid', layerNorm: 'none' });
}

export function novoLstmCell(options: NovoLstmCellOptions): CellKernel {
  const label = `NovoLSTM '${options.name ?? 'novolstm'}'`;
  checkOptions(label, options, ['units', 'inputDim', 'name', 'inputGate', 'layerNorm']);
  const inputGate = options.inputGate ?? 'readme';
  const layerNorm = options.layerNorm ?? 'inputGate';
  checkChoice(label, 'inputGate', inputGate, ['readme', 'reference']);
  checkChoice(label, 'layerNorm', layerNorm, ['inputGate', 'all']);
  return lstmFamilyCell({ label, ...sizes(label, options), inputGate, layerNorm });
}

export function gruCell(options: GruCellOptions): CellKernel {
  const label = `GRU '${options.name ?? 'gru'}'`;
  checkOptions(label, options, ['units', 'inputDim', 'name', 'resetAfter']);
  const resetAfter = options.resetAfter ?? true;
  checkChoice(label, 'resetAfter', resetAfter, [true, false]);
  return gruKernel({ label, ...sizes(label, options), resetAfter });
}

/**
 * Keras' default initial weights: kernel Glorot-uniform, recurrent kernel orthogonal, bias zero with the
 * LSTM forget-gate block at 1 (unitForgetBias), layer-norm gains 1 and shifts 0. `like` picks the
 * precision (Float32Array or Float64Array).
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
    else if (name === 'bias' && cell.hasCellState)
      w.fill(1, u, 2 * u); // blocks i f c o …: f = 1
    else if (name === 'gamma' || name === 'gateGamma') w.fill(1);
  }
  return p;
}

function sizes(label: string, options: LstmCellOptions): { units: number; inputDim: number } {
  for (const key of ['units', 'inputDim'] as const) {
    const v = options[key];
    if (!Number.isInteger(v) || v < 1)
      throw new ConfigError(label, `${key} must be a positive integer`, '≥ 1', v);
  }
  return { units: options.units, inputDim: options.inputDim };
}

function checkOptions(label: string, options: object, allowed: readonly string[]): void {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigError(label, 'options must be an object', 'an object', options);
  }
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      throw new ConfigError(label, `unknown option '${key}'`, `one of ${allowed.join(', ')}`, key);
    }
  }
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
