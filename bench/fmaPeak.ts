/**
 * The ceiling the benchmark's GFLOP/s figures are read against: how many 128-bit fused multiply-adds one
 * core retires per second of its CPU time from WebAssembly, with nothing else in the loop — twelve independent
 * accumulators (more than the FMA latency × throughput needs), no loads. No kernel can beat this, so
 * `npm run bench` prints it, times the cores, with the share of it the 90 ms step would need.
 *
 * The loop is AssemblyScript compiled here from the string below (the same compiler as the kernels); it
 * needs relaxed SIMD (`relaxed_madd` becomes vfmadd231ps on x64) and returns null where that is missing.
 */
const SOURCE = `
export function fmaLoop(n: i32): f32 {
  let a0 = f32x4.splat(1.0);
  let a1 = a0; let a2 = a0; let a3 = a0; let a4 = a0; let a5 = a0;
  let a6 = a0; let a7 = a0; let a8 = a0; let a9 = a0; let a10 = a0; let a11 = a0;
  const x = f32x4.splat(0.999);
  const y = f32x4.splat(0.001);
  let k = n;
  do {
    a0 = f32x4.relaxed_madd(a0, x, y); a1 = f32x4.relaxed_madd(a1, x, y);
    a2 = f32x4.relaxed_madd(a2, x, y); a3 = f32x4.relaxed_madd(a3, x, y);
    a4 = f32x4.relaxed_madd(a4, x, y); a5 = f32x4.relaxed_madd(a5, x, y);
    a6 = f32x4.relaxed_madd(a6, x, y); a7 = f32x4.relaxed_madd(a7, x, y);
    a8 = f32x4.relaxed_madd(a8, x, y); a9 = f32x4.relaxed_madd(a9, x, y);
    a10 = f32x4.relaxed_madd(a10, x, y); a11 = f32x4.relaxed_madd(a11, x, y);
  } while (--k);
  // Every accumulator feeds the result, so none of the work can be dropped.
  const s = f32x4.add(
    f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), f32x4.add(f32x4.add(a4, a5), f32x4.add(a6, a7))),
    f32x4.add(f32x4.add(a8, a9), f32x4.add(a10, a11)),
  );
  return f32x4.extract_lane(s, 0);
}
`;

/** FLOPs per loop iteration: 12 multiply-adds × 4 lanes × 2. */
const FLOPS_PER_ITERATION = 12 * 4 * 2;

/** GFLOP/s of one core: the best of `rounds` timed runs of `iterations` iterations; null without relaxed SIMD. */
export async function fmaPeakGflops(iterations = 50_000_000, rounds = 3): Promise<number | null> {
  // Imported here, not at the top: the compiler takes over a gigabyte, which `npm run bench` must not count
  // in the peak RSS it reports (it calls this last).
  const { default: asc } = await import('assemblyscript/asc');
  const { binary, error } = await asc.compileString(SOURCE, {
    optimizeLevel: 3,
    noAssert: true,
    runtime: 'stub',
    enable: ['simd', 'relaxed-simd'],
  });
  // The source is fixed, so a compile error is a bug here, not a missing feature of the runtime.
  if (error || !binary)
    throw new Error(`bench/fmaPeak.ts: the FMA loop did not compile: ${error?.message ?? 'no binary'}`);
  const bytes = new Uint8Array(binary); // a copy on a plain ArrayBuffer, as WebAssembly wants
  if (!WebAssembly.validate(bytes)) return null;
  const { instance } = await WebAssembly.instantiate(bytes);
  const fmaLoop = instance.exports.fmaLoop as (n: number) => number;
  fmaLoop(1_000_000); // warm up and tier up
  // Timed by this thread's CPU time where the runtime has it (Node): on a shared machine the wall clock
  // also counts the time other processes held the core, which would lower the ceiling the bench divides by.
  const clock =
    typeof process === 'object' && typeof process.cpuUsage === 'function' ? cpuMs : () => performance.now();
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const started = clock();
    fmaLoop(iterations);
    best = Math.min(best, clock() - started);
  }
  return (iterations * FLOPS_PER_ITERATION) / best / 1e6;
}

/** This process's CPU time so far, ms (the loop runs on this thread alone). */
function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}
