/**
 * Where a character of generation on two threads goes (src/lm/sharedStepper.ts, `stepLayersShared` in
 * src/lm/stepLayers.ts), for a 2 × 256 character model as bench/generation.ts builds it. Every figure is
 * CPU time per character (of the process while one thread works; of each thread, from Linux'
 * /proc/thread-self/schedstat, where two do), so that other work on a shared machine counts less (it
 * still evicts the caches):
 *   part 0 / part 1 alone   each thread's share of a character with the exchanges left out (its columns of
 *                           every multiply, the whole gate passes, the copies): what it costs a thread when
 *                           it never waits; part 0 is the calling thread's;
 *   part 0 and 1 at once    the same, run at the same time on two threads that never wait for each other:
 *                           whether the two cores slow each other (shared caches, or two hyperthreads);
 *   gate passes             a character with no columns of any multiply: what both threads repeat;
 *   one thread              `stepLayers` alone, for comparison;
 *   head, sampling          the dense layer + softmax and `sampleToken`, on the calling thread only;
 *   generateText's loop     the sampling, decoding and generator around each step (`generateTextOn` on a
 *                           stepper that returns a fixed distribution);
 *   meeting                 one round trip between the two threads through Atomics in a SharedArrayBuffer,
 *                           both spinning (the minimum over many; the median shows the machine's load);
 *   wake-up                 the same when the waiting thread sleeps in Atomics.wait;
 *   two threads             the real stepper: wall and process CPU µs per character.
 * With the meetings per character and each thread's weight bytes (its columns of every matrix it reads),
 * and an estimate of the wall time per character on an idle machine:
 *   max(part 0 + head + generateText's loop, part 1) + meetings · (meeting round trip / 2).
 * Part 0 comes first there: the calling thread makes its columns of the next character's products and
 * then runs the dense layer and samples, while the worker makes its columns and waits at the next
 * character's first exchange (src/lm/stepLayers.ts).
 *
 * node --experimental-wasm-relaxed-simd --import tsx bench/generationThreads.ts [--cells novolstm,lstm,gru]
 *      [--units 256] [--rounds 5] [--steps 1000]
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { CharVocabulary } from '../src/data/text/charVocabulary.js';
import { loadCorpus } from '../src/data/text/corpus.js';
import { shareColumns, type StepShare } from '../src/engine/share.js';
import { sampleToken } from '../src/generation/sampling.js';
import { newEngine, useFastKernels } from '../src/layers/backend.js';
import { buildLanguageModel, LM_CELLS, type LmCell } from '../src/lm/languageModel.js';
import {
  checkedStack,
  engineHead,
  engineLayers,
  stepLayers,
  stepLayersShared,
} from '../src/lm/stepLayers.js';
import { generateTextOn } from '../src/lm/generate.js';
import { languageModelStepper } from '../src/lm/stepper.js';
import type { LanguageModelStepper } from '../src/lm/stepperInterface.js';
import { workerScript } from '../src/parallel/workerScript.js';
import { Random } from '../src/random.js';

interface Options {
  readonly cells: readonly LmCell[];
  readonly units: number;
  readonly rounds: number;
  readonly steps: number;
}

/** CPU ns this thread has run (Linux). */
function threadCpuNs(): number {
  return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]);
}

/**
 * CPU µs per call of f, over `steps` calls: of this process (fine-grained) while no other thread of it
 * works, else of this thread (`perThread`; the kernel's counter moves by scheduler ticks, 4 ms here, so
 * runs are made long).
 */
function cpuMicros(steps: number, f: (i: number) => void, perThread = false): number {
  const start = perThread ? threadCpuNs() : 0;
  const usage = process.cpuUsage();
  for (let i = 0; i < steps; i++) f(i);
  if (perThread) return (threadCpuNs() - start) / 1000 / steps;
  const used = process.cpuUsage(usage);
  return (used.user + used.system) / steps;
}

const vocabulary = CharVocabulary.fromText(loadCorpus('builtin:moby-dick')).toJSON();
const V = vocabulary.length;

/** One thread's side of a shared character with the exchanges left out; counts the exchanges. */
class NoExchange implements StepShare {
  exchanges = 0;
  constructor(private readonly split: (N: number) => readonly [number, number]) {}
  columns(N: number): readonly [number, number] {
    return this.split(N);
  }
  exchange(): void {
    this.exchanges++;
  }
}

function setup(cell: LmCell, units: number) {
  const model = buildLanguageModel({ cell, units, layers: 2, embeddingDim: 64, dropout: 0, vocabulary }, 1);
  const stack = checkedStack(model);
  const engine = newEngine()!;
  const built = engineLayers(engine, stack);
  const head = engineHead(engine, stack.dense, built.layers[built.layers.length - 1].units);
  const part = (p: 0 | 1) => new NoExchange((N) => shareColumns(N, p));
  return { model, stack, built, head, part };
}

