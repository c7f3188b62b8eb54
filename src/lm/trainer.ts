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
 * atomically at every epoch, when the time limit is reached and when a stop is requested (Ctrl-C,
 * SIGTERM); `resume` continues from one exactly where it stopped. A non-finite or exploding loss stops
 * training with an error and leaves the last good checkpoint in place.
 */
// Namespace imports: this module is reachable from the package entry (nl.lm), which browsers load too;
// bundlers stub node: modules there, and only a named import fails at load time.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CharVocabulary } from '../data/text/charVocabulary.js';
import { loadCorpus } from '../data/text/corpus.js';
import { holdOut, TextStreams } from '../data/text/streams.js';
import { ValueError } from '../errors.js';
import { writeFileAtomic } from '../io/atomicFile.js';
import { loadModel, saveModel } from '../io/index.js';
import { Recurrent } from '../layers/recurrent.js';
import type { Sequential } from '../models/sequential.js';
import { DataParallel, resolveWorkers } from '../parallel/pool.js';
import { Random } from '../random.js';
import { lineChartSvg } from '../report/charts.js';
import { tensor } from '../tensor.js';
import { adam } from '../training/optimizers.js';
import { Progress, type ProgressSink } from '../training/progress.js';
import { explosionThreshold, hasDiverged, TrainingDivergedError } from './divergence.js';
import { scoreText } from './evaluate.js';
import { generateText } from './generate.js';
import { buildLanguageModel, languageModelConfig, type LmCell } from './languageModel.js';

export interface TrainConfig {
  /** A file path or 'builtin:moby-dick'. */
  readonly corpus: string;
  /** Validation text; absent: the last 5% of the corpus is held out. */
  readonly validationFile?: string | null;
  readonly cell: LmCell;
  readonly units: number;
  readonly layers: number;
  readonly embeddingDim: number;
  readonly dropout: number;
  readonly seqLen: number;
  readonly batch: number;
  readonly learningRate: number;
  readonly clipNorm: number;
  /** Stop after this many epochs in all (counting those before a resume); null: no limit. */
  readonly epochs: number | null;
  /** Stop (with a checkpoint) after this many seconds of this run; null: no limit. */
  readonly timeLimitSeconds: number | null;
  readonly seed: number;
  /** The model directory: the checkpoint, metrics.csv and learning-curve.svg. */
  readonly out: string;
  /**
   * Continue the checkpoint in `out`. The model, batch and sequence length then come from the checkpoint;
   * the learning rate too, unless `overrideLearningRate`.
   */
  readonly resume: boolean;
  readonly overrideLearningRate?: boolean;
  readonly sampleLength?: number;
  /**
   * Split each batch's streams over this many worker threads (parallel/pool.ts), or 'auto' for one per
   * core; 1 trains on this thread. Default 1.
   */
  readonly workers?: number | 'auto';
}

export interface TrainHooks {
  /** One line of news (epoch summaries, checkpoints). */
  readonly log: (line: string) => void;
  /** Where the live progress line goes. */
  readonly progress: ProgressSink;
  /** Polled after every step: true asks training to checkpoint and stop (Ctrl-C, SIGTERM). */
  readonly stopRequested: () => boolean;
}

export interface EpochRecord {
  readonly epoch: number;
  readonly chars: number;
  readonly trainBpc: number;
  readonly validationBpc: number;
  readonly seconds: number;
}

export interface TrainResult {
  readonly model: Sequential;
  readonly stoppedBecause: 'epochs' | 'time-limit' | 'stop-requested';
  readonly history: readonly EpochRecord[];
  readonly validationBpc: number;
}

// The error a diverged run stops with; the previous checkpoint is kept.
export { TrainingDivergedError };

/** What a checkpoint records besides the model and optimizer. */
interface TrainingState {
  corpus: string;
  corpusSha256: string;
  validationSha256: string;
  seqLen: number;
  batch: number;
  /** Completed epochs, and the next window of the current one. */
  epoch: number;
  window: number;
  chars: number;
  seconds: number;
  samplerRng: (number | null)[];
  /** Carried states of each recurrent layer ([h] or [h, c], each [batch · units]), as plain arrays (JSON). */
  states: (number[][] | null)[];
  history: EpochRecord[];
  /** Sum of the training loss (nats) and characters in the current epoch so far. */
  epochNats: number;
  epochChars: number;
}

const CHECKPOINT_FILE = 'model.json';

function sha256(text: string): string {
  return crypto.createHash('sha256').update(text).digest('hex');
}

function recurrentLayers(model: Sequential): Recurrent[] {
  return model.layers.filter((l): l is Recurrent => l instanceof Recurrent);
}

