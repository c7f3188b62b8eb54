/**
 * Every cell configuration the tests sweep: the LSTM, each NovoLSTM variant, and GRU in both conventions.
 */
import { gruCell, lstmCell, novoLstmCell } from '../src/cells.js';
import type { CellKernel } from '../src/kernels/contract.js';

export interface CellCase {
  readonly name: string;
  readonly make: (units: number, inputDim: number) => CellKernel;
}

export const CELL_CASES: readonly CellCase[] = [
  { name: 'lstm', make: (units, inputDim) => lstmCell({ units, inputDim }) },
  { name: 'novolstm readme', make: (units, inputDim) => novoLstmCell({ units, inputDim }) },
  {
    name: 'novolstm reference',
    make: (units, inputDim) => novoLstmCell({ units, inputDim, inputGate: 'reference' }),
  },
  {
    name: 'novolstm readme, LN all',
    make: (units, inputDim) => novoLstmCell({ units, inputDim, layerNorm: 'all' }),
  },
  {
    name: 'novolstm reference, LN all',
    make: (units, inputDim) => novoLstmCell({ units, inputDim, inputGate: 'reference', layerNorm: 'all' }),
  },
  { name: 'gru resetAfter', make: (units, inputDim) => gruCell({ units, inputDim }) },
  { name: 'gru resetBefore', make: (units, inputDim) => gruCell({ units, inputDim, resetAfter: false }) },
];
