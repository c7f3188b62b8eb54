/**
 * Callbacks for `fit`: plain objects with any of the hooks below (as in TensorFlow.js), and
 * `earlyStopping`. Hooks may be async; fit awaits each one.
 */
import { ConfigError } from '../errors.js';
import { checkOptionKeys } from '../layers/options.js';
import type { Sequential } from '../models/sequential.js';

/** Values of one batch or epoch: loss, metrics, and val_-prefixed validation values. */
export type Logs = Record<string, number>;

export interface Callback {
  setModel?(model: Sequential): void;
  onTrainBegin?(logs: Logs): void | Promise<void>;
  onTrainEnd?(logs: Logs): void | Promise<void>;
  onEpochBegin?(epoch: number, logs: Logs): void | Promise<void>;
  onEpochEnd?(epoch: number, logs: Logs): void | Promise<void>;
  onBatchBegin?(batch: number, logs: Logs): void | Promise<void>;
  onBatchEnd?(batch: number, logs: Logs): void | Promise<void>;
}

export interface EarlyStoppingOptions {
  /** The epoch log to watch; default 'val_loss'. */
  readonly monitor?: string;
  /** A change smaller than this is not an improvement. Default 0. */
  readonly minDelta?: number;
  /** Epochs without improvement before stopping. Default 0. */
  readonly patience?: number;
  /** 'min', 'max', or 'auto' (max for accuracy logs, min otherwise). */
  readonly mode?: 'auto' | 'min' | 'max';
  /** When stopping, put back the weights of the best epoch. Default false. */
  readonly restoreBestWeights?: boolean;
}

/** Stops training when the monitored value has not improved for `patience` epochs (Keras' EarlyStopping). */
export class EarlyStopping implements Callback {
  readonly monitor: string;
  readonly minDelta: number;
  readonly patience: number;
  readonly restoreBestWeights: boolean;
  private readonly direction: 1 | -1;
  private model: Sequential | null = null;
  private best = Infinity;
  private wait = 0;
  private bestWeights: Float32Array | null = null;
  /** The epoch at which training was stopped, or −1. */
  stoppedEpoch = -1;

  constructor(options: EarlyStoppingOptions = {}) {
    const label = 'callbacks.earlyStopping';
    const o = checkOptionKeys(
      label,
      options,
      ['monitor', 'minDelta', 'patience', 'mode', 'restoreBestWeights'],
      ['baseline', 'verbose', 'startFromEpoch'],
    );
    this.monitor = (o.monitor as string | undefined) ?? 'val_loss';
    if (typeof this.monitor !== 'string')
      throw new ConfigError(label, 'monitor must be a log name', "e.g. 'val_loss'", String(o.monitor));
    this.minDelta = Math.abs(numberOption(label, 'minDelta', o.minDelta, 0));
    this.patience = numberOption(label, 'patience', o.patience, 0);
    if (!Number.isInteger(this.patience) || this.patience < 0) {
      throw new ConfigError(label, 'patience must be a non-negative integer', '≥ 0', this.patience);
    }
    const mode = o.mode ?? 'auto';
    if (mode !== 'auto' && mode !== 'min' && mode !== 'max') {
      throw new ConfigError(label, 'mode is not supported', "'auto', 'min' or 'max'", String(mode));
    }
    const maximise = mode === 'max' || (mode === 'auto' && /acc/.test(this.monitor));
    // Compare −value when maximising, so "smaller is better" throughout.
    this.direction = maximise ? -1 : 1;
    if (o.restoreBestWeights !== undefined && typeof o.restoreBestWeights !== 'boolean') {
      throw new ConfigError(
        label,
        'restoreBestWeights must be true or false',
        'a boolean',
        String(o.restoreBestWeights),
      );
    }
    this.restoreBestWeights = (o.restoreBestWeights as boolean | undefined) ?? false;
  }

  setModel(model: Sequential): void {
    this.model = model;
  }

  onTrainBegin(): void {
    this.best = Infinity;
    this.wait = 0;
    this.bestWeights = null;
    this.stoppedEpoch = -1;
  }

  onEpochEnd(epoch: number, logs: Logs): void {
    const value = logs[this.monitor];
    if (value === undefined) {
      throw new ConfigError(
        'callbacks.earlyStopping',
        `monitor '${this.monitor}' is not in the epoch logs`,
        Object.keys(logs).join(', '),
        this.monitor,
      );
    }
    const signed = this.direction * value;
    if (signed < this.best - this.minDelta) {
      this.best = signed;
      this.wait = 0;
      if (this.restoreBestWeights && this.model) this.bestWeights = this.model.values.slice();
      return;
    }
    this.wait += 1;
    // As Keras: stop after `patience` epochs in a row without improvement (patience 0 acts as 1).
    if (this.wait >= Math.max(1, this.patience) && this.model) {
      this.model.stopTraining = true;
      this.stoppedEpoch = epoch;
      if (this.bestWeights) this.model.values.set(this.bestWeights);
    }
  }
}

export function earlyStopping(options: EarlyStoppingOptions = {}): EarlyStopping {
  return new EarlyStopping(options);
}

function numberOption(label: string, key: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ConfigError(label, `${key} must be a finite number`, 'a number', String(value));
  }
  return value;
}
