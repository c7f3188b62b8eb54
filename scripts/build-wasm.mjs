// Compiles the AssemblyScript kernels (src/kernels/wasm/) into the two builds the engine chooses from at
// load time (src/engine/loader.ts):
//   build/novolstm-relaxed.wasm  SIMD128 + relaxed SIMD (fused multiply-add)
//   build/novolstm-simd.wasm     plain SIMD128, for runtimes without relaxed SIMD (Safari, Node 20 without
//                                --experimental-wasm-relaxed-simd)
// Flags (measured reasons in docs/wasm-notes.md): -O3, no runtime checks, the stub runtime (no GC; memory
// is laid out from JavaScript).
import asc from 'assemblyscript/asc';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const entry = 'src/kernels/wasm/index.ts';
const builds = [
  { name: 'relaxed', features: ['--enable', 'simd', '--enable', 'relaxed-simd'] },
  { name: 'simd', features: ['--enable', 'simd'] },
];

await mkdir(new URL('../build', import.meta.url), { recursive: true });
for (const { name, features } of builds) {
  const outFile = `build/novolstm-${name}.wasm`;
  const { error, stderr } = await asc.main(
    [entry, '-O3', '--noAssert', '--runtime', 'stub', ...features, '--outFile', outFile],
    { stdout: process.stdout, stderr: process.stderr, baseDir: root },
  );
  if (error) {
    console.error(`build-wasm: ${outFile} failed: ${error.message}\n${stderr.toString()}`);
    process.exit(1);
  }
  // stderr: `npm run -s bench -- --json` keeps stdout for its JSON alone.
  console.error(`build-wasm: ${outFile}`);
}
