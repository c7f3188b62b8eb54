/**
 * Generation on two threads: the calling thread and one worker thread step every recurrent layer
 * together, each computing half of each multiply's output columns (src/engine/share.ts). At batch 1 a
 * step is a matrix-vector product per weight matrix, bound by reading the weights: 3–3.5 MB per character
 * at 2 × 256 units, more than one core's L2 cache; half of them stay in each core's L2.
 *
 * Each thread has its own engine instance with all the weights packed once (a thread reads only its
 * columns, so only those occupy its cache). Per layer and step, both threads write their columns of the
 * pre-activations into a SharedArrayBuffer, wait for the other's (`Atomics`: spin briefly, then
 * `Atomics.wait`), copy them in, and run the whole gate pass — so both hold the whole state, and every
 * reduction of NovoLSTM's gates (layer norms, the softmax over units) runs on whole rows, as on one thread.
 * The calling thread keeps the dense layer and the sampling. The token goes to the worker with the first
 * exchange of the character, and each thread makes its columns of the next character's state-only
 * products right after a character's last gate pass — the worker while the calling thread samples
 * (`stepLayersShared` in stepLayers.ts): per character the threads meet once per layer, no more.
 * Same text for a seed as one thread, bit for bit (test/generation.test.ts).
 *
 * Where a character's time goes (bench/generationThreads.ts; CPU µs per character, 2 × 256, load average
 * 7–9): each thread's part of a NovoLSTM character 42–47 (its 1.97 MB of weights, which stay in its core's
 * L2: one thread alone takes 113–117 for all 3.93 MB), of which the gate passes both threads repeat 4–5;
 * the dense layer 3 and generateText's loop with the sampling 2–4, on the calling thread; a meeting 0.25
 * µs there and back when both threads spin, 4 µs when one sleeps. The two parts run as fast at once as
 * alone. So on an idle machine a character should take about 48 µs (21,000 characters/s, one thread
 * 8,500); the LSTM 36 (27,600), the GRU 27 (36,800). On a busy one each meeting may wait for the other
 * thread to be scheduled: see SPIN_MS, and threads 'auto'.
 *
 * The worker starts in the background: until it has built its layers the calling thread steps alone (the
 * one-thread stepper, on its own plans, which hold every weight), then hands it the states and the two
 * share the steps from there. A worker that fails to start leaves the stepper on one thread.
 *
 * Only 2 busy threads ever: the calling thread computes its half itself. The worker is unref'd (it never
 * keeps a process alive), stopped by `close`, and terminated if the stepper is garbage-collected unclosed.
 * Node only for now (worker_threads); a browser page gets the one-thread stepper.
 */
import { ConfigError, NovoLstmError } from '../errors.js';
import type { Engine, WasmBuild } from '../engine/loader.js';
import { compiledModule, engineMakerFor, loadEngine } from '../engine/loader.js';
import { FastLstm } from '../engine/lstm.js';
import { shareColumns, type SharedRow, type StepShare } from '../engine/share.js';
import { workerScript } from '../parallel/workerScript.js';
import type { LanguageModelStepper } from './stepperInterface.js';
import {
  checkedStack,
  dropSharedProducts,
  engineLayers,
  modelFromSnapshot,
  stepLayers,
  stepLayersShared,
  type EngineLayers,
  type Head,
  type ModelSnapshot,
} from './stepLayers.js';

/** What the worker thread is given (its workerData). */
export interface SharedStepperData {
  readonly shared: SharedArrayBuffer;
  readonly model: ModelSnapshot;
  readonly build: WasmBuild;
  /** The calling thread's compiled module of that build (null: the worker loads the build itself). */
  readonly module: WebAssembly.Module | null;
}

// The control words: an Int32Array at the start of the shared buffer.
const GO = 0; // runs of shared steps the calling thread has started (the worker sleeps until it moves)
const COMMAND = 1; // what the run at GO is
/**
 * The token of a shared step, or PAUSE, in the word of the parity of the exchange after which the worker
 * reads it (the step's first): the calling thread writes that word again only two exchanges later, by
 * when the worker has read it — one word could be overwritten by the next step's token while the worker
 * still waits to see the exchange (a one-layer step has no other).
 */
