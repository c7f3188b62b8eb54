/**
 * Seed 002: spam or ham? Embedding → Dropout(0.2) → LSTM(100, dropout 0.2, recurrentDropout 0.2) →
 * Dense(250, relu) → Dropout(0.2) → Dense(1, sigmoid), on the SpamAssassin corpus
 * (`loadSpamAssassin` from `novolstm/datasets`: subject and body, headers removed), scored by accuracy and F1 of the
 * spam class on a held-out random split. The work is `spamClassifier` in src/applications (the comparison
 * report runs it for every cell).
 *
 *   npx tsx examples/spamClassifier.ts            # the full-size run
 */
import { pathToFileURL } from 'node:url';
import * as nl from '../src/index.js';
import { spamClassifier } from '../src/applications/spamClassifier.js';

export {
  spamClassifier,
  type SpamOptions,
  type SpamResult,
  type SpamCellResult,
} from '../src/applications/spamClassifier.js';

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // The WebAssembly engine (relaxed SIMD needs a V8 flag in Node 20, set here); the reference kernels without it.
  await nl.enableRelaxedSimdInNode();
  await nl.ready();
  const r = await spamClassifier();
  const { scores, seconds } = r.cells.lstm;
  console.log(
    `${r.trainEmails} training and ${r.testEmails} test emails; majority baseline ${r.majorityBaseline.toFixed(3)}`,
  );
  console.log(
    `held-out accuracy ${scores.accuracy.toFixed(3)}, F1 (spam) ${scores.f1.toFixed(3)}, ` +
      `precision ${scores.precision.toFixed(3)}, recall ${scores.recall.toFixed(3)} (${seconds.toFixed(0)} s)`,
  );
}
