/**
 * Bit for bit against another checkout: every output and gradient of the engine's sequence plans —
 * forward, backward, the tape-free infer — computed by this tree's code and by another's (`--base`, e.g.
 * the main branch's worktree with its wasm built), side by side in this process, on the same inputs. For
 * a change that must not move a single bit (a new memory layout, a kernel that reads its tape another
 * way), where the tests' comparison with the reference kernels allows float32 rounding.
 *
 *   node --experimental-wasm-relaxed-simd --import tsx bench/engineIdentity.ts --base /work/main
 *
 * Covers every cell option the engine runs (LSTM with σ and the hard sigmoid, the LN-LSTM, the GRU with
 * and without resetAfter and the hard sigmoid, NovoLSTM's four input gates with either norm placement),
 * both builds (relaxed, simd) where both trees accept them, sizes that divide neither the vector width
 * nor the tiles (one with T·B past the multiply's depth block and more rows than its row block), masks
 * with rows of every length, reverse, batch-major, initial states and every upstream gradient. Prints
 * each difference (the first differing index and both values) and exits with 1 if there is any.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import type { CellKernel, Params } from '../src/kernels/contract.js';
import { Random } from '../src/random.js';

type Cells = typeof import('../src/cells.js');
type Loader = typeof import('../src/engine/loader.js');
type Plans = typeof import('../src/engine/plan.js');
type Recurrence = typeof import('../src/kernels/reference/recurrence.js');

interface Tree {
  readonly cells: Cells;
  readonly loader: Loader;
  readonly plans: Plans;
  readonly recurrence: Recurrence;
}

async function loadTree(root: string): Promise<Tree> {
  const url = (path: string) => pathToFileURL(resolve(root, path)).href;
  return {
    cells: (await import(url('src/cells.ts'))) as Cells,
    loader: (await import(url('src/engine/loader.ts'))) as Loader,
    plans: (await import(url('src/engine/plan.ts'))) as Plans,
    recurrence: (await import(url('src/kernels/reference/recurrence.ts'))) as Recurrence,
  };
}

/** Every cell option the engine runs, made by a tree's own cells module. */
function cellOptions(): [string, (c: Cells, units: number, inputDim: number) => CellKernel][] {
  const gates = ['readme', 'reference', 'softmax', 'lnSigmoid'] as const;
  return [
    ['LSTM', (c, units, inputDim) => c.lstmCell({ units, inputDim })],
    [
      'LSTM hardSigmoid',
      (c, units, inputDim) => c.lstmCell({ units, inputDim, recurrentActivation: 'hardSigmoid' }),
    ],
    ["LSTM layerNorm 'all'", (c, units, inputDim) => c.lstmCell({ units, inputDim, layerNorm: 'all' })],
    ['GRU', (c, units, inputDim) => c.gruCell({ units, inputDim })],
    [
      'GRU hardSigmoid',
      (c, units, inputDim) => c.gruCell({ units, inputDim, recurrentActivation: 'hardSigmoid' }),
    ],
    ['GRU resetAfter false', (c, units, inputDim) => c.gruCell({ units, inputDim, resetAfter: false })],
    [
      'GRU resetAfter false, hardSigmoid',
      (c, units, inputDim) =>
        c.gruCell({ units, inputDim, resetAfter: false, recurrentActivation: 'hardSigmoid' }),
    ],
    ...gates.flatMap((inputGate) =>
      (['inputGate', 'all'] as const).map(
        (layerNorm): [string, (c: Cells, units: number, inputDim: number) => CellKernel] => [
          `NovoLSTM ${inputGate}, layerNorm '${layerNorm}'`,
          (c, units, inputDim) => c.novoLstmCell({ units, inputDim, inputGate, layerNorm }),
        ],
      ),
    ),
  ];
}

/** [T, B, D, units]: odd sizes; the last has T·B = 1,073 rows (past the depth block) and 182 = D + U. */
const SIZES: readonly (readonly [number, number, number, number])[] = [
  [7, 5, 3, 9],
  [13, 3, 6, 13],
  [4, 1, 5, 6],
  [37, 29, 50, 130],
];

interface Case {
  readonly name: string;
  readonly T: number;
  readonly B: number;
  readonly D: number;
  readonly units: number;
  readonly reverse: boolean;
  readonly masked: boolean;
  readonly batchMajor: boolean;
}