const TOKENS = [2, 3];
const SEQUENCE = [4, 5]; // exchanges done by the calling thread (part 0) and the worker (part 1)
const STATUS = 6; // the worker's
const MESSAGE_BYTES = 7; // length of the worker's error message
const CONTROL_WORDS = 8;
const MESSAGE_CAPACITY = 1024; // bytes of error message after the control words

const RESTORE_AND_RUN = 1; // the states from the state region, then shared steps until a PAUSE token
const STOP = 2;
/** The token that ends a run of shared steps: the calling thread steps alone from there. */
const PAUSE = -1;

// STATUS is 0 while the worker starts, then:
const READY = 1;
const FAILED = 2;

/**
 * Spin this long waiting for the other thread before sleeping in Atomics.wait. On an idle machine a wait
 * lasts a few µs (the longest: the worker's, while the calling thread runs the dense layer and samples,
 * about 10 µs), well inside it; a sleeping thread wakes in about 4 µs (bench/generationThreads.ts).
 * On a busy machine the other thread is often not running at all, and a longer spin only burns the
 * spinner's share of a core: measured (2 × 256, two threads, load average 10, µs per character, two
 * rounds) NovoLSTM 5,000–6,700 with a 2 ms spin, 270–350 with 10–50 µs, 680–840 with 100 µs; the GRU
 * 2,000–8,800, 160–310 and 560–870.
 */
const SPIN_MS = 0.05;
/**
 * Steps the worker runs alone before it says it is ready (`ThreadShare.rehearse`), while the calling
 * thread still steps alone. A fresh worker's JavaScript starts interpreted and its hot functions are
 * compiled on V8's background threads; on a 2-core machine with both cores stepping in lockstep those
 * compiles take turns with the steps, and two threads ran 100–230 µs per NovoLSTM character for their
 * first ~1,500 characters against 50–57 later (2 × 256, idle machine, bench/generation.ts' model).
 * Rehearsed alone the worker's step time settled after 1,100–1,600 steps (42–48 µs a step); with the
 * rehearsal bench/generation.ts' 2,000 characters from `whenReady` ran at 11,396 and 11,735 a second
 * on two threads against 9,624 and 10,186 (docs/wasm-notes.md, "Generation on two threads").
 */
const REHEARSAL_STEPS = 2000;
/**
 * Or this long, whichever ends first: a bigger model's steps are each longer (the JIT's share of them
 * smaller), and the calling thread steps alone until the worker is ready.
 */
const REHEARSAL_MS = 250;
/** The calling thread gives up on a worker that has not answered for this long. */
const ANSWER_TIMEOUT_MS = 60_000;

/** Where things are in the shared buffer, the same for both threads (computed from the same layers). */
interface Layout {
  readonly bytes: number;
  /** Float offsets of the exchange regions: [part][parity]. */
  readonly regions: readonly (readonly [number, number])[];
  /** Float offset of each layer's saved state, and its length (h, and c for the LSTM family). */
  readonly states: readonly number[];
  readonly stateSizes: readonly number[];
}

function layoutOf(built: EngineLayers): Layout {
  // A part of an exchange is at most two rows of G columns (GRU: x·W and h·U).
  const region = Math.max(...built.layers.map((l) => 2 * l.G));
  let at = (4 * CONTROL_WORDS + MESSAGE_CAPACITY) / 4;
  const regions = [0, 1].map(() => [0, 1].map(() => ((at += region), at - region)) as [number, number]);
  const stateSizes = built.layers.map((l) => (l instanceof FastLstm ? 2 * l.U : l.U));
  const states = stateSizes.map((size) => ((at += size), at - size));
  return { bytes: 4 * at, regions, states, stateSizes };
}

/** Node's worker_threads when this runtime can run the second thread, else null. */
export function nodeWorkerThreads(): typeof import('node:worker_threads') | null {
  if (typeof SharedArrayBuffer === 'undefined' || typeof Atomics === 'undefined') return null;
  if (typeof process === 'undefined' || typeof process.getBuiltinModule !== 'function') return null;
  return process.getBuiltinModule('node:worker_threads') ?? null;
}

/**
 * How a two-thread stepper chooses the way of each step once its worker is ready: 'adapt' times both
 * (threads 'auto'), 'always' shares every step (threads 2), and a function shares step n (counting
 * every step from 0) where it returns true — a fixed schedule, for tests that go from one thread to two
 * and back at chosen steps.
 */
