/**
 * The comparison's tasks: for each, its data, its model head, its success criterion, and its training
 * budget — fixed per task and the same for every cell, declared here before anything runs.
 *
 * Training is online, as in the 1997 experiments: every batch is freshly generated, so "training
 * sequences" counts distinct sequences seen. The test set is generated once per seed, from its own
 * generator.
 */
import {
  addingProblem,
  addingSolved,
  copyBaselineNats,
  copyTask,
  COPY_LENGTH,
  countWrong,
  embeddedReber,
  modernAddingProblem,
  multiplicationProblem,
  reberSolved,
  temporalOrder,
  temporalOrderSolved,
  TEMPORAL_ORDER_POSITIONS,
  type TaskData,
} from '../data/tasks/index.js';
import type { Random } from '../random.js';
import type { LossName } from '../training/losses.js';

export interface Evaluation {
  readonly solved: boolean;
  /** The task's headline test metric (lower is better for errors, higher for accuracies). */
  readonly metric: number;
}

export interface TaskSpec {
  readonly name: string;
  readonly description: string;
  readonly inputDim: number;
  readonly outputDim: number;
  readonly head: { readonly activation: 'linear' | 'sigmoid' | 'softmax'; readonly loss: LossName };
  /** Targets at every step (the recurrent layer returns sequences) or only at the end. */
  readonly perStep: boolean;
  readonly metricName: string;
  readonly criterion: string;
  /** The LSTM's units; other cells get the units that match its parameter count. */
  readonly lstmUnits: number;
  readonly batchSize: number;
  /** Training stops at success or after this many sequences. */
  readonly maxSequences: number;
  /** How often (in training sequences) the criterion is checked on the test set. */
  readonly evalEvery: number;
  /** Learning rates tried for every cell (on a separate search seed) before the evaluation seeds. */
  readonly learningRates: readonly number[];
  /** What the 1997 paper reports, where the issue gives it. */
  readonly paper: string | null;
  /** What a well-trained modern network reaches on the task, where the issue gives it; absent: nothing. */
  readonly modern?: string;
  /**
   * The time lag the task asks a cell to bridge: the steps from the first input the answer depends on to
   * the step that answers, over every sequence the generator makes (max null: no bound, only a minimum).
   */
  readonly lag: Lag;
  generate(count: number, rng: Random): TaskData;
  testSet(rng: Random): TaskData;
  evaluate(outputs: Float32Array, test: TaskData): Evaluation;
}

export interface Lag {
  readonly min: number;
  readonly max: number | null;
}

/** Index of the largest value (the first of equal ones). */
function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

function meanSquaredError(outputs: ArrayLike<number>, targets: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < targets.length; i++) sum += (outputs[i] - targets[i]) ** 2;
  return sum / targets.length;
}

const ADDING_TEST = 2560;

function adding1997(T: number, budget: Partial<TaskSpec> = {}): TaskSpec {
  return {
    name: `adding-${T}`,
    description: `adding problem, 1997 form, T = ${T} (lengths ${T}–${T + Math.floor(T / 10)})`,
    inputDim: 2,
    outputDim: 1,
    head: { activation: 'linear', loss: 'meanSquaredError' },
    perStep: false,
    metricName: 'test sequences with |error| ≥ 0.04',
    criterion: 'absolute error < 0.04 on all but at most 1 of 2,560 test sequences',
    lstmUnits: 8,
    batchSize: 16,
    maxSequences: 200_000,
    evalEvery: 5_000,
    learningRates: [3e-3, 1e-2, 3e-2],
    paper: T === 100 ? 'solved after 74,000 training sequences (T = 100)' : null,
    // X1 is one of the first 10 pairs; the answer comes at the last of T to T + T/10 steps.
    lag: { min: T - 10, max: T + Math.floor(T / 10) - 1 },
    generate: (count, rng) => addingProblem(count, T, rng),
    testSet: (rng) => addingProblem(ADDING_TEST, T, rng),
    evaluate: (outputs, test) => ({
      solved: addingSolved(outputs, test.y),
      metric: countWrong(outputs, test.y),
    }),
    ...budget,
  };
}

