/**
 * Generation's stepper (src/lm/stepper.ts) against the path it replaces: the model's own `predict`, the
 * prime as one sequence and then one character per call, the stateful layers carrying the state. On the
 * engine and on the reference kernels, for every cell and variant (two different cells stacked, odd sizes:
 * 19 and 7 units), the distributions must be the same float32 values, and `generateText` must write the
 * same text for a seed as the predict loop with the same sampling.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, describe, it } from 'node:test';
import { CharVocabulary } from '../src/data/text/charVocabulary.js';
import { sampleToken } from '../src/generation/sampling.js';
import * as layers from '../src/layers/index.js';
import type { Layer } from '../src/layers/layer.js';
import { newEngine, useFastKernels, useReferenceKernels } from '../src/layers/backend.js';
import { generateText, generateTextOn } from '../src/lm/generate.js';
import { buildLanguageModel, cloneLanguageModel, LM_CELLS } from '../src/lm/languageModel.js';
import { Choice, sharedEngineStepper } from '../src/lm/sharedStepper.js';
import { checkedStack, engineHead, engineLayers, modelSnapshot } from '../src/lm/stepLayers.js';
import { languageModelStepper } from '../src/lm/stepper.js';
import { sequential, type Sequential } from '../src/models/sequential.js';
import { Random } from '../src/random.js';
import { tensor } from '../src/tensor.js';

after(() => useReferenceKernels());

const run = promisify(execFile);

const TEXT = 'Call me Ishmael. Some years ago - never mind how long precisely - having little money.\n';
const VOCABULARY = CharVocabulary.fromText(TEXT);
const V = VOCABULARY.size;

/** Weights spread wider than the initial ones, so the distributions are far from uniform. */
function randomizeWeights(model: Sequential, seed: number): void {
  const rng = new Random(seed);
  for (let i = 0; i < model.values.length; i++) model.values[i] = (2 * rng.uniform() - 1) * 0.8;
  model.markWeightsChanged();
}

/** The path the stepper replaces: predict on a fresh one-row model, the prime as one sequence. */
function predictPath(model: Sequential, prime: Int32Array, next: Int32Array): Float32Array[] {
  model.resetStates();
  const out: Float32Array[] = [];
  const first = model.predict(tensor(prime, [1, prime.length], 'int32')).data as Float32Array;
  for (let t = 0; t < prime.length; t++) out.push(first.slice(t * V, (t + 1) * V));
  for (const id of next)
    out.push((model.predict(tensor(Int32Array.of(id), [1, 1], 'int32')).data as Float32Array).slice());
  return out;
}

function stepperPath(model: Sequential, prime: Int32Array, next: Int32Array, runsOn: string): Float32Array[] {
  const stepper = languageModelStepper(model);
  assert.equal(stepper.runsOn, runsOn);
  return [...prime, ...next].map((id) => stepper.step(id).slice());
}

const recurrent = (kind: 'lstm' | 'novoLSTM' | 'gru', units: number, extra: object = {}): Layer =>
  layers[kind]({ units, returnSequences: true, stateful: true, ...extra } as never);

/** Two recurrent layers of different cells and sizes, every variant the engine runs. */
const STACKS: readonly [string, () => Layer[]][] = [
  ['LSTM → NovoLSTM', () => [recurrent('lstm', 19), recurrent('novoLSTM', 7)]],
  [
    "NovoLSTM 'reference' input gate, layerNorm 'all' → GRU",
    () => [recurrent('novoLSTM', 19, { inputGate: 'reference', layerNorm: 'all' }), recurrent('gru', 7)],
  ],
  [
    "GRU resetAfter: false → NovoLSTM layerNorm 'all'",
    () => [recurrent('gru', 19, { resetAfter: false }), recurrent('novoLSTM', 7, { layerNorm: 'all' })],
  ],
];

