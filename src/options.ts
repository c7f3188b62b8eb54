/**
 * The one check that an options object holds only the keys its function accepts, used by the cells, the
 * layers, the model (constructor, compile, predict, evaluate), fit, the optimizers, the learning-rate
 * schedules and the callbacks. An unknown key is an error naming it and the accepted keys, never ignored,
 * so a typo such as `activaton` cannot quietly fall back to a default. A key the peer API (Keras) has but novolstm does not support yet gets an
 * error that says so instead of "unknown".
 *
 * It lives beside errors.ts, below every floor, so that the cells and everything above them can use it.
 */
import { ConfigError } from './errors.js';

/**
 * How the error for a not-yet-supported key reads:
 * - 'option first': `option 'unroll' is not supported yet` (every caller but fit; docs/models.md quotes it)
 * - 'verdict first': `not supported yet 'classWeight'` (fit's wording, which callers and tests match on)
 */
export type NotYetWording = 'option first' | 'verdict first';

/**
 * Checks that `options` is a plain object whose keys are all in `allowed`, and returns it as a record for
 * reading the values. `notYet`: keys rejected as not supported yet rather than as unknown.
 */
export function checkOptionKeys(
  subject: string,
  options: unknown,
  allowed: readonly string[],
  notYet: readonly string[] = [],
  wording: NotYetWording = 'option first',
): Record<string, unknown> {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new ConfigError(subject, 'options must be an object', 'an object', kindOf(options));
  }
  for (const key of Object.keys(options)) {
    if (allowed.includes(key)) continue;
    if (notYet.includes(key)) {
      const problem =
        wording === 'option first' ? `option '${key}' is not supported yet` : `not supported yet '${key}'`;
      throw new ConfigError(subject, problem, 'the option left out', key);
    }
    throw new ConfigError(subject, `unknown option '${key}'`, `one of ${allowed.join(', ')}`, key);
  }
  return options as Record<string, unknown>;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}
