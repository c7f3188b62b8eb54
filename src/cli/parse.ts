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

/** A positive integer no larger than `max`: a size that allocates memory (units, batch, …). */
export function positiveIntegerUpTo(max: number): (value: string) => number {
  return (value: string) => {
    const n = positiveInteger(value);
    if (n > max) throw new InvalidArgumentError(`expected at most ${max}, got '${value}'`);
    return n;
  };
}

/** A seed: an integer in [0, 2³²), as the model's generators take (a larger one would wrap around). */
export function seed(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 0 || n > 0xffffffff)
    throw new InvalidArgumentError(`expected an integer in [0, 4294967295], got '${value}'`);
  return n;
}

/** A number ≥ 0; the empty string is refused (Number('') would be 0). */
export function nonNegativeNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !(Number.isFinite(n) && n >= 0))
    throw new InvalidArgumentError(`expected a number ≥ 0, got '${value}'`);
  return n;
}

export function positiveNumber(value: string): number {
  const n = Number(value);
  if (!(Number.isFinite(n) && n > 0))
    throw new InvalidArgumentError(`expected a positive number, got '${value}'`);
  return n;
}

export function finiteNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n))
    throw new InvalidArgumentError(`expected a number, got '${value}'`);
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

export function nonNegativeInteger(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 0)
    throw new InvalidArgumentError(`expected an integer ≥ 0, got '${value}'`);
  return n;
}

/** A worker count: a positive integer, or 'auto' (one per core). */
export function workerCount(value: string): number | 'auto' {
  return value === 'auto' ? 'auto' : positiveInteger(value);
}

/** A rate in [0, 1). */
export function rate(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !(n >= 0 && n < 1))
    throw new InvalidArgumentError(`expected a number in [0, 1), got '${value}'`);
  return n;
}

export function choice<T extends string>(choices: readonly T[]): (value: string) => T {
  return (value: string) => {
    if (!choices.includes(value as T))
      throw new InvalidArgumentError(`expected one of ${choices.join(', ')}, got '${value}'`);
    return value as T;
  };
}

/** A duration: seconds, or a number with s, m or h (90s, 10m, 1.5h). Returns seconds. */
export function duration(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(s|m|h)?$/.exec(value.trim());
  if (!match || Number(match[1]) <= 0) {
    throw new InvalidArgumentError(`expected a duration such as 90s, 10m or 1h, got '${value}'`);
  }
  return Number(match[1]) * { s: 1, m: 60, h: 3600 }[(match[2] ?? 's') as 's' | 'm' | 'h'];
}
