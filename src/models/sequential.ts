/**
 * The Sequential model: a stack of layers, compiled with an optimizer and a loss, trained one batch at a
 * time (`trainOnBatch`) or over epochs (`fit`, in training/fit.ts; see installModelMethods below).
 *
 * One training step reads as the loop it is: forward through the layers, loss and its gradient, zero the
 * flat gradient array, backward through the layers in reverse, clip and update (optimizer).
 *
 * Cross-entropy losses are fused with the last layer's activation: the last Dense layer hands the loss
 * its pre-activation z (see training/losses.ts), so compile requires a final Dense layer with activation
 * 'softmax' (categorical losses) or 'sigmoid' (binary cross-entropy) — unless the loss is `fromLogits`,
 * when the model's output is z itself (a linear head) and predict returns logits, as in Keras.
 */
import { ConfigError, ShapeError, ValueError } from '../errors.js';
import { activationForward } from '../kernels/reference/activations.js';
import { Bidirectional } from '../layers/bidirectional.js';
import { Dense } from '../layers/dense.js';
import { Embedding } from '../layers/embedding.js';
import type { Batch, ConfigValue, Layer, LayerStep, Shape } from '../layers/layer.js';
import { Masking } from '../layers/masking.js';
import { Recurrent } from '../layers/recurrent.js';
import { allocateParameters, type ParameterEntry } from '../layers/parameters.js';
import { standaloneLayers } from '../layers/standalone.js';
import { checkOptionKeys } from '../options.js';
import { Random } from '../random.js';
import { argMax, asTensor, Tensor } from '../tensor.js';
import { checkBatchSize, inputBatch, range, takeRows } from './batches.js';
import {
  fusedActivation,
  LOSS_ALIASES,
  lossConfig,
  LOSSES,
  type LossConfig,
  type LossName,
} from '../training/losses.js';
import { accuracyCounts, resolveMetric, type MetricName } from '../training/metrics.js';
import { lossAndGradient, prepareTargets, rowWeights, type Targets } from '../training/objective.js';
import { optimizerFromConfig, Optimizer } from '../training/optimizers.js';
import { summaryLines } from './summary.js';
import { addTotals, type BatchTotals } from './totals.js';

export interface SequentialOptions {
  readonly layers?: readonly Layer[];
  readonly name?: string;
  /** Seeds the initial weights and the training generator (shuffling, dropout). Default 0. */
  readonly seed?: number;
  /**
   * Draw the initial weights when the model is built (default true). false leaves them zero, for callers
   * that write every weight right after (loading a save, copying a model): the orthogonal recurrent
   * kernels take about a second to draw at 2 × 256 units.
   */
  readonly initialize?: boolean;
}

export interface CompileOptions {
  readonly optimizer: Optimizer | 'sgd' | 'adam' | 'adamW' | 'rmsprop';
  /** A name (or Keras' snake_case alias), or `nl.losses.*({ fromLogits })`. */
  readonly loss: LossName | keyof typeof LOSS_ALIASES | LossConfig;
  readonly metrics?: readonly (MetricName | string)[];
}

export interface Compiled {
  readonly optimizer: Optimizer;
  readonly loss: LossName;
  /** The output is the logits of a cross-entropy (no softmax / sigmoid fused into the last layer). */
  readonly fromLogits: boolean;
  readonly metrics: readonly { readonly name: string; readonly kind: Exclude<MetricName, 'accuracy'> }[];
}

/** Layers already placed in a model: a layer's weights are views into one model's arrays. */
const placed = new WeakSet<Layer>();

