/**
 * Stopping `novolstm train` from outside, at one and two workers: Ctrl-C (SIGINT) and SIGTERM in the
 * middle of an epoch checkpoint and exit within a second, a second signal waits for the checkpoint, and the
 * checkpoint resumes bit for bit; SIGKILL at any moment leaves a checkpoint that loads and resumes. A signal
 * during a long validation pass or while the workers start stops within the second too: the pass is
 * dropped (the checkpoint is the epoch's weights before it, and the resume repeats it), the start-up ends
 * with nothing written.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { corpusVocabulary, encodeCorpus } from '../src/data/text/encodeCorpus.js';
import { TextStreams } from '../src/data/text/streams.js';
import { loadModel } from '../src/io/load.js';
import { useFastKernels, useReferenceKernels } from '../src/layers/backend.js';
import { scoreText } from '../src/lm/evaluate.js';
import { buildLanguageModel, languageModelConfig } from '../src/lm/languageModel.js';
import { trainLanguageModel, type TrainConfig, type TrainHooks } from '../src/lm/trainer.js';
import { DataParallel } from '../src/parallel/pool.js';
import type { WorkerEndpoint } from '../src/parallel/protocol.js';
import { adam } from '../src/training/optimizers.js';

/** The promise: a checkpoint written and the process gone within this long of the first signal. */
const STOP_WITHIN_MS = 1000;

const quiet: TrainHooks = {
  log: () => undefined,
  progress: { isTTY: false, write: () => true },
  stopRequested: () => false,
};

/** Words in a fixed but irregular order. */
function corpusText(length: number): string {
  const words = 'the whale and the sea call me ishmael some years ago never mind how long precisely'.split(
    ' ',
  );
  let s = '';
  for (let i = 0; s.length < length; i++)
    s += words[(i * 7 + (i >> 3)) % words.length] + (i % 11 === 10 ? '.\n' : ' ');
  return s;
}

/** One run's settings, as the CLI's flags and as the library's config. */
function settings(corpus: string, out: string, workers: number, validationFile: string | null = null) {
  const config: TrainConfig = {
    corpus,
    validationFile,
    cell: 'lstm',
    units: 15,
    layers: 1,
    embeddingDim: 7,
    dropout: 0.1,
    seqLen: 31,
    batch: 16,
    learningRate: 2e-3,
    clipNorm: 5,
    epochs: 2,
    timeLimitSeconds: null,
    seed: 7,
    out,
    resume: false,
    workers,
  };
  const flags = [
    ...['--corpus', corpus, '--out', out, '--cell', 'lstm', '--units', '15', '--layers', '1'],
    ...['--embedding', '7', '--dropout', '0.1', '--seq-len', '31', '--batch', '16', '--lr', '2e-3'],
    ...['--clip-norm', '5', '--epochs', '2', '--seed', '7', '--workers', String(workers)],
    ...(validationFile ? ['--val', validationFile] : []),
  ];
  return { config, flags };
}

