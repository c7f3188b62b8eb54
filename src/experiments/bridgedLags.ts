/**
 * The report's plain answer to the seed's question on the tasks: which cells bridge which time lags.
 * One table (task × cell: seeds solved, median sequences) and a sentence per task naming the cells that
 * bridged its lag on every seed, on some, and on none, beside what the 1997 paper and modern networks
 * reached. Only complete cells are counted; the others are named as not yet compared (or not run).
 */
import { formatCount } from './formatting.js';
import type { CellSummary } from './grid.js';
import type { TaskResults } from './storedGrid.js';
import type { Lag } from './taskSuite.js';

export function lagText(lag: Lag): string {
  if (lag.max === null) return `${lag.min} steps or more`;
  return lag.max === lag.min ? `${lag.min} steps` : `${lag.min}–${lag.max} steps`;
}

function solvedText(c: CellSummary): string {
  return c.medianSequences === null
    ? `${c.solved}/${c.seeds}`
    : `${c.solved}/${c.seeds} · ${formatCount(c.medianSequences)}`;
}

const names = (cells: readonly { cell: string }[]): string => cells.map((c) => `\`${c.cell}\``).join(', ');

/** One task in a sentence: who bridged its lag on every seed, on some, on none, and who is not compared. */
function taskSentence({ task, cells, incomplete = [], notRun = [] }: TaskResults): string {
  const all = cells.filter((c) => c.seeds > 0 && c.solved === c.seeds);
  const some = cells.filter((c) => c.solved > 0 && c.solved < c.seeds);
  const none = cells.filter((c) => c.solved === 0);
  const parts: string[] = [];
  if (all.length > 0) {
    parts.push(
      `bridged on every seed by ${all.map((c) => `\`${c.cell}\` (${formatCount(c.medianSequences!)})`).join(', ')}`,
    );
  }
  if (some.length > 0) {
    parts.push(`on some seeds by ${some.map((c) => `\`${c.cell}\` (${c.solved}/${c.seeds})`).join(', ')}`);
  }
  if (none.length > 0) {
    const within = `within ${formatCount(task.maxSequences)} sequences`;
    parts.push(
      parts.length === 0 ? `bridged by none of ${names(none)} ${within}` : `not by ${names(none)} ${within}`,
    );
  }
  if (incomplete.length > 0) parts.push(`not yet compared: ${names(incomplete)} (trials missing)`);
  if (notRun.length > 0) parts.push(`not run: ${notRun.map((id) => `\`${id}\``).join(', ')} (time limit)`);
  const references = [
    ...(task.paper ? [` The 1997 LSTM: ${task.paper}.`] : []),
    ...(task.modern ? [` Modern baseline: ${task.modern}.`] : []),
  ];
  return `- **${task.name}** (lag ${lagText(task.lag)}): ${parts.join('; ')}.${references.join('')}`;
}

export function bridgedLagsSection(results: readonly TaskResults[]): string[] {
  if (results.length === 0) return [];
  const columns = [
    ...new Set(
      results.flatMap((r) => [
        ...[...r.cells, ...(r.incomplete ?? [])].map((c) => c.cell),
        ...(r.notRun ?? []),
      ]),
    ),
  ];
  const row = ({ task, cells, incomplete = [], notRun = [] }: TaskResults): string => {
    const entries = columns.map((id) => {
      const done = cells.find((c) => c.cell === id);
      if (done) return solvedText(done);
      if (incomplete.some((c) => c.cell === id)) return 'incomplete';
      return notRun.includes(id) ? 'not run' : '';
    });
    return `| ${task.name} | ${lagText(task.lag)} | ${entries.join(' | ')} |`;
  };
  return [
    '## Which cells bridge which lags',
    '',
    "Each task's lag is the number of steps from the first input its answer depends on to the step that answers. An entry is the seeds that solved the task within its budget and, where any did, the median training sequences they needed (the task's section has the spread and the verdicts). Below it, per task, the cells that bridged its lag on every seed (with those median sequences in brackets), on some seeds, and on none.",
    '',
    `| task | lag | ${columns.join(' | ')} |`,
    `| --- | --- | ${columns.map(() => '---:').join(' | ')} |`,
    ...results.map(row),
    '',
    ...results.map(taskSentence),
    '',
  ];
}
