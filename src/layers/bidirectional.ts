/**
 * Bidirectional: runs a recurrent layer over the sequence in both directions and merges the two outputs
 * (Keras' Bidirectional). The forward copy keeps the wrapped layer's options; the backward copy has
 * `goBackwards` flipped. With `returnSequences`, both outputs are put back in input time order before
 * merging, so step t of the result sees x_1…x_t (forward) and x_t…x_T (backward).
 *
 * Merge modes, with f and b the two outputs [B, (T,) u]:
 *   concat [f, b] (2u features)   sum f + b   mul f ⊙ b   ave (f + b) / 2
 * Weights (Keras order): the forward layer's, then the backward layer's, as 'forward/…' and 'backward/…'.
 */
import { cellKindOf } from '../cells.js';
import { ConfigError } from '../errors.js';
import type { CellKind, Params, WeightSpec } from '../kernels/contract.js';
import type { Random } from '../random.js';
import {
  Layer,
  type Batch,
  type ConfigValue,
  type ForwardContext,
  type LayerConfig,
  type LayerStep,
  type Shape,
} from './layer.js';
import { checkOptionKeys, optionalChoice, optionalName, optionalShape } from './options.js';
import { Recurrent, type UncheckedOptions } from './recurrent.js';

export const MERGE_MODES = ['concat', 'sum', 'mul', 'ave'] as const;
export type MergeMode = (typeof MERGE_MODES)[number];

export interface BidirectionalOptions {
  /** An unplaced lstm / novoLSTM / gru layer (or, when loading, its saved { className, config }). */
  readonly layer:
    Recurrent | { readonly className: string; readonly config: Readonly<Record<string, ConfigValue>> };
  /** Default 'concat'. */
  readonly mergeMode?: MergeMode;
  readonly name?: string;
  readonly inputShape?: Shape;
}

export class Bidirectional extends Layer {
  readonly className = 'Bidirectional';
  readonly mergeMode: MergeMode;
  readonly forwardLayer: Recurrent;
  readonly backwardLayer: Recurrent;

  constructor(options: BidirectionalOptions) {
    const label = 'bidirectional';
    const o = checkOptionKeys(
      label,
      options,
      ['layer', 'mergeMode', 'name', 'inputShape'],
      ['backwardLayer', 'weights'],
    );
    super(optionalName(label, o.name), optionalShape(label, o.inputShape));
    this.mergeMode = optionalChoice(label, 'mergeMode', o.mergeMode, MERGE_MODES, 'concat');
    let kind: CellKind | undefined;
    let config: UncheckedOptions;
    if (o.layer instanceof Recurrent) {
      if (o.layer.declaredInputShape) {
        throw new ConfigError(
          label,
          'give inputShape to the bidirectional layer, not the wrapped one',
          'no inputShape',
          JSON.stringify(o.layer.declaredInputShape),
        );
      }
      kind = o.layer.spec.kind;
      config = { ...o.layer.getConfig() };
      // Keras freezes a Bidirectional whose wrapped layer is frozen; its weights are the wrapper's here.
      this.trainable = o.layer.trainable;
    } else if (
      typeof o.layer === 'object' &&
      o.layer !== null &&
      (kind = cellKindOf((o.layer as { className?: unknown }).className)) !== undefined
    ) {
      const saved = o.layer as { config?: unknown };
      if (typeof saved.config !== 'object' || saved.config === null) {
        throw new ConfigError(label, 'layer.config must be an object', 'an object', String(saved.config));
      }
      config = { ...saved.config };
    } else {
      throw new ConfigError(
        label,
        'layer must be an lstm, novoLSTM or gru layer',
        'nl.layers.lstm/novoLSTM/gru(...)',
        String(o.layer),
      );
    }
    this.forwardLayer = new Recurrent(kind, config);
    this.backwardLayer = new Recurrent(kind, { ...config, goBackwards: !this.forwardLayer.goBackwards });
  }

  protected computeOutputShape(inputShape: Shape): Shape {
    this.forwardLayer.name = `forward_${this.name}`;
    this.backwardLayer.name = `backward_${this.name}`;
    const f = this.forwardLayer.build(inputShape);
    this.backwardLayer.build(inputShape);
    const u = this.forwardLayer.units;
    return [...f.slice(0, -1), this.mergeMode === 'concat' ? 2 * u : u];
  }

