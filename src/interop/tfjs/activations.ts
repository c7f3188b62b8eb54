/**
 * The recurrent gate activation, both ways, in one place.
 *
 * TensorFlow.js' LSTM and GRU default to `hard_sigmoid`, and theirs (like Keras 2's) is clip(0.2x + 0.5,
 * 0, 1). Keras 3's `hard_sigmoid` is a different function, relu6(x + 3) / 6, so the same name in a file
 * converted from Keras 3 must not load as TensorFlow.js' one. novolstm's recurrent layers compute the
 * logistic sigmoid only until they take a `recurrentActivation` option (arch-cells); when they do, setting
 * LAYERS_TAKE_HARD_SIGMOID switches hard_sigmoid on for imports (and the tests to match). Exports need
 * nothing more: the layers' getConfig then carries the option, which tfjsRecurrentActivation maps.
 */
import { ConfigError } from '../../errors.js';

/** The one switch: true once our LSTM and GRU layers take `recurrentActivation: 'hardSigmoid'`. */
export const LAYERS_TAKE_HARD_SIGMOID = true;

/** What TensorFlow.js assumes when a file leaves `recurrent_activation` out. */
export const TFJS_DEFAULT_RECURRENT_ACTIVATION = 'hard_sigmoid';

/**
 * The option our layer constructors take for a file's `recurrent_activation`: `{}` for the logistic
 * sigmoid (our layers' only kind today), or a ConfigError naming the layer.
 */
export function recurrentActivationOption(
  subject: string,
  value: unknown,
  kerasVersion: string,
): Record<string, string> {
  if (value === 'sigmoid') return {};
  if (value === 'hard_sigmoid' || value === 'hardSigmoid') {
    if (/^3\./.test(kerasVersion)) {
      throw new ConfigError(
        subject,
        "recurrent_activation 'hard_sigmoid' from Keras 3 is relu6(x + 3) / 6, which novolstm does not have",
        "'sigmoid'",
        `'hard_sigmoid' (keras_version ${kerasVersion})`,
      );
    }
    if (LAYERS_TAKE_HARD_SIGMOID) return { recurrentActivation: 'hardSigmoid' };
    throw new ConfigError(
      subject,
      "recurrent_activation 'hard_sigmoid' (TensorFlow.js' default, clip(0.2x + 0.5, 0, 1)) is not supported yet",
      "'sigmoid' (set recurrentActivation: 'sigmoid' in TensorFlow.js)",
      String(value),
    );
  }
  throw new ConfigError(
    subject,
    'recurrent_activation is not supported',
    "'sigmoid' or 'hard_sigmoid'",
    JSON.stringify(value),
  );
}

/** The file's `recurrent_activation` for one of our layers' configs (absent = the logistic sigmoid). */
export function tfjsRecurrentActivation(subject: string, ours: unknown): string {
  if (ours === undefined || ours === 'sigmoid') return 'sigmoid';
  if (ours === 'hardSigmoid') return 'hard_sigmoid'; // TensorFlow.js' own hard sigmoid: the same function
  throw new ConfigError(
    subject,
    'recurrentActivation has no TensorFlow.js equivalent',
    "'sigmoid' or 'hardSigmoid'",
    String(ours),
  );
}
