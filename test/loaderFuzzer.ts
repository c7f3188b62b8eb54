/**
 * The loader fuzzer of issue #15: a trained language model's save, mutated at random (seeded) and read
 * back. Every outcome must be a typed error (NovoLstmError) or a model that loads, passes
 * languageModelConfig and generates; anything else — another error class, a crash, a read that takes
 * seconds — is recorded as a failure with the mutation that caused it.
 *
 * Used by loaderFuzz.test.ts (2,000 mutations in CI) and by `npm run fuzz -- --iterations 100000`
 * (test/fuzz.ts). Everything runs in memory: the files are handed to modelFromFiles / modelFromBytes as
 * the page does, so no disk is written.
 */
import { NovoLstmError } from '../src/errors.js';
import { sha256Hex } from '../src/io/digest.js';
import { modelFromBytes, modelFromFiles } from '../src/io/bundle.js';
import { packTar } from '../src/io/tar.js';
import { generateText } from '../src/lm/generate.js';
import { languageModelConfig } from '../src/lm/languageModel.js';
import { Random } from '../src/random.js';

export interface SaveFile {
  readonly name: string;
  readonly bytes: Uint8Array;
}

export interface FuzzFailure {
  readonly iteration: number;
  readonly mutation: string;
  readonly error: string;
}

export interface FuzzReport {
  readonly iterations: number;
  /** Mutants that loaded, passed languageModelConfig and generated text. */
  readonly loaded: number;
  /** Mutants refused with a typed error. */
  readonly typedErrors: number;
  readonly failures: readonly FuzzFailure[];
  /** The slowest single read, in milliseconds (a hang would show here, or never return). */
  readonly slowestMs: number;
}

/** Values a hostile or broken file may hold where a number, string, array or object belongs. */
const HOSTILE_VALUES: readonly unknown[] = [
  null,
  true,
  0,
  -1,
  1.5,
  8000,
  1e9,
  2 ** 32,
  -0,
  '',
  'x',
  'transformer',
  '__proto__',
  'constructor',
  '../model.json',
  [],
  [null],
  [1e9, 1e9],
  {},
  { __proto__: { polluted: true } },
  'é'.repeat(300),
];
const HOSTILE_NUMBER_TEXT = ['1e999', '-1e999', '1e9', '-1', '0', '8000', '4294967296', '0.5', '1e-320'];

type Json = Record<string, unknown> | unknown[];

/** Every (container, key) in a parsed JSON value, so one can be replaced or deleted. */
function slots(root: unknown): [Json, string | number][] {
  const out: [Json, string | number][] = [];
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const value = pending.pop();
    if (Array.isArray(value)) {
      value.forEach((v, i) => {
        out.push([value, i]);
        pending.push(v);
      });
    } else if (typeof value === 'object' && value !== null) {
      for (const [k, v] of Object.entries(value)) {
        out.push([value as Record<string, unknown>, k]);
        pending.push(v);
      }
    }
  }
  return out;
}

function pick<T>(rng: Random, items: readonly T[]): T {
  return items[rng.nextUint32() % items.length];
}

function flipBytes(rng: Random, bytes: Uint8Array, count: number): Uint8Array {
  const out = bytes.slice();
  for (let i = 0; i < count && out.length > 0; i++)
    out[rng.nextUint32() % out.length] ^= 1 << (rng.nextUint32() % 8);
  return out;
}

interface Mutant {
  files: SaveFile[];
  /** Read as a tar bundle (modelFromBytes) instead of loose files. */
  tar: Uint8Array | null;
  description: string[];
}

