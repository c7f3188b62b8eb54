/**
 * The package's browser entry (bundlers pick it by the `browser` condition): the portable library, with the
 * engine fetched and compiled at import (top-level await: WebAssembly compiles asynchronously in pages), so
 * `fit`, `predict` and `evaluate` run on it with no setup call. `nl.backend()` says what runs; if no build
 * loads (no WebAssembly SIMD, or the .wasm file was not served), one console warning says why and the
 * reference kernels run.
 */
import { useFastKernels } from './layers/backend.js';

export * from './index.js';

let reason: string | null = null;
try {
  if ((await useFastKernels()) === 'reference') reason = 'this browser has no WebAssembly SIMD';
} catch (error) {
  reason = (error as Error).message;
}
if (reason) {
  console.warn(
    `novolstm: the WebAssembly engine did not load (${reason}); the layers run on the reference kernels, ` +
      'about 50× slower',
  );
}
