/**
 * `novolstm report`: the whole comparison — every task × cell over several seeds — written to
 * docs/results.md with figures. `--quick` runs the reduced grid the tests use.
 */
import type { Command } from 'commander';
import { COMPARED_CELLS } from '../experiments/comparedCells.js';
import { runCell } from '../experiments/grid.js';
import { writeReport } from '../experiments/report.js';
import { QUICK_TASKS, TASKS } from '../experiments/taskSuite.js';
import { choiceList, positiveInteger } from './parse.js';

interface ReportFlags {
  quick: boolean;
  seeds?: number;
  out: string;
  cell: string[];
}

export function registerReportCommand(program: Command): void {
  program
    .command('report')
    .description('Run the comparison of all cells on all tasks and write docs/results.md with figures.')
    .option('--quick', 'the reduced grid (2 small tasks, LSTM only, 3 seeds): about two minutes', false)
    .option('--seeds <n>', 'evaluation seeds (default 5; 3 with --quick)', positiveInteger)
    .option('--cell <ids>', "cells, comma-separated, or 'all'", choiceList(COMPARED_CELLS.map((c) => c.id)))
    .option('--out <dir>', 'where results.md and figures/ go', 'docs')
    .addHelpText(
      'after',
      `
Examples:
  novolstm report                  # the full comparison (hours on 2 cores)
  novolstm report --quick --out /tmp/quick`,
    )
    .action(async (flags: ReportFlags) => {
      const started = performance.now();
      const seeds = Array.from({ length: flags.seeds ?? (flags.quick ? 3 : 5) }, (_, i) => i + 1);
      const cells = flags.cell ?? (flags.quick ? ['lstm'] : COMPARED_CELLS.map((c) => c.id));
      const tasks = flags.quick ? QUICK_TASKS : TASKS;
      const results = tasks.map((task) => ({
        task,
        cells: cells.map((cell) =>
          runCell(task, cell, {
            seeds,
            search: !flags.quick,
            onTrial: (t, phase) =>
              console.error(
                `${task.name} ${phase} ${t.cell} seed ${t.seed} lr ${t.learningRate}: ${t.solved ? `solved after ${t.sequencesToSuccess}` : 'not solved'} (${t.seconds.toFixed(1)} s)`,
              ),
          }),
        ),
      }));
      await writeReport(results, {
        dir: flags.out,
        quick: flags.quick,
        seeds,
        seconds: (performance.now() - started) / 1000,
      });
      console.log(`wrote ${flags.out}/results.md`);
    });
}
