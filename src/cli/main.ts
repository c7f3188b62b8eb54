/**
 * The `novolstm` command line. Each command turns its flags into a typed config and calls the library;
 * errors the user can fix are printed as one line (no stack trace) with a non-zero exit code.
 */
import { Command, CommanderError } from 'commander';
import { NovoLstmError } from '../errors.js';
import { Interrupted, UsageError } from './errors.js';
import { registerInteropCommands } from './interopCommands.js';
import { registerInfoCommand } from './infoCommand.js';
import { registerDemoCommand, registerLanguageModelCommands } from './lmCommands.js';
import { registerPredictCommand } from './predictCommand.js';
import { registerReportCommand } from './reportCommand.js';
import { registerTaskCommand } from './taskCommand.js';
import { packageVersion } from './version.js';

export function buildProgram(): Command {
  const program = new Command('novolstm')
    .description('Train and compare NovoLSTM, LSTM and GRU networks on the CPU.')
    .version(packageVersion(), '-V, --version', 'print the version of novolstm')
    .exitOverride()
    // One line, in the same form as every other error: `novolstm: <what is wrong>`.
    .configureOutput({
      outputError: (text, write) =>
        write(
          `novolstm: ${printable(
            text
              .trim()
              .replace(/^error: /, '')
              .replace(/\s*\n+\s*/g, ' '),
          )}\n`,
        ),
    });
  registerDemoCommand(program);
  registerLanguageModelCommands(program);
  registerInfoCommand(program);
  registerPredictCommand(program);
  registerTaskCommand(program);
  registerReportCommand(program);
  registerInteropCommands(program);
  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  try {
    await buildProgram().parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has already printed the message (or the help, with exit code 0).
      return error.exitCode;
    }
    if (error instanceof Interrupted) {
      process.stderr.write(`${error.message}\n`);
      return 130;
    }
    if (error instanceof NovoLstmError || error instanceof UsageError || error instanceof RangeError) {
      process.stderr.write(`novolstm: ${printable(error.message)}\n`);
      return 1;
    }
    throw error;
  }
}

/**
 * The message as one printable line: control characters (a newline in a path, bytes quoted from a binary
 * file) are shown escaped, so the error stays one line and cannot drive the terminal.
 */
export function printable(message: string): string {
  return message.replace(
    // eslint-disable-next-line no-control-regex -- matching control characters is the point
    /[\u0000-\u001f\u007f-\u009f]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
