/**
 * The seed model in TensorFlow.js 4.22: Embedding → LSTM → Dense, softmax cross-entropy on the last step,
 * Adam. Layers' defaults match Keras (as novolstm's).
 *
 * Backends: 'cpu' (pure JavaScript) runs the whole model. 'wasm' (@tensorflow/tfjs-backend-wasm) cannot
 * train an Embedding (no UnsortedSegmentSum kernel), so there the model starts at the LSTM and takes
 * random precomputed embeddings [B, T, E] as input — slightly less work than the full model.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { Random } from '../src/random.js';
import type { BenchConfig } from './config.js';
import type { SeedModel } from './novolstmStep.js';

export type TfjsBackend = 'cpu' | 'wasm';

export async function tfjsSeedModel(
  c: BenchConfig,
  backend: TfjsBackend,
  seed = 1,
): Promise<SeedModel & { dispose(): void }> {
  if (!(await tf.setBackend(backend)))
    throw new Error(`bench: TensorFlow.js backend '${backend}' did not load`);
  await tf.ready();
  const { B, T, E, H, V } = c;
  const rng = new Random(seed);
  const withEmbedding = backend === 'cpu';
  const model = tf.sequential();
  if (withEmbedding) model.add(tf.layers.embedding({ inputDim: V, outputDim: E, inputLength: T }));
  model.add(tf.layers.lstm({ units: H, ...(withEmbedding ? {} : { inputShape: [T, E] }) }));
  model.add(tf.layers.dense({ units: V }));
  const optimizer = tf.train.adam(1e-3);
  // Batch-major input (Keras' layout): tokens [B, T], or embeddings [B, T, E]; one-hot targets [B, V].
  const inputs = withEmbedding
    ? tf.tensor2d(
        Array.from({ length: B * T }, () => Math.floor(rng.uniform() * V)),
        [B, T],
        'int32',
      )
    : tf.tensor3d(
        Array.from({ length: B * T * E }, () => (2 * rng.uniform() - 1) * 0.05),
        [B, T, E],
      );
  const targets = tf.oneHot(
    tf.tensor1d(
      Array.from({ length: B }, () => Math.floor(rng.uniform() * V)),
      'int32',
    ),
    V,
  );
  const lossOf = () => tf.losses.softmaxCrossEntropy(targets, model.apply(inputs) as tf.Tensor) as tf.Scalar;
  return {
    trainStep() {
      const loss = optimizer.minimize(lossOf, true) as tf.Scalar;
      const value = loss.dataSync()[0];
      loss.dispose();
      return value;
    },
    forward() {
      return tf.tidy(() => lossOf().dataSync()[0]);
    },
    dispose() {
      inputs.dispose();
      targets.dispose();
      model.dispose();
      optimizer.dispose();
    },
  };
}
