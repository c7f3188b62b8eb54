/**
 * The page's worker: trains the character language model with truncated backpropagation through time
 * (the window loop of the Node trainer, lm/tbptt.ts: the same TextStreams windows, stateful layers and
 * divergence check), generates text, and turns the model into a file and back. Everything heavy happens here so that the
 * page stays responsive.
 *
 * It runs on the WebAssembly engine (loaded before the first message is handled), and splits each
 * training window's streams over Web Workers, one per core (a pooled Trainer, src/training/trainer.ts, with
 * webWorkers.ts):
 * each replica carries the states of its own streams from window to window. Validation, generation and
 * the gate traces run here, on copies of this worker's model, which holds the weights.
 *
 * One loop does one unit of work at a time — a training window, or a few generated characters — and
 * returns to the event loop in between, so pause, stop, generate and save messages are handled within one
 * window's time. Generation goes first when asked for: it reads the model between two training steps.
 * Messages are handled one at a time, in order (a 'train' that is still starting its workers finishes
 * before a 'stop' is read).
 */
import {
  buildLanguageModel,
  ConfigError,
  generateText,
  languageModelConfig,
  modelFromBytes,
  modelFromFiles,
  modelToBytes,
  openTrainer,
  optimizers,
  scoreText,
  text,
  traceGates,
  TrainingDivergedError,
  useFastKernels,
  useReferenceKernels,
  ValueError,
  type Sequential,
  type Trainer,
} from '../src/index.js';
import { TbpttLoop, type WindowResult } from '../src/lm/tbptt.js';
import { availableCores } from '../src/parallel/pool.js';
import type {
  EngineInfo,
  FromWorker,
  GenerateSettings,
  ModelSummary,
  NamedFile,
  ToWorker,
  TrainSettings,
} from './protocol.js';
import { spawnWebWorker } from './webWorkers.js';

/** Validation is scored on at most this many held-out characters, so that it takes a moment, not minutes. */
const VALIDATION_CHARS = 4000;
/** Seconds (on the clock) between two validation scores. */
const VALIDATE_EVERY_SECONDS = 3;
/** Generated characters per turn of the loop: streams smoothly, lets messages in between. */
const CHARS_PER_TURN = 4;

interface Training {
  readonly settings: TrainSettings;
  readonly streams: text.TextStreams;
  readonly validationIds: Int32Array;
  readonly totalSteps: number;
  /** Steps on this worker, or split over a pool of Web Workers. */
  readonly trainer: Trainer;
  readonly windows: TbpttLoop;
  step: number;
  chars: number;
  /** Seconds spent training and validating (not paused, not idle), for throughput and ETA. */
  busySeconds: number;
  /** performance.now() at the last validation score. */
  lastValidationAt: number;
}

interface Generation {
  readonly id: number;
  readonly pieces: Iterator<string>;
}

const scope = self as unknown as {
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
};

let model: Sequential | null = null;
let training: Training | null = null;
/** The training step under way (awaiting the workers), so that a save can wait for its update. */
let stepping: Promise<void> | null = null;
let paused = false;
let generation: Generation | null = null;
let wake: (() => void) | null = null;
/** Set while a save reads the model: weights and optimizer moments must come from the same step. */
let saving = false;

function post(message: FromWorker, transfer: Transferable[] = []): void {
  scope.postMessage(message, transfer);
}

function fail(error: unknown): void {
  const e = error instanceof Error ? error : new Error(String(error));
  post({ type: 'error', name: e.name, message: e.message });
}

/**
 * The engine, loaded once at start; every message waits for it. A browser without WebAssembly SIMD gets
 * the reference kernels (the page says so); an engine that fails to load for another reason (e.g. the
 * .wasm file missing from a hand-made deployment) too, with the reason.
 */
async function loadEngine(): Promise<EngineInfo> {
  const cores = await availableCores();
  let info: EngineInfo;
  try {
    info = { backend: await useFastKernels(), cores, problem: null };
  } catch (error) {
    useReferenceKernels();
    info = { backend: 'reference', cores, problem: (error as Error).message };
  }
  post({ type: 'engine', engine: info });
  return info;
}

const engine = loadEngine();

