/**
 * Data parallelism (parallel/pool.ts): a batch split over worker threads gives the step one thread gives —
 * exactly with one worker, to float32 rounding with several — on the engine and on the reference kernels;
 * carried states stay with their rows; a worker's typed error reaches the caller as the same type; and the
 * language-model trainer with workers carries state, resumes bit for bit, and matches one thread (bit for
 * bit with micro-batches).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError, ValueError } from '../src/errors.js';
import * as layers from '../src/layers/index.js';
import { kernelBackend, useFastKernels, useReferenceKernels } from '../src/layers/backend.js';
import { trainLanguageModel, type TrainConfig, type TrainHooks } from '../src/lm/trainer.js';
import { sequential, type Sequential } from '../src/index.js';
import { DataParallel, splitRows } from '../src/parallel/pool.js';
import type { FromWorker, ToWorker, WorkerEndpoint } from '../src/parallel/protocol.js';
import { serveReplica } from '../src/parallel/replica.js';
import { Random } from '../src/random.js';
import { tensor, type Tensor } from '../src/tensor.js';
import { adam, sgd } from '../src/training/optimizers.js';
import { perturbWeights } from './modelHelpers.js';

const B = 11;
const T = 7;
const V = 13;

after(() => useReferenceKernels());

/** Every recurrent kind, a mask from padding, a stateful layer; weights made random, not structured. */
function model(optimizer: 'sgd' | 'adam'): Sequential {
  const m = sequential({
    seed: 4,
    layers: [
      layers.embedding({ inputDim: V, outputDim: 5, maskZero: true, inputShape: [null] }),
      layers.novoLSTM({ units: 9, returnSequences: true, stateful: true }),
      layers.lstm({ units: 7, returnSequences: true, goBackwards: true }),
      layers.gru({ units: 5, returnSequences: true }),
      layers.dense({ units: V, activation: 'softmax' }),
    ],
  });
  perturbWeights(m, 9, 0.2);
  m.markWeightsChanged();
  m.compile({
    optimizer: optimizer === 'sgd' ? sgd({ learningRate: 0.1 }) : adam({ learningRate: 1e-2 }),
    loss: 'sparseCategoricalCrossentropy',
  });
  return m;
}

/** Batches whose rows have different numbers of real (unpadded) steps, so the shares weigh differently. */
function batches(count: number): { x: Tensor; y: Tensor }[] {
  const rng = new Random(21);
  return Array.from({ length: count }, () => {
    const x = Int32Array.from({ length: B * T }, (_, i) =>
      i % T > 2 + ((i / T) % 5) ? 0 : 1 + rng.int(V - 1),
    );
    const y = Int32Array.from({ length: B * T }, () => rng.int(V));
    return { x: tensor(x, [B, T], 'int32'), y: tensor(y, [B, T], 'int32') };
  });
}

function maxRelativeDifference(a: Float32Array, b: Float32Array): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1e-3, Math.abs(b[i])));
  }
  return worst;
}

