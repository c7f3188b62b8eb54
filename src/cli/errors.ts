/** A problem with what the user typed; the CLI prints it as one line and exits with code 1. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/**
 * A run the user stopped (Ctrl-C, SIGTERM) before it had anything to save: the CLI prints the message and
 * exits with 130, the shell's code for an interrupted command.
 */
export class Interrupted extends Error {
  override name = 'Interrupted';
}
