/**
 * Issue #15's harness: every bad input of badInputCases.ts ends in its typed error — the CLI with its exit
 * code and one line on stderr (no stack trace), the library with its error class and a one-line message —
 * and no file under the fixture is written, changed or lost.
 *
 * CLI cases run in this process (main(argv) with its output captured); the few where the process itself
 * matters (a path that used to hang, a binary file on a terminal, a size that used to crash) also run as a
 * real `novolstm` process.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { main } from '../src/cli/main.js';
import { trainLanguageModel } from '../src/lm/trainer.js';
import { Random } from '../src/random.js';
import {
  API_CASES,
  CLI_CASES,
  FIXTURE_FILES,
  MODEL_MUTANTS,
  type Fixture,
  type ModelMutant,
} from './badInputCases.js';

/** A text of 24 distinct characters, long enough for the tiny model's windows. */
function corpusText(): string {
  const rng = new Random(15);
  const words = ['the', 'whale', 'sea', 'ship', 'ahab', 'call', 'me', 'ishmael', 'of', 'and', 'queequeg'];
  return Array.from({ length: 700 }, () => words[rng.nextUint32() % words.length]).join(' ') + '.\n';
}

async function buildFixture(): Promise<Fixture> {
  const root = mkdtempSync(join(tmpdir(), 'novolstm-bad-input-'));
  const corpus = join(root, 'corpus.txt');
  writeFileSync(corpus, corpusText());
  const model = join(root, 'model');
  await trainLanguageModel(
    {
      corpus,
      validationFile: null,
      cell: 'lstm',
      units: 5,
      layers: 1,
      embeddingDim: 3,
      dropout: 0,
      seqLen: 8,
      batch: 2,
      learningRate: 1e-3,
      clipNorm: 5,
      epochs: 1,
      timeLimitSeconds: null,
      seed: 1,
      out: model,
      resume: false,
      workers: 1,
      sampleLength: 4,
    },
    { log: () => undefined, progress: { write: () => true }, stopRequested: () => false },
  );
  for (const [name, content] of Object.entries(FIXTURE_FILES)) {
    if (content === 'dir') mkdirSync(join(root, name));
    else writeFileSync(join(root, name), content);
  }
  for (const mutant of MODEL_MUTANTS) writeMutant(model, join(root, 'mutants', mutant.name), mutant);
  return {
    root,
    corpus,
    model,
    mutant: (name) => {
      if (!MODEL_MUTANTS.some((m) => m.name === name)) throw new Error(`no mutant '${name}'`);
      return join(root, 'mutants', name);
    },
    file: (name) => join(root, name),
  };
}

function writeMutant(model: string, dir: string, mutant: ModelMutant): void {
  cpSync(model, dir, { recursive: true });
  const jsonFile = join(dir, 'model.json');
  let text = readFileSync(jsonFile, 'utf8');
  const weightsFile = join(dir, (JSON.parse(text) as { weights: { file: string } }).weights.file);
  if (mutant.json) {
    const d = JSON.parse(text) as Record<string, unknown>;
    mutant.json(d);
    text = JSON.stringify(d, null, 2);
  }
  if (mutant.text) {
    const edited = mutant.text(text);
    assert.notEqual(edited, text, `mutant ${mutant.name} changes nothing`);
    text = edited;
  }
  writeFileSync(jsonFile, text);
  if (mutant.weights) writeFileSync(weightsFile, mutant.weights(readFileSync(weightsFile)));
}

/** Every file and directory under `dir` with its size and modification time. */
function snapshot(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    const info = statSync(path);
    files.set(path, entry.isDirectory() ? 'dir' : `${info.size} bytes, modified ${info.mtimeMs}`);
  }
  return files;
}

function assertNothingWrittenOrLost(before: Map<string, string>, after: Map<string, string>): void {
  const written = [...after].filter(([path, state]) => before.get(path) !== state).map(([path]) => path);
  const lost = [...before.keys()].filter((path) => !after.has(path));
  assert.deepEqual({ written, lost }, { written: [], lost: [] });
}

/** The error line: `novolstm: …`, one line, nothing like a stack trace. */
function assertOneCleanLine(stderr: string, message: RegExp): void {
  assert.match(stderr, /^novolstm: [^\n]*\n$/, `not one line: ${JSON.stringify(stderr)}`);
  assert.doesNotMatch(stderr, /\n\s+at |node:internal|TypeError|RangeError|ReferenceError/);
  assert.match(stderr, message);
}

