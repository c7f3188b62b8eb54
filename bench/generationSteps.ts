/**
 * Where a character of generation goes (the profile behind src/lm/stepLayers.ts' order of the
 * multiplies): CPU microseconds per character of this process for each part of a one-thread step on the
 * engine, for a 2 × 256 character model as bench/generation.ts builds it —
 *   layers (fixed order)  every character U₁, W₂, U₂ in the same order, ascending columns (as before);
 *   layers (alternating)  what stepLayers runs: every other character the recurrent products first and
 *                         the weights read backwards;
 *   head                  h·W_dense + bias and the softmax in JavaScript;
 *   sampling              sampleToken at temperature 0.8.
 * With the weight bytes a character reads and the rate that implies. CPU time rather than wall time, so
 * that other work on a shared machine counts less (it still evicts the caches); the parts take turns in
 * every round, and the median and min over the rounds are printed with the CPU and the load average.
 *
 * node --experimental-wasm-relaxed-simd --import tsx bench/generationSteps.ts [--cells lstm,novolstm,gru]
 *      [--units 256] [--rounds 8] [--steps 1000]
 */
import { cpus, loadavg } from 'node:os';
import { CharVocabulary } from '../src/data/text/charVocabulary.js';
import { loadCorpus } from '../src/data/text/corpus.js';
import { sampleToken } from '../src/generation/sampling.js';
import { newEngine, useFastKernels } from '../src/layers/backend.js';
import { buildLanguageModel, LM_CELLS, type LmCell } from '../src/lm/languageModel.js';
import { recurrentBytes } from '../src/lm/stepper.js';
import { checkedStack, engineHead, engineLayers, stepLayers } from '../src/lm/stepLayers.js';
import { Random } from '../src/random.js';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const cells = (flag('cells')?.split(',') as LmCell[] | undefined) ?? LM_CELLS;
const units = Number(flag('units') ?? 256);
const rounds = Number(flag('rounds') ?? 8);
const steps = Number(flag('steps') ?? 1000);

const runsOn = await useFastKernels();
if (runsOn === 'reference') throw new Error('bench/generationSteps.ts: the engine did not load');
const vocabulary = CharVocabulary.fromText(loadCorpus('builtin:moby-dick')).toJSON();
const V = vocabulary.length;
const loadAtStart = loadavg()[0];

const parts = ['layers (fixed order)', 'layers (alternating)', 'head', 'sampling'] as const;
type Part = (typeof parts)[number];

/** CPU µs per call of f, over `steps` calls. */
function cpuMicros(f: (i: number) => void): number {
  const start = process.cpuUsage();
  for (let i = 0; i < steps; i++) f(i);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / steps;
}

const setups = cells.map((cell) => {
  const model = buildLanguageModel({ cell, units, layers: 2, embeddingDim: 64, dropout: 0, vocabulary }, 1);
  const stack = checkedStack(model);
  const engine = newEngine()!;
  const built = engineLayers(engine, stack);
  const head = engineHead(engine, stack.dense, built.layers[built.layers.length - 1].units);
  const { h, stride } = stepLayers(built, 1);
  const probabilities = head(h, stride).slice();
  const rng = new Random(1);
  const run: Record<Part, (i: number) => void> = {
    'layers (fixed order)': (i) => {
      built.order.recurrentFirst = false; // the order every character ran in before
      stepLayers(built, i % V);
    },
    'layers (alternating)': (i) => void stepLayers(built, i % V),
    head: () => void head(h, stride),
    sampling: () => void sampleToken(probabilities, { temperature: 0.8 }, rng),
  };
  // Weights read per character: the recurrent ones, and the dense kernel.
  const bytes = recurrentBytes(stack) + 4 * stack.dense.params.kernel.length;
  return { cell, run, bytes, samples: new Map<Part, number[]>(parts.map((p) => [p, []])) };
});

for (const s of setups) for (const part of parts) cpuMicros(s.run[part]); // warm-up
for (let round = 0; round < rounds; round++) {
  for (const s of setups) for (const part of parts) s.samples.get(part)!.push(cpuMicros(s.run[part]));
}

console.log(
  `generation, CPU µs per character by part (2 × ${units}, embedding 64, vocabulary ${V}, one thread, on ${runsOn}): ${cpus()[0]?.model}, ${cpus().length} cores, load average ${loadAtStart.toFixed(2)} at the start, ${loadavg()[0].toFixed(2)} at the end; median (min) of ${rounds} rounds of ${steps}`,
);
for (const s of setups) {
  const line = parts.map((part) => {
    const sorted = [...s.samples.get(part)!].sort((a, b) => a - b);
    return `${part} ${sorted[sorted.length >> 1].toFixed(1)} (${sorted[0].toFixed(1)})`;
  });
  const alternating = [...s.samples.get('layers (alternating)')!].sort((a, b) => a - b)[rounds >> 1];
  const rate = s.bytes / alternating / 1e3; // GB/s
  console.log(
    `${s.cell}: ${line.join(' · ')} · ${(s.bytes / 1e6).toFixed(2)} MB of weights per character, ${rate.toFixed(1)} GB/s alternating`,
  );
}