export type ThreadSchedule = 'adapt' | 'always' | ((step: number) => boolean);

/**
 * The two-thread stepper: `built` and `head` on the calling thread's engine (all the weights), a worker
 * started with a snapshot of the model.
 */
export function sharedEngineStepper(
  engine: Engine,
  built: EngineLayers,
  head: Head,
  model: ModelSnapshot,
  vocabulary: number,
  checkId: (id: number) => void,
  schedule: ThreadSchedule,
): LanguageModelStepper {
  const threads = nodeWorkerThreads();
  if (!threads) {
    throw new ConfigError(
      'language model stepper',
      'two threads need worker_threads and SharedArrayBuffer',
      'Node ≥ 20.16',
      'neither',
    );
  }
  const layout = layoutOf(built);
  const shared = new SharedArrayBuffer(layout.bytes);
  const control = new Int32Array(shared, 0, CONTROL_WORDS);
  const { script, eval: isEval } = workerScript(import.meta.url, 'stepperWorker');
  const data: SharedStepperData = {
    shared,
    model,
    build: engine.build,
    module: compiledModule(engine.build),
  };
  const worker = new threads.Worker(script, { eval: isEval, workerData: data });
  worker.unref();
  let closed = false;
  let exited = false;
  const exit = new Promise<void>((resolve) => worker.once('exit', resolve)).then(() => void (exited = true));
  // 'error' events (a failed start) are answered by the status word; listening keeps them from throwing.
  worker.on('error', () => {});
  const ready = new Promise<number>((resolve) => {
    worker.once('message', () => resolve(2));
    void exit.then(() => resolve(1));
  });
  const stop = () => {
    Atomics.store(control, COMMAND, STOP);
    Atomics.add(control, GO, 1);
    Atomics.notify(control, GO);
    Atomics.notify(control, SEQUENCE[0]); // a worker between the steps of a run waits for this one
    void worker.terminate().catch(() => {});
  };
  const collected = new FinalizationRegistry<() => void>((stopWorker) => stopWorker());
  const share = new ThreadShare(0, engine, shared, layout, () => workerFailure(control), ANSWER_TIMEOUT_MS);
  const choice = new Choice(schedule);
  let go = 0;
  /**
   * Whether the worker is in a run of shared steps, its states those of the last step (false: the next
   * shared step hands them over).
   */
  let synced = false;
  /** Ends the worker's run of shared steps: the calling thread steps alone from here. */
  const pause = () => {
    share.sendToken(PAUSE);
    share.exchange([]);
    dropSharedProducts(built);
    synced = false;
  };

  const stepper: LanguageModelStepper = {
    runsOn: engine.build,
    size: vocabulary,
    get threads() {
      return choice.shared || (schedule === 'always' && Atomics.load(control, STATUS) === READY) ? 2 : 1;
    },
    whenReady: () => ready,
    step(id) {
      checkId(id);
      if (closed) throw new ConfigError('language model stepper', 'step after close', 'open', 'closed');
      if (!choice.workerReady && Atomics.load(control, STATUS) === READY) choice.workerReady = true;
      if (!choice.workerReady && (exited || Atomics.load(control, STATUS) === FAILED)) choice.workerFailed();
      choice.tick();
      try {
        if (!choice.shared) {
          if (synced) pause();
          const { h, stride } = stepLayers(built, id);
          return head(h, stride);
        }
        if (!synced) {
          const floats = new Float32Array(shared);
          built.layers.forEach((layer, i) => floats.set(layer.saveSteps(), layout.states[i]));
          Atomics.store(control, COMMAND, RESTORE_AND_RUN);
          go++;
          Atomics.store(control, GO, go);
          Atomics.notify(control, GO);
          synced = true;
        }
        share.sendToken(id);
        const { h, stride } = stepLayersShared(built, () => id, share);
        return head(h, stride);
      } catch (e) {
        // The threads are out of step now: the stepper is unusable.
        void stepper.close();
        throw e;
      }
    },
    close() {
      if (!closed) {
        closed = true;
        collected.unregister(stepper);
        stop();
      }
      return exit;
    },
  };
  collected.register(stepper, stop, stepper);
  return stepper;
}

