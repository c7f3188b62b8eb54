/**
 * The config of a report rebuilt from a trial store without training (`--no-train`), for the tests that
 * rebuild one: only the preset, the store, the output and what a test narrows down differ between them.
 */
import type { ReportConfig } from '../src/experiments/runReport.js';
import type { PresetName } from '../src/experiments/presets.js';

export function rebuildConfig(
  preset: PresetName,
  trials: string,
  out: string,
  narrowed: Partial<Pick<ReportConfig, 'cells' | 'tasks' | 'applications'>> = {},
): ReportConfig {
  return {
    preset,
    seeds: null,
    cells: null,
    tasks: null,
    applications: false,
    appEpochs: null,
    lmEpochs: null,
    timeLimitSeconds: null,
    estimate: null,
    out,
    trials,
    train: false,
    command: `npm run report -- --preset ${preset} --trials DIR --no-train`,
    ...narrowed,
  };
}
