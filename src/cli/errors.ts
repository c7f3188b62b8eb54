/** A problem with what the user typed; the CLI prints it as one line and exits with code 1. */
export class UsageError extends Error {
  override name = 'UsageError';
}
