/** `nl.optimizers.*`: the optimizer factories users call, and `nl.optimizers.schedules.*`. */
export { sgd, adam, adamW, rmsprop } from './optimizers.js';
export type {
  AdamW,
  AdamWOptions,
  RMSprop,
  RmspropOptions,
  ClipOptions,
  OptimizerConfig,
} from './optimizers.js';
export * as schedules from './scheduleFactories.js';
