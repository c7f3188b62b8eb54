/** Timing: warm-up runs, then the median of the measured runs; and the same over interleaved rounds. */
export interface Timing {
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  readonly runs: number;
}

/**
 * A timing taken in rounds that took turns with the other configurations (bench.ts): the median of the
 * rounds' medians, the min and max over every run, and each round's median in round order — how far they
 * spread shows what the machine's load did to the figure.
 */
export interface RoundTiming extends Timing {
  readonly roundMedians: number[];
}

export async function warmUp(run: () => unknown, times: number): Promise<void> {
  for (let i = 0; i < times; i++) await run();
}

/** ms of each of `runs` calls of `run`, after `warmup` untimed ones. */
export async function timeRuns(run: () => unknown, warmup: number, runs: number): Promise<number[]> {
  if (runs < 1) throw new Error(`time: runs must be ≥ 1, got ${runs}`);
  await warmUp(run, warmup);
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await run();
    ms.push(performance.now() - start);
  }
  return ms;
}

/**
 * Wall-clock and CPU ms of each of `runs` calls of `run` (after `warmup` untimed ones). CPU time is this
 * process's, every thread's (worker threads included): the work done, whatever the machine's load
 * left of the wall clock.
 */
export async function timeRunsWithCpu(
  run: () => unknown,
  warmup: number,
  runs: number,
): Promise<{ wall: number[]; cpu: number[] }> {
  await warmUp(run, warmup);
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    await run();
    wall.push(performance.now() - start);
    const used = process.cpuUsage(cpuStart);
    cpu.push((used.user + used.system) / 1000);
  }
  return { wall, cpu };
}

export async function time(run: () => unknown, warmup: number, runs: number): Promise<Timing> {
  return summarize(await timeRuns(run, warmup, runs));
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function summarize(ms: readonly number[]): Timing {
  return { medianMs: median(ms), minMs: Math.min(...ms), maxMs: Math.max(...ms), runs: ms.length };
}

/** `rounds[r]`: the ms of round r's runs. */
export function acrossRounds(rounds: readonly (readonly number[])[]): RoundTiming {
  const roundMedians = rounds.map(median);
  const all = rounds.flat();
  return {
    medianMs: median(roundMedians),
    minMs: Math.min(...all),
    maxMs: Math.max(...all),
    runs: all.length,
    roundMedians,
  };
}
