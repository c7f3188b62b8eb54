/**
 * The engine for the package's Node entry, compiled synchronously at import: no top-level await, so
 * `require('novolstm')` works (Node ≥ 20.19 can require an ES module only when it has none), and `fit`,
 * `predict` and `evaluate` run on the engine from the first call with no setup. Compiling the 37 kB module
 * synchronously costs a few milliseconds (README: cold import time).
 *
 * Relaxed SIMD is a finished WebAssembly standard, on by default from V8 11.4 (Node 22). Node 20's V8
 * still keeps it behind `--experimental-wasm-relaxed-simd`; the flag may be set at run time, before the
 * module is compiled, and only admits the relaxed opcodes. It is set only when the relaxed build does not
 * validate without it, so newer runtimes are left untouched.
 */
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { WASM_BUILDS, wasmUrl, type WasmBuild } from './loader.js';

export type CompiledEngine =
  | { readonly build: WasmBuild; readonly module: WebAssembly.Module }
  | { readonly build: null; readonly reason: string };

/** The fastest build this Node accepts, compiled; or why there is none. */
export function compileEngineSync(): CompiledEngine {
  if (typeof WebAssembly === 'undefined') {
    return { build: null, reason: 'this Node has no WebAssembly (started with --jitless?)' };
  }
  const rejected: string[] = [];
  for (const build of WASM_BUILDS) {
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = new Uint8Array(readFileSync(wasmUrl(build)));
    } catch (error) {
      rejected.push(`${build}: cannot read ${wasmUrl(build).pathname} (${(error as Error).message})`);
      continue;
    }
    if (build === 'relaxed' && !WebAssembly.validate(bytes)) {
      setFlagsFromString('--experimental-wasm-relaxed-simd');
    }
    if (WebAssembly.validate(bytes)) return { build, module: new WebAssembly.Module(bytes) };
    rejected.push(`${build}: this runtime does not accept the build`);
  }
  return { build: null, reason: rejected.join('; ') };
}
