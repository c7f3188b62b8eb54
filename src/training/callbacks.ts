/**
 * Callbacks for `fit`: plain objects with any of the hooks below (as in TensorFlow.js), and
 * `earlyStopping`. Hooks may be async; fit awaits each one.
 */
import { ConfigError } from '../errors.js';
import { saveModel } from '../io/index.js';
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

/** Watches one epoch log: says whether a value improves on the best so far (by more than minDelta). */
class Monitor {
  readonly monitor: string;
  readonly minDelta: number;
  /** +1: smaller is better; −1: larger is better (values are compared as direction · value). */
  private readonly direction: 1 | -1;
  private best = Infinity;

  constructor(label: string, o: Record<string, unknown>, defaultMinDelta = 0) {
    const monitor = o.monitor ?? 'val_loss';
    if (typeof monitor !== 'string')
      throw new ConfigError(label, 'monitor must be a log name', "e.g. 'val_loss'", String(monitor));
    this.monitor = monitor;
    this.minDelta = Math.abs(numberOption(label, 'minDelta', o.minDelta, defaultMinDelta));
    const mode = o.mode ?? 'auto';
    if (mode !== 'auto' && mode !== 'min' && mode !== 'max') {
      throw new ConfigError(label, 'mode is not supported', "'auto', 'min' or 'max'", String(mode));
    }
    const maximise = mode === 'max' || (mode === 'auto' && /acc/.test(monitor));
    this.direction = maximise ? -1 : 1;
  }

  reset(): void {
    this.best = Infinity;
  }

  /** Reads the monitored value from the logs; records it when it improves. */
  improves(logs: Logs): boolean {
    const value = logs[this.monitor];
    if (value === undefined) {
      throw new ConfigError(
        'callbacks',
        `monitor '${this.monitor}' is not in the epoch logs`,
        Object.keys(logs).join(', '),
        this.monitor,
      );
    }
    const signed = this.direction * value;
    if (!(signed < this.best - this.minDelta)) return false;
    this.best = signed;
    return true;
  }
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
  readonly patience: number;
  readonly restoreBestWeights: boolean;
  private readonly watch: Monitor;
  private model: Sequential | null = null;
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
    this.watch = new Monitor(label, o);
    this.patience = nonNegativeInteger(label, 'patience', o.patience, 0);
    this.restoreBestWeights = booleanOption(label, 'restoreBestWeights', o.restoreBestWeights, false);
  }

  setModel(model: Sequential): void {
    this.model = model;
  }

  onTrainBegin(): void {
    this.watch.reset();
    this.wait = 0;
    this.bestWeights = null;
    this.stoppedEpoch = -1;
  }

  onEpochEnd(epoch: number, logs: Logs): void {
    if (this.watch.improves(logs)) {
      this.wait = 0;
      if (this.restoreBestWeights && this.model) this.bestWeights = this.model.values.slice();
      return;
    }
    this.wait += 1;
    // As Keras: stop after `patience` epochs in a row without improvement (patience 0 acts as 1).
    if (this.wait >= Math.max(1, this.patience) && this.model) {
      this.model.stopTraining = true;
      this.stoppedEpoch = epoch;
      if (this.bestWeights) {
        this.model.values.set(this.bestWeights);
        this.model.markWeightsChanged();
      }
    }
  }
}

export interface ReduceLROnPlateauOptions {
  readonly monitor?: string;
  /** New rate = rate · factor. Default 0.1. */
  readonly factor?: number;
  /** Epochs without improvement before reducing. Default 10. */
  readonly patience?: number;
  /** Default 1e-4 (as Keras). */
  readonly minDelta?: number;
  /** Epochs to wait after a reduction before counting again. Default 0. */
  readonly cooldown?: number;
  /** The rate never goes below this. Default 0. */
  readonly minLr?: number;
  readonly mode?: 'auto' | 'min' | 'max';
}

/** Multiplies the optimizer's learning rate by `factor` when the monitored value stops improving. */
export class ReduceLROnPlateau implements Callback {
  readonly factor: number;
  readonly patience: number;
  readonly cooldown: number;
  readonly minLr: number;
  private readonly watch: Monitor;
  private model: Sequential | null = null;
  private wait = 0;
  private cooldownLeft = 0;

  constructor(options: ReduceLROnPlateauOptions = {}) {
    const label = 'callbacks.reduceLROnPlateau';
    const o = checkOptionKeys(
      label,
      options,
      ['monitor', 'factor', 'patience', 'minDelta', 'cooldown', 'minLr', 'mode'],
      ['verbose'],
    );
    this.watch = new Monitor(label, o, 1e-4);
    this.factor = numberOption(label, 'factor', o.factor, 0.1);
    if (!(this.factor > 0 && this.factor < 1))
      throw new ConfigError(label, 'factor must be in (0, 1)', '0 < factor < 1', this.factor);
    this.patience = nonNegativeInteger(label, 'patience', o.patience, 10);
    this.cooldown = nonNegativeInteger(label, 'cooldown', o.cooldown, 0);
    this.minLr = numberOption(label, 'minLr', o.minLr, 0);
  }