for (const backend of ['engine', 'reference'] as const) {
  describe(`generation stepper = predict, one character at a time (${backend})`, () => {
    async function use(): Promise<string> {
      if (backend === 'reference') {
        useReferenceKernels();
        return 'reference';
      }
      const build = await useFastKernels();
      assert.notEqual(build, 'reference', 'this machine has WebAssembly SIMD, so the engine must load');
      return build;
    }

    for (const [name, stack] of STACKS) {
      it(`${name}: the same distributions, bit for bit`, async () => {
        const runsOn = await use();
        const model = sequential({
          seed: 2,
          layers: [
            layers.embedding({ inputDim: V, outputDim: 5, inputShape: [null] }),
            ...stack(),
            layers.dense({ units: V, activation: 'softmax' }),
          ],
        });
        randomizeWeights(model, 7);
        const prime = VOCABULARY.encode('Call me ');
        const next = VOCABULARY.encode(TEXT.slice(8, 60));
        const expected = predictPath(model, prime, next);
        const actual = stepperPath(model, prime, next, runsOn);
        for (let t = 0; t < expected.length; t++) assert.deepEqual(actual[t], expected[t], `step ${t}`);
      });
    }

    for (const cell of LM_CELLS) {
      it(`${cell} language model: generateText writes the predict loop's text for a seed`, async () => {
        await use();
        const config = {
          cell,
          units: 19,
          layers: 2,
          embeddingDim: 6,
          dropout: 0,
          vocabulary: VOCABULARY.toJSON(),
        };
        const model = buildLanguageModel(config, 3);
        randomizeWeights(model, 11);
        const options = { prime: 'some ', length: 120, temperature: 1, seed: 9 };
        // The predict loop generate.ts ran before the stepper, with the same draws.
        const runner = cloneLanguageModel(model);
        const rng = new Random(options.seed);
        const prime = VOCABULARY.encode(options.prime);
        let out = runner.predict(tensor(prime, [1, prime.length], 'int32')).data as Float32Array;
        let expected = '';
        for (let i = 0; i < options.length; i++) {
          const id = sampleToken(out.subarray(out.length - V), options, rng);
          expected += VOCABULARY.decode([id]);
          out = runner.predict(tensor(Int32Array.of(id), [1, 1], 'int32')).data as Float32Array;
        }
        const actual = [...generateText(model, options)].join('');
        assert.equal(actual, expected);
        // Not a text that any path would write: another seed changes it.
        assert.notEqual([...generateText(model, { ...options, seed: 10 })].join(''), expected);
      });
    }
  });
}

describe('generation stepper: what it cannot step is an error', () => {
  it('rejects a model that is not Embedding → recurrent layers → Dense, and maskZero, goBackwards', () => {
    useReferenceKernels();
    const make = (first: Layer[], middle: Layer[]) =>
      sequential({ layers: [...first, ...middle, layers.dense({ units: 4, activation: 'softmax' })] });
    const embedding = (maskZero = false) =>
      layers.embedding({ inputDim: 4, outputDim: 3, maskZero, inputShape: [null] });
    assert.throws(
      () => languageModelStepper(make([embedding()], [])),
      /generation steps a built language model/,
    );
    assert.throws(
      () => languageModelStepper(make([embedding()], [layers.dense({ units: 3 })])),
      /generation steps a built language model/,
    );
    assert.throws(
      () => languageModelStepper(make([embedding(true)], [recurrent('lstm', 3)])),
      /does not support maskZero/,
    );
    assert.throws(
      () => languageModelStepper(make([embedding()], [recurrent('gru', 3, { goBackwards: true })])),
      /steps forward only/,
    );
    const stepper = languageModelStepper(make([embedding()], [recurrent('lstm', 3)]));
    assert.throws(() => stepper.step(4), /token id is out of range — expected 0 … 3, got 4/);
  });
});

