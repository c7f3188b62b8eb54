/**
 * The classic LSTM tasks as data generators with their success criteria (Hochreiter & Schmidhuber 1997
 * and their modern forms). Each returns padded batch-major data with a mask (see `taskData.ts`).
 */
export type { TaskData } from './taskData.js';
export {
  addingProblem,
  modernAddingProblem,
  multiplicationProblem,
  addingSolved,
  countWrong,
  ADDING_TOLERANCE,
  MODERN_ADDING_BASELINE_MSE,
} from './adding.js';
export {
  embeddedReber,
  embeddedReberString,
  reberSolved,
  REBER_GRAMMAR,
  REBER_SYMBOLS,
  type ReberSymbol,
} from './reber.js';
export {
  temporalOrder,
  temporalOrderSolved,
  TEMPORAL_SYMBOLS,
  POSITIONS as TEMPORAL_ORDER_POSITIONS,
  type TemporalOrderVariant,
} from './temporalOrder.js';
export { copyTask, copyBaselineNats, COPY_LENGTH, COPY_SYMBOLS } from './copy.js';
