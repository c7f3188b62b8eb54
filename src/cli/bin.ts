#!/usr/bin/env node
/** The package's `novolstm` executable: runs the command line and exits with its code. */
import { enableRelaxedSimdInNode } from '../engine/loader.js';
import { useFastKernels } from '../layers/backend.js';
import { stoppedBySignal } from './lmCommands.js';
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
const code = await main(process.argv.slice(2));
if (stoppedBySignal()) {
  // Ended here, not by the event loop running dry, whose teardown closes the signal handlers: a signal in
  // that window would end the stopped run by its default action (lmCommands.ts, `stoppedBySignal`). The
  // output is flushed first (stdout and stderr can be asynchronous pipes).
  await Promise.all([process.stdout, process.stderr].map((s) => new Promise((r) => s.write('', r))));
  process.exit(code);
}
process.exitCode = code;
