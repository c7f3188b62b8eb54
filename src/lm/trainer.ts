/**
 * Training the character language model with truncated backpropagation through time.
 *
 * The training text is cut into `batch` streams (see data/text/streams.ts); each step trains on the next
 * `seqLen` characters of every stream, starting from the states the previous window left, and every
 * position predicts its next character. One epoch shows each character once. After each epoch: validation
 * bits per character on the held-out text, a short sample at temperature 0.8, metrics.csv, the learning
 * curve, and a checkpoint.
 *
 * Checkpoints (model, optimizer, carried states, data position and every generator's state) are written
 * atomically at every epoch, when the time or character limit is reached and when a stop is requested
 * (Ctrl-C, SIGTERM); `resume` continues from one exactly where it stopped. The loop lets pending events run
 * after every window, so a stop requested by a signal is seen within one window on one thread too. What takes
 * longer than a window is cut short by the hooks' stop signal: the workers' start-up (terminated; nothing
 * trained, so nothing is written and a resumed checkpoint stays as it was) and the validation pass (its
 * score dropped, never recorded: the checkpoint is then the epoch's weights before validation, and a
 * resume validates them again and continues as a run that never stopped would). A non-finite
 * or exploding loss stops training with an error, and so do weights that are not finite or a validation
 * loss that is not finite or exploded when a checkpoint is due: a checkpoint is written only from weights
 * that pass, so the last good one stays in place.
 *
 * This file is the loop over epochs. The windows are tbptt.ts' (the page's worker runs the same), the steps
 * a Trainer's (training/trainer.ts: this thread or a pool), the checkpoint and resume policy is
 * checkpoint.ts', and metrics.csv and the learning curve are records.ts'.
 */
import type { TokenIds } from '../data/text/charVocabulary.js';
import { holdOut, TextStreams } from '../data/text/streams.js';
import { checkOutputDirectory, makeOutputDirectory } from '../io/outputDirectory.js';
import type { Sequential } from '../models/sequential.js';
import { checkMicrobatchSize } from '../models/microbatches.js';
import { Random } from '../random.js';
import { Progress } from '../training/progress.js';
import { openTrainer, trainerThreads, type Trainer } from '../training/trainer.js';
import { saveCheckpoint, startOrResume, type TrainingState } from './checkpoint.js';
import { addWindow, curveEvery, emptyStepCurve } from './curve.js';
import { firstNonFinite } from '../layers/parameters.js';
import { explosionThreshold, hasDiverged, TrainingDivergedError } from './divergence.js';
import { ValueError } from '../errors.js';
import { scoreText, scoreWindows } from './evaluate.js';
import { checkResumePosition, checkValidationIds } from './runChecks.js';
import { generateText } from './generate.js';
import { writeRecords, type EpochRecord } from './records.js';
import { TbpttLoop } from './tbptt.js';
import type { TrainConfig, TrainHooks } from './trainConfig.js';

export type { EpochRecord, TrainConfig, TrainHooks };

export interface TrainResult {
  readonly model: Sequential;
  readonly stoppedBecause: 'epochs' | 'time-limit' | 'char-limit' | 'stop-requested';
  readonly history: readonly EpochRecord[];
  readonly validationBpc: number;
}

// The error a diverged run stops with; the previous checkpoint is kept.
export { TrainingDivergedError };

