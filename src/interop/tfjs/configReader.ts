/**
 * Strict reading of one TensorFlow.js layer config (the snake_case `config` object of model.json): every
 * key must be taken by the reader, or `finish()` names it as an option we do not know. An option we know
 * but do not implement is refused unless it holds the value that changes nothing (`unroll: false`,
 * `kernel_regularizer: null`), so a file never loads with an option dropped.
 */
import { ConfigError } from '../../errors.js';

export class ConfigReader {
  private readonly taken = new Set<string>();

  constructor(
    /** Names the layer in errors, e.g. `TensorFlow.js LSTM 'lstm_LSTM1'`. */
    readonly subject: string,
    private readonly config: Readonly<Record<string, unknown>>,
  ) {}

  /** The raw value (undefined when absent), marked as read. */
  take(key: string): unknown {
    this.taken.add(key);
    return Object.hasOwn(this.config, key) ? this.config[key] : undefined;
  }

  has(key: string): boolean {
    return Object.hasOwn(this.config, key);
  }

  number(key: string, fallback?: number): number {
    const v = this.take(key) ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new ConfigError(this.subject, `${key} must be a number`, 'a finite number', String(v));
    return v;
  }

  boolean(key: string, fallback: boolean): boolean {
    const v = this.take(key) ?? fallback;
    if (typeof v !== 'boolean')
      throw new ConfigError(this.subject, `${key} must be true or false`, 'a boolean', String(v));
    return v;
  }

  string(key: string, fallback: string): string {
    const v = this.take(key) ?? fallback;
    if (typeof v !== 'string')
      throw new ConfigError(this.subject, `${key} must be a string`, 'a string', JSON.stringify(v));
    return v;
  }

  /**
   * Options that only matter while training or drawing initial weights and that novolstm has no place for
   * (regularisers, constraints): accepted only when absent or null.
   */
  nullOnly(...keys: string[]): void {
    for (const key of keys) {
      const v = this.take(key);
      if (v !== undefined && v !== null)
        throw new ConfigError(this.subject, `option '${key}' is not supported`, 'null', JSON.stringify(v));
    }
  }

  /** An option novolstm supports at one value only (`unroll: false`); absent means `fallback`. */
  only(key: string, allowed: readonly unknown[], fallback: unknown): void {
    const v = this.take(key) ?? fallback;
    if (!allowed.includes(v)) {
      throw new ConfigError(
        this.subject,
        `option '${key}' is not supported at this value`,
        allowed.map((a) => JSON.stringify(a)).join(' or '),
        JSON.stringify(v),
      );
    }
  }

  /**
   * Initialisers: they only draw the weights a fresh layer starts from, and an imported layer's weights
   * all come from the file, so any value loads the same model.
   */
  initializers(...keys: string[]): void {
    for (const key of keys) this.take(key);
  }

  /** Throws on the first key nothing read: an option novolstm does not know is never dropped. */
  finish(): void {
    for (const key of Object.keys(this.config)) {
      if (!this.taken.has(key))
        throw new ConfigError(this.subject, `unknown option '${key}'`, 'an option novolstm maps', key);
    }
  }
}

/** `value` as a plain object, or a ConfigError naming `what`. */
export function asObject(subject: string, what: string, value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(
      subject,
      `${what} must be an object`,
      'an object',
      value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value,
    );
  }
  return value as Record<string, unknown>;
}

export function asArray(subject: string, what: string, value: unknown): unknown[] {
  if (!Array.isArray(value))
    throw new ConfigError(subject, `${what} must be an array`, 'an array', JSON.stringify(value));
  return value;
}