export class Sequential {
  readonly layers: Layer[] = [];
  readonly name: string;
  readonly seed: number;
  /** Set by a callback (e.g. earlyStopping) to end `fit` after the current epoch. */
  stopTraining = false;
  /** Free-form JSON the caller attaches (a vocabulary, labels); saved and loaded with the model. */
  metadata: Record<string, ConfigValue> = {};
  /**
   * [N] all weights; layer weights are views into it. Empty until built. Whoever writes into it directly
   * calls markWeightsChanged() afterwards (the model's own methods do).
   */
  values: Float32Array = new Float32Array(0);
  /** Counts changes of `values`, so that kernels holding a copy of the weights know when to refresh it. */
  weightsVersion = 0;
  /** [N] gradients of the last computed batch. */
  grads: Float32Array = new Float32Array(0);
  entries: readonly ParameterEntry[] = [];
  /** Draws shuffles and dropout masks; its state is saved with the model so training resumes exactly. */
  readonly trainingRng: Random;
  compiled: Compiled | null = null;
  private built = false;
  private readonly initialize: boolean;

  constructor(options: SequentialOptions = {}) {
    checkOptionKeys('sequential', options, ['layers', 'name', 'seed', 'initialize']);
    const seed = options.seed ?? 0;
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new ConfigError(
        'sequential',
        'seed must be an integer in [0, 2³²)',
        'an unsigned 32-bit integer',
        seed,
      );
    }
    this.seed = seed;
    this.name = options.name ?? 'sequential';
    this.trainingRng = new Random((seed ^ 0x2545f491) >>> 0);
    if (options.initialize !== undefined && typeof options.initialize !== 'boolean') {
      throw new ConfigError(
        'sequential',
        'initialize must be a boolean',
        'true or false',
        options.initialize,
      );
    }
    this.initialize = options.initialize ?? true;
    // All layers first, then one build: building after each (as `add` does) would draw the earlier layers'
    // weights again for every later one — the same values in the end, several times the work.
    for (const layer of options.layers ?? []) this.place(layer);
    this.buildDeclared();
  }

  /**
   * Appends a layer. A model whose first layer has `inputShape` is built (weights drawn) right away and
   * rebuilt after each add, as long as it has not been trained.
   */
  add(layer: Layer): void {
    this.place(layer);
    this.buildDeclared();
  }

  /** Appends a layer after checking it; the model is unbuilt afterwards. */
  private place(layer: Layer): void {
    if (this.built) {
      if ((this.compiled?.optimizer.iterations ?? 0) > 0) {
        throw new ConfigError(
          `model '${this.name}'`,
          'cannot add a layer to a trained model',
          'an untrained model',
          'trained',
        );
      }
      this.built = false;
    }
    if (!(layer && typeof layer === 'object' && 'forward' in layer && 'className' in layer)) {
      throw new ConfigError('sequential', 'layers must be made with nl.layers.*', 'a layer', String(layer));
    }
    if (layer instanceof Recurrent && layer.returnState) {
      throw new ConfigError(
        layer.label,
        'returnState gives several outputs, and a Sequential passes one tensor between layers',
        'returnState: false (states: stateful + getStates(), or layer.apply outside a model)',
        'returnState: true',
      );
    }
    if (standaloneLayers.has(layer)) {
      throw new ConfigError(
        layer.label,
        'this layer has weights of its own from apply(); a model would replace them',
        'a new layer (copy weights with getWeights/setWeights)',
        'a layer used with apply',
      );
    }
    if (placed.has(layer)) {
      throw new ConfigError(
        layer.label,
        'this layer object is already in a model',
        'a new layer',
        'a placed layer',
      );
    }
    if (this.layers.length > 0 && layer.declaredInputShape) {
      throw new ConfigError(
        layer.label,
        'only the first layer takes inputShape',
        'no inputShape',
        JSON.stringify(layer.declaredInputShape),
      );
    }
    if (!layer.name) layer.name = this.uniqueName(snakeCase(layer.className));
    else if (this.layers.some((l) => l.name === layer.name)) {
      throw new ConfigError(`model '${this.name}'`, 'layer names must be unique', 'a new name', layer.name);
    }
    placed.add(layer);
    this.layers.push(layer);
  }

  private uniqueName(base: string): string {
    const taken = new Set(this.layers.map((l) => l.name));
    if (!taken.has(base)) return base;
    let i = 1;
    while (taken.has(`${base}_${i}`)) i++;
    return `${base}_${i}`;
  }

  /** Whether the weights exist; a first layer with `inputShape` builds the model on first need. */
  get isBuilt(): boolean {
    this.buildDeclared();
    return this.built;
  }

  private buildDeclared(): void {
    const declared = this.layers[0]?.declaredInputShape;
    if (!this.built && declared) this.build(declared);
  }

  /** Shape of one input row (without the batch axis); null entries accept any length. */
  get inputShape(): Shape | null {
    return this.layers[0]?.inputShape ?? null;
  }

  get outputShape(): Shape | null {
    return this.layers[this.layers.length - 1]?.outputShape ?? null;
  }

  /**
   * Infers every layer's shape, allocates the flat parameter arrays and draws the initial weights (left at
   * zero with `initialize: false`).
   */
  build(inputShape: Shape): void {
    if (this.built) return;
    if (this.layers.length === 0)
      throw new ConfigError(`model '${this.name}'`, 'has no layers', 'at least one layer', 0);
    let shape = inputShape;
    for (const layer of this.layers) shape = layer.build(shape);
    const store = allocateParameters(this.layers);
    this.values = store.values;
    this.grads = store.grads;
    this.entries = store.entries;
    if (this.initialize) {
      const initRng = new Random(this.seed);
      for (const layer of this.layers) layer.initialize(initRng);
    }
    this.built = true;
  }

  /** Builds from the first data seen: the time axis of a sequence model stays free. */
  private buildFrom(x: Tensor): void {
    this.buildDeclared();
    if (this.built) return;
    const first = this.layers[0];
    const rowShape: (number | null)[] = [...x.shape.slice(1)];
    if (
      (first instanceof Embedding ||
        first instanceof Recurrent ||
        first instanceof Masking ||
        first instanceof Bidirectional) &&
      rowShape.length > 0
    ) {
      rowShape[0] = null;
    }
    this.build(rowShape);
  }

  compile(options: CompileOptions): void {
    const label = 'compile';
    checkOptionKeys(label, options, ['optimizer', 'loss', 'metrics']);
    let optimizer: Optimizer;
    if (options.optimizer instanceof Optimizer) optimizer = options.optimizer;
    else if (
      typeof options.optimizer === 'string' &&
      ['sgd', 'adam', 'adamW', 'rmsprop'].includes(options.optimizer)
    )
      optimizer = optimizerFromConfig(options.optimizer, {});
    else
      throw new ConfigError(
        label,
        'optimizer is not supported',
        "nl.optimizers.*(...), or 'sgd', 'adam', 'adamW', 'rmsprop'",
        String(options.optimizer),
      );
    const { loss, fromLogits } = resolveLoss(options.loss);
    if (options.metrics !== undefined && !Array.isArray(options.metrics)) {
      throw new ConfigError(label, 'metrics must be an array', "e.g. ['accuracy']", String(options.metrics));
    }
    const metrics = (options.metrics ?? []).map((m) => resolveMetric(m, loss));
    this.checkLossFits(loss, fromLogits);
    this.compiled = { optimizer, loss, fromLogits, metrics };
  }

  /**
   * A fused cross-entropy needs the matching activation on a final Dense layer; one from logits needs an
   * output without it (else softmax / sigmoid would be applied twice).
   */
  private checkLossFits(loss: LossName, fromLogits: boolean): void {
    if (this.layers.length === 0) {
      throw new ConfigError(`model '${this.name}'`, 'has no layers', 'at least one layer', 0);
    }
    const fused = fusedActivation(loss);
    if (!fused) return;
    const last = this.layers[this.layers.length - 1];
    if (fromLogits) {
      if (last instanceof Dense && (last.activation === 'softmax' || last.activation === 'sigmoid')) {
        throw new ConfigError(
          'compile',
          `loss '${loss}' with fromLogits takes the last layer's output as logits; a ${last.activation} there would be applied twice`,
          "a final layer without softmax / sigmoid (e.g. dense with activation 'linear')",
          `Dense with activation '${last.activation}'`,
        );
      }
      return;
    }
    if (!(last instanceof Dense) || last.activation !== fused) {
      const actual = last instanceof Dense ? `Dense with activation '${last.activation}'` : last.className;
      throw new ConfigError(
        'compile',
        `loss '${loss}' is computed from logits fused with the last layer's ${fused}`,
        `a final dense layer with activation '${fused}'`,
        actual,
      );
    }
  }

  requireCompiled(what: string): Compiled {
    if (!this.compiled)
      throw new ConfigError(what, 'the model is not compiled', 'model.compile(...) first', 'not compiled');
    return this.compiled;
  }

  /** Rows of x (all when null) as a batch for the first layer: token ids for an embedding. */
  private toBatch(x: Tensor, rows: readonly number[] | null): Batch {
    return inputBatch(x, rows, this.inputShape ?? [], this.layers[0] instanceof Embedding);
  }

  /** x and y as tensors with the same number of samples; builds the model from x if needed. */
  checkXY(x: unknown, y: unknown, what: string): { x: Tensor; y: Tensor } {
    const xt = this.checkX(x);
    const yt = asTensor(y, 'y');
    if (yt.rank < 1) throw new ShapeError('y', 'must have a batch axis', 'rank ≥ 1', yt.rank);
    if (yt.shape[0] !== xt.shape[0]) {
      throw new ShapeError(what, 'x and y have different numbers of samples', xt.shape[0], yt.shape[0]);
    }
    return { x: xt, y: yt };
  }

  /**
   * Checks every target in y against the compiled loss and the output x gives (shape, class range, finite,
   * binary in [0, 1]) before any step: `fit` calls it so that a bad label deep in y stops training before
   * the first update, with an error naming its sample in y.
   */
  checkTargets(x: Tensor, y: Tensor, subject = 'y'): void {
    const { loss } = this.requireCompiled('fit');
    // The output's free axis (a sequence's time) has x's length.
    const out = (this.outputShape ?? []).map((d, i) => d ?? x.shape[i + 1]);
    prepareTargets(loss, y, [x.shape[0], ...out], null, subject);
  }

  /** x as a tensor with a batch axis and at least one sample; builds the model from it if needed. */
  private checkX(x: unknown): Tensor {
    const xt = asTensor(x, 'x');
    if (xt.rank < 2) throw new ShapeError('x', 'must be [samples, …features]', 'rank ≥ 2', xt.rank);
    if (xt.shape[0] === 0) throw new ShapeError('x', 'has no samples', '≥ 1', 0);
    this.buildFrom(xt);
    return xt;
  }

  /**
   * Forward (and, with `withGradient`, backward into `grads`) on one batch; returns its totals. The model
   * must be built and compiled; x and y are already checked.
   */
  runBatch(
    x: Tensor,
    y: Tensor,
    rows: readonly number[] | null,
    training: boolean,
    withGradient: boolean,
    /** [N] or, for a sequence output, [N, T]: fit's per-sample (per-step) loss weights, rows as y's. */
    sampleWeight: Tensor | null = null,
  ): BatchTotals {
    const { loss, fromLogits, metrics } = this.requireCompiled('trainOnBatch');
    const fused = fusedActivation(loss);
    // Without a gradient no backward follows: the layers keep nothing for one (tape-free forward).
    const ctx = {
      training,
      rng: this.trainingRng,
      weightsVersion: this.weightsVersion,
      gradient: withGradient,
    };
    const steps: LayerStep[] = [];
    let a = this.toBatch(x, rows);
    const yRows = rows ? takeRows(y, rows) : y;
    for (let i = 0; i < this.layers.length; i++) {
      const layer = this.layers[i];
      const last = i === this.layers.length - 1;
      const step = last && fused && !fromLogits ? (layer as Dense).forwardLogits(a) : layer.forward(a, ctx);
      steps.push(step);
      a = step.output;
    }
    const out = a.data as Float32Array; // z for fused losses, p otherwise; [R, C]
    const C = a.shape[a.shape.length - 1];
    const R = out.length / C;
    const targets: Targets = prepareTargets(loss, yRows, a.shape, rows);
    const weights = rowWeights(a.shape, a.mask);
    const scale = sampleWeight ? rowScales(rows ? takeRows(sampleWeight, rows) : sampleWeight, R) : null;
    const result = lossAndGradient(loss, out, targets, weights, R, C, withGradient, scale);

    // Probabilities only for metrics: the fused loss works from the logits.
    const probabilities =
      fused && metrics.length > 0 ? activationForward(new Float32Array(out.length), out, fused, R, C) : out;
    const metricTotals = metrics.map((m) => accuracyCounts(m.kind, probabilities, targets, weights, R, C));
    let weight = 0;
    for (let r = 0; r < R; r++) weight += weights ? weights[r] : 1;

    if (withGradient && result.gradient) {
      this.grads.fill(0);
      let d: Float32Array | null = result.gradient;
      for (let i = steps.length - 1; i >= 0 && d; i--) d = steps[i].backward(d);
    }
    return { lossSum: result.loss * weight, weight, metrics: metricTotals };
  }

  /** The loss on (x, y) and its gradient left in `model.grads` (flat, in `model.entries` order); no update. */
  computeGradients(x: unknown, y: unknown): number {
    const xy = this.checkXY(x, y, 'computeGradients');
    const totals = this.runBatch(xy.x, xy.y, null, true, true);
    return totals.weight > 0 ? totals.lossSum / totals.weight : 0;
  }

  /** One update on one batch. Returns the loss, or [loss, ...metrics] when metrics were compiled. */
  trainOnBatch(x: unknown, y: unknown): number | number[] {
    const xy = this.checkXY(x, y, 'trainOnBatch');
    const totals = this.trainRows(xy.x, xy.y, null);
    return this.report(totals);
  }

  /** Forward, backward, update on the given rows (all when null): one step of the training loop. */
  trainRows(
    x: Tensor,
    y: Tensor,
    rows: readonly number[] | null,
    sampleWeight: Tensor | null = null,
  ): BatchTotals {
    const totals = this.runBatch(x, y, rows, true, true, sampleWeight);
    this.applyGradients();
    return totals;
  }

  /**
   * The optimizer's update of `values` from `grads` (this thread's, or the sum of the workers' in a pool),
   * and the version bump that tells kernels holding a copy of the weights to refresh it.
   */
  applyGradients(): void {
    const { optimizer } = this.requireCompiled('trainOnBatch');
    optimizer.applyGradients(this.values, this.grads, this.trainableEntries());
    this.markWeightsChanged();
  }

  /** The entries of the layers with `trainable` true: what the optimizer updates (all by default). */
  trainableEntries(): readonly ParameterEntry[] {
    const frozen = this.layers.filter((l) => !l.trainable).map((l) => `${l.name}/`);
    if (frozen.length === 0) return this.entries;
    return this.entries.filter((e) => !frozen.some((prefix) => e.name.startsWith(prefix)));
  }

  report(totals: BatchTotals): number | number[] {
    const loss = totals.weight > 0 ? totals.lossSum / totals.weight : 0;
    if (!this.compiled || this.compiled.metrics.length === 0) return loss;
    return [loss, ...totals.metrics.map((m) => (m.total > 0 ? m.correct / m.total : 0))];
  }

  /** Outputs for x, in batches of `batchSize` (default 32), dropout off. */
  predict(x: unknown, options: { batchSize?: number } = {}): Tensor {
    const batchSize = checkBatchSize('predict', options, ['batchSize']);
    const xt = this.checkX(x);
    const N = xt.shape[0];
    const ctx = {
      training: false,
      rng: this.trainingRng,
      weightsVersion: this.weightsVersion,
      gradient: false,
    };
    const parts: Float32Array[] = [];
    let outShape: readonly number[] = [];
    for (let start = 0; start < N; start += batchSize) {
      const rows = range(start, Math.min(N, start + batchSize));
      let a = this.toBatch(xt, rows);
      for (const layer of this.layers) a = layer.forward(a, ctx).output;
      parts.push(a.data as Float32Array);
      outShape = a.shape.slice(1);
    }
    const data = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
    let offset = 0;
    for (const p of parts) {
      data.set(p, offset);
      offset += p.length;
    }
    return new Tensor(data, [N, ...outShape]);
  }

  /**
   * Class indices for x (Keras' `predict_classes`), int32 with the output's last axis removed: the argmax
   * over classes, or for one output unit (binary) 1 where σ > 0.5 — z > 0 for a model trained from logits.
   */
  predictClasses(x: unknown, options: { batchSize?: number } = {}): Tensor {
    const p = this.predict(x, options);
    const C = p.shape[p.shape.length - 1];
    if (C > 1) return argMax(p, -1);
    const threshold = this.compiled?.fromLogits ? 0 : 0.5;
    return new Tensor(
      Int32Array.from(p.data, (v) => (v > threshold ? 1 : 0)),
      p.shape.slice(0, -1),
    );
  }

  /** Loss (and metrics) on (x, y), dropout off: the exact mean over all rows, in batches. */
  evaluate(x: unknown, y: unknown, options: { batchSize?: number } = {}): number | number[] {
    const batchSize = checkBatchSize('evaluate', options, ['batchSize']);
    const xy = this.checkXY(x, y, 'evaluate');
    return this.report(this.evaluateTotals(xy.x, xy.y, batchSize));
  }

  evaluateTotals(
    x: Tensor,
    y: Tensor,
    batchSize: number,
    rowsOf: readonly number[] | null = null,
    sampleWeight: Tensor | null = null,
  ): BatchTotals {
    const all = rowsOf ?? range(0, x.shape[0]);
    const totals: BatchTotals = { lossSum: 0, weight: 0, metrics: [] };
    for (let start = 0; start < all.length; start += batchSize) {
      const part = this.runBatch(x, y, all.slice(start, start + batchSize), false, false, sampleWeight);
      addTotals(totals, part);
    }
    return totals;
  }

  /** Prints the Keras-style table (through `printFn`, default console.log). */
  summary(options: { printFn?: (line: string) => void } = {}): void {
    if (!this.isBuilt) {
      throw new ConfigError(
        'summary',
        'the model is not built yet',
        'an inputShape on the first layer, or a call to fit/predict',
        'unbuilt',
      );
    }
    const print = options.printFn ?? ((line: string) => console.log(line));
    for (const line of summaryLines(this.name, this.layers)) print(line);
  }

  /** Call after writing into `values` directly. */
  markWeightsChanged(): void {
    this.weightsVersion++;
  }

  /** Clears the carried states of every stateful recurrent layer. */
  resetStates(): void {
    for (const layer of this.layers) {
      if (layer instanceof Recurrent && layer.stateful) layer.resetStates();
      if (layer instanceof Bidirectional && layer.forwardLayer.stateful) layer.resetStates();
    }
  }

  /** Copies of every weight, layer by layer, each in its Keras shape. */
  getWeights(): Tensor[] {
    this.buildDeclared();
    return this.entries.map((e) => new Tensor(this.values.slice(e.offset, e.offset + e.size), e.shape));
  }

  setWeights(weights: readonly Tensor[]): void {
    if (!this.isBuilt)
      throw new ConfigError('setWeights', 'the model is not built yet', 'a built model', 'unbuilt');
    if (!Array.isArray(weights) || weights.length !== this.entries.length) {
      throw new ShapeError(
        'setWeights',
        'wrong number of weight tensors',
        this.entries.length,
        Array.isArray(weights) ? weights.length : typeof weights,
      );
    }
    weights.forEach((w, i) => {
      const e = this.entries[i];
      if (!(w instanceof Tensor) || w.dtype !== 'float32' || w.shape.join() !== e.shape.join()) {
        throw new ShapeError(
          'setWeights',
          `weight ${i} ('${e.name}') has the wrong shape`,
          `[${e.shape.join(', ')}] float32`,
          w instanceof Tensor ? `[${w.shape.join(', ')}] ${w.dtype}` : typeof w,
        );
      }
      for (let j = 0; j < w.size; j++) {
        if (!Number.isFinite(w.data[j]))
          throw new ValueError(
            'setWeights',
            `weight ${i} ('${e.name}') [${j}] is not finite`,
            'a finite number',
            w.data[j],
          );
      }
    });
    weights.forEach((w, i) => this.values.set(w.data, this.entries[i].offset));
    this.markWeightsChanged();
  }
}

