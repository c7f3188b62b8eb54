/** `nl.optimizers.schedules.*`: learning-rate schedules. */
export { exponentialDecay, cosineDecay, piecewiseConstantDecay } from './schedules.js';
export type {
  LearningRateSchedule,
  ScheduleConfig,
  ExponentialDecayOptions,
  CosineDecayOptions,
  PiecewiseConstantDecayOptions,
} from './schedules.js';
