/**
 * The context-free baseline for a character model: bits per character of a text under the character
 * frequencies of the training text (add-one smoothed, so no held-out character has probability 0). A
 * recurrent model that learned nothing from context cannot do better than this on held-out text.
 */
import { ValueError } from '../errors.js';

/** Mean −log₂ p(c) over `ids`, with p the add-one-smoothed frequencies of `trainIds` over V characters. */
export function unigramBpc(trainIds: ArrayLike<number>, ids: ArrayLike<number>, V: number): number {
  if (ids.length === 0) throw new ValueError('unigramBpc', 'the scored text is empty', '≥ 1 character', 0);
  const counts = new Float64Array(V).fill(1);
  for (let i = 0; i < trainIds.length; i++) counts[trainIds[i]]++;
  const total = trainIds.length + V;
  let bits = 0;
  for (let i = 0; i < ids.length; i++) bits -= Math.log2(counts[ids[i]] / total);
  return bits / ids.length;
}