  weightSpecs(): readonly WeightSpec[] {
    return [
      ...this.forwardLayer.weightSpecs().map((w) => ({ name: `forward/${w.name}`, shape: w.shape })),
      ...this.backwardLayer.weightSpecs().map((w) => ({ name: `backward/${w.name}`, shape: w.shape })),
    ];
  }

  override bind(params: Params, grads: Params): void {
    super.bind(params, grads);
    for (const [prefix, layer] of [
      ['forward/', this.forwardLayer],
      ['backward/', this.backwardLayer],
    ] as const) {
      const p: Params = {};
      const g: Params = {};
      for (const w of layer.weightSpecs()) {
        p[w.name] = params[prefix + w.name];
        g[w.name] = grads[prefix + w.name];
      }
      layer.bind(p, g);
    }
  }

  initialize(rng: Random): void {
    this.forwardLayer.initialize(rng);
    this.backwardLayer.initialize(rng);
  }

  forward(input: Batch, ctx: ForwardContext): LayerStep {
    const fStep = this.forwardLayer.forward(input, ctx);
    const bStep = this.backwardLayer.forward(input, ctx);
    const sequences = this.forwardLayer.returnSequences;
    const u = this.forwardLayer.units;
    const [B, T] = input.shape;
    const steps = sequences ? T : 1;
    // Both in input time order. [B, steps, u] each
    const f = this.inTimeOrder(
      fStep.output.data as Float32Array,
      this.forwardLayer.goBackwards && sequences,
      B,
      steps,
      u,
    );
    const b = this.inTimeOrder(
      bStep.output.data as Float32Array,
      this.backwardLayer.goBackwards && sequences,
      B,
      steps,
      u,
    );
    const width = this.mergeMode === 'concat' ? 2 * u : u;
    const y = new Float32Array(B * steps * width); // [B, steps, width]
    for (let r = 0; r < B * steps; r++) {
      for (let j = 0; j < u; j++) {
        const fv = f[r * u + j];
        const bv = b[r * u + j];
        if (this.mergeMode === 'concat') {
          y[r * width + j] = fv;
          y[r * width + u + j] = bv;
        } else
          y[r * width + j] =
            this.mergeMode === 'sum' ? fv + bv : this.mergeMode === 'mul' ? fv * bv : (fv + bv) / 2;
      }
    }
    const shape = sequences ? [B, T, width] : [B, width];
    return {
      output: { data: y, shape, mask: sequences ? input.mask : null },
      backward: (dy) => {
        const df = new Float32Array(B * steps * u); // [B, steps, u], input time order
        const db = new Float32Array(B * steps * u);
        for (let r = 0; r < B * steps; r++) {
          for (let j = 0; j < u; j++) {
            const i = r * u + j;
            if (this.mergeMode === 'concat') {
              df[i] = dy[r * width + j];
              db[i] = dy[r * width + u + j];
            } else if (this.mergeMode === 'sum') df[i] = db[i] = dy[i];
            else if (this.mergeMode === 'ave') df[i] = db[i] = dy[i] / 2;
            else {
              df[i] = dy[i] * b[i];
              db[i] = dy[i] * f[i];
            }
          }
        }
        const dxF = fStep.backward(
          this.inTimeOrder(df, this.forwardLayer.goBackwards && sequences, B, steps, u),
        );
        const dxB = bStep.backward(
          this.inTimeOrder(db, this.backwardLayer.goBackwards && sequences, B, steps, u),
        );
        // null: that direction added its part into the embedding's gradient itself (Batch.rows).
        if (!dxF || !dxB) return dxF ?? dxB;
        for (let i = 0; i < dxF.length; i++) dxF[i] += dxB[i];
        return dxF;
      },
    };
  }

  /** Clears both directions' carried states (stateful layers only). */
  resetStates(): void {
    this.forwardLayer.resetStates();
    this.backwardLayer.resetStates();
  }

  /** Flips the time axis of [B, T, u] when `flip` (its own inverse); otherwise returns the input. */
  private inTimeOrder(a: Float32Array, flip: boolean, B: number, T: number, u: number): Float32Array {
    if (!flip) return a;
    const out = new Float32Array(a.length);
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++)
        out.set(a.subarray((b * T + t) * u, (b * T + t + 1) * u), (b * T + (T - 1 - t)) * u);
    }
    return out;
  }

  getConfig(): LayerConfig {
    return {
      layer: { className: this.forwardLayer.className, config: this.forwardLayer.getConfig() },
      mergeMode: this.mergeMode,
    };
  }
}
