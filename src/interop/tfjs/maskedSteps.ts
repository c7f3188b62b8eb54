/**
 * Where TensorFlow.js and novolstm part ways under a mask, and the check that a model does not show it —
 * run on every model we import and every model we export, so that neither predicts differently on the
 * other side.
 *
 * 1. At a masked step a recurrent layer outputs zeros here; TensorFlow.js repeats the previous output
 *    (tfjs-layers' rnn(): output = mask·new + (1 − mask)·previous). Only a returned sequence shows it,
 *    and only until a later recurrent layer that returns its last state (the mask ends there: both skip
 *    the padded steps). So a model whose output still carries a mask from such a layer is refused.
 * 2. After `goBackwards` with `returnSequences`, both return the steps in processing order, but we flip the
 *    mask to match them and TensorFlow.js passes it on unflipped. A later layer that reads the mask (a
 *    recurrent one) would see different padding, so that is refused too.
 * 3. TensorFlow.js' Bidirectional puts only its backward copy's outputs back in time order: wrapping a
 *    `goBackwards` layer that returns sequences gives a different sequence there. Refused.
 *
 * Dense, Dropout and LayerNormalization act on each step alone, so they neither mend nor spread a
 * difference; Embedding and Masking start a fresh mask, equal on both sides.
 */
import { ConfigError } from '../../errors.js';
import {
  Bidirectional,
  Dense,
  Dropout,
  Embedding,
  LayerNormalization,
  Masking,
  Recurrent,
} from '../../layers/index.js';
import type { Sequential } from '../../models/sequential.js';

export function checkMaskedSteps(model: Sequential, side: 'import' | 'export'): void {
  const peer = 'TensorFlow.js';
  let masked = false;
  /** The layer after which ours and the peer's mask are in opposite time orders. */
  let flippedBy: Recurrent | null = null;
  /** The layer whose outputs at masked steps differ between the two. */
  let differsFrom: Recurrent | Bidirectional | null = null;
  for (const layer of model.layers) {
    const subject = `${peer} ${side}: ${layer.label}`;
    if (layer instanceof Embedding || layer instanceof Masking) {
      if (layer instanceof Masking && differsFrom) {
        throw new ConfigError(
          subject,
          `reads its mask from values that differ at masked steps after ${differsFrom.label}`,
          'Masking before any recurrent layer that returns sequences',
          'Masking after one',
        );
      }
      masked = layer instanceof Masking || layer.maskZero;
      flippedBy = null;
    } else if (layer instanceof Recurrent || layer instanceof Bidirectional) {
      const wrapped = layer instanceof Bidirectional ? layer.forwardLayer : layer;
      if (layer instanceof Bidirectional && wrapped.goBackwards && wrapped.returnSequences) {
        throw new ConfigError(
          subject,
          `${peer} does not put a wrapped goBackwards layer's sequence back in time order as novolstm does`,
          'goBackwards: false on the wrapped layer',
          'goBackwards: true with returnSequences',
        );
      }
      if (masked && flippedBy) {
        throw new ConfigError(
          subject,
          `reads a mask that ${peer} keeps in input order after ${flippedBy.label} (goBackwards, returnSequences) and novolstm flips`,
          'no mask, or goBackwards only on a layer that returns its last state',
          'a mask after a goBackwards sequence',
        );
      }
      if (!wrapped.returnSequences) {
        masked = false;
        differsFrom = null;
        flippedBy = null;
      } else if (masked) {
        differsFrom = layer;
        if (layer instanceof Recurrent && layer.goBackwards) flippedBy = layer;
      }
    } else if (!(layer instanceof Dense || layer instanceof Dropout || layer instanceof LayerNormalization)) {
      throw new ConfigError(
        subject,
        `has no ${peer} mapping`,
        'a layer this format carries',
        layer.className,
      );
    }
  }
  if (masked && differsFrom) {
    throw new ConfigError(
      `${peer} ${side}: ${differsFrom.label}`,
      `returns a masked sequence that reaches the model's output, and at masked steps ${peer} repeats the previous output where novolstm outputs zeros`,
      'returnSequences: false on a later recurrent layer, or no mask',
      'a masked sequence output',
    );
  }
}