function spawnCli(args: readonly string[]): { child: ChildProcess; stdout: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/bin.ts', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return { child, stdout: () => out };
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

interface TrainingRecord {
  epoch: number;
  window: number;
  history: { epoch: number; chars: number; trainBpc: number }[];
}

/** Signals `child` once, then again 5 ms later if it still runs; resolves with the ms to its exit. */
async function stopTwice(
  child: ChildProcess,
  exit: Promise<unknown>,
  signal: NodeJS.Signals,
): Promise<number> {
  const signalled = performance.now();
  child.kill(signal);
  // A second signal while the stop's checkpoint is being written must not end the process half-way.
  await new Promise((r) => setTimeout(r, 5));
  if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  await exit;
  return performance.now() - signalled;
}

/** Every file of a directory and its bytes. */
function snapshot(dir: string): Map<string, Buffer> {
  return new Map(readdirSync(dir).map((name) => [name, readFileSync(join(dir, name))]));
}

describe('signals during `novolstm train`', () => {
  const dir = mkdtempSync(join(tmpdir(), 'novolstm-signals-'));
  const corpus = join(dir, 'corpus.txt');
  // About two seconds an epoch on one idle thread: a signal half a second into the second lands mid-epoch.
  writeFileSync(corpus, corpusText(300_000));
  // Two epochs straight through at each worker count: what every stopped-and-resumed run must equal. The CLI
  // trains on the WebAssembly kernels, so these do too.
  const straight = new Map<number, Float32Array>();
  before(async () => {
    await useFastKernels();
    for (const workers of [1, 2]) {
      const { config } = settings(corpus, join(dir, `straight-${workers}`), workers);
      straight.set(workers, (await trainLanguageModel(config, quiet)).model.values);
    }
  });
  after(() => useReferenceKernels());

  for (const workers of [1, 2]) {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      it(`${signal} at ${workers} worker(s): a checkpoint and the exit within ${STOP_WITHIN_MS} ms, a second ${signal} waits for it, the resume is bit for bit`, async (t) => {
        const out = join(dir, `${signal}-${workers}`);
        const { config, flags } = settings(corpus, out, workers);
        const run = spawnCli(['train', ...flags]);
        const exit = exited(run.child);
        // The first epoch's records, written after its checkpoint: past the start-up (the workers' threads
        // take seconds on a busy machine) and the epoch's end, training the second epoch.
        await waitFor(() => existsSync(join(out, 'learning-curve.svg')), "the first epoch's records");
        await new Promise((r) => setTimeout(r, 400));
        const stopMs = await stopTwice(run.child, exit, signal);
        t.diagnostic(`exited ${stopMs.toFixed(0)} ms after ${signal}`);
        assert.ok(stopMs < STOP_WITHIN_MS, `exited ${stopMs.toFixed(0)} ms after ${signal}`);
        assert.match(run.stdout(), /stopped: checkpoint saved/);

        const checkpoint = await loadModel(out);
        const training = checkpoint.metadata.training as unknown as TrainingRecord;
        // Stopped in the middle of the second epoch, not at its end.
        assert.equal(training.epoch, 1, `checkpoint at epoch ${training.epoch}, window ${training.window}`);
        assert.ok(training.window > 0, `checkpoint at epoch ${training.epoch}, window ${training.window}`);

        const resumed = await trainLanguageModel({ ...config, resume: true }, quiet);
        assert.equal(resumed.stoppedBecause, 'epochs');
        assert.deepEqual(resumed.model.values, straight.get(workers));
      });
    }
  }

  for (const workers of [1, 2]) {
    it(`SIGKILL at ${workers} worker(s) at any moment: the last good checkpoint loads and resumes`, async () => {
      const out = join(dir, `SIGKILL-${workers}`);
      const small = join(dir, 'small.txt');
      writeFileSync(small, corpusText(1200));
      // Tiny epochs: a checkpoint every few milliseconds, so the kill lands in or near a save.
      const tiny = { cell: 'gru' as const, units: 4, layers: 1, embeddingDim: 2, seqLen: 8, batch: 2 };
      const run = spawnCli([
        ...['train', '--corpus', small, '--out', out, '--cell', 'gru', '--units', '4', '--layers', '1'],
        ...['--embedding', '2', '--seq-len', '8', '--batch', '2', '--lr', '2e-3', '--dropout', '0'],
        ...['--clip-norm', '5', '--seed', '3', '--workers', String(workers), '--epochs', '100000'],
      ]);
      const exit = exited(run.child);
      await waitFor(() => existsSync(join(out, 'metrics.csv')), 'the first checkpoint');
      await new Promise((r) => setTimeout(r, 777));
      run.child.kill('SIGKILL');
      assert.equal((await exit).signal, 'SIGKILL');
      const model = await loadModel(out);
      assert.equal(languageModelConfig(model).cell, 'gru');
      const { epoch } = model.metadata.training as unknown as TrainingRecord;
      assert.ok(epoch >= 1, `checkpointed epochs: ${epoch}`);
      const resumed = await trainLanguageModel(
        {
          ...settings(small, out, workers).config,
          ...tiny,
          dropout: 0,
          seed: 3,
          resume: true,
          epochs: epoch + 1,
        },
        quiet,
      );
      assert.equal(resumed.history.length, epoch + 1);
    });
  }
});

