/**
 * `novolstm report`: the comparison — tasks × cells over several seeds, then the seeds' classifiers and
 * language model for LSTM, NovoLSTM and GRU — written to docs/results.md with figures. A preset fixes
 * the whole setting up front (`--quick` is `--preset quick`, the reduced grid the tests use); the flags
 * below narrow it, and the report prints what ran.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { COMPARED_CELLS } from '../experiments/comparedCells.js';
import { estimateFullGrid } from '../experiments/estimate.js';
import { PRESETS, reportPreset, type PresetName } from '../experiments/presets.js';
import { estimateSection } from '../experiments/renderReport.js';
import { runReport } from '../experiments/runReport.js';
import { TrialPool } from '../experiments/trialPool.js';
import { UsageError } from './errors.js';
import { choice, choiceList, duration, positiveInteger, positiveIntegerUpTo } from './parse.js';

interface ReportFlags {
  quick: boolean;
  preset?: PresetName;
  seeds?: number;
  out?: string;
  cell?: string[];
  tasks?: string[];
  applications: boolean;
  appEpochs?: number;
  lmEpochs?: number;
  lmChars?: number;
  timeLimit?: number;
  estimate?: boolean;
  trials?: string;
  workers?: number;
  estimateOnly: boolean;
  train: boolean;
}

/**
 * Where the report goes without --out: docs/ in the novolstm repository (the checked-in results), and
 * nowhere elsewhere — a user of the installed package names the folder, so no run writes into their
 * project unasked.
 */
function defaultOut(cwd: string): string {
  let name: unknown;
  try {
    name = (JSON.parse(readFileSync(join(cwd, 'package.json'), 'utf8')) as { name?: unknown }).name;
  } catch {
    name = undefined;
  }
  if (name === 'novolstm') return 'docs';
  throw new UsageError(
    `report: give --out DIR, the folder results.md and figures/ go to (only in the novolstm repository does it default to docs/; here is ${cwd})`,
  );
}

/** The command as the user would type it again: `npm run report -- <flags>`. */
function commandLine(argv: readonly string[]): string {
  const at = argv.indexOf('report');
  const flags = at >= 0 ? argv.slice(at + 1) : [];
  return flags.length > 0 ? `npm run report -- ${flags.join(' ')}` : 'npm run report';
}