describe('generation stepper on two threads (sharedStepper.ts) = one thread, bit for bit', () => {
  /** Embedding → the layers → Dense softmax over `vocabulary` tokens, with spread weights. */
  function model(stack: Layer[], vocabulary: number, embedding: number, seed: number): Sequential {
    const m = sequential({
      seed: 2,
      initialize: false,
      layers: [
        layers.embedding({ inputDim: vocabulary, outputDim: embedding, inputShape: [null] }),
        ...stack,
        layers.dense({ units: vocabulary, activation: 'softmax' }),
      ],
    });
    randomizeWeights(m, seed);
    return m;
  }

  /** The distributions of both steppers for the same tokens; the two-thread one shares every step. */
  async function compare(m: Sequential, steps: number, vocabulary: number): Promise<void> {
    const one = languageModelStepper(m, { threads: 1 });
    const two = languageModelStepper(m, { threads: 2 });
    try {
      assert.equal(one.threads, 1);
      assert.equal(await two.whenReady(), 2);
      assert.equal(two.threads, 2);
      const rng = new Random(5);
      for (let t = 0; t < steps; t++) {
        const id = rng.int(vocabulary);
        assert.deepEqual(two.step(id), one.step(id), `step ${t}`);
      }
    } finally {
      await two.close();
    }
  }

  const V = 23;
  const variants: readonly [string, (units: number) => Layer][] = [
    ['LSTM', (u) => recurrent('lstm', u)],
    ["NovoLSTM 'readme', layerNorm 'inputGate'", (u) => recurrent('novoLSTM', u)],
    ["NovoLSTM 'readme', layerNorm 'all'", (u) => recurrent('novoLSTM', u, { layerNorm: 'all' })],
    [
      "NovoLSTM 'reference', layerNorm 'inputGate'",
      (u) => recurrent('novoLSTM', u, { inputGate: 'reference' }),
    ],
    [
      "NovoLSTM 'reference', layerNorm 'all'",
      (u) => recurrent('novoLSTM', u, { inputGate: 'reference', layerNorm: 'all' }),
    ],
    ["NovoLSTM 'softmax' input gate", (u) => recurrent('novoLSTM', u, { inputGate: 'softmax' })],
    [
      "NovoLSTM 'lnSigmoid', layerNorm 'all', inputGateGain 'ones'",
      (u) => recurrent('novoLSTM', u, { inputGate: 'lnSigmoid', layerNorm: 'all', inputGateGain: 'ones' }),
    ],
    ["LSTM layerNorm 'all'", (u) => recurrent('lstm', u, { layerNorm: 'all' })],
    [
      "LSTM recurrentActivation 'hardSigmoid'",
      (u) => recurrent('lstm', u, { recurrentActivation: 'hardSigmoid' }),
    ],
    ['GRU', (u) => recurrent('gru', u)],
    ['GRU resetAfter: false', (u) => recurrent('gru', u, { resetAfter: false })],
  ];
  for (const [name, make] of variants) {
    it(`${name}: 19 then 37 units, vocabulary ${V}`, async () => {
      await useFastKernels();
      await compare(model([make(19), make(37)], V, 5, 7), 40, V);
    });
  }

  /**
   * The two-thread stepper on a fixed schedule: one thread, then two, back to one (the worker's run of
   * shared steps paused, the products it made for the next step dropped), runs of one shared step.
   */
  const SCHEDULE = (step: number) => (step >= 3 && step < 9) || step === 11 || (step >= 15 && step < 27);
  async function compareScheduled(m: Sequential, steps: number, vocabulary: number): Promise<void> {
    await useFastKernels();
    const engine = newEngine()!;
    const stack = checkedStack(m);
    const built = engineLayers(engine, stack);
    const head = engineHead(engine, stack.dense, built.layers[built.layers.length - 1].units);
    const check = (id: number) => assert.ok(id >= 0 && id < vocabulary);
    const one = languageModelStepper(m, { threads: 1 });
    const two = sharedEngineStepper(engine, built, head, modelSnapshot(m), vocabulary, check, SCHEDULE);
    try {
      await two.whenReady();
      const rng = new Random(8);
      for (let t = 0; t < steps; t++) {
        const id = rng.int(vocabulary);
        const probabilities = two.step(id);
        assert.equal(two.threads, SCHEDULE(t) ? 2 : 1, `threads at step ${t}`);
        assert.deepEqual(probabilities, one.step(id), `step ${t}`);
      }
    } finally {
      await two.close();
    }
  }

  for (const [name, make] of variants) {
    it(`${name}: one thread and two by turns, 19 then 37 units`, async () => {
      await compareScheduled(model([make(19), make(37)], V, 5, 9), 34, V);
    });
  }

  it('one recurrent layer (one exchange per character, which hands the token over)', async () => {
    await useFastKernels();
    for (const make of [(u: number) => recurrent('novoLSTM', u), (u: number) => recurrent('gru', u)]) {
      const m = model([make(29)], V, 5, 6);
      await compare(m, 200, V);
      await compareScheduled(m, 34, V);
    }
  });

  it('more units than one K block of the multiply (no product first): the token alone is handed over', async () => {
    await useFastKernels();
    const KC = newEngine()!.wasm.gemmDepthBlock();
    // NovoLSTM above an LSTM with more units than KC: h·U is summed in two K blocks, so the state-only
    // product cannot come first and the threads meet as in `stepLayers`, after an exchange of nothing.
    const m = model([recurrent('lstm', KC + 5), recurrent('novoLSTM', 7)], V, 5, 4);
    await compare(m, 12, V);
    await compareScheduled(m, 20, V);
  });

  for (const cell of LM_CELLS) {
    it(`${cell} 2 × 256, embedding 64, vocabulary 89`, async () => {
      await useFastKernels();
      const make = variants.find(([name]) =>
        name.toLowerCase().startsWith(cell === 'novolstm' ? 'novo' : cell),
      );
      await compare(model([make![1](256), make![1](256)], 89, 64, 3), 30, 89);
    });
  }

  /** A 2-layer LSTM language model over this file's vocabulary, as `novolstm train` builds it. */
  function twoLayerLstm(units: number, embeddingDim: number): Sequential {
    const config = {
      cell: 'lstm',
      units,
      layers: 2,
      embeddingDim,
      dropout: 0,
      vocabulary: VOCABULARY.toJSON(),
    };
    return buildLanguageModel(config as never, 3);
  }

  it('generateText writes the same text, steps before the worker is ready included', async () => {
    await useFastKernels();
    const m = twoLayerLstm(37, 6);
    randomizeWeights(m, 11);
    const options = { prime: 'some ', length: 400, temperature: 1, seed: 9 };
    const expected = [...generateText(m, { ...options, threads: 1 })].join('');
    // Started here, the worker is not ready for the first characters: they run on one thread.
    const stepper = languageModelStepper(m, { threads: 2 });
    assert.equal(stepper.threads, 1);
    await stepper.close();
    assert.equal([...generateText(m, { ...options, threads: 2 })].join(''), expected);
  });

  it("threads 'auto' on 2 × 256: one thread and two, as timed, write the one-thread text", async () => {
    await useFastKernels();
    const m = twoLayerLstm(256, 64);
    const options = { prime: 'some ', length: 700, temperature: 1, seed: 9 };
    const expected = [...generateText(m, { ...options, threads: 1 })].join('');
    const stepper = languageModelStepper(m);
    assert.equal(await stepper.whenReady(), 2);
    // A block of 64 steps on one thread, one on two, then the faster for a while: both ways run here.
    assert.equal([...generateTextOn(stepper, m, options)].join(''), expected);
  });

  it("threads 'auto': one thread for a small model; threads 2 without the engine is an error", async () => {
    await useFastKernels();
    const small = model([recurrent('lstm', 19)], V, 5, 7);
    const stepper = languageModelStepper(small);
    assert.equal(await stepper.whenReady(), 1);
    assert.equal(stepper.threads, 1);
    useReferenceKernels();
    assert.throws(() => languageModelStepper(small, { threads: 2 }), /two threads need the engine/);
    assert.throws(() => languageModelStepper(small, { threads: 3 as never }), /threads must be/);
  });

  it('close ends the worker thread; steps after it throw; an unclosed stepper does not keep Node alive', async () => {
    await useFastKernels();
    const m = model([recurrent('gru', 19)], V, 5, 7);
    const stepper = languageModelStepper(m, { threads: 2 });
    assert.equal(await stepper.whenReady(), 2);
    stepper.step(1);
    await stepper.close(); // resolves on the thread's 'exit' event
    assert.throws(() => stepper.step(1), /step after close/);
    // A process that leaves a ready two-thread stepper open ends by itself.
    const script = [
      "import { useFastKernels } from './src/layers/backend.ts';",
      "import { buildLanguageModel } from './src/lm/languageModel.ts';",
      "import { languageModelStepper } from './src/lm/stepper.ts';",
      'await useFastKernels();',
      "const m = buildLanguageModel({ cell: 'gru', units: 8, layers: 1, embeddingDim: 3, dropout: 0, vocabulary: ['a', 'b'] }, 1);",
      'const s = languageModelStepper(m, { threads: 2 });',
      'if ((await s.whenReady()) !== 2) throw new Error("no worker");',
      's.step(0); s.step(1);',
      "console.log('stepped');",
    ].join('\n');
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      timeout: 60_000,
    });
    assert.equal(stdout.trim(), 'stepped');
  });
});

