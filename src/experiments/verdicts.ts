/**
 * The fixed rules by which a cell is compared with the LSTM — on a task, by seeds solved and the
 * interquartile ranges of sequences to success; on an application, by the ranges over seeds — each with the
 * sentence the report prints, and the tally of outcomes per cell.
 *
 * The ablation cells (comparedCells.ts, `ablation`) are also compared with NovoLSTM by the same rules:
 * the variant that matches NovoLSTM where NovoLSTM differs from the LSTM is the one that carries the
 * difference (`ablationReading`).
 */
import { COMPARED_CELLS } from './comparedCells.js';
import { formatCount, formatMetric } from './formatting.js';
import type { CellSummary } from './grid.js';
import type { Spread } from './statistics.js';
import type { TaskSpec } from './taskSuite.js';

/** How a cell compared with the LSTM on one task or application, by the fixed rules below. */
export type Outcome = 'better' | 'worse' | 'no clear difference' | 'neither solved' | 'one seed, no verdict';

export interface Comparison {
  readonly outcome: Outcome;
  readonly text: string;
}

export function cellName(id: string): string {
  return COMPARED_CELLS.find((c) => c.id === id)?.description ?? id;
}

/** How the reference of a comparison is named in its sentence: "the LSTM", or the cell's description. */
function referenceName(id: string): string {
  return id === 'lstm' ? 'the LSTM' : cellName(id);
}

/**
 * A plain verdict against the LSTM, by a fixed rule: a difference in success rate is reported as such; with
 * equal success, medians whose interquartile ranges overlap are "no clear difference".
 */
export function compareWithLstm(task: TaskSpec, cell: CellSummary, lstm: CellSummary): Comparison {
  return compareCells(task, cell, lstm);
}

/** The same rule against any reference cell (the ablations against NovoLSTM). */
export function compareCells(task: TaskSpec, cell: CellSummary, reference: CellSummary): Comparison {
  const name = cellName(cell.cell);
  const other = referenceName(reference.cell);
  if (cell.solved !== reference.solved) {
    const more = cell.solved > reference.solved;
    return {
      outcome: more ? 'better' : 'worse',
      text: `${name} solved it ${more ? 'more often' : 'less often'} than ${other} (${cell.solved}/${cell.seeds} vs ${reference.solved}/${reference.seeds}).`,
    };
  }
  if (cell.solved === 0) {
    return {
      outcome: 'neither solved',
      text: `Neither ${name} nor ${other} solved it within the budget (final ${task.metricName}: median ${formatMetric(task, cell.medianFinalMetric)} vs ${formatMetric(task, reference.medianFinalMetric)}).`,
    };
  }
  const [a, b] = [cell.sequencesIqr!, reference.sequencesIqr!];
  const overlap = a[0] <= b[1] && b[0] <= a[1];
  if (overlap) {
    return {
      outcome: 'no clear difference',
      text: `${name}: no clear difference from ${other} (median ${formatCount(cell.medianSequences!)} vs ${formatCount(reference.medianSequences!)} sequences to success; the interquartile ranges overlap).`,
    };
  }
  const faster = cell.medianSequences! < reference.medianSequences!;
  return {
    outcome: faster ? 'better' : 'worse',
    text: `${name} needed ${faster ? 'fewer' : 'more'} sequences than ${other} (median ${formatCount(cell.medianSequences!)} vs ${formatCount(reference.medianSequences!)}; the interquartile ranges do not overlap).`,
  };
}

/** Whether a cell is one of the ablations of NovoLSTM's input gate (compared with NovoLSTM as well). */
export function isAblation(id: string): boolean {
  return COMPARED_CELLS.find((c) => c.id === id)?.ablation === true;
}

