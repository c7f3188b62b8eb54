/** `nl.optimizers.*`: the optimizer factories users call. */
export { sgd, adam } from './optimizers.js';