export async function trainLanguageModel(config: TrainConfig, hooks: TrainHooks): Promise<TrainResult> {
  // Before the corpus is read: a bad --out is reported at once, and nothing is created yet.
  checkOutputDirectory(config.out, 'out');
  curveEvery(config.curveEvery); // refused before anything is read or written
  checkCharLimit(config.charLimit);
  // A stop while the texts are read (nothing is written by then) rejects with the signal's reason, as an
  // aborted fetch does: there is no model yet to return.
  const run = await startOrResume(config, hooks.log, hooks.stopSignal);
  const { model, state, vocabulary, ids, resumed } = run;
  // The last 5% of the corpus is held out, unless a validation file is given.
  const { train: trainIds, validation: validationIds } = run.validationIds
    ? { train: ids, validation: run.validationIds }
    : holdOut(ids);
  // On a resume these are the checkpoint's (the data position is counted in its windows).
  const streams = new TextStreams(trainIds, state.batch, state.seqLen);
  checkValidationIds(validationIds, config.validationFile ?? null);
  checkResumePosition(state.window, streams, config.out);
  const sampler = new Random(0);
  sampler.setState(state.samplerRng);
  const stoppedBeforeTraining = (): TrainResult => {
    hooks.log(
      resumed
        ? `stopped before training: the checkpoint in ${config.out} is as it was (continue with --resume)`
        : `stopped before training: nothing was trained, and nothing written to ${config.out}`,
    );
    const last = state.history[state.history.length - 1];
    return {
      model,
      stoppedBecause: 'stop-requested',
      history: state.history,
      validationBpc: last?.validationBpc ?? NaN,
    };
  };
  // A signal after the last chunk of the texts was read is seen here.
  if (hooks.stopSignal?.aborted) return stoppedBeforeTraining();
  // With workers, each holds the carried states of its streams; the model here gets them back before a
  // checkpoint. A batch smaller than the worker count uses fewer workers.
  const microbatchSize = checkMicrobatchSize(config.microbatchSize, 'microbatchSize');
  const workers = await trainerThreads({
    workers: config.workers ?? 1,
    subject: 'workers',
    // Whole micro-batches to each worker: more workers than micro-batches would wait.
    maxWorkers: microbatchSize === undefined ? state.batch : Math.ceil(state.batch / microbatchSize),
  });
  // Their start-up takes a while (seconds on a busy machine), and a stop cuts it short.
  if (workers > 1) hooks.log(`starting ${workers} worker threads…`);
  let trainer: Trainer;
  try {
    trainer = await openTrainer(model, {
      workers,
      subject: 'workers',
      signal: hooks.stopSignal,
      microbatchSize,
    });
  } catch (e) {
    if (hooks.stopSignal?.aborted && e === hooks.stopSignal.reason) return stoppedBeforeTraining();
    throw e;
  }
  try {
    // Made once training can start: a run stopped before it leaves no empty directory behind.
    makeOutputDirectory(config.out, 'out');
    return await trainEpochs({
      config,
      hooks,
      trainer,
      state,
      streams,
      sampler,
      validationIds,
      vocabularySize: vocabulary.size,
      resumed,
    });
  } finally {
    await trainer.close();
  }
}

/** Everything one run's epochs work on. */
interface RunContext {
  readonly config: TrainConfig;
  readonly hooks: TrainHooks;
  readonly trainer: Trainer;
  /** The checkpoint's record, kept up to date window by window. */
  readonly state: TrainingState;
  readonly streams: TextStreams;
  /** Draws the seeds of the samples printed after each epoch. */
  readonly sampler: Random;
  readonly validationIds: TokenIds;
  readonly vocabularySize: number;
  /** Whether the run continues a checkpoint (which is then a good one, kept until a new one passes). */
  readonly resumed: boolean;
}

/**
 * Lets pending events run: the Ctrl-C and SIGTERM handlers among them. On this thread a step is synchronous
 * work behind an already-resolved promise, and awaiting it drains only microtasks, so without this a signal
 * waited for the epoch's end (where the checkpoint's file writes yield). A setImmediate round costs
 * microseconds; a window takes milliseconds.
 */