for (const kernels of ['engine', 'reference'] as const) {
  describe(`data parallelism on the ${kernels} kernels`, () => {
    const setUp = async () => {
      if (kernels === 'engine') assert.notEqual(await useFastKernels(), 'reference');
      else useReferenceKernels();
    };

    it('one worker gives exactly the single-thread steps; three give them to float32 rounding', async () => {
      await setUp();
      const data = batches(3);
      const single = model('sgd');
      const singleLosses = data.map(({ x, y }) => single.trainOnBatch(x, y) as number);
      const singleStates = single.layers[1] as unknown as { getStates(): Tensor[] };

      for (const workers of [1, 3]) {
        const m = model('sgd');
        const pool = await DataParallel.create(m, { workers });
        try {
          const losses: number[] = [];
          for (const { x, y } of data) losses.push(m.report(await pool.trainStep(x, y)) as number);
          const states = await pool.getStates();
          if (workers === 1) {
            assert.deepEqual(m.values, single.values);
            assert.deepEqual(losses, singleLosses);
          } else {
            const worst = maxRelativeDifference(m.values, single.values);
            assert.ok(worst < 1e-5, `weights differ by ${worst} (relative)`);
            losses.forEach((l, i) =>
              assert.ok(Math.abs(l - singleLosses[i]) < 1e-6, `loss ${l} vs ${singleLosses[i]}`),
            );
          }
          // The stateful layer's carried states, gathered from the workers in row order.
          const expected = singleStates.getStates();
          assert.equal(states.length, 1);
          states[0]!.forEach((s, i) => {
            assert.deepEqual(s.shape, [B, 9]);
            const worst = maxRelativeDifference(s.data as Float32Array, expected[i].data as Float32Array);
            // The states come from weights that already differ by rounding (checked above), through the
            // NovoLSTM input gate, whose gain starts at units (9) and magnifies them (1.8e-5 measured).
            // The gradients themselves are checked within 1e-6 below.
            const bound = workers === 1 ? 0 : 1e-4;
            assert.ok(worst <= bound, `state ${i} differs by ${worst}`);
          });
        } finally {
          await pool.close();
        }
      }
    });

    it("the summed gradient of several workers is one thread's gradient within 1e-6", async () => {
      await setUp();
      const [{ x, y }] = batches(1);
      const single = model('adam');
      single.computeGradients(x, y);
      const m = model('adam');
      const pool = await DataParallel.create(m, { workers: 2 });
      try {
        await pool.trainStep(x, y);
      } finally {
        await pool.close();
      }
      let worst = 0;
      let scale = 0;
      for (let i = 0; i < m.grads.length; i++) {
        worst = Math.max(worst, Math.abs(m.grads[i] - single.grads[i]));
        scale = Math.max(scale, Math.abs(single.grads[i]));
      }
      assert.ok(scale > 1e-3, 'the gradient is not trivially zero');
      assert.ok(worst <= 1e-6 * scale, `gradients differ by ${worst} (largest ${scale})`);
    });
  });
}

