/**
 * Flag parsers for commander: each checks its value and throws a one-line error naming the flag.
 */
import { InvalidArgumentError } from 'commander';

export function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError(`expected a positive integer, got '${value}'`);
  return n;
}

export function positiveNumber(value: string): number {
  const n = Number(value);
  if (!(Number.isFinite(n) && n > 0))
    throw new InvalidArgumentError(`expected a positive number, got '${value}'`);
  return n;
}

/** A comma-separated list of choices, or 'all'. */
export function choiceList(choices: readonly string[]): (value: string) => string[] {
  return (value: string) => {
    if (value === 'all') return [...choices];
    const picked = value.split(',').map((s) => s.trim());
    for (const p of picked) {
      if (!choices.includes(p)) {
        throw new InvalidArgumentError(`'${p}' is not one of: ${choices.join(', ')}, all`);
      }
    }
    return picked;
  };
}
