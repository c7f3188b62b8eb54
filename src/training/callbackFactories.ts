/** `nl.callbacks.*`: the callback factories users call. */
export { earlyStopping, modelCheckpoint, reduceLROnPlateau, terminateOnNaN } from './callbacks.js';
