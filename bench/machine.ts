/**
 * The machine a bench ran on, printed with its figures: timings hold only for the CPU they were taken
 * on, and a load average above the core count means other work took cores from the bench.
 */
import { availableParallelism, cpus, loadavg } from 'node:os';

export interface Machine {
  /** As the OS names it, e.g. 'AMD EPYC 9R45'. */
  readonly cpuModel: string;
  readonly cores: number;
  readonly node: string;
}

/** The 1-, 5- and 15-minute load averages at one moment. */
export type LoadAverage = readonly [number, number, number];

export function machine(): Machine {
  return {
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    cores: availableParallelism(),
    node: process.version,
  };
}

export function loadAverage(): LoadAverage {
  const [one, five, fifteen] = loadavg();
  return [one, five, fifteen];
}

export function formatLoad(load: LoadAverage): string {
  return load.map((x) => x.toFixed(2)).join(' ');
}