/**
 * The Keras-style methods whose work lives on the floors above the model: `model.fit` (training/fit.ts)
 * and `model.save` (io/index.ts). Those files import the model, so the model cannot import them: that made
 * a cycle of eleven files. Instead each declares its method's type on Sequential (declaration merging, next
 * to the options it takes) and the package entry, src/index.ts, installs the implementations — thin calls
 * of the free functions `fit(model, …)` and `saveModel(model, …)`. Code inside the package calls those free
 * functions, so it works whether or not the entry was loaded; until it is, the methods say where they come
 * from. A new one (say `model.export` from interop/) is a name below, a `declare module` beside its free
 * function, and a line in src/index.ts.
 */
export const DELEGATED_METHODS = ['fit', 'fitDataset', 'save', 'export'] as const;
export type DelegatedMethod = (typeof DELEGATED_METHODS)[number];

type ModelMethod = (this: Sequential, ...args: never[]) => unknown;

/** Puts the delegated methods on every model (the package entry calls this once). */
export function installModelMethods(methods: Readonly<Record<DelegatedMethod, ModelMethod>>): void {
  for (const name of DELEGATED_METHODS) definePrototypeMethod(name, methods[name]);
}

function definePrototypeMethod(name: string, method: ModelMethod): void {
  Object.defineProperty(Sequential.prototype, name, { value: method, writable: true, configurable: true });
}

