/**
 * Typed errors. Every error names the thing that is wrong, what was expected and what was found, e.g.
 * `NovoLSTM 'encoder': x has 7 features per step — expected 5, got 7`.
 */

/** Base class: catch this to catch everything novolstm throws on purpose. */
export class NovoLstmError extends Error {
  override name = 'NovoLstmError';
  constructor(
    /** The layer, function or argument the error is about, e.g. `NovoLSTM 'encoder'` or `loadModel`. */
    readonly subject: string,
    /** What is wrong, e.g. `x has the wrong length`. */
    readonly problem: string,
    readonly expected?: unknown,
    readonly actual?: unknown,
  ) {
    super(formatMessage(subject, problem, expected, actual));
  }
}

/** An array, tensor or weight has the wrong shape or length. */
export class ShapeError extends NovoLstmError {
  override name = 'ShapeError';
}

/** A value is out of range or not finite (NaN, ±Infinity). */
export class ValueError extends NovoLstmError {
  override name = 'ValueError';
}

/** An option is unknown, of the wrong type, or not supported. */
export class ConfigError extends NovoLstmError {
  override name = 'ConfigError';
}

function formatMessage(subject: string, problem: string, expected: unknown, actual: unknown): string {
  let message = `${subject}: ${problem}`;
  if (expected !== undefined || actual !== undefined) {
    message += ` — expected ${show(expected)}, got ${show(actual)}`;
  }
  // One line, whatever the parts quote (a parser's excerpt of a damaged file keeps its newlines).
  return message.replace(/\s*[\r\n]+\s*/g, ' ');
}

function show(value: unknown): string {
  if (Array.isArray(value)) return `[${value.join(', ')}]`;
  if (typeof value === 'string') return value;
  return String(value);
}