/**
 * Workers for a batch of `batch` streams: one per core, and no more than streams (each needs a row). One
 * means no pool: this worker trains by itself, without copying the batch to another.
 */
function workersFor(batch: number, cores: number): number {
  // Browsers without nested workers (Safari before 15.5) cannot start any from here.
  if (typeof Worker === 'undefined') return 1;
  return Math.max(1, Math.min(cores, batch));
}

function summary(m: Sequential): ModelSummary {
  const config = languageModelConfig(m);
  return {
    cell: config.cell,
    units: config.units,
    layers: config.layers,
    vocabularySize: config.vocabulary.length,
    parameters: m.values.length,
  };
}

async function startTraining(corpus: string, settings: TrainSettings): Promise<void> {
  const vocabulary = text.CharVocabulary.fromText(corpus);
  const { train, validation } = text.holdOut(vocabulary.encode(corpus));
  if (train.length < settings.batch * settings.seqLen + 1) {
    throw new ValueError(
      'text',
      'is too short for one training window',
      `more than ${Math.ceil((settings.batch * settings.seqLen + 1) / 0.95)} characters`,
      corpus.length,
    );
  }
  const m = buildLanguageModel(
    {
      cell: settings.cell,
      units: settings.units,
      layers: settings.layers,
      embeddingDim: settings.embeddingDim,
      dropout: 0,
      vocabulary: vocabulary.toJSON(),
    },
    settings.seed,
  );
  m.compile({
    optimizer: optimizers.adam({ learningRate: settings.learningRate, clipNorm: settings.clipNorm }),
    loss: 'sparseCategoricalCrossentropy',
  });
  const streams = new text.TextStreams(train, settings.batch, settings.seqLen);
  const workers = workersFor(settings.batch, (await engine).cores);
  const trainer = await openTrainer(m, { workers, spawn: spawnWebWorker, subject: 'workers' });
  model = m;
  const t: Training = {
    settings,
    streams,
    trainer,
    windows: new TbpttLoop(
      trainer,
      streams,
      vocabulary.size,
      (loss) =>
        new TrainingDivergedError(
          'training',
          `the loss ${Number.isFinite(loss) ? 'exploded' : 'is not finite'} at step ${t.step + 1} (try a lower learning rate)`,
          'a finite loss',
          loss,
        ),
    ),
    validationIds: validation.subarray(0, VALIDATION_CHARS),
    totalSteps: streams.windowsPerEpoch * settings.epochs,
    step: 0,
    chars: 0,
    busySeconds: 0,
    lastValidationAt: performance.now(),
  };
  training = t;
  paused = false;
  post({
    type: 'started',
    model: summary(m),
    trainChars: train.length,
    validationChars: t.validationIds.length,
    windowsPerEpoch: streams.windowsPerEpoch,
    workers,
  });
  validate(t, m);
  post({ type: 'state', state: 'training' });
}

function validate(t: Training, m: Sequential): void {
  if (t.validationIds.length < 2) return;
  const started = performance.now();
  const { bpc } = scoreText(m, t.validationIds, t.settings.batch, t.settings.seqLen);
  t.busySeconds += (performance.now() - started) / 1000;
  t.lastValidationAt = performance.now();
  post({ type: 'validation', step: t.step, chars: t.chars, bpc });
}

/** Ends a run: its workers stop (a step they were computing is dropped: see trainStep). */
function endTraining(t: Training | null): void {
  if (!t) return;
  if (training === t) training = null;
  void t.trainer.close();
}

/**
 * One TBPTT window: the states the previous window left are carried in the stateful layers — of this
 * worker's model, or with a pool, of each replica for its own streams.
 */
