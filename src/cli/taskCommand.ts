/**
 * `novolstm task <name>`: run one of the classic LSTM tasks for one or more cells over several seeds.
 */
import type { Command } from 'commander';
import { COMPARED_CELLS } from '../experiments/comparedCells.js';
import { runCell, type CellSummary } from '../experiments/grid.js';
import { QUICK_TASKS, TASKS, taskByName } from '../experiments/taskSuite.js';
import { choiceList, finiteNumber, positiveInteger } from './parse.js';

interface TaskFlags {
  cell: string[];
  seeds: number;
  search: boolean;
  json: boolean;
  forgetBias?: number;
}

export function registerTaskCommand(program: Command): void {
  const names = [...TASKS, ...QUICK_TASKS].map((t) => t.name);
  program
    .command('task')
    .description('Train cells on a classic LSTM task (Hochreiter & Schmidhuber 1997) and report success.')
    .argument('<name>', `the task: ${[...new Set(names)].join(', ')}`)
    .option(
      '--cell <ids>',
      `cells, comma-separated, or 'all': ${COMPARED_CELLS.map((c) => c.id).join(', ')}`,
      choiceList(COMPARED_CELLS.map((c) => c.id)),
      ['lstm'],
    )
    .option('--seeds <n>', 'evaluation seeds (1 … n)', positiveInteger, 5)
    .option('--no-search', "skip the learning-rate search; use the task's first rate")
    .option('--json', 'print one JSON object per cell instead of a table', false)
    .option(
      '--forget-bias <b>',
      "initial forget-gate bias of LSTM-family cells (Keras' default: 1); a control outside the report",
      finiteNumber,
    )
    .addHelpText(
      'after',
      `
Examples:
  novolstm task embedded-reber --cell lstm,novolstm --seeds 3
  novolstm task adding-100 --cell all --json
  novolstm task temporal-order-6a --cell lstm --forget-bias 5 --seeds 3`,
    )
    .action((name: string, flags: TaskFlags) => {
      const task = taskByName(name);
      const seeds = Array.from({ length: flags.seeds }, (_, i) => i + 1);
      for (const cell of flags.cell) {
        const summary = runCell(task, cell, {
          seeds,
          search: flags.search,
          forgetBias: flags.forgetBias,
          onTrial: (t, phase) => {
            if (!flags.json) {
              const outcome = t.solved ? `solved after ${t.sequencesToSuccess} sequences` : 'not solved';
              console.error(
                `  ${phase} ${t.cell} seed ${t.seed} lr ${t.learningRate}: ${outcome} (${t.seconds.toFixed(1)} s)`,
              );
            }
          },
        });
        console.log(flags.json ? JSON.stringify(withoutCurves(summary)) : describe(summary));
      }
    });
}

function withoutCurves(s: CellSummary): object {
  return { ...s, trials: s.trials.map(({ curve: _curve, ...rest }) => rest) };
}

function describe(s: CellSummary): string {
  const seqs = s.medianSequences === null ? '—' : `${s.medianSequences} (IQR ${s.sequencesIqr!.join('–')})`;
  return `${s.task} ${s.cell} (${s.units} units, ${s.parameters} parameters, lr ${s.learningRate}): solved ${s.solved}/${s.seeds}; sequences to success ${seqs}; final metric ${s.medianFinalMetric}`;
}