/**
 * What an ablation's two verdicts say about NovoLSTM's difference from the LSTM on one task, by a fixed
 * rule: where NovoLSTM and the LSTM differ, a variant that shows no clear difference from NovoLSTM and the
 * same difference from the LSTM carries it; one that shows no clear difference from the LSTM and differs
 * from NovoLSTM does not; anything else is stated as mixed. Where they do not differ, the ablation has
 * nothing to explain.
 */
export function ablationReading(
  cell: string,
  novolstmVsLstm: Outcome,
  vsLstm: Outcome,
  vsNovolstm: Outcome,
): string {
  const name = cellName(cell);
  const differs = novolstmVsLstm === 'better' || novolstmVsLstm === 'worse';
  if (!differs) {
    return `${name}: NovoLSTM and the LSTM show no difference here (${novolstmVsLstm}), so there is no difference for this variant to carry.`;
  }
  const direction = novolstmVsLstm === 'better' ? 'advantage' : 'disadvantage';
  if (vsNovolstm === 'no clear difference' && vsLstm === novolstmVsLstm) {
    return `${name} carries NovoLSTM's ${direction} over the LSTM: ${vsLstm} than the LSTM, no clear difference from NovoLSTM.`;
  }
  if (vsLstm === 'no clear difference' && (vsNovolstm === 'better' || vsNovolstm === 'worse')) {
    return `${name} does not carry NovoLSTM's ${direction}: no clear difference from the LSTM, ${vsNovolstm} than NovoLSTM.`;
  }
  return `${name}: mixed — against the LSTM ${vsLstm}, against NovoLSTM ${vsNovolstm}; it neither clearly carries nor clearly lacks NovoLSTM's ${direction}.`;
}

export function verdict(task: TaskSpec, cell: CellSummary, lstm: CellSummary): string {
  return compareWithLstm(task, cell, lstm).text;
}

/**
 * An application's verdict against the LSTM, by a fixed rule: with several seeds, ranges (lowest to
 * highest seed) that overlap are "no clear difference"; with one seed there is no spread to judge a
 * difference by, and the verdict says so instead of picking a winner.
 */
export function compareSpreads(
  what: string,
  cell: string,
  s: Spread,
  lstm: Spread,
  higherBetter: boolean,
  format: (v: number) => string,
): Comparison {
  const name = cellName(cell);
  const values = `${format(s.median)} vs ${format(lstm.median)}`;
  if (s.n < 2 || lstm.n < 2) {
    return {
      outcome: 'one seed, no verdict',
      text: `${name}: ${what} ${values} for the LSTM — one seed, so no spread to judge the difference by.`,
    };
  }
  const overlap = s.min <= lstm.max && lstm.min <= s.max;
  if (overlap) {
    return {
      outcome: 'no clear difference',
      text: `${name}: no clear difference from the LSTM in ${what} (median ${values}; the ranges over ${s.n} seeds overlap).`,
    };
  }
  const higher = s.median > lstm.median;
  return {
    outcome: higher === higherBetter ? 'better' : 'worse',
    text: `${name}: ${higher ? 'higher' : 'lower'} ${what} than the LSTM on every seed (median ${values}; the ranges over ${s.n} seeds do not overlap).`,
  };
}

/**
 * One line per cell: how many comparisons with the reference (the LSTM unless named) it won, lost, or
 * showed no clear difference in.
 */
export function tally(
  all: readonly { cell: string; comparison: Comparison }[],
  reference = 'lstm',
): string[] {
  const cells = [...new Set(all.map((c) => c.cell))];
  return cells.map((cell) => {
    const mine = all.filter((c) => c.cell === cell).map((c) => c.comparison.outcome);
    const count = (o: Outcome) => mine.filter((m) => m === o).length;
    return `- ${cellName(cell)} against ${referenceName(reference)}, over ${mine.length} comparisons: better in ${count('better')}, worse in ${count('worse')}, no clear difference in ${count('no clear difference')}, neither solved in ${count('neither solved')}, one seed (no verdict) in ${count('one seed, no verdict')}.`;
  });
}