async function trainStep(t: Training, m: Sequential): Promise<void> {
  const started = performance.now();
  let window: WindowResult;
  try {
    window = await t.windows.step();
  } catch (error) {
    // Stopped (or replaced) while the workers computed: closing the pool fails the step; nothing to report.
    if (training !== t) return;
    if (error instanceof TrainingDivergedError) endTraining(t);
    throw error;
  }
  if (training !== t) return;
  if (t.windows.epochDone) t.windows.nextEpoch();
  t.busySeconds += (performance.now() - started) / 1000;
  const { loss, chars } = window;
  t.step++;
  t.chars += chars;
  const perStep = t.busySeconds / t.step;
  post({
    type: 'step',
    step: t.step,
    totalSteps: t.totalSteps,
    epoch: Math.floor((t.step - 1) / t.streams.windowsPerEpoch),
    chars: t.chars,
    bpc: loss / Math.LN2,
    charsPerSecond: t.chars / t.busySeconds,
    etaSeconds: (t.totalSteps - t.step) * perStep,
  });
  const epochDone = t.step % t.streams.windowsPerEpoch === 0;
  if (epochDone || performance.now() - t.lastValidationAt >= VALIDATE_EVERY_SECONDS * 1000) validate(t, m);
  if (t.step >= t.totalSteps) {
    endTraining(t);
    post({ type: 'state', state: 'finished' });
  }
}

function startGeneration(m: Sequential, s: GenerateSettings): void {
  const pieces = generateText(m, {
    prime: s.prime,
    length: s.length,
    temperature: s.temperature,
    ...(s.topK === null ? {} : { topK: s.topK }),
    seed: s.seed,
    unknown: 'skip',
  });
  generation = { id: s.id, pieces };
}

function generateTurn(g: Generation): void {
  let chunk = '';
  for (let i = 0; i < CHARS_PER_TURN; i++) {
    const next = g.pieces.next();
    if (next.done) {
      generation = null;
      post({ type: 'generated', id: g.id, text: chunk, done: true });
      return;
    }
    chunk += next.value;
  }
  post({ type: 'generated', id: g.id, text: chunk, done: false });
}

function requireModel(): Sequential {
  if (!model) throw new ConfigError('model', 'there is no model yet', 'train or load one', 'none');
  return model;
}

async function load(files: readonly NamedFile[]): Promise<void> {
  const loaded =
    files.length === 1 && files[0].name !== 'model.json'
      ? await modelFromBytes(files[0].bytes)
      : await modelFromFiles(files);
  const about = summary(loaded); // refuses models that are not character language models
  model = loaded;
  endTraining(training);
  generation = null;
  post({ type: 'loaded', model: about });
}

async function handle(message: ToWorker): Promise<void> {
  switch (message.type) {
    case 'train':
      generation = null;
      endTraining(training);
      await startTraining(message.text, message.settings);
      return;
    case 'pause':
      if (training) {
        paused = true;
        post({ type: 'state', state: 'paused' });
      }
      return;
    case 'resume':
      if (training) {
        paused = false;
        post({ type: 'state', state: 'training' });
      }
      return;
    case 'stop':
      if (training) {
        endTraining(training);
        post({ type: 'state', state: 'stopped' });
      }
      return;
    case 'generate':
      startGeneration(requireModel(), message.settings);
      return;
    case 'save': {
      const m = requireModel();
      saving = true;
      let bytes: Uint8Array;
      try {
        // A step under way applies its update when the workers answer: weights and moments must be read
        // after it, not half before and half after.
        await stepping?.catch(() => undefined);
        bytes = await modelToBytes(m);
      } finally {
        saving = false;
      }
      const { cell, units } = summary(m);
      post({ type: 'saved', bytes, name: `novolstm-${cell}-${units}.tar` }, [bytes.buffer]);
      return;
    }
    case 'load':
      await load(message.files);
      return;
    case 'gates':
      post({ type: 'gates', trace: traceGates(requireModel(), message.sample) });
      return;
  }
}

/** Messages in arrival order, one at a time, once the engine is loaded. */
let inbox: Promise<unknown> = engine;

scope.onmessage = (event) => {
  inbox = inbox
    .then(() => handle(event.data))
    .catch(fail)
    .finally(() => wake?.());
};

async function loop(): Promise<never> {
  for (;;) {
    try {
      if (generation) generateTurn(generation);
      else if (training && model && !paused && !saving) {
        stepping = trainStep(training, model);
        await stepping;
      } else await new Promise<void>((resolve) => (wake = resolve));
    } catch (error) {
      generation = null;
      fail(error);
    }
    wake = null;
    // Back to the event loop, so that waiting messages are handled before the next unit of work.
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

void loop();
