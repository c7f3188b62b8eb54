/**
 * Every cell configuration the tests sweep: the LSTM (plain and LN-LSTM), each NovoLSTM variant (with the
 * ablations' input gates), and GRU in both conventions.
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
  {
    name: 'novolstm softmax only (ablation)',
    make: (units, inputDim) => novoLstmCell({ units, inputDim, inputGate: 'softmax' }),
  },
  {
    name: 'novolstm LN-sigmoid only (ablation)',
    make: (units, inputDim) => novoLstmCell({ units, inputDim, inputGate: 'lnSigmoid' }),
  },
  {
    name: 'novolstm softmax only, LN all',
    make: (units, inputDim) => novoLstmCell({ units, inputDim, inputGate: 'softmax', layerNorm: 'all' }),
  },
  {
    name: 'novolstm LN-sigmoid only, LN all',
    make: (units, inputDim) => novoLstmCell({ units, inputDim, inputGate: 'lnSigmoid', layerNorm: 'all' }),
  },
  {
    name: 'lstm LN all (LN-LSTM)',
    make: (units, inputDim) => lstmCell({ units, inputDim, layerNorm: 'all' }),
  },
  { name: 'gru resetAfter', make: (units, inputDim) => gruCell({ units, inputDim }) },
  { name: 'gru resetBefore', make: (units, inputDim) => gruCell({ units, inputDim, resetAfter: false }) },
];
