/**
 * The same seed model in TensorFlow.js 4.22 with its pure-JavaScript backend ('cpu'): Embedding → LSTM →
 * Dense, softmax cross-entropy on the last step, Adam. Layers' defaults match Keras (as novolstm's).
 */
import * as tf from '@tensorflow/tfjs';
import { Random } from '../src/random.js';
import type { BenchConfig } from './config.js';
import type { SeedModel } from './novolstmStep.js';

export async function tfjsSeedModel(c: BenchConfig, seed = 1): Promise<SeedModel & { dispose(): void }> {
  await tf.setBackend('cpu');
  const { B, T, E, H, V } = c;
  const rng = new Random(seed);
  const model = tf.sequential();
  model.add(tf.layers.embedding({ inputDim: V, outputDim: E, inputLength: T }));
  model.add(tf.layers.lstm({ units: H }));
  model.add(tf.layers.dense({ units: V }));
  const optimizer = tf.train.adam(1e-3);
  // Batch-major tokens [B, T] (Keras' layout) and one-hot targets [B, V].
  const tokens = tf.tensor2d(
    Array.from({ length: B * T }, () => Math.floor(rng.uniform() * V)),
    [B, T],
    'int32',
  );
  const targets = tf.oneHot(
    tf.tensor1d(
      Array.from({ length: B }, () => Math.floor(rng.uniform() * V)),
      'int32',
    ),
    V,
  );
  const lossOf = () => tf.losses.softmaxCrossEntropy(targets, model.apply(tokens) as tf.Tensor) as tf.Scalar;
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
      tokens.dispose();
      targets.dispose();
      model.dispose();
      optimizer.dispose();
    },
  };
}
