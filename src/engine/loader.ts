/**
 * Loads the WebAssembly engine, choosing the fastest build this runtime accepts:
 *   'relaxed'  SIMD128 + relaxed SIMD (needs `--experimental-wasm-relaxed-simd` in Node 20)
 *   'simd'     plain SIMD128
 * and null when neither validates, so callers fall back to the reference kernels.
 *
 * The .wasm files are built from src/kernels/wasm/ by `npm run build:wasm` into build/, which sits two
 * levels above this file both in the sources (src/engine/) and in the package (dist/engine/).
 */
import { importNodeBuiltin } from '../peers.js';
import { WasmArena } from './arena.js';
import type { WasmExports } from './exports.js';

export type WasmBuild = 'relaxed' | 'simd';

/** Fastest first. */
export const WASM_BUILDS: readonly WasmBuild[] = ['relaxed', 'simd'];

export interface LoadOptions {
  /** 'auto' (default): the fastest build that validates. A named build: that one, or an error. */
  readonly build?: WasmBuild | 'auto';
}

/** One instance of the module: its own memory, and the allocator for it. */
export interface Engine {
  readonly build: WasmBuild;
  readonly wasm: WasmExports;
  readonly arena: WasmArena;
}

const modules = new Map<WasmBuild, Promise<WebAssembly.Module | null>>();
/** The same modules once compiled, for `compiledModule`. */
const compiledModules = new Map<WasmBuild, WebAssembly.Module>();

/**
 * The module this thread's engines of `build` were instantiated from, or null before any was: what a
 * worker thread is handed (worker_threads clone a WebAssembly.Module without compiling it again, and it
 * runs the code V8 has already optimised here) rather than reading and compiling the file itself.
 */
export function compiledModule(build: WasmBuild): WebAssembly.Module | null {
  return compiledModules.get(build) ?? null;
}

/** What one engine instance holds in memory (bytes). */
export interface EngineMemory {
  /** The instance's WebAssembly memory: all it ever grew to (it never shrinks). */
  readonly memoryBytes: number;
  /** What its arena hands out now: the plan's buffers (or a one-off product's operands). */
  readonly allocatedBytes: number;
}

/**
 * Every engine instance made on this thread and not yet garbage-collected, weakly held: a plan dropped
 * for another batch shape keeps its memory until its engine is collected, and the report shows that.
 */
const liveEngines = new Set<WeakRef<Engine>>();

function tracked(engine: Engine): Engine {
  liveEngines.add(new WeakRef(engine));
  return engine;
}

/** The memory of each engine instance alive on this thread (bench/memory.ts), in creation order. */
export function liveEngineMemory(): EngineMemory[] {
  const memories: EngineMemory[] = [];
  for (const ref of liveEngines) {
    const engine = ref.deref();
    if (!engine) liveEngines.delete(ref);
    else
      memories.push({ memoryBytes: engine.arena.memoryBytes, allocatedBytes: engine.arena.allocatedBytes });
  }
  return memories;
}

/** A fresh engine instance, or null when this runtime has no usable build (only with 'auto'). */
export async function loadEngine(options: LoadOptions = {}): Promise<Engine | null> {
  const wanted = options.build ?? 'auto';
  if (wanted !== 'auto' && !WASM_BUILDS.includes(wanted)) {
    throw new Error(`loadEngine: build must be 'auto', 'relaxed' or 'simd', got ${JSON.stringify(wanted)}`);
  }
  for (const build of wanted === 'auto' ? WASM_BUILDS : [wanted]) {
    const module = await compiled(build);
    if (module) return instantiate(build, module);
    if (wanted !== 'auto') {
      const hint = build === 'relaxed' ? ' (Node 20 needs --experimental-wasm-relaxed-simd)' : '';
      throw new Error(`loadEngine: this runtime does not accept the '${build}' WebAssembly build${hint}`);
    }
  }
  return null;
}

