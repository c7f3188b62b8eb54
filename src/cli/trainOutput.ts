/**
 * Where `novolstm train` (and `demo`) report: for people, the progress line and news on stdout; with
 * `--json`, stdout carries only JSON lines — one per epoch record as it is written, one at the end — and
 * the progress line and news go to stderr, so `novolstm train --json … | jq` reads every line.
 */
import type { EpochRecord, TrainHooks, TrainResult } from '../lm/trainer.js';

export interface TrainOutput {
  readonly hooks: Pick<TrainHooks, 'log' | 'progress' | 'onRecord'>;
  /** The last words of a run. */
  finish(result: TrainResult, out: string): void;
}

/** One epoch record as its JSON line's fields. */
function epochFields(record: EpochRecord): Record<string, number> {
  return {
    epoch: record.epoch,
    chars: record.chars,
    trainBpc: record.trainBpc,
    validationBpc: record.validationBpc,
    seconds: record.seconds,
  };
}

export function trainOutput(json: boolean): TrainOutput {
  if (!json) {
    return {
      hooks: { log: (line) => console.log(line), progress: process.stdout },
      finish: (result) => {
        if (Number.isFinite(result.validationBpc)) {
          console.log(`validation: ${result.validationBpc.toFixed(3)} bits per character`);
        }
      },
    };
  }
  const line = (value: object) => void process.stdout.write(`${JSON.stringify(value)}\n`);
  return {
    hooks: {
      log: (text) => void process.stderr.write(`${text}\n`),
      progress: process.stderr,
      onRecord: (record) => line({ event: 'epoch', ...epochFields(record) }),
    },
    finish: (result, out) => {
      const last = result.history[result.history.length - 1];
      // A run stopped before its first record has no validation figure: null, as JSON writes NaN.
      line({
        event: 'end',
        stoppedBecause: result.stoppedBecause,
        epochs: last?.epoch ?? 0,
        chars: last?.chars ?? 0,
        validationBpc: Number.isFinite(result.validationBpc) ? result.validationBpc : null,
        params: result.model.values.length,
        out,
      });
    },
  };
}
