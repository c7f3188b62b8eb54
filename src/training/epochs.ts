/**
 * The epoch loop `fit` and `fitDataset` share: for each epoch, the callbacks' hooks, one `Trainer.step`
 * per batch the epoch's source yields, the running logs and progress line, validation, and the History.
 * Where the batches come from — shuffled rows of tensors in memory (fit.ts) or a stream (fitDataset.ts) —
 * is the caller's.
 */
import { addTotals, type BatchTotals } from '../models/totals.js';
import type { Tensor } from '../tensor.js';
import type { Callback, Logs } from './callbacks.js';
import { Progress, type ProgressSink } from './progress.js';
import type { Trainer } from './trainer.js';

/** What fit returns (TensorFlow.js' History): per-epoch values under each log name. */
export interface History {
  readonly epoch: number[];
  readonly history: Record<string, number[]>;
}

/** One training step's data: rows of (x, y) (all when null), each sample's loss weight (null: 1). */
export interface TrainBatch {
  readonly x: Tensor;
  readonly y: Tensor;
  readonly rows: readonly number[] | null;
  readonly weights: Tensor | null;
}

export interface EpochLoop {
  readonly epochs: number;
  readonly verbose: 0 | 1 | 2;
  readonly sink: ProgressSink;
  readonly callbacks: readonly Callback[];
  /** For the progress bar; null when the source does not know (a stream). */
  readonly batchesPerEpoch: number | null;
  /** The batches of one epoch, asked for after the epoch's onEpochBegin hooks. */
  readonly batchesOf: (epoch: number) => AsyncIterable<TrainBatch> | Iterable<TrainBatch>;
  /** The validation totals after each epoch; null: no validation. */
  readonly validate: (() => Promise<BatchTotals>) | null;
}

/** fit hands control back to the event loop at least this often (timers, I/O, a browser's rendering). */
const YIELD_MS = 50;

export async function runEpochs(trainer: Trainer, loop: EpochLoop): Promise<History> {
  const { model } = trainer;
  const { epochs, verbose, sink, callbacks, batchesPerEpoch, batchesOf, validate } = loop;
  const history: History = { epoch: [], history: {} };
  model.stopTraining = false;
  for (const cb of callbacks) cb.setModel?.(model);
  for (const cb of callbacks) await cb.onTrainBegin?.({});
  const metricNames = model.compiled?.metrics.map((m) => m.name) ?? [];
  const progress = verbose === 0 ? null : new Progress(sink, epochs, batchesPerEpoch, verbose);

  let lastYield = Date.now();
  for (let epoch = 0; epoch < epochs && !model.stopTraining; epoch++) {
    progress?.startEpoch(epoch);
    for (const cb of callbacks) await cb.onEpochBegin?.(epoch, {});
    const epochTotals: BatchTotals = { lossSum: 0, weight: 0, metrics: [] };
    let batch = 0;
    for await (const b of batchesOf(epoch)) {
      const size = b.rows ? b.rows.length : b.x.shape[0];
      for (const cb of callbacks) await cb.onBatchBegin?.(batch, { batch, size });
      const totals = await trainer.step(b.x, b.y, b.rows, b.weights);
      addTotals(epochTotals, totals);
      const batchLogs: Logs = { batch, size, ...namedLogs(model.report(totals), metricNames, '') };
      progress?.batchDone(batch, size, namedLogs(model.report(epochTotals), metricNames, ''));
      for (const cb of callbacks) await cb.onBatchEnd?.(batch, batchLogs);
      batch++;
      // As Keras: a callback can stop training mid-epoch (terminateOnNaN does).
      if (model.stopTraining) break;
      if (Date.now() - lastYield > YIELD_MS) {
        await new Promise((resolve) => setTimeout(resolve, 0));
        lastYield = Date.now();
      }
    }
    const logs: Logs = namedLogs(model.report(epochTotals), metricNames, '');
    if (validate) Object.assign(logs, namedLogs(model.report(await validate()), metricNames, 'val_'));
    history.epoch.push(epoch);
    for (const [key, value] of Object.entries(logs)) (history.history[key] ??= []).push(value);
    progress?.epochDone(logs);
    for (const cb of callbacks) await cb.onEpochEnd?.(epoch, logs);
  }
  for (const cb of callbacks) await cb.onTrainEnd?.({});
  return history;
}

function namedLogs(values: number | number[], metricNames: readonly string[], prefix: string): Logs {
  const list = Array.isArray(values) ? values : [values];
  const logs: Logs = { [`${prefix}loss`]: list[0] };
  metricNames.forEach((name, i) => (logs[`${prefix}${name}`] = list[i + 1]));
  return logs;
}
