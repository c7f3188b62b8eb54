/**
 * Keras 3: `decodeKeras` reads a `.keras` archive or `*.weights.h5` + `config.json`; `encodeKeras` writes a
 * `.keras` archive as Keras 3.15 does. Bytes in, bytes out (browser-safe).
 */
export { decodeKeras } from './decode.js';
export { encodeKeras, KERAS_VERSION } from './encode.js';