export function registerReportCommand(program: Command): void {
  program
    .command('report')
    .description(
      'Run the comparison of the cells on the tasks, the classifiers and the language model, and write docs/results.md with figures.',
    )
    .option('--preset <name>', `the setting: ${PRESETS.join(', ')} (default full)`, choice(PRESETS))
    .option('--quick', 'the same as --preset quick: the CI test, about two minutes', false)
    .option('--seeds <n>', "evaluation seeds per task × cell (default: the preset's)", positiveInteger)
    .option(
      '--cell <ids>',
      "task cells, comma-separated, or 'all'",
      choiceList(COMPARED_CELLS.map((c) => c.id)),
    )
    .option(
      '--tasks <names>',
      "tasks of the preset to run, comma-separated, or 'all' (default: all of the preset's)",
      (value: string) => value.split(',').map((s) => s.trim()),
    )
    .option('--no-applications', 'skip the classifiers and the language model')
    .option('--app-epochs <n>', "epochs of both classifiers (default: the preset's)", positiveInteger)
    .option('--lm-epochs <n>', "epochs of the language model (default: the preset's)", positiveInteger)
    .option(
      '--lm-chars <n>',
      "characters of training of each language-model run (default: the preset's)",
      positiveIntegerUpTo(Number.MAX_SAFE_INTEGER),
    )
    .option(
      '--time-limit <duration>',
      'start no trial after this long (90s, 10m, 1.5h); a cell it cuts is reported as not run',
      duration,
    )
    // Both forms, so that the preset decides when neither is given.
    .option(
      '--estimate',
      "measure the full grid's cost at the start (a few minutes; default: medium and full)",
    )
    .option('--no-estimate', "do not measure the full grid's cost")
    .option(
      '--out <dir>',
      'where results.md and figures/ go (required outside the novolstm repository, where it is docs)',
    )
    .option(
      '--trials <dir>',
      'the trial store: every finished trial is appended to DIR/<task>.jsonl and those already there are not run again, so a long grid runs in pieces (several sittings, or processes given different --tasks); the report is built from it',
    )
    .option(
      '--no-train',
      'run nothing: rebuild the report from --trials in seconds, listing the trials still missing',
    )
    .option(
      '--workers <n>',
      'trials run side by side, one per worker thread (default: the cores)',
      positiveInteger,
    )
    .option(
      '--estimate-only',
      "measure the full grid's cost on the trial workers, print it, and stop (trains nothing else, writes nothing)",
      false,
    )
    .addHelpText(
      'after',
      `
Examples:
  novolstm report                           # the full comparison (many hours on 2 cores: see the estimate)
  novolstm report --preset medium --time-limit 75m
  novolstm report --quick --out /tmp/quick
  novolstm report --estimate-only           # the full grid's cost on this machine, in a minute or two
  novolstm report --preset full --trials docs/results/trials --out /tmp/grid   # extend the grid; resumable
  novolstm report --preset full --trials docs/results/trials --no-train       # rebuild docs/results.md`,
    )
    .action(async (flags: ReportFlags) => {
      if (flags.quick && flags.preset && flags.preset !== 'quick') {
        throw new UsageError(
          `--quick is --preset quick; it cannot be combined with --preset ${flags.preset}`,
        );
      }
      if (!flags.train) {
        // Each of these would run something, or limit a run that does not happen.
        if (!flags.trials)
          throw new UsageError('--no-train rebuilds the report from a trial store: give --trials DIR');
        const running = [
          flags.estimate === true && '--estimate',
          flags.estimateOnly && '--estimate-only',
          flags.workers !== undefined && '--workers',
          flags.timeLimit !== undefined && '--time-limit',
          flags.appEpochs !== undefined && '--app-epochs',
          flags.lmEpochs !== undefined && '--lm-epochs',
          flags.lmChars !== undefined && '--lm-chars',
        ].filter((f): f is string => f !== false);
        if (running.length > 0) {
          throw new UsageError(`--no-train runs nothing: ${running.join(', ')} cannot be combined with it`);
        }
      }
      if (flags.estimateOnly) {
        if (flags.estimate === false)
          throw new UsageError('--estimate-only cannot be combined with --no-estimate');
        const pool = new TrialPool(flags.workers);
        const estimate = await estimateFullGrid(pool).finally(() => pool.close());
        console.log(estimateSection(estimate).join('\n'));
        return;
      }
      const out = flags.out ?? defaultOut(process.cwd());
      const preset = reportPreset(flags.quick ? 'quick' : (flags.preset ?? 'full'));
      let tasks: string[] | null = null;
      if (flags.tasks && !(flags.tasks.length === 1 && flags.tasks[0] === 'all')) {
        const names = preset.tasks.map((t) => t.name);
        const unknown = flags.tasks.filter((n) => !names.includes(n));
        if (unknown.length > 0) {
          throw new UsageError(
            `--tasks: '${unknown.join("', '")}' is not a task of the ${preset.name} setting: one of ${names.join(', ')}`,
          );
        }
        tasks = flags.tasks;
      }
      await runReport(
        {
          preset: preset.name,
          seeds: flags.seeds ?? null,
          cells: flags.cell ?? null,
          tasks,
          applications: flags.applications,
          appEpochs: flags.appEpochs ?? null,
          lmEpochs: flags.lmEpochs ?? null,
          lmChars: flags.lmChars ?? null,
          timeLimitSeconds: flags.timeLimit ?? null,
          estimate: flags.estimate ?? null,
          out,
          trials: flags.trials ?? null,
          workers: flags.workers ?? null,
          train: flags.train,
          command: commandLine(process.argv),
        },
        (line) => void process.stderr.write(`${line}\n`),
      );
      console.log(`wrote ${join(out, 'results.md')}`);
    });
}