describe('the pool', () => {
  it('splits rows into contiguous, nearly equal shares, in order', () => {
    assert.deepEqual(splitRows(11, 3), [
      [0, 3],
      [3, 7],
      [7, 11],
    ]);
    assert.deepEqual(splitRows(2, 4), [
      [0, 1],
      [1, 2],
    ]);
    assert.deepEqual(splitRows(5, 1), [[0, 5]]);
  });

  it("rethrows a worker's typed error as the same type, and refuses bad options", async () => {
    await useFastKernels();
    const m = model('sgd');
    await assert.rejects(DataParallel.create(m, { workers: 0 }), ConfigError);
    await assert.rejects(DataParallel.create(sequential([layers.dense({ units: 2 })])), ConfigError);
    const pool = await DataParallel.create(m, { workers: 2 });
    try {
      const [{ y }] = batches(1);
      const outOfRange = tensor(new Int32Array(B * T).fill(V + 4), [B, T], 'int32');
      await assert.rejects(
        pool.trainStep(outOfRange, y),
        (e: unknown) => e instanceof ValueError && /out of range/.test(String(e)),
      );
      // The pool still works after a failed step.
      const [{ x }] = batches(1);
      await pool.trainStep(x, y);
    } finally {
      await pool.close();
    }
    await assert.rejects(
      pool.trainStep(
        tensor(new Int32Array(B * T), [B, T], 'int32'),
        tensor(new Int32Array(B * T), [B, T], 'int32'),
      ),
      ConfigError,
    );
  });

  for (const microbatchSize of [undefined, 3]) {
    it(`sends the weights and gets the gradients back in buffers that go round, each step${microbatchSize ? ', in micro-batches' : ''}`, async () => {
      await useFastKernels();
      // Replicas served on this thread, so the buffers the pool and a replica pass are the same objects
      // (a real worker receives a transferred copy of each, which hides which buffer it was).
      const sent: Extract<ToWorker, { kind: 'step' }>[] = [];
      /** What each step message's weights held when it was sent (its buffer comes back holding a gradient). */
      const sentWeights: (Float32Array | null)[] = [];
      const replies: Extract<FromWorker, { kind: 'stepped' }>[] = [];
      const spawn = (): WorkerEndpoint => {
        let toPool: (message: FromWorker) => void = () => undefined;
        let toReplica: (message: ToWorker) => void = () => undefined;
        serveReplica({
          postMessage: (message) => {
            if (message.kind === 'stepped') replies.push(message);
            queueMicrotask(() => toPool(message));
          },
          onMessage: (listener) => (toReplica = listener),
        });
        return {
          post: (message) => {
            if (message.kind === 'step') {
              sent.push(message);
              sentWeights.push(message.values && message.values.slice());
            }
            toReplica(message);
          },
          listen: (handler) => (toPool = handler),
          terminate: () => undefined,
        };
      };
      const data = batches(3);
      const m = model('adam');
      const pool = await DataParallel.create(m, { workers: 2, spawn, microbatchSize });
      try {
        for (const { x, y } of data) {
          const weights = m.values.slice();
          await pool.trainStep(x, y);
          // Each worker got the weights as they were before the step, in a buffer of its own.
          for (const values of sentWeights.slice(-2)) assert.deepEqual(values, weights);
          const step = sent.slice(-2);
          assert.notEqual(step[0].values, step[1].values);
          assert.notEqual(step[0].values, m.values);
        }
        // From the second step on, the weights went out in the buffer the worker's last gradient came in,
        // and each gradient came back in the buffer its step's weights went out in.
        for (let k = 0; k < 2; k++) {
          const worker = (list: { values?: unknown; grads?: unknown }[]) =>
            list.filter((_, i) => i % 2 === k);
          const [steps, stepped] = [worker(sent), worker(replies)];
          const buffer = (a: unknown) => (a as Float32Array).buffer;
          // (With micro-batches the first weights' buffer is too small for a worker's two gradients.)
          for (let i = microbatchSize ? 1 : 0; i < steps.length; i++) {
            assert.equal(buffer(stepped[i].grads), buffer(steps[i].values));
          }
          for (let i = 1; i < steps.length; i++)
            assert.equal(buffer(steps[i].values), buffer(stepped[i - 1].grads));
          // With micro-batches a worker's two gradients come in one buffer twice the weights' length.
          for (const r of stepped)
            assert.equal((r.grads as Float32Array).length, m.values.length * (microbatchSize ? 2 : 1));
        }
      } finally {
        await pool.close();
      }
    });
  }

  it('gives bit for bit the same steps with an evaluate and a predict between them', async () => {
    await useFastKernels();
    // evaluate and predict send the changed weights in their own buffers and the next step sends none:
    // that step's gradient comes back in the buffer evaluate's weights went out in.
    const data = batches(3);
    const plain = model('adam');
    const mixed = model('adam');
    const [a, b] = await Promise.all([
      DataParallel.create(plain, { workers: 2 }),
      DataParallel.create(mixed, { workers: 2 }),
    ]);
    try {
      for (const [i, { x, y }] of data.entries()) {
        await a.trainStep(x, y);
        // The stateful layer carries its states on from evaluate and predict: put them back.
        const states = await b.getStates();
        if (i === 0) await b.evaluate(x, y);
        if (i === 1) await b.predict(x);
        await b.setStates(states);
        await b.trainStep(x, y);
        assert.deepEqual(mixed.grads, plain.grads);
        assert.deepEqual(mixed.values, plain.values);
      }
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('a worker that dies makes the next step fail with an error, not hang', async () => {
    await useFastKernels();
    const { spawnNodeWorker } = await import('../src/parallel/nodeWorkers.js');
    const started: WorkerEndpoint[] = [];
    const spawn = () => {
      const endpoint = spawnNodeWorker();
      started.push(endpoint);
      return endpoint;
    };
    const m = model('sgd');
    const pool = await DataParallel.create(m, { workers: 2, spawn });
    try {
      const [{ x, y }] = batches(1);
      await pool.trainStep(x, y);
      await started[1].terminate();
      await assert.rejects(pool.trainStep(x, y), /worker thread exited/);
      await assert.rejects(pool.trainStep(x, y), /worker thread exited/);
    } finally {
      await pool.close();
    }
  });
});

describe('the language-model trainer with workers', () => {
  const quiet = (stopAfter = Infinity): TrainHooks => {
    let polls = 0;
    return {
      log: () => undefined,
      progress: { isTTY: false, write: () => true },
      stopRequested: () => ++polls > stopAfter,
    };
  };
  const text = (() => {
    const words = 'call me ishmael some years ago never mind how long precisely the whale'.split(' ');
    let s = '';
    for (let i = 0; s.length < 2500; i++)
      s += words[(i * 5 + (i >> 2)) % words.length] + (i % 9 === 8 ? '.\n' : ' ');
    return s;
  })();
  const config = (corpus: string, out: string, overrides: Partial<TrainConfig> = {}): TrainConfig => ({
    corpus,
    cell: 'novolstm',
    units: 9,
    layers: 2,
    embeddingDim: 5,
    dropout: 0.1,
    seqLen: 13,
    batch: 5,
    learningRate: 1e-2,
    clipNorm: 5,
    epochs: 2,
    timeLimitSeconds: null,
    seed: 3,
    out,
    resume: false,
    sampleLength: 8,
    workers: 2,
    ...overrides,
  });

  it('resumes bit for bit, and learns what one thread learns', async () => {
    await useFastKernels();
    assert.notEqual(kernelBackend(), 'reference');
    const dir = mkdtempSync(join(tmpdir(), 'novolstm-parallel-'));
    const corpus = join(dir, 'corpus.txt');
    writeFileSync(corpus, text);
    const straight = await trainLanguageModel(config(corpus, join(dir, 'straight')), quiet());
    const out = join(dir, 'resumed');
    const first = await trainLanguageModel(config(corpus, out), quiet(40));
    assert.equal(first.stoppedBecause, 'stop-requested');
    const resumed = await trainLanguageModel(config(corpus, out, { resume: true }), quiet());
    assert.deepEqual(resumed.model.values, straight.model.values);

    // One thread draws other dropout masks, so compare without dropout.
    const noDropout = { dropout: 0, epochs: 1 };
    const two = await trainLanguageModel(config(corpus, join(dir, 'two'), noDropout), quiet());
    const one = await trainLanguageModel(
      config(corpus, join(dir, 'one'), { ...noDropout, workers: 1 }),
      quiet(),
    );
    assert.ok(
      Math.abs(two.validationBpc - one.validationBpc) < 1e-3,
      `${two.validationBpc} vs ${one.validationBpc} bits per character`,
    );
    assert.ok(one.validationBpc < 4, `it learned: ${one.validationBpc} bits per character`);
  });

  it('with micro-batches, one thread and 2 or 3 workers train the same weights bit for bit, dropout included', async () => {
    await useFastKernels();
    const dir = mkdtempSync(join(tmpdir(), 'novolstm-microbatches-'));
    const corpus = join(dir, 'corpus.txt');
    writeFileSync(corpus, text);
    // 5 streams in micro-batches of 2: 2, 2, 1; three workers run one each, two run 2 and 1.
    const run = (workers: number) =>
      trainLanguageModel(
        config(corpus, join(dir, `w${workers}`), { workers, microbatchSize: 2, epochs: 1 }),
        quiet(),
      );
    const one = await run(1);
    for (const workers of [2, 3]) {
      const many = await run(workers);
      assert.deepEqual(many.model.values, one.model.values, `${workers} workers`);
      assert.equal(many.validationBpc, one.validationBpc);
    }
    assert.ok(one.validationBpc < 4.5, `it learned: ${one.validationBpc} bits per character`);
  });
});

describe('fit with workers', () => {
  it('trains as on one thread, stateful layers included', async () => {
    await useFastKernels();
    const data = batches(2);
    const x = tensor(Int32Array.from([...data[0].x.data, ...data[1].x.data]), [2 * B, T], 'int32');
    const y = tensor(Int32Array.from([...data[0].y.data, ...data[1].y.data]), [2 * B, T], 'int32');
    const fitOptions = { batchSize: B, epochs: 2, shuffle: true, verbose: 0 } as const;
    const single = model('sgd');
    const h1 = await single.fit(x, y, fitOptions);
    const parallel = model('sgd');
    const h2 = await parallel.fit(x, y, { ...fitOptions, workers: 2 });
    const worst = maxRelativeDifference(parallel.values, single.values);
    assert.ok(worst < 1e-5, `weights differ by ${worst} (relative)`);
    h1.history.loss.forEach((v, i) => assert.ok(Math.abs(v - h2.history.loss[i]) < 1e-5));
    const states = (m: Sequential) => (m.layers[1] as unknown as { getStates(): Tensor[] }).getStates();
    const s1 = states(single);
    states(parallel).forEach((s, i) =>
      assert.ok(maxRelativeDifference(s.data as Float32Array, s1[i].data as Float32Array) < 1e-5),
    );
    await assert.rejects(single.fit(x, y, { workers: -1, verbose: 0 }), ConfigError);
  });
});