/** Steps per timed block: the unit in which one and two threads are compared. */
const BLOCK = 64;
/**
 * Blocks one thread runs before two are timed again: from MIN_RUN, doubled while one stays the faster.
 * Two threads run MAX_RUN blocks before one is timed again, or fewer: see `Choice`.
 */
const MIN_RUN = 4;
const MAX_RUN = 64;
/** How much slower per step than one thread two must be to count as clearly slower. */
const SLOWER = 1.5;

/**
 * Which way the next step runs. One thread until the worker is ready; then, with 'adapt', blocks of BLOCK
 * steps are timed and the faster way is kept, the other timed again for one block now and then: on a
 * machine busy with other work two threads in lockstep can be many times slower than one (each waits
 * for the other to be scheduled). With 'always', two threads from the worker's start on; with a
 * function, as it says.
 *
 * While two threads are the faster, one is timed again only after MAX_RUN blocks, or once two blocks in a
 * row on two took more than SLOWER × the last block on one per step (a machine that got busy: two
 * threads in lockstep then lose at once, 5–10 ms a step against 0.3 on one at load average 10). Timing
 * one thread every 4–64 blocks, as before, cost more than its block (64 steps at 130 µs rather than
 * 55 for NovoLSTM at 2 × 256): the worker's run of shared steps is paused and restarted, its state
 * handed over again. And a single slow block is no sign: in their first ~2,000 characters two fresh
 * threads have blocks of 200–400 µs a step while V8 compiles their code on the same two cores. Auto
 * ran NovoLSTM at 9,590 characters/s against 11,186 always on two (2 on 93% of the characters); now
 * 10,587 against 10,615 (97%) (bench/generation.ts, 2,000 characters per run, idle machine).
 */
export class Choice {
  workerReady = false;
  /** Whether the current step runs on two threads. */
  shared = false;
  private failed = false;
  /** Steps of the current block so far, and when it started. */
  private steps = 0;
  private start = 0;
  /** ms per step of the last block timed each way. */
  private readonly perStep = { one: NaN, two: NaN };
  /** Whether the current block times the way not preferred. */
  private probing = false;
  private preferShared = false;
  /** Blocks the preferred way runs between probes, and how many are left. */
  private run = MIN_RUN;
  private left = 1; // the first block after the worker is ready times one thread (warm), then two are probed

  /** Blocks in a row on two threads clearly slower than the last block on one. */
  private slowBlocks = 0;

  /** Steps ticked so far. */
  private ticks = 0;

  constructor(
    private readonly schedule: ThreadSchedule,
    /** The clock, in ms (a test's own). */
    private readonly now: () => number = () => performance.now(),
  ) {}

  workerFailed(): void {
    this.failed = true;
    this.shared = false;
  }

  /** Called before every step. */
  tick(): void {
    const step = this.ticks++;
    if (this.failed || !this.workerReady) return;
    if (this.schedule !== 'adapt') {
      this.shared = this.schedule === 'always' || this.schedule(step);
      return;
    }
    if (this.steps === 0) this.start = this.now();
    const done = this.steps++; // steps of this block run so far
    if (done < BLOCK && !this.probeIsSlower(done)) return;
    const now = this.now();
    this.perStep[this.shared ? 'two' : 'one'] = (now - this.start) / done;
    this.steps = 1;
    this.start = now;
    if (this.probing) {
      const faster = this.perStep.two < this.perStep.one;
      this.run = faster === this.preferShared ? Math.min(2 * this.run, MAX_RUN) : MIN_RUN;
      this.preferShared = faster;
      this.left = faster ? MAX_RUN : this.run;
      this.probing = false;
    } else {
      // Two blocks in a row on two threads that were clearly slower than one was: time one again now.
      const slow = this.preferShared && this.perStep.two > SLOWER * this.perStep.one;
      this.slowBlocks = slow ? this.slowBlocks + 1 : 0;
      if (--this.left <= 0 || this.slowBlocks >= 2) this.probing = true;
    }
    if (this.probing) this.slowBlocks = 0;
    this.shared = this.probing !== this.preferShared;
  }

