/**
 * Where a worker's share of the seed model's training step and forward goes: the CPU time of every call
 * into the WebAssembly engine, summed by kernel (matrix multiplies by their shape, M×K×N), and what is
 * left over in JavaScript (layers' glue, copies, the loss, the optimizer, garbage collection). One thread
 * runs B rows, the share each of the pool's workers runs (64 of the seed's 128 on 2 workers).
 *
 *   node --experimental-wasm-relaxed-simd --import tsx bench/stepParts.ts
 *        [--kinds lstm,novolstm,gru] [--B 64] [--H 128] [--runs 10]
 *
 * CPU time (process.cpuUsage around each call; this thread is the only busy one) rather than wall time,
 * which a loaded machine moves far more. Every engine export is wrapped, so this must load the engine
 * itself: it replaces `WebAssembly.Instance` and `WebAssembly.instantiate` before importing it.
 */
import { parseArgs } from 'node:util';
import { SEED_CONFIG } from './config.js';
import { formatLoad, loadAverage, machine } from './machine.js';
import type { RecurrentKind } from './novolstmStep.js';

interface Part {
  cpuMs: number;
  calls: number;
}

const parts = new Map<string, Part>();

/** The engine call's name, with the shape for the matrix multiplies (their argument orders: exports.ts). */
function partName(name: string, args: readonly number[]): string {
  if (name === 'gemm') return `gemm ${args[8]}×${args[9]}×${args[10]}`;
  if (name === 'gemmColumnSums') return `gemmColumnSums ${args[7]}×${args[8]}×${args[9]}`;
  if (name === 'gemmPacked') return `gemmPacked ${args[6]}×${args[7]}×${args[8]}`;
  return name;
}

function timed(exports: WebAssembly.Exports): WebAssembly.Exports {
  const wrapped: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(exports)) {
    if (typeof value !== 'function') {
      wrapped[name] = value;
      continue;
    }
    const f = value as (...args: number[]) => unknown;
    wrapped[name] = (...args: number[]) => {
      const start = process.cpuUsage();
      const result = f(...args);
      const used = process.cpuUsage(start);
      const key = partName(name, args);
      const part = parts.get(key) ?? { cpuMs: 0, calls: 0 };
      part.cpuMs += (used.user + used.system) / 1000;
      part.calls++;
      parts.set(key, part);
      return result;
    };
  }
  return wrapped as WebAssembly.Exports;
}

const RealInstance = WebAssembly.Instance;
const realInstantiate = WebAssembly.instantiate;
const wasmGlobal = WebAssembly as unknown as Record<string, unknown>;
wasmGlobal.Instance = function (module: WebAssembly.Module, imports?: WebAssembly.Imports) {
  return { exports: timed(new RealInstance(module, imports).exports) };
};
wasmGlobal.instantiate = async (module: WebAssembly.Module, imports?: WebAssembly.Imports) => {
  const instance = (await realInstantiate(module, imports)) as unknown;
  return instance instanceof RealInstance ? { exports: timed(instance.exports) } : instance;
};

const { values } = parseArgs({
  options: {
    kinds: { type: 'string', default: 'lstm,novolstm,gru' },
    B: { type: 'string', default: String(SEED_CONFIG.B / 2) },
    H: { type: 'string', default: String(SEED_CONFIG.H) },
    runs: { type: 'string', default: '10' },
  },
});
const { enableRelaxedSimdInNode } = await import('../src/engine/loader.js');
const { useFastKernels } = await import('../src/layers/backend.js');
const { novolstmSeedModel } = await import('./novolstmStep.js');
await enableRelaxedSimdInNode();
const build = await useFastKernels();
const host = machine();
console.log(
  `${host.cpuModel}, Node ${host.node}, the ${build} build; load average at the start ` +
    formatLoad(loadAverage()),
);
const runs = Number(values.runs);
const config = { ...SEED_CONFIG, B: Number(values.B), H: Number(values.H) };
for (const kind of values.kinds.split(',') as RecurrentKind[]) {
  for (const phase of ['training step', 'forward (evaluate)']) {
    const model = await novolstmSeedModel(config, kind, 1);
    const run = () => (phase === 'training step' ? model.trainStep() : model.forward());
    for (let i = 0; i < 3; i++) await run(); // plans made, code optimised
    parts.clear();
    const start = process.cpuUsage();
    for (let i = 0; i < runs; i++) await run();
    const used = process.cpuUsage(start);
    await model.dispose();
    const total = (used.user + used.system) / 1000 / runs;
    let inEngine = 0;
    for (const part of parts.values()) inEngine += part.cpuMs / runs;
    console.log(
      `\n${kind}, ${phase}, B=${config.B} T=${config.T} E=${config.E} H=${config.H}: ` +
        `${total.toFixed(1)} CPU ms per run, the mean of ${runs}`,
    );
    const rows = [...parts].sort((a, b) => b[1].cpuMs - a[1].cpuMs);
    for (const [name, part] of rows) {
      const ms = part.cpuMs / runs;
      if (ms < 0.1) continue;
      const share = ((100 * ms) / total).toFixed(1);
      console.log(
        `  ${ms.toFixed(2).padStart(7)} ms ${share.padStart(5)}%  ${String(part.calls / runs).padStart(4)} calls  ${name}`,
      );
    }
    const js = total - inEngine;
    console.log(
      `  ${js.toFixed(2).padStart(7)} ms ${((100 * js) / total).toFixed(1).padStart(5)}%  outside the engine (JavaScript)`,
    );
  }
}
console.log(`\nload average at the end ${formatLoad(loadAverage())}`);
