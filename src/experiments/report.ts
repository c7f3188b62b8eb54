/**
 * `npm run report`: runs the comparison (runReport.ts) and writes docs/results.md. The report's parts, one
 * job each: statistics.ts (medians and spreads over seeds), verdicts.ts (the fixed comparison rules),
 * provenance.ts (commit, machine, versions), formatting.ts (how numbers are written) and renderReport.ts
 * (the markdown and the figures). This file is their entry point for the runner and the tests.
 */
export { writeReport, type ReportRun, type TaskResults } from './renderReport.js';
export { gitCommit, machineDescription } from './provenance.js';
export { curvePoints, spread, type Spread } from './statistics.js';
export { compareSpreads, compareWithLstm, verdict, type Comparison, type Outcome } from './verdicts.js';