/** Every array a plan returns for one case: forward's, backward's (and the gradients), infer's. */
function runCase(tree: Tree, engine: unknown, make: (c: Cells) => CellKernel, c: Case): Float32Array[] {
  const cell = make(tree.cells);
  const rng = new Random(7 + c.T);
  const r = (n: number, scale = 1) => Float32Array.from({ length: n }, () => (rng.uniform() * 2 - 1) * scale);
  const p: Params = {};
  for (const w of cell.weights) {
    const n = w.shape.reduce((a, b) => a * b, 1);
    p[w.name] = r(n, 0.7);
    // Gains around 1.
    if (w.name.endsWith('amma')) for (let i = 0; i < n; i++) p[w.name][i] += 1;
  }
  let mask: Uint8Array | undefined;
  if (c.masked) {
    mask = new Uint8Array(c.T * c.B);
    for (let b = 0; b < c.B; b++) for (let t = 0; t < 1 + ((b * 5) % c.T); t++) mask[t * c.B + b] = 1;
  }
  const gru = cell.spec.kind === 'gru';
  const u = c.units;
  const options = {
    reverse: c.reverse,
    mask,
    batchMajor: c.batchMajor,
    h0: r(c.B * u),
    ...(gru ? {} : { c0: r(c.B * u) }),
  };
  const plan = tree.plans.recurrentPlan(engine as Parameters<Plans['recurrentPlan']>[0], cell, c.T, c.B);
  plan.setWeights(p);
  const out = plan.forward(r(c.T * c.B * c.D, 2), options);
  const g = tree.recurrence.zeroGradients(cell, new Float32Array(0));
  const upstream = { dh: r(c.T * c.B * u), dhT: r(c.B * u), ...(gru ? {} : { dcT: r(c.B * u) }) };
  const grads = plan.backward(g, upstream);
  const infer = plan.infer(r(c.T * c.B * c.D, 2), options);
  const arrays = [out.h, out.hT, out.cT, grads.dx, grads.dh0, grads.dc0, infer.h, infer.hT, infer.cT];
  return [...arrays, ...cell.weights.map((w) => g[w.name])].map((a) =>
    a ? Float32Array.from(a) : new Float32Array(0),
  );
}

/** The first index where a and b differ in any bit (signed zeros, NaN payloads), or -1. */
function firstDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return 0;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return -1;
}

const { values } = parseArgs({ options: { base: { type: 'string' } } });
if (!values.base)
  throw new Error('bench/engineIdentity.ts: --base DIR (the checkout to compare with) is needed');
const before = await loadTree(values.base);
const after = await loadTree(resolve(import.meta.dirname, '..'));
await before.loader.enableRelaxedSimdInNode();
const beforeBuilds = await before.loader.availableBuilds();
const builds = (await after.loader.availableBuilds()).filter((b) => beforeBuilds.includes(b));
let compared = 0;
let differing = 0;
for (const build of builds) {
  const engines = [await before.loader.loadEngine({ build }), await after.loader.loadEngine({ build })];
  for (const [name, make] of cellOptions()) {
    for (const [T, B, D, units] of SIZES) {
      for (const reverse of [false, true]) {
        for (const masked of [false, true]) {
          for (const batchMajor of [false, true]) {
            const c: Case = { name, T, B, D, units, reverse, masked, batchMajor };
            const maker = (cells: Cells) => make(cells, units, D);
            const [a, b] = [runCase(before, engines[0], maker, c), runCase(after, engines[1], maker, c)];
            compared++;
            const i = a.findIndex((x, k) => firstDifference(x, b[k]) >= 0);
            if (i < 0) continue;
            differing++;
            const at = firstDifference(a[i], b[i]);
            console.log(
              `${build} ${name} T=${T} B=${B} D=${D} units=${units} reverse=${reverse} masked=${masked} ` +
                `batchMajor=${batchMajor}: array ${i} differs first at ${at}: before ${a[i][at]}, after ${b[i][at]}`,
            );
          }
        }
      }
    }
  }
}
console.log(
  `${compared} cases (${builds.join(', ')}), each forward, backward with every gradient, and infer: ` +
    `${differing === 0 ? 'all bit for bit the same' : `${differing} differ`}`,
);
if (differing > 0) process.exitCode = 1;