async function runInProcess(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const writeOut = process.stdout.write.bind(process.stdout);
  const writeErr = process.stderr.write.bind(process.stderr);
  // The CLI writes strings; the test runner's own reports (bytes) pass through.
  process.stdout.write = ((s: string | Uint8Array, ...rest: never[]) => {
    if (typeof s !== 'string') return writeOut(s, ...rest);
    stdout += s;
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((s: string | Uint8Array, ...rest: never[]) => {
    if (typeof s !== 'string') return writeErr(s, ...rest);
    stderr += s;
    return true;
  }) as typeof process.stderr.write;
  try {
    return { code: await main(argv), stdout, stderr };
  } finally {
    process.stdout.write = writeOut;
    process.stderr.write = writeErr;
  }
}

function runProcess(argv: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/bin.ts', ...argv], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // The hang of issue #15 (--out /proc/x) would end here, as a failure.
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

let fixture: Fixture;
const ready = buildFixture().then((f) => (fixture = f));

describe(`bad command lines: ${CLI_CASES.length} cases, each one typed line and no file touched`, () => {
  before(() => ready);
  assert.ok(CLI_CASES.length >= 150, `only ${CLI_CASES.length} CLI cases`);
  assert.equal(new Set(CLI_CASES.map((c) => c.name)).size, CLI_CASES.length, 'case names repeat');
  for (const c of CLI_CASES) {
    it(c.name, async () => {
      const argv = c.argv(fixture);
      const before = snapshot(fixture.root);
      const { code, stdout, stderr } = await runInProcess(argv);
      assert.equal(code, c.code, `exit code; stderr ${JSON.stringify(stderr)}`);
      assertOneCleanLine(stderr, c.message);
      assert.doesNotMatch(stdout, /\n\s+at |Error/);
      assertNothingWrittenOrLost(before, snapshot(fixture.root));
    });
  }
});

describe('bad command lines in a real process (where the process matters)', () => {
  before(() => ready);
  const spawned = CLI_CASES.filter((c) => c.spawn);
  assert.ok(spawned.length >= 2);
  it(spawned.map((c) => c.name).join('; '), async () => {
    const before = snapshot(fixture.root);
    // Side by side: each process mostly waits for its start-up.
    const results = await Promise.all(spawned.map((c) => runProcess(c.argv(fixture))));
    results.forEach(({ code, stderr }, i) => {
      assert.equal(code, spawned[i].code, `${spawned[i].name}: ${stderr}`);
      assertOneCleanLine(stderr, spawned[i].message);
    });
    assertNothingWrittenOrLost(before, snapshot(fixture.root));
  });
});

describe(`bad library calls: ${API_CASES.length} cases, each its typed error and no file touched`, () => {
  before(() => ready);
  assert.ok(API_CASES.length >= 100, `only ${API_CASES.length} API cases`);
  assert.equal(new Set(API_CASES.map((c) => c.name)).size, API_CASES.length, 'case names repeat');
  for (const c of API_CASES) {
    it(c.name, async () => {
      const before = snapshot(fixture.root);
      await assert.rejects(
        async () => {
          await c.run(fixture);
        },
        (error: Error) => {
          assert.ok(error instanceof c.error, `${error.name} is not a ${c.error.name}: ${error.message}`);
          assert.match(error.message, c.message);
          assert.doesNotMatch(error.message, /\n/);
          return true;
        },
      );
      assertNothingWrittenOrLost(before, snapshot(fixture.root));
    });
  }
});

after(() => {
  if (fixture) rmSync(fixture.root, { recursive: true, force: true });
});

describe('eval --json: unknown characters are counted, not silently dropped', () => {
  before(() => ready);
  it('reports "skipped", the occurrences left out before scoring', async () => {
    const text = readFileSync(fixture.corpus, 'utf8').slice(0, 400);
    const file = join(fixture.root, 'with-unknown.txt');
    // Three unknown characters, one outside the Basic Multilingual Plane (two UTF-16 units, one character).
    writeFileSync(file, `Ж${text}Ж🐋`);
    try {
      const { code, stdout, stderr } = await runInProcess([
        'eval',
        '--model',
        fixture.model,
        '--corpus',
        file,
        '--json',
      ]);
      assert.equal(code, 0, stderr);
      const result = JSON.parse(stdout) as { skipped: number; chars: number };
      assert.equal(result.skipped, 3);
    } finally {
      rmSync(file);
    }
  });
});
