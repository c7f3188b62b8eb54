/**
 * The cells the comparison runs, and how each gets its number of units: the largest that keeps the
 * whole model's parameter count (recurrent layer + read-out) within the LSTM's at the task's LSTM size,
 * so that no cell wins by being bigger.
 *
 * Besides the grid's cells, the ablations of issue #18 ("which part of the new gate does what"): each
 * keeps one piece of NovoLSTM's difference from the LSTM — its softmax branch, its layer-normalised
 * sigmoid, the layer norm itself (on the plain LSTM), or a long-lag initialisation (forget bias 5) — with
 * the same search, seeds and parameter rule as the others. They run on the tasks of the `ablation`
 * preset only (presets.ts), not on the whole grid.
 */
import { gruCell, lstmCell, novoLstmCell } from '../cells.js';
import type { CellKernel } from '../kernels/contract.js';
import * as layers from '../layers/index.js';
import type { Layer } from '../layers/layer.js';

/** What a compared cell's layer may be asked for besides its units (the classifiers use dropout). */
export interface ComparedLayerOptions {
  readonly returnSequences: boolean;
  readonly dropout?: number;
  readonly recurrentDropout?: number;
}

export interface ComparedCell {
  /** Short id used on the command line and in the report. */
  readonly id: string;
  readonly description: string;
  /** The cell's kernel, for counting weights. */
  readonly kernel: (units: number, inputDim: number) => CellKernel;
  /** The Keras-style layer for the model. */
  readonly layer: (units: number, options: ComparedLayerOptions) => Layer;
  /** An ablation cell (issue #18): run by the `ablation` preset, not the grid's. */
  readonly ablation?: true;
  /** The initial forget-gate bias instead of Keras' 1 (trial.ts writes it after the model is built). */
  readonly forgetBias?: number;
}

export const COMPARED_CELLS: readonly ComparedCell[] = [
  {
    id: 'lstm',
    description: 'LSTM',
    kernel: (units, inputDim) => lstmCell({ units, inputDim }),
    layer: (units, options) => layers.lstm({ units, ...options }),
  },
  {
    id: 'novolstm',
    description: "NovoLSTM (inputGate 'readme')",
    kernel: (units, inputDim) => novoLstmCell({ units, inputDim }),
    layer: (units, options) => layers.novoLSTM({ units, ...options }),
  },
  {
    // The README's layer exactly as Keras initialises it: the input gate starts at ~1/units (cells.ts,
    // defaultInputGateGain) — here to show what the gain's starting value does.
    id: 'novolstm-gain1',
    description: "NovoLSTM (inputGate 'readme', inputGateGain 'ones')",
    kernel: (units, inputDim) => novoLstmCell({ units, inputDim, inputGateGain: 'ones' }),
    layer: (units, options) => layers.novoLSTM({ units, ...options, inputGateGain: 'ones' }),
  },
  {
    id: 'novolstm-reference',
    description: "NovoLSTM (inputGate 'reference')",
    kernel: (units, inputDim) => novoLstmCell({ units, inputDim, inputGate: 'reference' }),
    layer: (units, options) => layers.novoLSTM({ units, ...options, inputGate: 'reference' }),
  },
  {
    id: 'novolstm-ln-all',
    description: "NovoLSTM (layerNorm 'all')",
    kernel: (units, inputDim) => novoLstmCell({ units, inputDim, layerNorm: 'all' }),
    layer: (units, options) => layers.novoLSTM({ units, ...options, layerNorm: 'all' }),
  },
  {
    id: 'gru',
    description: 'GRU',
    kernel: (units, inputDim) => gruCell({ units, inputDim }),
    layer: (units, options) => layers.gru({ units, ...options }),
  },
  {
    // The README gate's softmax factor alone: each unit's share of u, at a mean of 1 (no LN, no σ).
    id: 'novolstm-softmax',
    description: "NovoLSTM (inputGate 'softmax': i = units · softmax(a_i))",
    kernel: (units, inputDim) => novoLstmCell({ units, inputDim, inputGate: 'softmax' }),
    layer: (units, options) => layers.novoLSTM({ units, ...options, inputGate: 'softmax' }),
    ablation: true,
  },
  {
    // Its other factor alone: the layer-normalised sigmoid, which may be negative and whose shift β acts
    // as an input-independent gate.
    id: 'novolstm-ln-sigmoid',
    description: "NovoLSTM (inputGate 'lnSigmoid': i = LN(σ(a_i)))",
    kernel: (units, inputDim) => novoLstmCell({ units, inputDim, inputGate: 'lnSigmoid' }),
    layer: (units, options) => layers.novoLSTM({ units, ...options, inputGate: 'lnSigmoid' }),
    ablation: true,
  },
  {
    // Layer norm without the new gate: the LN-LSTM of Ba et al. (2016).
    id: 'lstm-ln-all',
    description: "LSTM (layerNorm 'all')",
    kernel: (units, inputDim) => lstmCell({ units, inputDim, layerNorm: 'all' }),
    layer: (units, options) => layers.lstm({ units, ...options, layerNorm: 'all' }),
    ablation: true,
  },
  {
    // The control for the long lags: an LSTM that starts remembering (f = σ(5) ≈ 0.993 per step).
    id: 'lstm-forget5',
    description: 'LSTM (forget-gate bias 5)',
    kernel: (units, inputDim) => lstmCell({ units, inputDim }),
    layer: (units, options) => layers.lstm({ units, ...options }),
    ablation: true,
    forgetBias: 5,
  },
];