export async function trainLanguageModel(config: TrainConfig, hooks: TrainHooks): Promise<TrainResult> {
  const text = loadCorpus(config.corpus);
  const resuming = config.resume && fs.existsSync(path.join(config.out, CHECKPOINT_FILE));
  if (config.resume && !resuming) hooks.log(`no checkpoint in ${config.out}: starting a new run`);

  const validationText = config.validationFile ? loadCorpus(config.validationFile) : null;
  let model: Sequential;
  let state: TrainingState;
  let vocabulary: CharVocabulary;
  if (resuming) {
    model = await loadModel(config.out);
    const lm = languageModelConfig(model);
    vocabulary = CharVocabulary.fromJSON(lm.vocabulary);
    state = (model.metadata as { training?: TrainingState }).training!;
    if (!state || state.corpusSha256 !== sha256(text)) {
      throw new ValueError(
        'resume',
        `the corpus differs from the one the checkpoint in ${config.out} was trained on`,
        state?.corpus ?? 'a training record',
        config.corpus,
      );
    }
    if (state.seqLen !== config.seqLen || state.batch !== config.batch) {
      hooks.log(`continuing with the checkpoint's batch ${state.batch} and sequence length ${state.seqLen}`);
    }
    const optimizer = model.compiled?.optimizer;
    if (optimizer && config.overrideLearningRate && optimizer.learningRate !== config.learningRate) {
      hooks.log(`learning rate ${optimizer.learningRate} → ${config.learningRate}`);
      optimizer.learningRate = config.learningRate;
    }
    recurrentLayers(model).forEach((layer, i) => {
      const saved = state.states[i];
      if (!saved) layer.resetStates();
      else
        layer.resetStates(
          saved.map((values) => tensor(Float32Array.from(values), [state.batch, layer.units])),
        );
    });
    hooks.log(`resuming ${config.out} at epoch ${state.epoch + 1}, window ${state.window}`);
  } else {
    vocabulary = CharVocabulary.fromText(text);
    model = buildLanguageModel(
      {
        cell: config.cell,
        units: config.units,
        layers: config.layers,
        embeddingDim: config.embeddingDim,
        dropout: config.dropout,
        vocabulary: vocabulary.toJSON(),
      },
      config.seed,
    );
    model.compile({
      optimizer: adam({ learningRate: config.learningRate, clipNorm: config.clipNorm }),
      loss: 'sparseCategoricalCrossentropy',
    });
    state = {
      corpus: config.corpus,
      corpusSha256: sha256(text),
      validationSha256: sha256(validationText ?? ''),
      seqLen: config.seqLen,
      batch: config.batch,
      epoch: 0,
      window: 0,
      chars: 0,
      seconds: 0,
      samplerRng: new Random(config.seed ^ 0x5eed).getState(),
      states: [],
      history: [],
      epochNats: 0,
      epochChars: 0,
    };
  }
  // The last 5% of the corpus is held out, unless a validation file is given (its characters outside the
  // training vocabulary are skipped: the model cannot predict them).
  const ids = vocabulary.encode(text);
  const { train: trainIds, validation: validationIds } = validationText
    ? { train: ids, validation: vocabulary.encode(validationText, 'skip') }
    : holdOut(ids);
  // On a resume these are the checkpoint's (the data position is counted in its windows).
  const batch = state.batch;
  const seqLen = state.seqLen;
  const streams = new TextStreams(trainIds, batch, seqLen);
  const sampler = new Random(0);
  sampler.setState(state.samplerRng);
  const V = vocabulary.size;
  fs.mkdirSync(config.out, { recursive: true });
  // With workers, each holds the carried states of its streams; the model here gets them back before a
  // checkpoint. A batch smaller than the worker count uses fewer workers.
  const workers = Math.min(await resolveWorkers(config.workers ?? 1, 'workers'), batch);
  const pool = workers > 1 ? await DataParallel.create(model, { workers }) : null;
  try {
    return await trainWith(pool);
  } finally {
    await pool?.close();
  }

  async function trainWith(pool: DataParallel | null): Promise<TrainResult> {
    const checkpoint = async (): Promise<void> => {
      await pool?.copyStatesToModel();
      state.samplerRng = sampler.getState();
      state.states = recurrentLayers(model).map(
        (layer) => layer.getStates()?.map((s) => Array.from(s.data)) ?? null,
      );
      model.metadata = { ...model.metadata, training: state as never };
      await saveModel(model, config.out);
    };

    const started = performance.now();
    const secondsSoFar = state.seconds;
    const elapsed = () => secondsSoFar + (performance.now() - started) / 1000;
    const totalEpochs = config.epochs ?? Infinity;
    let stoppedBecause: TrainResult['stoppedBecause'] = 'epochs';

    training: while (state.epoch < totalEpochs) {
      const progress = new Progress(
        hooks.progress,
        Number.isFinite(totalEpochs) ? totalEpochs : state.epoch + 1,
        streams.windowsPerEpoch,
        1,
        () => Date.now(),
        'chars',
      );
      progress.startEpoch(state.epoch);
      if (state.window === 0) {
        model.resetStates();
        await pool?.resetStates();
      }
      for (; state.window < streams.windowsPerEpoch;) {
        const win = streams.window(state.window);
        const x = tensor(win.inputs, [win.B, win.S], 'int32');
        const y = tensor(win.targets, [win.B, win.S], 'int32');
        const loss = pool
          ? (model.report(await pool.trainStep(x, y)) as number)
          : (model.trainOnBatch(x, y) as number);
        if (hasDiverged(loss, V)) {
          throw new TrainingDivergedError(
            'training',
            `the loss ${Number.isFinite(loss) ? 'exploded' : 'is not finite'} at epoch ${state.epoch + 1}, window ${state.window}; the last good checkpoint in ${config.out} is kept (try a lower --lr or --clip-norm)`,
            `a loss below ${explosionThreshold(V).toFixed(2)} nats`,
            loss,
          );
        }
        state.window++;
        state.chars += win.B * win.S;
        state.epochNats += loss * win.B * win.S;
        state.epochChars += win.B * win.S;
        const epochBpc = state.epochNats / state.epochChars / Math.LN2;
        progress.batchDone(state.window - 1, win.B * win.S, { loss, bpc: epochBpc });
        const outOfTime = config.timeLimitSeconds !== null && elapsed() >= config.timeLimitSeconds;
        if (hooks.stopRequested() || outOfTime) {
          state.seconds = elapsed();
          hooks.progress.write('\n');
          if (outOfTime) {
            // The end of the run: a validation score for the partial epoch, recorded at its fractional epoch.
            const partial = scoreText(model, validationIds, batch, seqLen);
            state.history.push({
              epoch: state.epoch + state.window / streams.windowsPerEpoch,
              chars: state.chars,
              trainBpc: epochBpc,
              validationBpc: partial.bpc,
              seconds: state.seconds,
            });
            await writeRecords(config.out, state.history);
          }
          await checkpoint();
          stoppedBecause = outOfTime ? 'time-limit' : 'stop-requested';
          hooks.log(
            `${outOfTime ? 'time limit reached' : 'stopped'}: checkpoint saved in ${config.out} (continue with --resume)`,
          );
          break training;
        }
      }

      // End of an epoch: validate, sample, record, checkpoint.
      const trainBpc = state.epochNats / state.epochChars / Math.LN2;
      const validation = scoreText(model, validationIds, batch, seqLen);
      state.seconds = elapsed();
      const record: EpochRecord = {
        epoch: state.epoch + 1,
        chars: state.chars,
        trainBpc,
        validationBpc: validation.bpc,
        seconds: state.seconds,
      };
      state.history.push(record);
      progress.epochDone({ bpc: trainBpc, val_bpc: validation.bpc });
      const sample = [
        ...generateText(model, {
          length: config.sampleLength ?? 160,
          temperature: 0.8,
          seed: sampler.nextUint32(),
        }),
      ].join('');
      hooks.log(`sample: ${JSON.stringify(sample)}`);
      state.epoch++;
      state.window = 0;
      state.epochNats = 0;
      state.epochChars = 0;
      await checkpoint();
      await writeRecords(config.out, state.history);
    }
    await writeRecords(config.out, state.history);
    const last = state.history[state.history.length - 1];
    return { model, stoppedBecause, history: state.history, validationBpc: last?.validationBpc ?? NaN };
  }
}

/** metrics.csv and learning-curve.svg from the epoch records. */
async function writeRecords(dir: string, history: readonly EpochRecord[]): Promise<void> {
  const csv = [
    'epoch,chars,train_bpc,validation_bpc,seconds',
    ...history.map((r) =>
      [
        Number(r.epoch.toFixed(4)),
        r.chars,
        r.trainBpc.toFixed(5),
        r.validationBpc.toFixed(5),
        r.seconds.toFixed(1),
      ].join(','),
    ),
  ].join('\n');
  await writeFileAtomic(path.join(dir, 'metrics.csv'), `${csv}\n`);
  if (history.length === 0) return;
  const svg = await lineChartSvg(
    history.flatMap((r) => [
      { x: r.epoch, series: 'training', y: r.trainBpc },
      { x: r.epoch, series: 'validation', y: r.validationBpc },
    ]),
    { title: 'Learning curve', xTitle: 'epoch', yTitle: 'bits per character' },
  );
  await writeFileAtomic(path.join(dir, 'learning-curve.svg'), svg);
}
