/**
 * One training run of one cell on one task with one seed: online training on fresh batches, the
 * task's criterion checked on a fixed test set every `evalEvery` sequences, stopping at success or at the
 * budget.
 */
import type { TaskData } from '../data/tasks/index.js';
import { ConfigError } from '../errors.js';
import * as layers from '../layers/index.js';
import { Recurrent } from '../layers/recurrent.js';
import { sequential, type Sequential } from '../models/sequential.js';
import { Random } from '../random.js';
import { tensor, type Tensor } from '../tensor.js';
import { adam } from '../training/optimizers.js';
import { comparedCell, parameterCount, unitsForBudget, type ComparedCell } from './comparedCells.js';
import type { TaskSpec } from './taskSuite.js';

/** Every cell and task trains with Adam and this global gradient-norm clip (declared, not tuned). */
export const GLOBAL_CLIP_NORM = 1;

export interface CurvePoint {
  /** Training sequences seen so far. */
  readonly sequences: number;
  /** The task's test metric at that point. */
  readonly metric: number;
  /** Mean training loss since the previous point. */
  readonly loss: number;
}

export interface TrialResult {
  readonly task: string;
  readonly cell: string;
  readonly units: number;
  readonly parameters: number;
  readonly seed: number;
  readonly learningRate: number;
  readonly solved: boolean;
  /**
   * A step made the weights non-finite (the gradient overflowed float32): training stopped there, unsolved,
   * and the final metric is that of the last finite weights.
   */
  readonly diverged: boolean;
  /** Training sequences seen when the criterion was first met; null if it never was. */
  readonly sequencesToSuccess: number | null;
  readonly finalMetric: number;
  /** Wall time of the whole trial, and the parts of it spent on training steps and on test evaluations. */
  readonly seconds: number;
  readonly trainSeconds: number;
  readonly evaluationSeconds: number;
  /** Training batches run and test evaluations made (for the cost estimate of longer runs). */
  readonly batches: number;
  readonly evaluations: number;
  readonly curve: readonly CurvePoint[];
}

export interface TrialOptions {
  readonly seed: number;
  readonly learningRate: number;
  /**
   * The initial forget-gate bias of an LSTM-family cell instead of Keras' 1 (unitForgetBias) — a control
   * for whether a cell fails a long-lag task by its initialisation. Not part of the report's grid.
   */
  readonly forgetBias?: number;
  /** Called after every evaluation (for progress output). */
  readonly onEvaluation?: (point: CurvePoint) => void;
}

/** Separate, seed-derived generators for initial weights, training data and the test set. */
function streams(seed: number): { weights: number; train: Random; test: Random } {
  const root = new Random(seed);
  return {
    weights: root.nextUint32(),
    train: new Random(root.nextUint32()),
    test: new Random(root.nextUint32()),
  };
}

/** The cell's units for this task: the most whose model is no bigger than the LSTM's at `lstmUnits`. */
export function unitsFor(task: TaskSpec, cell: ComparedCell): number {
  const budget = parameterCount(comparedCell('lstm'), task.lstmUnits, task.inputDim, task.outputDim);
  return unitsForBudget(cell, budget, task.inputDim, task.outputDim);
}

export function buildTaskModel(task: TaskSpec, cell: ComparedCell, units: number, seed: number): Sequential {
  return sequential({
    seed,
    layers: [
      layers.masking({ maskValue: 0, inputShape: [null, task.inputDim] }),
      cell.layer(units, { returnSequences: task.perStep }),
      layers.dense({ units: task.outputDim, activation: task.head.activation }),
    ],
  });
}

/** Writes `value` into the forget-gate block (f, the second block of u columns) of the model's cell bias. */
function setForgetBias(model: Sequential, cell: ComparedCell, value: number): void {
  const layer = model.layers.find((l) => l instanceof Recurrent) as Recurrent;
  if (!layer.builtCell.hasCellState) {
    throw new ConfigError(`task cell '${cell.id}'`, 'has no forget gate', 'an LSTM-family cell', cell.id);
  }
  const weights = layer.getWeights();
  const index = layer.builtCell.weights.findIndex((w) => w.name === 'bias');
  weights[index].data.fill(value, layer.units, 2 * layer.units);
  layer.setWeights(weights);
  model.markWeightsChanged();
}

function tensors(data: TaskData): { x: Tensor; y: Tensor } {
  const { N, T, inputDim, targetDim } = data;
  return {
    x: tensor(data.x, [N, T, inputDim]),
    y: tensor(data.y, data.targetAt === 'end' ? [N, targetDim] : [N, T, targetDim]),
  };
}

export function runTrial(task: TaskSpec, cell: ComparedCell, options: TrialOptions): TrialResult {
  const started = performance.now();
  const units = unitsFor(task, cell);
  const rng = streams(options.seed);
  const model = buildTaskModel(task, cell, units, rng.weights);
  const forgetBias = options.forgetBias ?? cell.forgetBias; // the option, else the cell's own (lstm-forget5)
  if (forgetBias !== undefined) setForgetBias(model, cell, forgetBias);
  model.compile({
    optimizer: adam({ learningRate: options.learningRate, globalClipNorm: GLOBAL_CLIP_NORM }),
    loss: task.head.loss,
  });
  const test = task.testSet(rng.test);
  const testX = tensors(test).x;

  const curve: CurvePoint[] = [];
  let seen = 0;
  let nextEvaluation = task.evalEvery;
  let lossSum = 0;
  let lossBatches = 0;
  let sequencesToSuccess: number | null = null;
  let finalMetric = NaN;
  let trainSeconds = 0;
  let evaluationSeconds = 0;
  let batches = 0;
  let diverged = false;
  // The weights before the step, to fall back to when a step makes them non-finite (a few thousand floats).
  const lastGood = new Float32Array(model.values.length);
  while (seen < task.maxSequences) {
    const stepStarted = performance.now();
    const batch = tensors(task.generate(task.batchSize, rng.train));
    lastGood.set(model.values);
    const loss = model.trainOnBatch(batch.x, batch.y) as number;
    trainSeconds += (performance.now() - stepStarted) / 1000;
    batches++;
    seen += task.batchSize;
    diverged = !Number.isFinite(loss) || !model.values.every(Number.isFinite);
    if (diverged) {
      model.values.set(lastGood);
      model.markWeightsChanged();
    } else {
      lossSum += loss;
      lossBatches++;
    }
    if (diverged || seen >= nextEvaluation || seen >= task.maxSequences) {
      nextEvaluation += task.evalEvery;
      const evaluationStarted = performance.now();
      const outputs = model.predict(testX, { batchSize: 256 }).data as Float32Array;
      const { solved, metric } = task.evaluate(outputs, test);
      evaluationSeconds += (performance.now() - evaluationStarted) / 1000;
      const point = { sequences: seen, metric, loss: lossBatches > 0 ? lossSum / lossBatches : NaN };
      curve.push(point);
      options.onEvaluation?.(point);
      lossSum = 0;
      lossBatches = 0;
      finalMetric = metric;
      if (solved && !diverged) sequencesToSuccess = seen;
      if (solved || diverged) break;
    }
  }
  return {
    task: task.name,
    cell: cell.id,
    units,
    parameters: parameterCount(cell, units, task.inputDim, task.outputDim),
    seed: options.seed,
    learningRate: options.learningRate,
    solved: sequencesToSuccess !== null,
    diverged,
    sequencesToSuccess,
    finalMetric,
    seconds: (performance.now() - started) / 1000,
    trainSeconds,
    evaluationSeconds,
    batches,
    evaluations: curve.length,
    curve,
  };
}
