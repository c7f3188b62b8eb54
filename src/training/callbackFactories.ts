/** `nl.callbacks.*`: the callback factories users call. */
export { earlyStopping } from './callbacks.js';
