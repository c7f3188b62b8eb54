/**
 * Reading one Keras layer config strictly: every key must be taken, checked or explicitly ignored, so an
 * option novolstm cannot honour is a ConfigError naming the layer and the option — never dropped. Why
 * each option is accepted, mapped, ignored or refused is written at the call in decode.ts.
 */
import { ConfigError } from '../../errors.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export class KerasOptions {
  private readonly seen = new Set<string>();

  constructor(
    /** e.g. `Keras LSTM 'lstm_1'`. */
    readonly label: string,
    private readonly config: JsonObject,
  ) {}

  /** The value of an option novolstm maps onto its own (undefined when absent). */
  take(key: string): Json | undefined {
    this.seen.add(key);
    return Object.hasOwn(this.config, key) ? this.config[key] : undefined;
  }

  /** An option that must have one value (or be absent); `why` says what another value would change. */
  expect(key: string, value: Json, why: string): void {
    const actual = this.take(key);
    if (actual !== undefined && JSON.stringify(actual) !== JSON.stringify(value)) {
      throw new ConfigError(
        this.label,
        `option '${key}' is not supported: ${why}`,
        JSON.stringify(value),
        JSON.stringify(actual),
      );
    }
  }

  /** An option that must be null or absent (a regulariser, a constraint). */
  expectNull(key: string, why: string): void {
    this.expect(key, null, why);
  }

  /** Options that change neither a loaded model's predictions nor its training (initialisers, names). */
  ignore(...keys: string[]): void {
    for (const key of keys) this.seen.add(key);
  }

  /** After all takes: a key nobody took is an option this importer does not know. */
  done(): void {
    for (const key of Object.keys(this.config)) {
      if (!this.seen.has(key)) {
        throw new ConfigError(
          this.label,
          `option '${key}' is not supported`,
          'an option novolstm knows',
          `${key}: ${JSON.stringify(this.config[key])}`,
        );
      }
    }
  }

  /** The layer's dtype policy must be float32: novolstm computes in float32 only. */
  float32Policy(): void {
    const dtype = this.take('dtype');
    const name = isObject(dtype) && isObject(dtype.config) ? dtype.config.name : dtype;
    if (dtype !== undefined && dtype !== null && name !== 'float32') {
      throw new ConfigError(
        this.label,
        "option 'dtype' is not supported: novolstm computes in float32",
        'float32',
        JSON.stringify(name),
      );
    }
  }

  /**
   * Keras' `trainable` (absent: true), checked here; decode.ts sets novolstm's `layer.trainable` from it and
   * the flags of the layers inside (trainableOf).
   */
  trainable(): boolean {
    const value = this.take('trainable');
    if (value !== undefined && typeof value !== 'boolean') {
      throw new ConfigError(
        this.label,
        "option 'trainable' must be true or false",
        'a boolean',
        JSON.stringify(value),
      );
    }
    return value !== false;
  }
}
