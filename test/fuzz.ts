/**
 * `npm run fuzz -- --iterations 100000 [--seed 15]`: the loader fuzzer (loaderFuzzer.ts) for as long as
 * asked. Prints the outcome and every failure; exits 1 if any mutant crashed the loader.
 */
import { parseArgs } from 'node:util';
import { fuzzLoader, trainedSave } from './loaderFuzzer.js';

const { values } = parseArgs({
  options: { iterations: { type: 'string', default: '100000' }, seed: { type: 'string', default: '15' } },
});
const iterations = Number(values.iterations);
const seed = Number(values.seed);
if (!Number.isInteger(iterations) || iterations < 1 || !Number.isInteger(seed) || seed < 0) {
  process.stderr.write('fuzz: --iterations must be a positive integer and --seed an integer ≥ 0\n');
  process.exit(1);
}
const started = performance.now();
const report = await fuzzLoader(await trainedSave(), {
  seed,
  iterations,
  onProgress: (done) => process.stderr.write(`\r${done} / ${iterations}`),
});
process.stderr.write('\n');
for (const f of report.failures) console.log(`FAILURE at ${f.iteration} (${f.mutation}): ${f.error}`);
console.log(
  `${report.iterations} mutated saves (seed ${seed}): ${report.typedErrors} typed errors, ${report.loaded} loaded, ` +
    `${report.failures.length} failures; slowest read ${report.slowestMs.toFixed(1)} ms; ` +
    `${((performance.now() - started) / 1000).toFixed(1)} s`,
);
process.exitCode = report.failures.length > 0 ? 1 : 0;
