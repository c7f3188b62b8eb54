/**
 * What an ONNX file written by novolstm says about itself, in its metadata_props: shared by the encoder
 * that writes the keys and the decoder that reads them back.
 */

/** metadata_props keys. */
export const METADATA_KEYS = {
  /** What wrote the file and how to read the other keys: `novolstm-onnx`, version 1. */
  format: 'novolstm.format',
  /** JSON: className, name, seed, inputShape, layers [{ className, name, config }], weights [{ name, shape }]. */
  model: 'novolstm.model',
  /** JSON: the model's metadata (model.metadata). */
  metadata: 'novolstm.metadata',
  /** Plain words on what the graph assumes of its input masks. */
  masks: 'novolstm.masks',
} as const;
export const ONNX_FORMAT_NAME = 'novolstm-onnx';
export const ONNX_FORMAT_VERSION = 1;