  /**
   * Whether the block timing the way not preferred has already taken as long as a whole block the
   * preferred way, `done` steps in: then it is the slower, and it ends here. On a busy machine a step on
   * two threads in lockstep took 5–10 ms against 0.3 ms on one (measured, load average 10): a whole probe
   * block of two threads cost more than the 2,000 characters around it on one.
   */
  private probeIsSlower(done: number): boolean {
    if (!this.probing || done === 0) return false;
    const preferred = this.perStep[this.preferShared ? 'two' : 'one'];
    return this.now() - this.start > BLOCK * preferred;
  }
}

/** The worker's error, as an Error for the calling thread; null while it has none. */
function workerFailure(control: Int32Array): Error | null {
  if (Atomics.load(control, STATUS) !== FAILED) return null;
  const length = Atomics.load(control, MESSAGE_BYTES);
  const bytes = new Uint8Array(control.buffer, 4 * CONTROL_WORDS, length).slice();
  return new NovoLstmError('the generation worker', `failed: ${new TextDecoder().decode(bytes)}`);
}

/**
 * One thread's side of the exchanges (src/engine/share.ts). Exchange n uses the regions of parity n % 2:
 * a thread writes region n + 2 only after the other has finished exchange n + 1, so after it read n.
 */
class ThreadShare implements StepShare {
  private done = 0;
  private memory: Float32Array;
  private control: Int32Array;
  private floats: Float32Array;

  constructor(
    private readonly part: 0 | 1,
    private readonly engine: Engine,
    shared: SharedArrayBuffer,
    private readonly layout: Layout,
    /** An error that ends the wait (the other thread failed or was stopped), or null. */
    private readonly failure: () => Error | null,
    /** How long a wait may last before it is an error (the worker waits as long as the caller pauses). */
    private readonly timeoutMs: number,
  ) {
    this.control = new Int32Array(shared, 0, CONTROL_WORDS);
    this.floats = new Float32Array(shared);
    this.memory = new Float32Array(engine.wasm.memory.buffer);
  }

  columns(N: number): readonly [number, number] {
    return shareColumns(N, this.part);
  }

  /**
   * Runs `steps` with this thread's exchanges on a buffer of its own in which the other thread has always
   * already written its part: the same code as real exchanges (so that the JIT compiles it before it
   * counts), nothing waited for, nothing the other thread sees. What the other part's columns are then is
   * stale (zeros): the states stepped are thrown away after.
   */
  rehearse(steps: () => void): void {
    const real = { control: this.control, floats: this.floats, done: this.done };
    const buffer = new SharedArrayBuffer(this.layout.bytes);
    this.control = new Int32Array(buffer, 0, CONTROL_WORDS);
    this.floats = new Float32Array(buffer);
    this.control[SEQUENCE[1 - this.part]] = 1 << 30; // ahead of any exchange count the steps reach
    this.done = 0;
    try {
      steps();
    } finally {
      ({ control: this.control, floats: this.floats, done: this.done } = real);
    }
  }

  /** The calling thread: `id` is the token the worker reads after the next exchange. */
  sendToken(id: number): void {
    Atomics.store(this.control, TOKENS[(this.done + 1) & 1], id);
  }

  /** The worker: the token the calling thread sent with the exchange just done. */
  receivedToken(): number {
    return Atomics.load(this.control, TOKENS[this.done & 1]);
  }

  exchange(rows: readonly SharedRow[]): void {
    const { part, floats, control } = this;
    if (this.memory.buffer !== this.engine.wasm.memory.buffer) {
      this.memory = new Float32Array(this.engine.wasm.memory.buffer);
    }
    const memory = this.memory;
    const parity = this.done & 1;
    let out = this.layout.regions[part][parity];
    for (const { at, width } of rows) {
      const [n0, n1] = shareColumns(width, part);
      floats.set(memory.subarray(at / 4 + n0, at / 4 + n1), out);
      out += n1 - n0;
    }
    this.done++;
    Atomics.store(control, SEQUENCE[part], this.done);
    Atomics.notify(control, SEQUENCE[part]);
    waitUntil(control, SEQUENCE[1 - part], this.done, this.failure, this.timeoutMs);
    let from = this.layout.regions[1 - part][parity];
    for (const { at, width } of rows) {
      const [n0, n1] = shareColumns(width, part === 0 ? 1 : 0);
      memory.set(floats.subarray(from, from + n1 - n0), at / 4 + n0);
      from += n1 - n0;
    }
  }
}

