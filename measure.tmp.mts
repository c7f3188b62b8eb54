import { charModel } from './src/applications/charModel.js';
import { reportPreset } from './src/experiments/presets.js';
import { loadavg } from 'node:os';
const lm = reportPreset('lm').applications.lm;
const started = performance.now();
const r = await charModel({ ...lm, timeLimitSeconds: 40, validateEverySeconds: 20, cell: 'lstm', matchParameters: true, seed: 1, verbose: false });
console.log(JSON.stringify({ units: r.units, parameters: r.parameters, curve: r.curve, wall: (performance.now() - started) / 1000, unigram: r.unigramBpc, load: loadavg() }));