function yieldToEvents(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * The bits per character of `ids`, scored a window at a time with pending events run in between (a
 * validation pass takes seconds on a large text); null when `stop` is aborted before the end.
 */
async function scoreUnlessStopped(
  model: Sequential,
  ids: TokenIds,
  batch: number,
  seqLen: number,
  stop: AbortSignal | undefined,
): Promise<number | null> {
  const windows = scoreWindows(model, ids, batch, seqLen);
  for (;;) {
    const next = windows.next();
    if (next.done) return next.value.bpc;
    await yieldToEvents();
    if (stop?.aborted) return null;
  }
}

/**
 * The epochs from the state's position on: windows until the epoch ends (then validate, sample, record,
 * checkpoint), the epoch limit is reached, or a stop or the time or character limit cuts it short
 * (checkpoint and stop).
 */
async function trainEpochs(run: RunContext): Promise<TrainResult> {
  const { config, hooks, trainer, state, streams, sampler, validationIds } = run;
  const { model } = trainer;
  const { batch, seqLen } = state;
  const V = run.vocabularySize;
  // Whether a good checkpoint is in config.out: the one resumed from, or one this run wrote.
  let checkpointed = run.resumed;
  const diverged = (what: string, expected: string, actual: number) =>
    new TrainingDivergedError(
      'training',
      `${what}; ${
        checkpointed
          ? `the last good checkpoint in ${config.out} is kept`
          : `no checkpoint was written to ${config.out}`
      } (try a lower --lr or --clip-norm)`,
      expected,
      actual,
    );
  const lossLimit = `a loss below ${explosionThreshold(V).toFixed(2)} nats`;
  const loop = new TbpttLoop(
    trainer,
    streams,
    V,
    (loss, window) =>
      diverged(
        `the loss ${Number.isFinite(loss) ? 'exploded' : 'is not finite'} at epoch ${state.epoch + 1}, window ${window}`,
        lossLimit,
        loss,
      ),
    state.window,
  );
  /**
   * The divergence guard, before every checkpoint: the last update is checked by no training loss, so the
   * weights must be finite (checked before they are scored: a layer refuses non-finite weights) and their
   * validation loss, in bits per character, finite and not exploded.
   */
  const checkFiniteWeights = () => {
    const bad = firstNonFinite(model.values, model.entries);
    if (bad) {
      throw diverged(
        `weight '${bad.entry.name}' [${bad.index}] is not finite at epoch ${state.epoch + 1}, window ${state.window}`,
        'finite weights',
        bad.value,
      );
    }
  };
  const checkValidation = (validationBpc: number) => {
    const nats = validationBpc * Math.LN2;
    if (hasDiverged(nats, V)) {
      throw diverged(
        `the validation loss ${Number.isFinite(nats) ? 'exploded' : 'is not finite'} at epoch ${state.epoch + 1}, window ${state.window}`,
        lossLimit,
        nats,
      );
    }
  };
  /** The validation pass over the whole text; null: a stop cut it short, and its score is dropped. */
  const validate = async (): Promise<number | null> => {
    checkFiniteWeights();
    const bpc = await scoreUnlessStopped(model, validationIds, batch, seqLen, hooks.stopSignal);
    if (bpc !== null) checkValidation(bpc);
    return bpc;
  };
  // Every caller has validated the weights since the last update (`validate`, `quickValidation`).
  const checkpoint = async () => {
    await saveCheckpoint(trainer, state, sampler, config.out);
    checkpointed = true;
  };
  // A stop's checkpoint is checked on one window's worth of validation text: the whole of it can take longer
  // than the second a signal's stop is allowed.
  const quickValidation = () => {
    checkFiniteWeights();
    checkValidation(scoreText(model, validationIds.subarray(0, batch * seqLen + 1), batch, seqLen).bpc);
  };
  /** A stop's checkpoint, at the position reached (`why` follows "stopped" in the log). */
  const stopHere = async (why = '') => {
    quickValidation();
    await checkpoint();
    hooks.log(`stopped${why}: checkpoint saved in ${config.out} (continue with --resume)`);
  };
  const curve = (state.curve ??= emptyStepCurve());
  const windowsPerPoint = curveEvery(config.curveEvery);

  const started = performance.now();
  const secondsSoFar = state.seconds;
  const elapsed = () => secondsSoFar + (performance.now() - started) / 1000;
  const totalEpochs = config.epochs ?? Infinity;
  const charLimitReached = () => config.charLimit != null && state.chars >= config.charLimit;
  const timeLimitReached = () => config.timeLimitSeconds !== null && elapsed() >= config.timeLimitSeconds;
  let timeLimitAtEpochEnd = false;
  let stoppedBecause: TrainResult['stoppedBecause'] = 'epochs';
  // A resume whose character limit is already reached trains nothing, as one whose epochs are done; unless
  // it stopped at an epoch's end before validating it, which the epoch's end below then finishes.
  if (charLimitReached() && !loop.epochDone) {
    stoppedBecause = 'char-limit';
    hooks.log(
      `the character limit ${config.charLimit} is reached (${state.chars} characters trained): nothing to train`,
    );
  }

  training: while (state.epoch < totalEpochs && stoppedBecause !== 'char-limit') {
    const progress = new Progress(
      hooks.progress,
      Number.isFinite(totalEpochs) ? totalEpochs : state.epoch + 1,
      streams.windowsPerEpoch,
      1,
      () => Date.now(),
      'chars',
    );
    progress.startEpoch(state.epoch);
    while (!loop.epochDone) {
      const { loss, chars } = await loop.step();
      state.window = loop.window;
      state.chars += chars;
      state.epochNats += loss * chars;
      state.epochChars += chars;
      await yieldToEvents();
      const epochBpc = state.epochNats / state.epochChars / Math.LN2;
      const at = state.epoch + state.window / streams.windowsPerEpoch;
      addWindow(curve, windowsPerPoint, loss, chars, at, state.chars);
      progress.batchDone(state.window - 1, chars, { loss, bpc: epochBpc });
      // At an epoch's last window either limit waits for the epoch's end (its validation, record and
      // checkpoint), and stops there: a partial-epoch record here would repeat the epoch's at a resume.
      const outOfTime = timeLimitReached() && !loop.epochDone;
      const outOfChars = charLimitReached() && !loop.epochDone;
      // Taken here, at the last window: the time the epoch's end then spends (validation, sample,
      // checkpoint) must not stop a run that had time left when its training ended.
      timeLimitAtEpochEnd = loop.epochDone && timeLimitReached();
      if (hooks.stopRequested() || outOfTime || outOfChars) {
        state.seconds = elapsed();
        stoppedBecause = 'stop-requested';
        if (!outOfTime && !outOfChars) {
          hooks.progress.write('\n');
          await stopHere();
          break training;
        }
        // The end of the run: a validation score for the partial epoch, recorded at its fractional epoch.
        progress.validating(validationIds.length);
        const validationBpc = await validate();
        hooks.progress.write('\n');
        if (validationBpc === null) {
          // A signal during it: the run stops as it would have without the time limit.
          await stopHere(' (the validation pass was interrupted)');
          break training;
        }
        state.history.push({
          epoch: state.epoch + state.window / streams.windowsPerEpoch,
          chars: state.chars,
          trainBpc: epochBpc,
          validationBpc,
          seconds: state.seconds,
        });
        hooks.onRecord?.(state.history[state.history.length - 1]);
        await writeRecords(config.out, state.history, curve.points);
        await checkpoint();
        stoppedBecause = outOfChars ? 'char-limit' : 'time-limit';
        const limit = outOfChars ? `character limit (${state.chars} characters)` : 'time limit';
        hooks.log(`${limit} reached: checkpoint saved in ${config.out} (continue with --resume)`);
        break training;
      }
    }

    // End of an epoch: validate, sample, record, checkpoint.
    const trainBpc = state.epochNats / state.epochChars / Math.LN2;
    progress.validating(validationIds.length);
    const validationBpc = await validate();
    state.seconds = elapsed();
    if (validationBpc === null) {
      // A signal during the validation pass: the checkpoint is the epoch's trained weights at its last
      // window, without a record; a resume starts at the epoch's end, validates them from the start (the
      // score does not depend on when it is taken) and goes on as this run would have.
      stoppedBecause = 'stop-requested';
      hooks.progress.write('\n');
      await stopHere(' during validation (a resume repeats it)');
      break;
    }
    const record: EpochRecord = {
      epoch: state.epoch + 1,
      chars: state.chars,
      trainBpc,
      validationBpc,
      seconds: state.seconds,
    };
    state.history.push(record);
    hooks.onRecord?.(record);
    progress.epochDone({ bpc: trainBpc, val_bpc: validationBpc });
    const sample = [
      ...generateText(model, {
        length: config.sampleLength ?? 160,
        temperature: 0.8,
        seed: sampler.nextUint32(),
      }),
    ].join('');
    hooks.log(`sample: ${JSON.stringify(sample)}`);
    state.epoch++;
    loop.nextEpoch();
    state.window = loop.window;
    state.epochNats = 0;
    state.epochChars = 0;
    await checkpoint();
    await writeRecords(config.out, state.history, curve.points);
    if (state.epoch < totalEpochs && timeLimitAtEpochEnd) {
      stoppedBecause = 'time-limit';
      hooks.log(
        `time limit reached at the end of epoch ${state.epoch}: checkpoint saved in ${config.out} (continue with --resume)`,
      );
      break;
    }
    if (state.epoch < totalEpochs && charLimitReached()) {
      stoppedBecause = 'char-limit';
      hooks.log(
        `character limit (${state.chars} characters) reached at the end of epoch ${state.epoch}: checkpoint saved in ${config.out} (continue with --resume)`,
      );
      break;
    }
    if (state.epoch < totalEpochs && hooks.stopRequested()) {
      // A signal during the epoch's end: this checkpoint is the stop's.
      stoppedBecause = 'stop-requested';
      hooks.log(`stopped: checkpoint saved in ${config.out} (continue with --resume)`);
      break;
    }
  }
  // Not after a stop, which must be quick (the chart's first drawing alone loads Vega, near a second on a
  // busy machine): the records stay those of the last epoch's end or time limit, and the step points since
  // are in the checkpoint, from which the resumed run writes them.
  if (stoppedBecause !== 'stop-requested') await writeRecords(config.out, state.history, curve.points);
  const last = state.history[state.history.length - 1];
  return { model, stoppedBecause, history: state.history, validationBpc: last?.validationBpc ?? NaN };
}

/** `charLimit`: a positive whole number of characters, or none. */
function checkCharLimit(charLimit: number | null | undefined): void {
  if (charLimit == null) return;
  if (!Number.isSafeInteger(charLimit) || charLimit < 1) {
    throw new ValueError(
      'charLimit',
      'must be a whole number of characters',
      'a positive integer or null',
      charLimit,
    );
  }
}