/**
 * Node 20 only: turns on V8's relaxed-SIMD support at run time, for programs started without
 * `--experimental-wasm-relaxed-simd` (the package's Node entry does the same when it loads the engine, see
 * nodeEngine.ts; the CLI and the workers call this). Engines loaded before keep their build. Returns whether
 * the relaxed build now validates; false (and nothing changed) outside Node.
 */
export async function enableRelaxedSimdInNode(): Promise<boolean> {
  if (typeof process === 'undefined' || !process.versions?.node) return false;
  const v8 = await importNodeBuiltin<typeof import('node:v8')>('v8');
  v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  // A relaxed build rejected before the flag was set is validated again.
  const cached = modules.get('relaxed');
  if (cached && (await cached) === null) modules.delete('relaxed');
  return (await compiled('relaxed')) !== null;
}

/**
 * A maker of fresh instances of a module compiled elsewhere (the Node entry compiles synchronously at
 * import, nodeEngine.ts); the module is kept, so that later loadEngine calls reuse it.
 */
export function engineMakerFor(build: WasmBuild, module: WebAssembly.Module): () => Engine {
  modules.set(build, Promise.resolve(module));
  compiledModules.set(build, module);
  return () => {
    const instance = new WebAssembly.Instance(module, {});
    const wasm = instance.exports as unknown as WasmExports;
    return tracked({ build, wasm, arena: new WasmArena(wasm.memory, wasm.heapBase()) });
  };
}

/**
 * Like loadEngine, but returns a maker of fresh instances, created synchronously from the compiled module
 * (each with its own memory, which is freed with the instance): for callers that need an engine inside
 * synchronous code, e.g. a layer that meets a new batch shape. Null when no build validates.
 */
export async function loadEngineMaker(options: LoadOptions = {}): Promise<(() => Engine) | null> {
  const first = await loadEngine(options);
  if (!first) return null;
  return engineMakerFor(first.build, (await compiled(first.build))!);
}

/** Which builds this runtime accepts, fastest first. */
export async function availableBuilds(): Promise<WasmBuild[]> {
  const ok: WasmBuild[] = [];
  for (const build of WASM_BUILDS) if (await compiled(build)) ok.push(build);
  return ok;
}

function compiled(build: WasmBuild): Promise<WebAssembly.Module | null> {
  let module = modules.get(build);
  if (!module) {
    module = wasmBytes(build).then((bytes) =>
      WebAssembly.validate(bytes) ? WebAssembly.compile(bytes) : null,
    );
    modules.set(build, module);
  }
  return module;
}

async function instantiate(build: WasmBuild, module: WebAssembly.Module): Promise<Engine> {
  compiledModules.set(build, module);
  const instance = await WebAssembly.instantiate(module, {});
  const wasm = instance.exports as unknown as WasmExports;
  return tracked({ build, wasm, arena: new WasmArena(wasm.memory, wasm.heapBase()) });
}

/** Where a build's .wasm file is: a file: URL in Node, an http(s) URL (rewritten by bundlers) in a page. */
export function wasmUrl(build: WasmBuild): URL {
  return new URL(`../../build/novolstm-${build}.wasm`, import.meta.url);
}

async function wasmBytes(build: WasmBuild): Promise<Uint8Array<ArrayBuffer>> {
  const url = wasmUrl(build);
  if (url.protocol === 'file:') {
    // Node (and other runtimes with a file system): no fetch of file: URLs there. importNodeBuiltin keeps
    // browser bundlers from resolving a Node built-in they will never load.
    const { readFile } = await importNodeBuiltin<typeof import('node:fs/promises')>('fs/promises');
    try {
      return new Uint8Array(await readFile(url));
    } catch (e) {
      throw new Error(`loadEngine: cannot read ${url.pathname}; run 'npm run build:wasm' first (${e})`);
    }
  }
  const response = await fetch(url);
  if (!response.ok) throw new Error(`loadEngine: fetching ${url} failed: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}