for (const name of DELEGATED_METHODS) {
  definePrototypeMethod(name, () => {
    throw new ConfigError(
      `model.${name}`,
      'is installed by the package entry',
      "import from 'novolstm' (src/index.ts), or call the free function (fit in training/fit.ts, fitDataset in training/fitDataset.ts, saveModel in io/index.ts, exportModel in interop/index.ts)",
      'not installed',
    );
  });
}

/**
 * A batch's sample weights [B] or [B, T] as one scale per output row [R]: a per-sample weight repeats over
 * the sample's T rows of a sequence output (R = B·T).
 */
function rowScales(sampleWeight: Tensor, R: number): Float32Array {
  const w = sampleWeight.data;
  if (w.length === R) return w instanceof Float32Array ? w : Float32Array.from(w);
  const perSample = R / w.length;
  return Float32Array.from({ length: R }, (_, r) => w[Math.floor(r / perSample)]);
}

/** compile's `loss`: a name, an alias, or a LossConfig from `nl.losses.*`. */
function resolveLoss(raw: unknown): { loss: LossName; fromLogits: boolean } {
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
    const o = checkOptionKeys('compile: loss', raw, ['name', 'fromLogits']);
    const { loss: name } = resolveLoss(o.name);
    const config = lossConfig(
      name,
      o.fromLogits === undefined ? {} : { fromLogits: o.fromLogits as boolean },
    );
    return { loss: config.name, fromLogits: config.fromLogits ?? false };
  }
  const text = String(raw);
  const loss = (Object.hasOwn(LOSS_ALIASES, text) ? LOSS_ALIASES[text] : text) as LossName;
  if (typeof raw !== 'string' || !LOSSES.includes(loss))
    throw new ConfigError('compile', 'loss is not supported', LOSSES.join(', '), text);
  return { loss, fromLogits: false };
}

export function sequential(layersOrOptions: readonly Layer[] | SequentialOptions = {}): Sequential {
  return new Sequential(
    Array.isArray(layersOrOptions) ? { layers: layersOrOptions } : (layersOrOptions as SequentialOptions),
  );
}

function snakeCase(className: string): string {
  return className
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase();
}