/** The cells of the comparison grid (every preset but `ablation`), in the table's order. */
export const GRID_CELLS: readonly string[] = COMPARED_CELLS.filter((c) => !c.ablation).map((c) => c.id);

/** The ablation cells, in the table's order. */
export const ABLATION_CELLS: readonly string[] = COMPARED_CELLS.filter((c) => c.ablation).map((c) => c.id);

export function comparedCell(id: string): ComparedCell {
  const cell = COMPARED_CELLS.find((c) => c.id === id);
  if (!cell)
    throw new RangeError(`unknown cell '${id}': one of ${COMPARED_CELLS.map((c) => c.id).join(', ')}`);
  return cell;
}

function kernelWeights(cell: ComparedCell, units: number, inputDim: number): number {
  return cell.kernel(units, inputDim).weights.reduce((s, w) => s + w.shape.reduce((a, b) => a * b, 1), 0);
}

/**
 * Weights of `layers` stacked recurrent layers (the first reads `inputDim` features, the others the
 * layer below) plus the dense layer after them: `outputDim` units with bias. Layers the cells share, such
 * as an embedding, are left out: they are the same for every cell.
 */
export function parameterCount(
  cell: ComparedCell,
  units: number,
  inputDim: number,
  outputDim: number,
  layers = 1,
): number {
  const recurrent = kernelWeights(cell, units, inputDim) + (layers - 1) * kernelWeights(cell, units, units);
  return recurrent + units * outputDim + outputDim;
}

/** The largest number of units whose model has at most `budget` parameters (at least 1 unit). */
export function unitsForBudget(
  cell: ComparedCell,
  budget: number,
  inputDim: number,
  outputDim: number,
  layers = 1,
): number {
  let units = 1;
  while (parameterCount(cell, units + 1, inputDim, outputDim, layers) <= budget) units++;
  return units;
}

/**
 * The comparison's rule for a model of any shape: the units that give `cellId` no more parameters than
 * the LSTM has at `lstmUnits` (the LSTM itself keeps `lstmUnits`).
 */
export function unitsMatchingLstm(
  cellId: string,
  lstmUnits: number,
  inputDim: number,
  outputDim: number,
  layers = 1,
): number {
  const budget = parameterCount(comparedCell('lstm'), lstmUnits, inputDim, outputDim, layers);
  return unitsForBudget(comparedCell(cellId), budget, inputDim, outputDim, layers);
}