/**
 * Waits until control[index] reaches `target` (counters only grow; compared wrap-safe): spins for SPIN_MS,
 * then sleeps in Atomics.wait, checking `failure` between waits; an error after `timeoutMs`.
 */
function waitUntil(
  control: Int32Array,
  index: number,
  target: number,
  failure: () => Error | null,
  timeoutMs: number,
): void {
  const reached = () => (Atomics.load(control, index) - target) | 0;
  if (reached() >= 0) return;
  const start = performance.now();
  for (let i = 1; ; i++) {
    if (reached() >= 0) return;
    if ((i & 255) === 0 && performance.now() - start > SPIN_MS) break;
  }
  for (;;) {
    const seen = Atomics.load(control, index);
    if (((seen - target) | 0) >= 0) return;
    const error = failure();
    if (error) throw error;
    if (performance.now() - start > timeoutMs) {
      throw new NovoLstmError('the other generation thread', `did not answer in ${timeoutMs / 1000} s`);
    }
    Atomics.wait(control, index, seen, 50);
  }
}

/**
 * The worker thread's side: builds the layers from the snapshot, then shares runs of steps until told to
 * stop. Between the steps of a run it waits in the first exchange of the next (spinning, then asleep).
 */
export async function serveSharedSteps(data: SharedStepperData, ready: () => void): Promise<void> {
  const control = new Int32Array(data.shared, 0, CONTROL_WORDS);
  try {
    const engine = data.module
      ? engineMakerFor(data.build, data.module)()
      : await loadEngine({ build: data.build });
    if (!engine) throw new Error(`no '${data.build}' WebAssembly build here`);
    const built = engineLayers(engine, checkedStack(modelFromSnapshot(data.model)));
    const layout = layoutOf(built);
    const stopped = () => (Atomics.load(control, COMMAND) === STOP ? new Stopped() : null);
    const share = new ThreadShare(1, engine, data.shared, layout, stopped, Infinity);
    const token = () => {
      const id = share.receivedToken();
      if (id === PAUSE) throw new Paused();
      return id;
    };
    const floats = new Float32Array(data.shared);
    // Warmed up before it counts (see REHEARSAL_STEPS); the states come from the calling thread later.
    const rehearsalStart = performance.now();
    share.rehearse(() => {
      for (let i = 0; i < REHEARSAL_STEPS; i++) {
        stepLayersShared(built, token, share);
        if (performance.now() - rehearsalStart > REHEARSAL_MS) break;
      }
    });
    Atomics.store(control, STATUS, READY);
    ready();
    let seen = 0;
    for (;;) {
      waitForStep(control, seen);
      seen = Atomics.load(control, GO);
      const command = Atomics.load(control, COMMAND);
      if (command === STOP) return;
      built.layers.forEach((layer, i) => {
        const at = layout.states[i];
        layer.restoreSteps(floats.subarray(at, at + layout.stateSizes[i]));
      });
      try {
        for (;;) stepLayersShared(built, token, share);
      } catch (e) {
        if (!(e instanceof Paused)) throw e;
      }
    }
  } catch (e) {
    if (e instanceof Stopped) return;
    const message = new TextEncoder()
      .encode(e instanceof Error ? e.message : String(e))
      .slice(0, MESSAGE_CAPACITY);
    new Uint8Array(data.shared, 4 * CONTROL_WORDS, message.length).set(message);
    Atomics.store(control, MESSAGE_BYTES, message.length);
    Atomics.store(control, STATUS, FAILED);
    for (const index of [STATUS, ...SEQUENCE]) Atomics.notify(control, index);
  }
}

/** The calling thread stopped the worker in the middle of a step (an error there, or close). */
class Stopped extends Error {}

/** The calling thread ended the run of shared steps (it steps alone for a while). */
class Paused extends Error {}

/** The worker waits for the calling thread's next run of steps: spins for SPIN_MS, then sleeps until notified. */
function waitForStep(control: Int32Array, seen: number): void {
  const start = performance.now();
  for (let i = 1; ; i++) {
    if (Atomics.load(control, GO) !== seen) return;
    if ((i & 255) === 0 && performance.now() - start > SPIN_MS) break;
  }
  while (Atomics.load(control, GO) === seen) Atomics.wait(control, GO, seen);
}