describe('signals during a validation pass and during the start-up', () => {
  const dir = mkdtempSync(join(tmpdir(), 'novolstm-signals-'));
  // Short epochs (41 windows) and a long validation pass: 2 million characters, about 1.5 s on a free core
  // (3.1 s measured at load 10 on the shared 2-core machine), so a signal a little after the pass begins
  // leaves more than a second of it.
  const corpus = join(dir, 'corpus.txt');
  writeFileSync(corpus, corpusText(20_000));
  const validation = join(dir, 'validation.txt');
  writeFileSync(validation, corpusText(2_000_000));
  const short = join(dir, 'short-validation.txt');
  writeFileSync(short, corpusText(600));
  const windowsPerEpoch = new TextStreams(encodeCorpus(corpus, corpusVocabulary(corpus)).ids, 16, 31)
    .windowsPerEpoch;
  before(() => useFastKernels());
  after(() => useReferenceKernels());

  /**
   * What a checkpoint's next epoch starts from, and its records' training figures (the time taken and the
   * validation text's score left out).
   */
  async function nextEpochStart(out: string) {
    const training = (await loadModel(out)).metadata.training as unknown as TrainingRecord &
      Record<string, unknown>;
    const { epoch, window, chars, epochNats, epochChars, samplerRng, states, curve, history } = training;
    return {
      ...{ epoch, window, chars, epochNats, epochChars, samplerRng, states, curve },
      history: history.map((r) => [r.epoch, r.chars, r.trainBpc]),
    };
  }

  /** `train` with these texts at `workers`, stopped by `signal` as soon as its output matches `marker`. */
  async function stopAt(
    marker: RegExp,
    out: string,
    workers: number,
    signal: NodeJS.Signals,
    extra: string[] = [],
  ) {
    const { flags } = settings(corpus, out, workers, validation);
    const run = spawnCli(['train', ...flags, ...extra]);
    const exit = exited(run.child);
    await waitFor(() => marker.test(run.stdout()), `${marker}`);
    const stopMs = await stopTwice(run.child, exit, signal);
    // A process ended by a signal has no exit code: the output then says which signal.
    const { signal: killedBy } = await exit;
    const output = run.stdout() + (killedBy ? `\n[ended by ${killedBy}]` : '');
    return { stopMs, output, code: run.child.exitCode };
  }

  for (const [workers, signal] of [
    [1, 'SIGINT'],
    [2, 'SIGTERM'],
  ] as const) {
    it(`${signal} during the validation pass at ${workers} worker(s): the checkpoint at the epoch's end without its record, within ${STOP_WITHIN_MS} ms${workers === 1 ? '; the resume repeats the pass and goes on bit for bit' : ''}`, async (t) => {
      const out = join(dir, `validation-${workers}`);
      const { stopMs, output, code } = await stopAt(/Epoch 1\/2 - validating on/, out, workers, signal);
      t.diagnostic(`exited ${stopMs.toFixed(0)} ms after ${signal}`);
      assert.ok(stopMs < STOP_WITHIN_MS, `exited ${stopMs.toFixed(0)} ms after ${signal}`);
      assert.equal(code, 0, output);
      assert.match(output, /stopped during validation \(a resume repeats it\): checkpoint saved/);

      // The epoch's weights after its last window, and no record of an epoch whose validation was cut short.
      const checkpoint = await loadModel(out);
      const training = checkpoint.metadata.training as unknown as TrainingRecord;
      assert.deepEqual(
        { epoch: training.epoch, window: training.window, records: training.history.length },
        { epoch: 0, window: windowsPerEpoch, records: 0 },
      );
      if (workers !== 1) return;

      // The resume validates the epoch's weights over the whole text and ends the epoch as a run that never
      // stopped: the same weights, training figures and position for the next epoch (its validation text
      // does not change them, so a short one keeps it quick), and the record's validation is the full pass.
      const { config } = settings(corpus, out, 1, validation);
      const resumed = await trainLanguageModel({ ...config, epochs: 1, resume: true }, quiet);
      const straightOut = join(dir, 'validation-straight');
      const straight = await trainLanguageModel(
        { ...settings(corpus, straightOut, 1, short).config, epochs: 1 },
        quiet,
      );
      assert.equal(resumed.stoppedBecause, 'epochs');
      assert.deepEqual(resumed.model.values, straight.model.values);
      assert.deepEqual(await nextEpochStart(out), await nextEpochStart(straightOut));
      const full = scoreText(
        checkpoint,
        encodeCorpus(validation, corpusVocabulary(corpus), 'skip').ids,
        16,
        31,
      );
      assert.equal(resumed.history[0].validationBpc, full.bpc);
    });
  }

  it('a stop requested before training starts rejects with its reason while the texts are read: nothing trained, nothing written', async () => {
    const out = join(dir, 'while-reading');
    const stop = new AbortController();
    stop.abort();
    await assert.rejects(
      trainLanguageModel(settings(corpus, out, 1, short).config, {
        ...quiet,
        stopRequested: () => stop.signal.aborted,
        stopSignal: stop.signal,
      }),
      (e) => e === stop.signal.reason,
    );
    assert.equal(existsSync(out), false, 'the output directory was made');
  });

  it(`SIGINT while an 80 MB corpus is read: the exit (code 130) within ${STOP_WITHIN_MS} ms, nothing written`, async (t) => {
    // Reading it takes about 2.5 s on a free core (two passes: its characters, then their ids).
    const big = join(dir, 'big-corpus.txt');
    writeFileSync(big, corpusText(100_000).repeat(800));
    const out = join(dir, 'reading');
    const { flags } = settings(big, out, 1);
    const run = spawnCli(['train', ...flags]);
    const exit = exited(run.child);
    await waitFor(() => /reading 80 MB of text/.test(run.stdout()), 'the reading');
    const stopMs = await stopTwice(run.child, exit, 'SIGINT');
    t.diagnostic(`exited ${stopMs.toFixed(0)} ms after SIGINT`);
    assert.ok(stopMs < STOP_WITHIN_MS, `exited ${stopMs.toFixed(0)} ms after SIGINT`);
    assert.equal(run.child.exitCode, 130, run.stdout());
    assert.match(
      run.stdout(),
      /stopped while reading the texts: nothing was trained, and nothing written to /,
    );
    assert.equal(existsSync(out), false, 'the output directory was made');
  });

  it("a stop during the time limit's validation pass: no partial record, the checkpoint at the window reached", async () => {
    const out = join(dir, 'time-limit');
    const stop = new AbortController();
    const result = await trainLanguageModel(
      { ...settings(corpus, out, 1, short).config, timeLimitSeconds: 1e-6 },
      {
        ...quiet,
        // The stop arrives as the pass begins, as a signal would (the CLI aborts this controller).
        progress: { isTTY: false, write: (text) => void (/validating on/.test(text) && stop.abort()) },
        stopRequested: () => stop.signal.aborted,
        stopSignal: stop.signal,
      },
    );
    assert.equal(result.stoppedBecause, 'stop-requested');
    assert.deepEqual(result.history, []);
    const training = (await loadModel(out)).metadata.training as unknown as TrainingRecord;
    assert.deepEqual(
      { epoch: training.epoch, window: training.window, records: training.history.length },
      { epoch: 0, window: 1, records: 0 },
    );
    assert.equal(existsSync(join(out, 'metrics.csv')), false, 'records of a stopped run were written');
  });

  it(
    'DataParallel.create: aborting its signal while the workers start rejects at once with its reason and terminates them, also when a terminated worker answers nothing (a Web Worker)',
    { timeout: 10_000 },
    async () => {
      const model = buildLanguageModel(
        { cell: 'gru', units: 3, layers: 1, embeddingDim: 2, dropout: 0, vocabulary: ['a', 'b', 'c'] },
        1,
      );
      model.compile({ optimizer: adam({ learningRate: 0.01 }), loss: 'sparseCategoricalCrossentropy' });
      let terminated = 0;
      // Workers that never finish starting: only the abort can end `create`.
      const neverReady = (): WorkerEndpoint => ({
        post: () => undefined,
        listen: () => undefined,
        terminate: () => void terminated++,
      });
      const stop = new AbortController();
      const created = DataParallel.create(model, { workers: 3, spawn: neverReady, signal: stop.signal });
      setTimeout(() => stop.abort(), 50);
      await assert.rejects(created, (e) => e === stop.signal.reason);
      assert.equal(terminated, 3);
      // Aborted before it is called: no worker is started.
      await assert.rejects(
        DataParallel.create(model, {
          workers: 2,
          spawn: () => assert.fail('a worker was started'),
          signal: stop.signal,
        }),
        (e) => e === stop.signal.reason,
      );
    },
  );

  it(`SIGINT while the workers start: they are terminated and the process exits within ${STOP_WITHIN_MS} ms, nothing written`, async (t) => {
    const out = join(dir, 'start-up');
    const { stopMs, output, code } = await stopAt(/starting 2 worker threads/, out, 2, 'SIGINT');
    t.diagnostic(`exited ${stopMs.toFixed(0)} ms after SIGINT`);
    assert.ok(stopMs < STOP_WITHIN_MS, `exited ${stopMs.toFixed(0)} ms after SIGINT`);
    assert.equal(code, 0, output);
    assert.match(output, /stopped before training: nothing was trained, and nothing written to /);
    assert.equal(existsSync(out), false, 'the output directory was made');
  });

  it('Ctrl-C pressed again and again while the start-up stops: the exit code, not ended by the signal', async () => {
    const out = join(dir, 'start-up-repeated');
    const { flags } = settings(corpus, out, 2, validation);
    const run = spawnCli(['train', ...flags]);
    let ended: { code: number | null; signal: NodeJS.Signals | null } | null = null;
    const exit = exited(run.child).then((e) => (ended = e));
    await waitFor(() => /starting 2 worker threads/.test(run.stdout()), 'the start-up');
    // A signal every millisecond until the process is gone: one lands while it ends, after its handlers
    // would have been closed by an exit through the event loop running dry.
    while (ended === null) {
      if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGINT');
      await new Promise((r) => setTimeout(r, 1));
    }
    const { code, signal } = await exit;
    assert.equal(signal, null, `ended by ${signal}:\n${run.stdout()}`);
    assert.equal(code, 0, run.stdout());
    assert.match(run.stdout(), /stopped before training: nothing was trained, and nothing written to /);
    assert.equal(existsSync(out), false, 'the output directory was made');
  });

  it(`SIGTERM while a resumed run's workers start: the checkpoint stays as it was, the exit within ${STOP_WITHIN_MS} ms`, async (t) => {
    const out = join(dir, 'start-up-resumed');
    await trainLanguageModel({ ...settings(corpus, out, 1, short).config, epochs: 1 }, quiet);
    const before = snapshot(out);
    const { flags } = settings(corpus, out, 2, short);
    const run = spawnCli(['train', ...flags, '--resume']);
    const exit = exited(run.child);
    await waitFor(() => /starting 2 worker threads/.test(run.stdout()), 'the start-up');
    const stopMs = await stopTwice(run.child, exit, 'SIGTERM');
    t.diagnostic(`exited ${stopMs.toFixed(0)} ms after SIGTERM`);
    assert.ok(stopMs < STOP_WITHIN_MS, `exited ${stopMs.toFixed(0)} ms after SIGTERM`);
    assert.match(run.stdout(), /stopped before training: the checkpoint in .* is as it was/);
    assert.deepEqual(snapshot(out), before);
  });
});