/** One random mutation of `m`, in place; says what it did. */
async function mutate(rng: Random, m: Mutant): Promise<void> {
  const jsonIndex = m.files.findIndex((f) => f.name === 'model.json');
  const text = new TextDecoder().decode(m.files[jsonIndex].bytes);
  const setJson = (t: string) =>
    (m.files[jsonIndex] = { name: 'model.json', bytes: new TextEncoder().encode(t) });
  const op = rng.nextUint32() % 8;
  if (op <= 1) {
    // Replace or delete one value of the description.
    let d: unknown;
    try {
      d = JSON.parse(text);
    } catch {
      setJson(text + '}');
      m.description.push('append }');
      return;
    }
    const all = slots(d);
    if (all.length === 0) return;
    const [container, key] = pick(rng, all);
    if (op === 0) {
      const value = pick(rng, HOSTILE_VALUES);
      (container as Record<string, unknown>)[key] = value;
      m.description.push(`set ${String(key)} = ${JSON.stringify(value)?.slice(0, 30)}`);
    } else if (Array.isArray(container)) {
      container.splice(key as number, 1);
      m.description.push(`remove [${key}]`);
    } else {
      delete container[key];
      m.description.push(`delete ${key}`);
    }
    setJson(JSON.stringify(d, null, 2));
  } else if (op === 2) {
    // A number literal JSON.parse reads as Infinity, or another size.
    const numbers = [...text.matchAll(/-?\d+(\.\d+)?(e[+-]?\d+)?/g)];
    if (numbers.length === 0) return;
    const n = pick(rng, numbers);
    const replacement = pick(rng, HOSTILE_NUMBER_TEXT);
    setJson(text.slice(0, n.index) + replacement + text.slice(n.index + n[0].length));
    m.description.push(`number ${n[0]} → ${replacement}`);
  } else if (op === 3) {
    // Bytes of model.json: flipped, cut or spliced.
    const bytes = m.files[jsonIndex].bytes;
    const kind = rng.nextUint32() % 3;
    const out =
      kind === 0
        ? flipBytes(rng, bytes, 1 + (rng.nextUint32() % 4))
        : kind === 1
          ? bytes.slice(0, rng.nextUint32() % bytes.length)
          : new Uint8Array([
              ...bytes.slice(0, 100),
              ...flipBytes(rng, bytes.slice(100, 140), 8),
              ...bytes.slice(100),
            ]);
    m.files[jsonIndex] = { name: 'model.json', bytes: out };
    m.description.push(['flip json bytes', 'cut json', 'splice json'][kind]);
  } else if (op <= 5) {
    // A binary file changed; with op 5 re-signed (new digest and name in model.json), so its values are read.
    const binaries = m.files.filter((f) => f.name !== 'model.json');
    const target = pick(rng, binaries);
    const cut = rng.nextUint32() % 4 === 0;
    const bytes = cut
      ? target.bytes.slice(0, target.bytes.length - 4 * (1 + (rng.nextUint32() % 3)))
      : flipBytes(rng, target.bytes, 1 + (rng.nextUint32() % 8));
    if (op === 4) {
      m.files[m.files.indexOf(target)] = { name: target.name, bytes };
      m.description.push(`${cut ? 'cut' : 'flip'} ${target.name}`);
    } else {
      const digest = await sha256Hex(bytes);
      const name = `${target.name.split('-')[0]}-${digest.slice(0, 16)}.bin`;
      m.files[m.files.indexOf(target)] = { name, bytes };
      setJson(
        text
          .replace(target.name, name)
          .replace(
            new RegExp(`("file": "${name}",\\s*"byteLength": )\\d+(,\\s*"sha256": ")[0-9a-f]+`),
            `$1${bytes.length}$2${digest}`,
          ),
      );
      m.description.push(`${cut ? 'cut' : 'flip'} and re-sign ${target.name}`);
    }
  } else {
    // The one-file bundle, damaged.
    const tar = m.tar ?? packTar(m.files);
    const kind = rng.nextUint32() % 2;
    m.tar =
      kind === 0
        ? flipBytes(rng, tar, 1 + (rng.nextUint32() % 6))
        : tar.slice(0, rng.nextUint32() % tar.length);
    m.description.push(kind === 0 ? 'flip tar bytes' : 'cut tar');
  }
}

/** Reads a mutant as the CLI and the page would; returns 'loaded' or throws what the loader threw. */
async function readMutant(m: Mutant): Promise<'loaded'> {
  const model = m.tar ? await modelFromBytes(m.tar) : await modelFromFiles(m.files);
  languageModelConfig(model);
  const text = [...generateText(model, { length: 3, seed: 1, threads: 1 })].join('');
  if ([...text].length !== 3) throw new Error(`generated ${JSON.stringify(text)}, not 3 characters`);
  return 'loaded';
}