/** A thread's part of every character for `steps` characters (no waiting): CPU µs per character. */
function partMicros(s: ReturnType<typeof setup>, p: 0 | 1, steps: number, perThread = false): number {
  const share = s.part(p);
  return cpuMicros(steps, (i) => void stepLayersShared(s.built, () => i % V, share), perThread);
}

/** The worker of the 'at once' rows and the round trips. */
async function serve(): Promise<void> {
  await useFastKernels();
  const { cell, units, steps, shared } = workerData as {
    cell: LmCell;
    units: number;
    steps: number;
    shared: SharedArrayBuffer;
  };
  const flags = new Int32Array(shared);
  const s = cell ? setup(cell, units) : null;
  parentPort!.postMessage('ready');
  parentPort!.on('message', (what: string) => {
    if (what === 'part') parentPort!.postMessage(partMicros(s!, 1, steps, true));
    if (what === 'pong') {
      // Answers each ping: flags[0] counts pings, flags[1] pongs; flags[2] = 1 to sleep instead of spin.
      for (let n = 1; ; n++) {
        if (flags[2] === 1) {
          while (Atomics.load(flags, 0) < n) Atomics.wait(flags, 0, n - 1, 100);
        } else {
          while (Atomics.load(flags, 0) < n);
        }
        if (Atomics.load(flags, 3) === 1) break;
        Atomics.store(flags, 1, n);
        Atomics.notify(flags, 1);
      }
      parentPort!.postMessage('done');
    }
  });
}

function startWorker(data: object): Promise<Worker> {
  const { script, eval: isEval } = workerScript(import.meta.url, 'generationThreads');
  const worker = new Worker(script, { eval: isEval, workerData: data });
  worker.on('error', (e) => {
    throw e;
  });
  return new Promise((resolve) => worker.once('message', () => resolve(worker)));
}

const ask = <T>(worker: Worker, what: string) =>
  new Promise<T>((resolve) => {
    worker.once('message', resolve);
    worker.postMessage(what);
  });

/** Round trips through Atomics (µs): min and median, the worker spinning or asleep in Atomics.wait. */
async function roundTrips(sleep: boolean, n: number): Promise<{ min: number; median: number }> {
  const shared = new SharedArrayBuffer(16);
  const flags = new Int32Array(shared);
  flags[2] = sleep ? 1 : 0;
  const worker = await startWorker({ cell: null, units: 0, steps: 0, shared });
  const done = ask(worker, 'pong');
  const times: number[] = [];
  for (let i = 1; i <= n; i++) {
    const start = performance.now();
    Atomics.store(flags, 0, i);
    Atomics.notify(flags, 0);
    while (Atomics.load(flags, 1) < i);
    times.push((performance.now() - start) * 1000);
    if (sleep) {
      const idle = performance.now(); // let the worker fall asleep again
      while (performance.now() - idle < 0.2);
    }
  }
  Atomics.store(flags, 3, 1);
  Atomics.store(flags, 0, n + 1);
  Atomics.notify(flags, 0);
  await done;
  await worker.terminate();
  times.sort((a, b) => a - b);
  return { min: times[0], median: times[times.length >> 1] };
}

