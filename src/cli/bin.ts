#!/usr/bin/env node
/** The package's `novolstm` executable: runs the command line and exits with its code. */
import { enableRelaxedSimdInNode } from '../engine/loader.js';
import { useFastKernels } from '../layers/backend.js';
import { main } from './main.js';

// The fastest kernels this machine runs, without the user passing V8 flags: relaxed SIMD is switched on
// for this process, then the engine loads (falling back to plain SIMD, then to the reference kernels).
await enableRelaxedSimdInNode();
try {
  await useFastKernels();
} catch (error) {
  // E.g. the .wasm files were never built: say so once, and run on the (slow) reference kernels.
  process.stderr.write(
    `novolstm: the WebAssembly engine did not load (${(error as Error).message}); using the reference kernels\n`,
  );
}
process.exitCode = await main(process.argv.slice(2));