  setModel(model: Sequential): void {
    this.model = model;
  }

  onTrainBegin(): void {
    this.watch.reset();
    this.wait = 0;
    this.cooldownLeft = 0;
  }

  onEpochEnd(_epoch: number, logs: Logs): void {
    const optimizer = this.model?.compiled?.optimizer;
    if (!optimizer) return;
    if (this.cooldownLeft > 0) this.cooldownLeft -= 1;
    if (this.watch.improves(logs)) {
      this.wait = 0;
      return;
    }
    if (this.cooldownLeft > 0) return;
    this.wait += 1;
    if (typeof optimizer.learningRate !== 'number') {
      throw new ConfigError(
        'callbacks.reduceLROnPlateau',
        'needs a fixed learning rate, not a schedule',
        'a number',
        optimizer.learningRate.className,
      );
    }
    if (this.wait >= this.patience && optimizer.learningRate > this.minLr) {
      optimizer.learningRate = Math.max(this.minLr, optimizer.learningRate * this.factor);
      this.cooldownLeft = this.cooldown;
      this.wait = 0;
    }
  }
}

/** Stops training at the first batch whose loss is NaN or infinite (Keras' TerminateOnNaN). */
export class TerminateOnNaN implements Callback {
  private model: Sequential | null = null;
  /** The batch (counted over the whole run) at which training stopped, or −1. */
  stoppedAt = -1;

  setModel(model: Sequential): void {
    this.model = model;
  }

  onBatchEnd(batch: number, logs: Logs): void {
    if (!Number.isFinite(logs.loss) && this.model) {
      this.model.stopTraining = true;
      this.stoppedAt = batch;
    }
  }
}

export interface ModelCheckpointOptions {
  /** Directory to save into; `{epoch}` is replaced by the epoch number (from 1). */
  readonly filepath: string;
  readonly monitor?: string;
  /** Save only when the monitored value improves. Default false (save every epoch). */
  readonly saveBestOnly?: boolean;
  readonly mode?: 'auto' | 'min' | 'max';
}

/**
 * Saves the model (with optimizer state, so training can resume) at the end of epochs. Node only. A model
 * whose weights are no longer finite is not saved: saveModel's ValueError stops `fit`, and the last good
 * save stays as it was.
 */
export class ModelCheckpoint implements Callback {
  readonly filepath: string;
  readonly saveBestOnly: boolean;
  private readonly watch: Monitor;
  private model: Sequential | null = null;
  /** Directories written so far, in order. */
  readonly saved: string[] = [];

  constructor(options: ModelCheckpointOptions) {
    const label = 'callbacks.modelCheckpoint';
    const o = checkOptionKeys(
      label,
      options,
      ['filepath', 'monitor', 'saveBestOnly', 'mode'],
      ['saveWeightsOnly', 'saveFreq', 'verbose'],
    );
    if (typeof o.filepath !== 'string' || o.filepath.length === 0) {
      throw new ConfigError(
        label,
        'filepath must be a directory path',
        "e.g. 'runs/ckpt-{epoch}'",
        String(o.filepath),
      );
    }
    this.filepath = o.filepath;
    this.saveBestOnly = booleanOption(label, 'saveBestOnly', o.saveBestOnly, false);
    this.watch = new Monitor(label, o);
  }

  setModel(model: Sequential): void {
    this.model = model;
  }

  onTrainBegin(): void {
    this.watch.reset();
  }

  async onEpochEnd(epoch: number, logs: Logs): Promise<void> {
    if (!this.model) return;
    if (this.saveBestOnly && !this.watch.improves(logs)) return;
    const dir = this.filepath.replaceAll('{epoch}', String(epoch + 1));
    await saveModel(this.model, dir);
    this.saved.push(dir);
  }
}

export function earlyStopping(options: EarlyStoppingOptions = {}): EarlyStopping {
  return new EarlyStopping(options);
}

export function reduceLROnPlateau(options: ReduceLROnPlateauOptions = {}): ReduceLROnPlateau {
  return new ReduceLROnPlateau(options);
}

export function terminateOnNaN(): TerminateOnNaN {
  return new TerminateOnNaN();
}

export function modelCheckpoint(options: ModelCheckpointOptions): ModelCheckpoint {
  return new ModelCheckpoint(options);
}

function nonNegativeInteger(label: string, key: string, value: unknown, fallback: number): number {
  const v = numberOption(label, key, value, fallback);
  if (!Number.isInteger(v) || v < 0)
    throw new ConfigError(label, `${key} must be a non-negative integer`, '≥ 0', v);
  return v;
}

function booleanOption(label: string, key: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean')
    throw new ConfigError(label, `${key} must be true or false`, 'a boolean', String(value));
  return value;
}

function numberOption(label: string, key: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ConfigError(label, `${key} must be a finite number`, 'a number', String(value));
  }
  return value;
}
