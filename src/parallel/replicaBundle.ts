/**
 * What a worker's replica is built from: the model as a save bundle (io/bundle.ts) without the
 * optimizer's state, and the loss and metrics to compile it with.
 *
 * A replica only computes gradients (the pool's model applies them), so it never reads the optimizer's
 * moments. With Adam they are twice the weights, and a bundle carrying them cost each worker that much
 * three times over: the bytes received, the copies decoding made, and the moments themselves — at H = 512
 * about 45 MB per worker, still held at the training step's peak (bench/memory.ts).
 */
import { encodeModel } from '../io/encode.js';
import { DESCRIPTION_FILE } from '../io/format.js';
import { packTar } from '../io/tar.js';
import type { Sequential } from '../models/sequential.js';
import type { LossName } from '../training/losses.js';

/** The compile options of the pool's model a replica needs: its loss and metrics, by name. */
export interface ReplicaCompile {
  readonly loss: LossName;
  readonly fromLogits: boolean;
  readonly metrics: readonly string[];
}

/** The model's save bundle, saved as if uncompiled: its description and its weights file only. */
export async function replicaBundle(model: Sequential): Promise<Uint8Array> {
  const { json, binaries } = await encodeModel(model, 'DataParallel', { compiled: false });
  return packTar([
    { name: DESCRIPTION_FILE, bytes: json },
    ...binaries.map((b) => ({ name: b.file, bytes: b.bytes })),
  ]);
}

export function replicaCompile(model: Sequential): ReplicaCompile {
  const { loss, fromLogits, metrics } = model.compiled!;
  return { loss, fromLogits, metrics: metrics.map((m) => m.name) };
}

/**
 * Compiles a replica built from `replicaBundle` as the pool's model is. Its optimizer is never used (the
 * pool's model applies the summed gradients): plain SGD, which keeps no moments.
 */
export function compileReplica(replica: Sequential, compile: ReplicaCompile): void {
  replica.compile({
    optimizer: 'sgd',
    loss: compile.fromLogits ? { name: compile.loss, fromLogits: true } : compile.loss,
    metrics: compile.metrics,
  });
}
