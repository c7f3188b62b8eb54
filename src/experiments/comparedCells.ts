/**
 * The cells the comparison runs, and how each gets its number of units: the largest that keeps the
 * whole model's parameter count (recurrent layer + read-out) within the LSTM's at the task's LSTM size,
 * so that no cell wins by being bigger.
 */
import { gruCell, lstmCell, novoLstmCell } from '../cells.js';
import type { CellKernel } from '../kernels/reference/cell.js';
import * as layers from '../layers/index.js';
import type { Layer } from '../layers/layer.js';

export interface ComparedCell {
  /** Short id used on the command line and in the report. */
  readonly id: string;
  readonly description: string;
  /** The cell's kernel, for counting weights. */
  readonly kernel: (units: number, inputDim: number) => CellKernel;
  /** The Keras-style layer for the model. */
  readonly layer: (units: number, returnSequences: boolean) => Layer;
}

export const COMPARED_CELLS: readonly ComparedCell[] = [
  {
    id: 'lstm',
    description: 'LSTM',
    kernel: (units, inputDim) => lstmCell({ units, inputDim }),
    layer: (units, returnSequences) => layers.lstm({ units, returnSequences }),
  },
  {
    id: 'novolstm',
    description: "NovoLSTM (inputGate 'readme')",
    kernel: (units, inputDim) => novoLstmCell({ units, inputDim }),
    layer: (units, returnSequences) => layers.novoLSTM({ units, returnSequences }),
  },
  {
    id: 'novolstm-reference',
    description: "NovoLSTM (inputGate 'reference')",
    kernel: (units, inputDim) => novoLstmCell({ units, inputDim, inputGate: 'reference' }),
    layer: (units, returnSequences) => layers.novoLSTM({ units, returnSequences, inputGate: 'reference' }),
  },
  {
    id: 'novolstm-ln-all',
    description: "NovoLSTM (layerNorm 'all')",
    kernel: (units, inputDim) => novoLstmCell({ units, inputDim, layerNorm: 'all' }),
    layer: (units, returnSequences) => layers.novoLSTM({ units, returnSequences, layerNorm: 'all' }),
  },
  {
    id: 'gru',
    description: 'GRU',
    kernel: (units, inputDim) => gruCell({ units, inputDim }),
    layer: (units, returnSequences) => layers.gru({ units, returnSequences }),
  },
];

export function comparedCell(id: string): ComparedCell {
  const cell = COMPARED_CELLS.find((c) => c.id === id);
  if (!cell)
    throw new RangeError(`unknown cell '${id}': one of ${COMPARED_CELLS.map((c) => c.id).join(', ')}`);
  return cell;
}

/** Weights of the recurrent layer plus a dense read-out of `outputDim` units with bias. */
export function parameterCount(
  cell: ComparedCell,
  units: number,
  inputDim: number,
  outputDim: number,
): number {
  const recurrent = cell
    .kernel(units, inputDim)
    .weights.reduce((s, w) => s + w.shape.reduce((a, b) => a * b, 1), 0);
  return recurrent + units * outputDim + outputDim;
}

/** The largest number of units whose model has at most `budget` parameters (at least 1 unit). */
export function unitsForBudget(
  cell: ComparedCell,
  budget: number,
  inputDim: number,
  outputDim: number,
): number {
  let units = 1;
  while (parameterCount(cell, units + 1, inputDim, outputDim) <= budget) units++;
  return units;
}
