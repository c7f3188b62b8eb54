/**
 * Keras' `RNN(cell)` form: `nl.layers.rnn({ cell: nl.layers.novoLSTMCell({ units: 128 }) })` is the same
 * layer as `nl.layers.novoLSTM({ units: 128 })` (and is saved as that). The cell holds the cell's own
 * options (and recurrentDropout, as Keras' cells); rnn adds the sequence options (returnSequences,
 * goBackwards, stateful, dropout, …).
 */
import { ConfigError } from '../errors.js';
import { CELL_KINDS, type CellKind } from '../kernels/contract.js';
import { checkOptionKeys, positiveInt } from './options.js';
import {
  Recurrent,
  type GruLayerOptions,
  type LstmLayerOptions,
  type NovoLstmLayerOptions,
  type RecurrentOptions,
} from './recurrent.js';

/**
 * A cell description for rnn(): its kind and its own options, as given (the layer checks them and makes
 * the cell's spec from them).
 */
export interface RnnCellSpec {
  readonly kind: CellKind;
  readonly options: Readonly<Record<string, unknown>>;
}

export interface CommonCellLayerOptions {
  readonly units: number;
  /** As Keras' cells; may instead be given to rnn (not both). */
  readonly recurrentDropout?: number;
}

export type LstmCellLayerOptions = CommonCellLayerOptions &
  Pick<LstmLayerOptions, 'recurrentActivation' | 'layerNorm'>;
export type NovoLstmCellLayerOptions = CommonCellLayerOptions &
  Pick<NovoLstmLayerOptions, 'inputGate' | 'layerNorm' | 'inputGateGain' | 'recurrentActivation'>;
export type GruCellLayerOptions = CommonCellLayerOptions &
  Pick<GruLayerOptions, 'resetAfter' | 'recurrentActivation'>;

function cellSpec(kind: CellKind, label: string, options: object, allowed: readonly string[]): RnnCellSpec {
  const o = checkOptionKeys(label, options, ['units', 'recurrentDropout', ...allowed], ['activation']);
  positiveInt(label, 'units', o.units);
  return Object.freeze({ kind, options: Object.freeze({ ...o }) });
}

export function lstmCell(options: LstmCellLayerOptions): RnnCellSpec {
  return cellSpec('lstm', 'lstmCell', options, ['recurrentActivation', 'layerNorm']);
}

export function novoLSTMCell(options: NovoLstmCellLayerOptions): RnnCellSpec {
  return cellSpec('novolstm', 'novoLSTMCell', options, [
    'inputGate',
    'layerNorm',
    'inputGateGain',
    'recurrentActivation',
  ]);
}

export function gruCell(options: GruCellLayerOptions): RnnCellSpec {
  return cellSpec('gru', 'gruCell', options, ['resetAfter', 'recurrentActivation']);
}

export type RnnOptions = Omit<RecurrentOptions, 'units'> & { readonly cell: RnnCellSpec };

export function rnn(options: RnnOptions): Recurrent {
  const label = 'rnn';
  const o = checkOptionKeys(
    label,
    options,
    [
      'cell',
      'returnSequences',
      'goBackwards',
      'stateful',
      'dropout',
      'recurrentDropout',
      'name',
      'inputShape',
    ],
    ['returnState', 'unroll', 'timeMajor'],
  );
  const cell = o.cell as RnnCellSpec | undefined;
  if (!cell || typeof cell !== 'object' || !CELL_KINDS.includes(cell.kind)) {
    throw new ConfigError(
      label,
      'cell must come from nl.layers.lstmCell / novoLSTMCell / gruCell',
      'a cell',
      String(cell),
    );
  }
  const rest: Record<string, unknown> = { ...o };
  delete rest.cell;
  if (rest.recurrentDropout !== undefined && cell.options.recurrentDropout !== undefined) {
    // Keras puts it on the cell; here it may go on either, but not both (one would be ignored).
    throw new ConfigError(
      label,
      'recurrentDropout is given to both the cell and rnn',
      'one of them',
      `${String(cell.options.recurrentDropout)} and ${String(rest.recurrentDropout)}`,
    );
  }
  return new Recurrent(cell.kind, { ...cell.options, ...rest });
}
