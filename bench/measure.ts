/** Timing: warm-up runs, then the median of the measured runs. */
export interface Timing {
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  readonly runs: number;
}

export async function warmUp(run: () => unknown, times: number): Promise<void> {
  for (let i = 0; i < times; i++) await run();
}

export async function time(run: () => unknown, warmup: number, runs: number): Promise<Timing> {
  if (runs < 1) throw new Error(`time: runs must be ≥ 1, got ${runs}`);
  await warmUp(run, warmup);
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await run();
    ms.push(performance.now() - start);
  }
  ms.sort((a, b) => a - b);
  const mid = ms.length >> 1;
  const medianMs = ms.length % 2 ? ms[mid] : (ms[mid - 1] + ms[mid]) / 2;
  return { medianMs, minMs: ms[0], maxMs: ms[ms.length - 1], runs };
}

/** Peak resident set size of this process so far, in MB. */
export function peakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}
