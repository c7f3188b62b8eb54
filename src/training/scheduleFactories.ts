/** `nl.optimizers.schedules.*`: learning-rate schedules. */
export { exponentialDecay, cosineDecay, piecewiseConstantDecay } from './schedules.js';
