/**
 * The floors of novolstm, checked by dependency-cruiser in `npm test` (`npm run lint:layers`): a module
 * may import the floors below its own and its own group, never a floor above, never a neighbour on its floor
 * unless listed in SIDEWAYS — and no import cycle at all, type-only imports included.
 * docs/architecture.md draws the same floors and says what each folder does.
 *
 * Bottom to top; the groups on one floor are independent of each other.
 */
const TRAINING_OBJECTIVES =
  '^src/training/(losses|metrics|objective|optimizers|optimizerFactories|schedules|scheduleFactories|binaryScores)\\.ts$';

const FLOORS = [
  // Typed errors, the seeded generator, tensors, the option checker: everything may use them.
  { base: '^src/(errors|random|tensor|options|peers)\\.ts$' },
  // Leaves on the base: the reference kernels, the data sets, sampling from a distribution, charts.
  {
    kernels: '^src/kernels/',
    data: '^src/data/',
    generation: '^src/generation/',
    report: '^src/report/',
  },
  // The WebAssembly engine over the kernels; the cells and initializers built from the reference kernels.
  { engine: '^src/engine/', cells: '^src/(cells|initializers)\\.ts$' },
  { layers: '^src/layers/' },
  // What `compile` takes: losses, metrics, optimizers and schedules sit below the model they are given to.
  { objectives: TRAINING_OBJECTIVES },
  { models: '^src/models/' },
  // Saving and loading (io) and the other formats (interop) read and write models.
  { io: '^src/io/', interop: '^src/interop/' },
  // Data parallelism: workers that each hold a model (sent as an io bundle).
  { parallel: '^src/parallel/' },
  // The training loop: Trainer (local or pooled), fit, callbacks, progress. Everything in training/ that is
  // not an objective.
  { training: { path: '^src/training/', pathNot: TRAINING_OBJECTIVES } },
  // The character language model: building, generating, scoring, training with TBPTT.
  { lm: '^src/lm/' },
  // Programs built on the library: the classifiers and the experiment grid that runs them.
  { applications: '^src/applications/', experiments: '^src/experiments/' },
  // The package entries (index, node, browser, datasets): re-exports; index.ts installs model.fit /
  // model.save, node.ts and browser.ts load the engine.
  { entry: '^src/(index|node|browser|datasets)\\.ts$' },
  // What people run: the command line, the web page, the benchmarks, the examples, the tests.
  { cli: '^src/cli/', web: '^web/', bench: '^bench/', examples: '^examples/', tests: '^test/' },
];

/** Neighbours on one floor that may import each other, [from, to]. */
const SIDEWAYS = [
  ['interop', 'io'], // an export format may reuse the save format's pieces
  ['applications', 'experiments'], // the classifiers compare the cells the experiments name
  ['experiments', 'applications'], // an experiment runs the classifiers
  ['web', 'bench'], // the browser benchmark runs the Node benchmark's seed model
  ['bench', 'tests'], // the browser benchmark drives the page with the end-to-end tests' browser
  ['tests', 'bench'], // … which serves the benchmark's worker
];

const groups = FLOORS.flatMap((floor, level) =>
  Object.entries(floor).map(([name, where]) => ({
    name,
    level,
    match: typeof where === 'string' ? { path: where } : where,
  })),
);

const allowed = (from, to) =>
  from === to ||
  to.level < from.level ||
  (to.level === from.level && SIDEWAYS.some(([a, b]) => a === from.name && b === to.name));

const floorRules = groups.flatMap((from) =>
  groups
    .filter((to) => !allowed(from, to))
    .map((to) => ({
      name: `${from.name}-not-to-${to.name}`,
      comment:
        to.level > from.level
          ? `${from.name} imports ${to.name}, a floor above it: the floors point down (.dependency-cruiser.mjs)`
          : `${from.name} imports ${to.name}, a neighbour on its floor not listed in SIDEWAYS`,
      severity: 'error',
      from: from.match,
      to: to.match,
    })),
);

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'an import cycle: the floors point one way only',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-unplaced-module',
      comment: 'a module on no floor: give its folder a place in FLOORS (.dependency-cruiser.mjs)',
      severity: 'error',
      from: { pathNot: groups.map((g) => g.match.path).join('|') },
      to: {},
    },
    ...floorRules,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist|build)/' },
    tsConfig: { fileName: 'tsconfig.json' },
    // Type-only imports count: a type cycle is a cycle in the design, even if the compiler erases it.
    tsPreCompilationDeps: true,
    // Relative imports name '.js' files that are '.ts' sources here.
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.mts', '.mjs', '.json'] },
  },
};
