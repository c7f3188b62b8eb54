/**
 * The package's Node entry (`import` and `require`): the library (index.ts) with its Node-only parts, on the
 * fastest WebAssembly build this Node accepts — relaxed SIMD where it can be had, even in Node 20 without a
 * flag (engine/nodeEngine.ts). The engine is compiled synchronously here, so `fit`, `predict` and `evaluate`
 * run on it with no setup call, and `require('novolstm')` works (no top-level await). `nl.backend()` says
 * what runs; if no build loads, one warning says why and the reference kernels run (about 50× slower).
 */
import { compileEngineSync } from './engine/nodeEngine.js';
import { useEngineModule } from './layers/backend.js';

export * from './index.js';
// The Node-only parts: the language model trainer (checkpoints on disk), corpora read from disk, and charts
// (Vega, an optional peer). This `text` adds loadCorpus to the portable `text` of index.ts.
export * as text from './data/text/index.js';
export * as lm from './lm/index.js';
export { lineChartSvg, type CurvePoint, type ChartOptions } from './report/charts.js';

const engine = compileEngineSync();
if (engine.build) {
  useEngineModule(engine.build, engine.module);
} else {
  process.emitWarning(
    `novolstm: the WebAssembly engine did not load (${engine.reason}); the layers run on the reference ` +
      'kernels, about 50× slower',
    { code: 'NOVOLSTM_NO_ENGINE' },
  );
}