async function profile(options: Options): Promise<void> {
  await useFastKernels();
  const { units, rounds, steps } = options;
  const load = loadavg()[0];
  const spin = await roundTrips(false, 2000);
  const wake = await roundTrips(true, 300);
  console.log(
    `generation on two threads, CPU µs per character of the thread that ran each part (2 × ${units}, embedding 64, vocabulary ${V}): ${cpus()[0]?.model}, ${cpus().length} cores, load average ${load.toFixed(2)} at the start; median (min) of ${rounds} rounds of ${steps} characters`,
  );
  console.log(
    `meeting (round trip, both spinning) ${spin.min.toFixed(2)} µs min, ${spin.median.toFixed(2)} median; wake-up from Atomics.wait (round trip) ${wake.min.toFixed(1)} min, ${wake.median.toFixed(1)} median`,
  );
  for (const cell of options.cells) {
    const s = setup(cell, units);
    const worker = await startWorker({ cell, units, steps, shared: new SharedArrayBuffer(16) });
    const [h, stride] = (() => {
      const r = stepLayers(s.built, 1);
      return [r.h, r.stride];
    })();
    const probabilities = s.head(h, stride).slice();
    const rng = new Random(1);
    const none = new NoExchange(() => [0, 0]);
    const rows: Record<string, number[]> = {};
    const add = (name: string, value: number) => (rows[name] ??= []).push(value);
    partMicros(s, 0, steps); // warm-up
    for (let round = 0; round < rounds; round++) {
      add('part 0 alone', partMicros(s, 0, steps));
      add('part 1 alone', partMicros(s, 1, steps));
      const other = ask<number>(worker, 'part');
      add('part 0 at once', partMicros(s, 0, steps, true));
      add('part 1 at once', await other);
      add(
        'gate passes',
        cpuMicros(steps, (i) => void stepLayersShared(s.built, () => i % V, none)),
      );
      s.built.layers.forEach((layer) => layer.dropRecurrentFirst());
      add(
        'one thread',
        cpuMicros(steps, (i) => void stepLayers(s.built, i % V)),
      );
      add(
        'head',
        cpuMicros(steps, () => void s.head(h, stride)),
      );
      add(
        'sampling',
        cpuMicros(steps, () => void sampleToken(probabilities, { temperature: 0.8 }, rng)),
      );
      // generateText's loop around the steps: the sampling, decoding, the generator — on a stepper that
      // returns the same distribution every time.
      const fixed: LanguageModelStepper = {
        runsOn: 'fixed',
        size: V,
        threads: 1,
        step: () => probabilities,
        whenReady: () => Promise.resolve(1),
        close: () => Promise.resolve(),
      };
      const text = generateTextOn(fixed, s.model, { prime: 'The ', length: steps + 1, temperature: 0.8 });
      text.next();
      add(
        "generateText's loop",
        cpuMicros(steps, () => void text.next()),
      );
    }
    await worker.terminate();
    // The real two-thread stepper.
    const stepper = languageModelStepper(s.model, { threads: 2 });
    await stepper.whenReady();
    for (let i = 0; i < 200; i++) stepper.step(i % V);
    const walls: number[] = [];
    const processCpu: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const cpu = process.cpuUsage();
      const start = performance.now();
      for (let i = 0; i < steps; i++) stepper.step(i % V);
      walls.push(((performance.now() - start) * 1000) / steps);
      const used = process.cpuUsage(cpu);
      processCpu.push((used.user + used.system) / steps);
    }
    await stepper.close();
    const counter = s.part(0);
    s.built.layers.forEach((layer) => layer.dropRecurrentFirst());
    stepLayersShared(s.built, () => 1, counter);
    const meetings = counter.exchanges;
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
    const min = (xs: number[]) => Math.min(...xs);
    const line = Object.entries(rows).map(([k, v]) => `${k} ${med(v).toFixed(1)} (${min(v).toFixed(1)})`);
    console.log(`${cell}: ${line.join(' · ')}`);
    const bytes = weightBytes(s);
    const caller = min(rows.head) + min(rows["generateText's loop"]);
    const critical = Math.max(min(rows['part 0 at once']) + caller, min(rows['part 1 at once']));
    const estimate = critical + (meetings * spin.min) / 2;
    console.log(
      `  ${meetings} meetings per character (the first hands the token over; the stepper's first character ` +
        `after one-thread steps adds one to wake the worker); weights read per character: part 0 ` +
        `${(bytes[0] / 1e6).toFixed(2)} MB, part 1 ${(bytes[1] / 1e6).toFixed(2)} MB, one thread ` +
        `${((bytes[0] + bytes[1]) / 1e6).toFixed(2)} MB (+ the dense kernel on part 0)`,
    );
    console.log(
      `  two threads, the stepper: wall ${med(walls).toFixed(1)} µs per character (min ${min(walls).toFixed(1)}), ` +
        `process CPU ${med(processCpu).toFixed(1)}; estimate on an idle machine from the mins above: ` +
        `${estimate.toFixed(1)} µs = ${Math.round(1e6 / estimate)} characters/s ` +
        `(one thread: ${Math.round(1e6 / (min(rows['one thread']) + caller))})`,
    );
  }
  console.log(`load average ${loadavg()[0].toFixed(2)} at the end`);
}

/**
 * Bytes of weights each part reads per character: its columns of every recurrent kernel, and of the
 * input kernels after the first layer (the first layer's x·W is a table, one row per character).
 */
function weightBytes(s: ReturnType<typeof setup>): [number, number] {
  const parts: [number, number] = [0, 0];
  s.built.layers.forEach((layer, i) => {
    const { U, G } = layer;
    // Recurrent columns (padded): all of G but for the 'reference' input gate, whose i' has none.
    const RG = (s.stack.recurrent[i].params.recurrentKernel.length / layer.units / layer.units) * U;
    for (const p of [0, 1] as const) {
      const [n0, n1] = shareColumns(G, p);
      parts[p] += 4 * U * Math.max(0, Math.min(n1, RG) - n0);
      if (i > 0) parts[p] += 4 * layer.inputDim * (n1 - n0);
    }
  });
  return parts;
}

if (isMainThread) {
  const args = process.argv.slice(2);
  const flag = (name: string): string | undefined => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  await profile({
    cells: (flag('cells')?.split(',') as LmCell[] | undefined) ?? LM_CELLS,
    units: Number(flag('units') ?? 256),
    rounds: Number(flag('rounds') ?? 5),
    steps: Number(flag('steps') ?? 1000),
  });
} else {
  await serve();
}
