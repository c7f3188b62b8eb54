/** `nl.losses.*`: the loss factories users call (Keras' loss objects, e.g. with `fromLogits`). */
export {
  binaryCrossentropy,
  categoricalCrossentropy,
  meanSquaredError,
  sparseCategoricalCrossentropy,
} from './losses.js';