export async function fuzzLoader(
  save: readonly SaveFile[],
  options: {
    readonly seed: number;
    readonly iterations: number;
    readonly onProgress?: (done: number) => void;
  },
): Promise<FuzzReport> {
  const rng = new Random(options.seed);
  let loaded = 0;
  let typedErrors = 0;
  let slowestMs = 0;
  const failures: FuzzFailure[] = [];
  for (let iteration = 0; iteration < options.iterations; iteration++) {
    const m: Mutant = { files: save.map((f) => ({ ...f })), tar: null, description: [] };
    // Mostly one mutation, sometimes two or three on top of each other.
    const count = 1 + (rng.nextUint32() % 8 === 0 ? 1 + (rng.nextUint32() % 2) : 0);
    for (let i = 0; i < count; i++) await mutate(rng, m);
    const started = performance.now();
    try {
      await readMutant(m);
      loaded++;
    } catch (error) {
      if (error instanceof NovoLstmError && !error.message.includes('\n')) typedErrors++;
      else
        failures.push({
          iteration,
          mutation: m.description.join('; '),
          error: `${(error as Error)?.name}: ${(error as Error)?.message}`.slice(0, 300),
        });
    }
    slowestMs = Math.max(slowestMs, performance.now() - started);
    if (options.onProgress && (iteration + 1) % 1000 === 0) options.onProgress(iteration + 1);
  }
  return { iterations: options.iterations, loaded, typedErrors, failures, slowestMs };
}

/**
 * The files of a freshly trained tiny language model (one epoch, with its optimizer and training record),
 * written to a temporary directory that is removed again.
 */
export async function trainedSave(): Promise<SaveFile[]> {
  const fs = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { trainLanguageModel } = await import('../src/lm/trainer.js');
  const dir = fs.mkdtempSync(join(tmpdir(), 'novolstm-fuzz-'));
  try {
    const rng = new Random(7);
    const words = ['call', 'me', 'ishmael', 'the', 'whale', 'sea'];
    const corpus = join(dir, 'corpus.txt');
    fs.writeFileSync(corpus, Array.from({ length: 300 }, () => pick(rng, words)).join(' '));
    const out = join(dir, 'model');
    await trainLanguageModel(
      {
        corpus,
        validationFile: null,
        cell: 'novolstm',
        units: 3,
        layers: 1,
        embeddingDim: 2,
        dropout: 0,
        seqLen: 7,
        batch: 3,
        learningRate: 1e-3,
        clipNorm: 5,
        epochs: 1,
        timeLimitSeconds: null,
        seed: 3,
        out,
        resume: false,
        workers: 1,
        sampleLength: 2,
      },
      { log: () => undefined, progress: { write: () => true }, stopRequested: () => false },
    );
    return fs
      .readdirSync(out)
      .filter((name) => name === 'model.json' || name.endsWith('.bin'))
      .map((name) => ({ name, bytes: new Uint8Array(fs.readFileSync(join(out, name))) }));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The same for another framework's one-file export (`.safetensors`, `.keras`), read by importModel from
 * bytes: bytes flipped, cut or spliced. Typed errors or a model, nothing else.
 */
export async function fuzzImport(
  bytes: Uint8Array,
  options: { readonly seed: number; readonly iterations: number },
): Promise<FuzzReport> {
  const { importModel } = await import('../src/interop/index.js');
  const rng = new Random(options.seed);
  let loaded = 0;
  let typedErrors = 0;
  let slowestMs = 0;
  const failures: FuzzFailure[] = [];
  for (let iteration = 0; iteration < options.iterations; iteration++) {
    const kind = rng.nextUint32() % 3;
    // Mostly near the start, where the headers are: a flip deep in the weights only changes a value.
    const near = (n: number) =>
      rng.nextUint32() % Math.max(1, rng.nextUint32() % 2 === 0 ? Math.min(n, 512) : n);
    const mutant =
      kind === 0
        ? (() => {
            const out = bytes.slice();
            for (let i = 0, n = 1 + (rng.nextUint32() % 8); i < n; i++)
              out[near(out.length)] ^= 1 << (rng.nextUint32() % 8);
            return out;
          })()
        : kind === 1
          ? bytes.slice(0, near(bytes.length))
          : (() => {
              const at = near(bytes.length);
              return new Uint8Array([
                ...bytes.slice(0, at),
                ...bytes.slice(at + 1 + (rng.nextUint32() % 16)),
              ]);
            })();
    const started = performance.now();
    try {
      await importModel(mutant);
      loaded++;
    } catch (error) {
      if (error instanceof NovoLstmError && !error.message.includes('\n')) typedErrors++;
      else
        failures.push({
          iteration,
          mutation: ['flip', 'cut', 'splice'][kind],
          error: `${(error as Error)?.name}: ${(error as Error)?.message}`.slice(0, 300),
        });
    }
    slowestMs = Math.max(slowestMs, performance.now() - started);
  }
  return { iterations: options.iterations, loaded, typedErrors, failures, slowestMs };
}