describe("threads 'auto': which way each step runs (Choice in sharedStepper.ts, on a test clock)", () => {
  const BLOCK = 64; // steps per timed block (sharedStepper.ts)
  const MAX_RUN = 64; // blocks two threads run before one is timed again

  /**
   * The ways `steps` steps run (1 or 2 threads) once the worker is ready, each step taking `oneMs` on one
   * thread or `twoMs(step)` on two.
   */
  function ways(steps: number, oneMs: number, twoMs: (step: number) => number): number[] {
    let clock = 0;
    const choice = new Choice('adapt', () => clock);
    choice.workerReady = true;
    const out: number[] = [];
    for (let step = 0; step < steps; step++) {
      choice.tick();
      out.push(choice.shared ? 2 : 1);
      clock += choice.shared ? twoMs(step) : oneMs;
    }
    return out;
  }
  const count = (xs: readonly number[], x: number) => xs.filter((y) => y === x).length;

  it('two threads the faster: one block on one thread, then two until MAX_RUN blocks later', () => {
    // NovoLSTM at 2 × 256 on an idle machine: 0.13 ms a step on one thread, 0.055 on two.
    const run = ways(BLOCK * (MAX_RUN + 2), 0.13, () => 0.055);
    assert.deepEqual(run.slice(0, BLOCK), new Array(BLOCK).fill(1));
    assert.equal(count(run.slice(BLOCK), 1), 0, 'no step on one thread after the first block');
    // Then one thread is timed again: for part of a block, cut short once it is slower than a block on two.
    const longer = ways(BLOCK * (MAX_RUN + 4), 0.13, () => 0.055);
    const again = BLOCK * (MAX_RUN + 2);
    assert.equal(count(longer.slice(0, again), 1), BLOCK);
    assert.equal(longer[again], 1);
    const probe = count(longer.slice(again), 1);
    assert.ok(probe > 1 && probe < BLOCK, `${probe} steps on one thread`);
  });

  it('one slow block on two threads (V8 compiling, a page fault): two threads go on', () => {
    const slow = (step: number) => step >= 20 * BLOCK && step < 21 * BLOCK;
    const run = ways(40 * BLOCK, 0.13, (step) => (slow(step) ? 0.5 : 0.055));
    assert.equal(count(run.slice(BLOCK), 1), 0);
  });

  it('two threads that become clearly slower than one was timed: one thread is timed at once, and kept', () => {
    const slowFrom = 20 * BLOCK + 7;
    const run = ways(40 * BLOCK, 0.13, (step) => (step < slowFrom ? 0.055 : 0.5));
    assert.equal(count(run.slice(BLOCK, slowFrom), 1), 0);
    // The block in which two threads slowed down and the next end, then one thread is timed: faster.
    const switched = run.indexOf(1, slowFrom);
    assert.ok(switched - slowFrom < 2 * BLOCK, `one thread from step ${switched}`);
    // From there one thread, two timed again for part of a block now and then (cut short: slower).
    const after = run.slice(switched);
    assert.ok(count(after, 2) < after.length / 10, `${count(after, 2)} of ${after.length} on two`);
  });

  it('one thread the faster (a busy machine): one, two timed again every 4 blocks at first', () => {
    const run = ways(30 * BLOCK, 0.13, () => 2);
    assert.ok(count(run, 2) < run.length / 20, `${count(run, 2)} of ${run.length} on two`);
    assert.ok(count(run, 2) > 0);
  });
});