function addingModern(T: number): TaskSpec {
  return {
    name: `adding-modern-${T}`,
    description: `adding problem, modern form, T = ${T} (baseline MSE 0.167)`,
    inputDim: 2,
    outputDim: 1,
    head: { activation: 'linear', loss: 'meanSquaredError' },
    perStep: false,
    metricName: 'test MSE',
    criterion: 'test MSE < 0.01 (6% of the 0.167 baseline)',
    lstmUnits: 32,
    batchSize: 32,
    maxSequences: 300_000,
    evalEvery: 10_000,
    learningRates: [3e-3, 1e-2, 3e-2],
    paper: null,
    modern: 'a well-trained LSTM or GRU reaches a test MSE below 0.001 (chance: 0.167)',
    // X1 is in the first half; the answer comes at step T.
    lag: { min: T - Math.floor(T / 2), max: T - 1 },
    generate: (count, rng) => modernAddingProblem(count, T, rng),
    testSet: (rng) => modernAddingProblem(1000, T, rng),
    evaluate: (outputs, test) => {
      const mse = meanSquaredError(outputs, test.y);
      return { solved: mse < 0.01, metric: mse };
    },
  };
}

function multiplication(T: number): TaskSpec {
  return {
    ...adding1997(T),
    name: `multiplication-${T}`,
    description: `multiplication problem, T = ${T} (values in [0, 1], target X1·X2)`,
    metricName: 'test sequences with |error| > 0.04',
    criterion: 'at most 13 of 2,560 test sequences with absolute error above 0.04 (our threshold)',
    paper: null,
    generate: (count, rng) => multiplicationProblem(count, T, rng),
    testSet: (rng) => multiplicationProblem(ADDING_TEST, T, rng),
    evaluate: (outputs, test) => {
      const wrong = countWrong(outputs, test.y, 0.04 + 1e-12);
      return { solved: wrong <= 13, metric: wrong };
    },
  };
}

const embeddedReberTask: TaskSpec = {
  name: 'embedded-reber',
  description: 'embedded Reber grammar: predict the legal next symbols',
  inputDim: 7,
  outputDim: 7,
  head: { activation: 'sigmoid', loss: 'binaryCrossentropy' },
  perStep: true,
  metricName: 'test strings with a wrong next-symbol set',
  criterion:
    'on 512 fresh strings (the paper: 256 training + 256 test) the legal next symbols are always the most active outputs',
  lstmUnits: 16,
  batchSize: 16,
  maxSequences: 100_000,
  evalEvery: 1_000,
  learningRates: [3e-3, 1e-2, 3e-2],
  paper: '148 of 150 runs solved; best setting after 8,440 training sequences',
  // The second symbol decides the second-to-last, across the inner Reber string (5 symbols or more).
  lag: { min: 5, max: null },
  generate: (count, rng) => embeddedReber(count, rng),
  // Training is online (every string fresh), so the criterion's two sets of 256 are both fresh strings.
  testSet: (rng) => embeddedReber(512, rng),
  evaluate: (outputs, test) => {
    let wrong = 0;
    const perString = test.T * test.targetDim;
    for (let n = 0; n < test.N; n++) {
      const one: TaskData = {
        ...test,
        N: 1,
        lengths: test.lengths.subarray(n, n + 1),
        y: test.y.subarray(n * perString, (n + 1) * perString),
        x: test.x.subarray(n * test.T * test.inputDim, (n + 1) * test.T * test.inputDim),
        mask: test.mask.subarray(n * test.T, (n + 1) * test.T),
      };
      if (!reberSolved(outputs.subarray(n * perString, (n + 1) * perString), one)) wrong++;
    }
    return { solved: reberSolved(outputs, test), metric: wrong };
  },
};

function temporalOrderTask(variant: '6a' | '6b'): TaskSpec {
  const classes = variant === '6a' ? 4 : 8;
  return {
    name: `temporal-order-${variant}`,
    description: `temporal order ${variant}: ${classes} classes from the order of ${variant === '6a' ? 2 : 3} symbols`,
    inputDim: 8,
    outputDim: classes,
    head: { activation: 'softmax', loss: 'categoricalCrossentropy' },
    perStep: false,
    metricName: 'test accuracy',
    criterion: 'every output within 0.3 of its target on all 2,560 test sequences',
    lstmUnits: 16,
    batchSize: 32,
    maxSequences: 300_000,
    evalEvery: 10_000,
    learningRates: [3e-3, 1e-2, 3e-2],
    paper: null,
    // The first relevant symbol is at step 10–20; the answer at the last of 100 to 110 steps.
    lag: {
      min: 99 - TEMPORAL_ORDER_POSITIONS[variant][0][1],
      max: 109 - TEMPORAL_ORDER_POSITIONS[variant][0][0],
    },
    generate: (count, rng) => temporalOrder(count, variant, rng),
    testSet: (rng) => temporalOrder(2560, variant, rng),
    evaluate: (outputs, test) => {
      let correct = 0;
      for (let n = 0; n < test.N; n++) {
        const row = outputs.subarray(n * classes, (n + 1) * classes);
        const predicted = argmax(row);
        if (test.y[n * classes + predicted] === 1) correct++;
      }
      return { solved: temporalOrderSolved(outputs, test), metric: correct / test.N };
    },
  };
}

