/**
 * What a Node worker thread runs for module `name` (no extension) next to the module at `base` (its
 * import.meta.url). From the package, the thread runs the compiled `name.js`. From the sources (tests,
 * `npm start`, run with tsx) it runs `name.ts`, and a worker thread does not inherit tsx's loader (Node 20
 * runs a thread's --import hooks only for its own flags, and refuses V8 flags there), so a two-line
 * bootstrap registers tsx in the thread first. V8 flags such as relaxed SIMD are process-wide and need
 * nothing. Environment-free (no node: import), so modules that browsers load may import it.
 */
export interface WorkerScript {
  /** The first argument of `new Worker`. */
  readonly script: string | URL;
  /** Its `eval` option. */
  readonly eval: boolean;
}

export function workerScript(base: string, name: string): WorkerScript {
  if (!base.endsWith('.ts')) return { script: new URL(`./${name}.js`, base), eval: false };
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL(`./${name}.ts`, base).href;
  const bootstrap = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(entry)}); });`;
  return { script: bootstrap, eval: true };
}
