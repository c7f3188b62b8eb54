/**
 * Runs the command line in this process: its exit code, its log lines (console.log) and its error output.
 * process.stdout is left alone: the test runner reports through it. For the tests that read what a
 * command logged; test/cli.test.ts captures process.stdout too, for the commands that write to it.
 */
import { main } from '../src/cli/main.js';

export async function runCliInProcess(
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const writeErr = process.stderr.write.bind(process.stderr);
  const log = console.log;
  process.stderr.write = ((s: string) => ((stderr += s), true)) as typeof process.stderr.write;
  console.log = (...parts: unknown[]) => (stdout += parts.join(' ') + '\n');
  try {
    return { code: await main(args), stdout, stderr };
  } finally {
    process.stderr.write = writeErr;
    console.log = log;
  }
}