function copy(T: number): TaskSpec {
  return {
    name: `copy-${T}`,
    description: `copy task, delay T = ${T} (baseline ${copyBaselineNats(T).toFixed(4)} nats per step)`,
    inputDim: 10,
    outputDim: 9,
    head: { activation: 'softmax', loss: 'categoricalCrossentropy' },
    perStep: true,
    metricName: 'test sequences recalled exactly',
    criterion: '≥ 99% of 1,000 test sequences recall all 10 symbols exactly (argmax)',
    lstmUnits: 64,
    batchSize: 32,
    maxSequences: 300_000,
    evalEvery: 10_000,
    learningRates: [1e-3, 3e-3, 1e-2],
    paper: null,
    // Every symbol is recalled T + 10 steps after it was shown.
    lag: { min: T + COPY_LENGTH, max: T + COPY_LENGTH },
    generate: (count, rng) => copyTask(count, T, rng),
    testSet: (rng) => copyTask(1000, T, rng),
    evaluate: (outputs, test) => {
      let exact = 0;
      const K = test.targetDim;
      for (let n = 0; n < test.N; n++) {
        let ok = true;
        for (let t = test.T - COPY_LENGTH; t < test.T && ok; t++) {
          const row = outputs.subarray((n * test.T + t) * K, (n * test.T + t + 1) * K);
          ok = test.y[(n * test.T + t) * K + argmax(row)] === 1;
        }
        if (ok) exact++;
      }
      return { solved: exact >= 0.99 * test.N, metric: exact / test.N };
    },
  };
}

export const TASKS: readonly TaskSpec[] = [
  adding1997(100),
  addingModern(100),
  addingModern(200),
  addingModern(400),
  embeddedReberTask,
  temporalOrderTask('6a'),
  temporalOrderTask('6b'),
  multiplication(100),
  copy(100),
  copy(200),
];

/**
 * The `--quick` grid's tasks: small versions that a working LSTM solves within seconds, one learning
 * rate each (no search). The 1997 adding form at T = 50 takes far longer than the modern form (in a
 * trial here, LSTM(16) was still at the baseline after 100,000 sequences), so the quick grid uses the
 * modern form.
 */
export const QUICK_TASKS: readonly TaskSpec[] = [
  {
    ...addingModern(50),
    lstmUnits: 16,
    maxSequences: 40_000,
    evalEvery: 2_000,
    learningRates: [1e-2],
  },
  { ...embeddedReberTask, maxSequences: 30_000, evalEvery: 1_000, learningRates: [3e-2] },
];

/**
 * The `--preset medium` grid's tasks: a setting that fits about an hour on 2 shared cores with every cell,
 * the learning-rate search and 5 seeds. Two tasks, each with the full search list and a declared budget
 * smaller than the full grid's: the embedded Reber grammar at 30,000 sequences (the paper's best setting
 * needed 8,440; the full grid allows 100,000), and the modern adding problem at T = 50 with LSTM(16) and
 * 40,000 sequences (the full grid's adding tasks are T = 100 and longer).
 */
export const MEDIUM_TASKS: readonly TaskSpec[] = [
  { ...embeddedReberTask, maxSequences: 30_000, evalEvery: 1_000 },
  { ...addingModern(50), lstmUnits: 16, maxSequences: 40_000, evalEvery: 2_000 },
];

export function taskByName(name: string): TaskSpec {
  const task = [...TASKS, ...QUICK_TASKS].find((t) => t.name === name);
  if (!task) {
    throw new RangeError(
      `unknown task '${name}': one of ${[...TASKS, ...QUICK_TASKS].map((t) => t.name).join(', ')}`,
    );
  }
  return task;
}
