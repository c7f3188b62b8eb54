/**
 * Which kernels the layers run on: the WebAssembly engine once it is loaded (the package entries load it at
 * import, see src/node.ts and src/browser.ts; the CLI at start; `useFastKernels()` on demand), else the plain
 * float32 reference kernels — also where the runtime lacks WebAssembly SIMD. One setting for the whole
 * process, read by `recurrentKernels.ts` and `denseKernels.ts`.
 */
import {
  engineMakerFor,
  loadEngineMaker,
  type Engine,
  type LoadOptions,
  type WasmBuild,
} from '../engine/loader.js';

let makeEngine: (() => Engine) | null = null;
/** One instance for the one-off multiplies of dense layers (they release what they allocate). */
let shared: Engine | null = null;
let backend = 'reference';

/**
 * Loads the fastest WebAssembly build this runtime accepts; from then on the layers run on it. Returns
 * the backend now in use: 'relaxed', 'simd', or 'reference' (no usable build).
 */
export async function useFastKernels(options: LoadOptions = {}): Promise<string> {
  makeEngine = await loadEngineMaker(options);
  shared = makeEngine ? makeEngine() : null;
  backend = shared ? shared.build : 'reference';
  return backend;
}

/** The layers run on `module` from now on (compiled by the caller, e.g. synchronously in Node). */
export function useEngineModule(build: WasmBuild, module: WebAssembly.Module): string {
  makeEngine = engineMakerFor(build, module);
  shared = makeEngine();
  backend = build;
  return backend;
}

/** Back to the plain reference kernels (for tests and comparisons). */
export function useReferenceKernels(): void {
  makeEngine = null;
  shared = null;
  backend = 'reference';
}

/** 'relaxed', 'simd' or 'reference'. */
export function kernelBackend(): string {
  return backend;
}

/** A fresh engine instance (its own memory), or null on the reference kernels. */
export function newEngine(): Engine | null {
  return makeEngine ? makeEngine() : null;
}

/** The shared instance for one-off multiplies, or null on the reference kernels. */
export function sharedEngine(): Engine | null {
  return shared;
}
