/**
 * Strict option checking for layer constructors: each value is checked for type and range. The check of
 * the keys themselves (an unknown option is an error, an option Keras has but novolstm does not support
 * yet is an error that says so) is the library-wide one in ../options.ts, re-exported here so that a
 * layer takes all its option checks from one import.
 */
import { ConfigError } from '../errors.js';
import type { Shape } from './layer.js';

export { checkOptionKeys } from '../options.js';

export function positiveInt(label: string, key: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new ConfigError(label, `${key} must be a positive integer`, 'an integer ≥ 1', String(value));
  }
  return value;
}

export function optionalBoolean(label: string, key: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') {
    throw new ConfigError(label, `${key} must be true or false`, 'a boolean', String(value));
  }
  return value;
}

/** A probability of dropping, 0 ≤ rate < 1. */
export function optionalRate(label: string, key: string, value: unknown): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !(value >= 0 && value < 1)) {
    throw new ConfigError(label, `${key} must be a number in [0, 1)`, '0 ≤ rate < 1', String(value));
  }
  return value;
}

export function optionalChoice<T extends string>(
  label: string,
  key: string,
  value: unknown,
  choices: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
    throw new ConfigError(
      label,
      `${key} is not supported`,
      choices.map((c) => `'${c}'`).join(', '),
      String(value),
    );
  }
  return value as T;
}

export function optionalName(label: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(value)) {
    throw new ConfigError(label, 'name must be letters, digits, _ . or -', 'e.g. "lstm_1"', String(value));
  }
  return value;
}

/** An `inputShape` option: positive integers, or null for a variable sequence length. */
export function optionalShape(label: string, value: unknown): Shape | null {
  if (value === undefined || value === null) return null;
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    !value.every((d) => d === null || (typeof d === 'number' && Number.isInteger(d) && d >= 1))
  ) {
    throw new ConfigError(
      label,
      'inputShape must be an array of positive integers (null for any length)',
      'e.g. [null, 8]',
      JSON.stringify(value),
    );
  }
  return value as Shape;
}
