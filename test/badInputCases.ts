/**
 * The bad inputs of issue #15, as a table: command lines (CLI_CASES) and library calls (API_CASES), each
 * with the error it must end in. badInput.test.ts runs every one and checks the rest of the promise: one
 * line of output, no stack trace, no file written or lost.
 *
 * The fixture (built by badInput.test.ts in a fresh directory) holds a corpus, a trained one-epoch language
 * model with its checkpoint, and the model mutants below; `Fixture` gives their paths.
 */
import * as nl from '../src/index.js';
import { CharVocabulary } from '../src/data/text/charVocabulary.js';
import { ConfigError, NovoLstmError, ShapeError, ValueError } from '../src/errors.js';
import { loadModel, modelFromBytes, saveModel } from '../src/io/index.js';
import { buildLanguageModel, languageModelConfig } from '../src/lm/languageModel.js';
import { generateText } from '../src/lm/generate.js';
import { scoreText } from '../src/lm/evaluate.js';
import { trainLanguageModel, type TrainConfig } from '../src/lm/trainer.js';

export interface Fixture {
  /** The fixture directory; every case's files live under it. */
  readonly root: string;
  readonly corpus: string;
  /** The trained model (a checkpoint of one epoch). */
  readonly model: string;
  /** A copy of the model with one mutation (MODEL_MUTANTS). */
  mutant(name: string): string;
  /** A file (or directory) of the fixture by name, see FIXTURE_FILES. */
  file(name: keyof typeof FIXTURE_FILES): string;
}

/** Extra files of the fixture: name → content (a string, bytes, or 'dir' for an empty directory). */
export const FIXTURE_FILES = {
  'empty.txt': '',
  'binary.bin': new Uint8Array([1, 0, 2, 0, 3]),
  'latin1.txt': new Uint8Array([0x63, 0x61, 0x66, 0xe9]),
  'short.txt': 'a short text',
  'unknown.txt': 'ЖЖЖЖ ЖЖЖЖ',
  'one-known.txt': 'ЖЖa',
  'a-file': 'not a directory',
  'empty-dir': 'dir',
  'not-a-model.tar': 'plain text, not an archive '.repeat(40),
} as const;

export type ErrorClass = typeof NovoLstmError;

/** A mutation of the trained model's save: model.json as text, or one of its files. */
export interface ModelMutant {
  readonly name: string;
  /** Edits the parsed model.json (the returned object is written back). */
  readonly json?: (d: Record<string, any>) => void; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Edits model.json's text (for what JSON.stringify cannot write, e.g. 1e999). */
  readonly text?: (t: string) => string;
  /** Edits the weights file's bytes. */
  readonly weights?: (b: Uint8Array) => Uint8Array;
  /** The error the mutant is refused with when it is read as a language model. */
  readonly error: ErrorClass;
  readonly message: RegExp;
  /** 'resume': loads as a model, refused only as a checkpoint to continue. */
  readonly only?: 'resume';
  /**
   * A valid model that is not a language model: \`info\` shows it (any saved model), \`generate\` and \`eval\`
   * refuse it with this message.
   */
  readonly cliMessage?: RegExp;
}

const lm = (d: Record<string, any>) => d.metadata.lm; // eslint-disable-line @typescript-eslint/no-explicit-any
const training = (d: Record<string, any>) => d.metadata.training; // eslint-disable-line @typescript-eslint/no-explicit-any

export const MODEL_MUTANTS: readonly ModelMutant[] = [
  // Issue #15 item 7: metadata against the layers.
  {
    name: 'vocabulary-shorter',
    json: (d) => lm(d).vocabulary.pop(),
    error: ValueError,
    message: /vocabulary has \d+ characters, the embedding's inputDim/,
  },
  {
    name: 'vocabulary-longer',
    json: (d) => lm(d).vocabulary.push('€'),
    error: ValueError,
    message: /vocabulary has \d+ characters/,
  },
  {
    name: 'cell-transformer',
    json: (d) => (lm(d).cell = 'transformer'),
    error: ValueError,
    message: /metadata\.lm\.cell is not a cell/,
  },
  {
    name: 'cell-other',
    json: (d) => (lm(d).cell = 'gru'),
    error: ValueError,
    message: /disagrees with the layers: cell/,
  },
  {
    name: 'lm-units',
    json: (d) => (lm(d).units = 9),
    error: ValueError,
    message: /disagrees with the layers: units/,
  },
  {
    name: 'lm-layers',
    json: (d) => (lm(d).layers = 3),
    error: ValueError,
    message: /disagrees with the layers: layers/,
  },
  {
    name: 'lm-embedding',
    json: (d) => (lm(d).embeddingDim = 0),
    error: ValueError,
    message: /embeddingDim must be a positive integer/,
  },
  {
    name: 'lm-dropout',
    json: (d) => (lm(d).dropout = 1.5),
    error: ValueError,
    message: /dropout must be in \[0, 1\)/,
  },
  {
    name: 'lm-missing',
    json: (d) => delete d.metadata.lm,
    error: ValueError,
    message: /metadata\.lm is missing/,
  },
  {
    name: 'lm-vocabulary-numbers',
    json: (d) => (lm(d).vocabulary = [1, 2]),
    error: ValueError,
    message: /every entry must be one character/,
  },
  {
    name: 'not-a-language-model',
    json: (d) => delete d.metadata.format,
    error: ValueError,
    message: /is not a character language model/,
    cliMessage: /`(generate|eval)` needs a character language model/,
  },
  {
    name: 'lm-format-version',
    json: (d) => (d.metadata.formatVersion = 2),
    error: ValueError,
    message: /another version/,
  },
  // The training record.
  {
    name: 'history-null',
    json: (d) => (training(d).history = null),
    error: ValueError,
    message: /metadata\.training\.history is malformed/,
  },
  {
    name: 'history-strings',
    json: (d) => (training(d).history = [{ epoch: 'one' }]),
    error: ValueError,
    message: /history\[0\]\.epoch is malformed/,
  },
  {
    name: 'training-null',
    json: (d) => (d.metadata.training = null),
    error: ValueError,
    message: /metadata\.training is malformed/,
  },
  {
    name: 'training-batch',
    json: (d) => (training(d).batch = 0),
    error: ValueError,
    message: /training\.batch is malformed/,
  },
  {
    name: 'training-epoch',
    json: (d) => (training(d).epoch = -1),
    error: ValueError,
    message: /training\.epoch is malformed/,
  },
  {
    name: 'training-sampler',
    json: (d) => (training(d).samplerRng = 'seed'),
    error: ValueError,
    message: /samplerRng is malformed/,
  },
  {
    name: 'training-states',
    json: (d) => training(d).states[0][0].pop(),
    error: ValueError,
    message: /states\[0\] is malformed/,
  },
  {
    name: 'training-states-layers',
    json: (d) => training(d).states.push(null),
    error: ValueError,
    message: /training\.states is malformed/,
  },
  {
    name: 'training-corpus',
    json: (d) => (training(d).corpus = 7),
    error: ValueError,
    message: /training\.corpus is malformed/,
  },
  // Numbers JSON.parse reads as Infinity.
  {
    name: 'epoch-1e999',
    text: (t) => t.replace(/"epoch": 1,/, '"epoch": 1e999,'),
    error: ValueError,
    message: /training\.epoch is not a finite number/,
  },
  {
    name: 'learning-rate-1e999',
    text: (t) => t.replace(/"learningRate": [^,]+,/, '"learningRate": -1e999,'),
    error: ValueError,
    message: /learningRate is not a finite number/,
  },
  {
    name: 'seed-1e999',
    text: (t) => t.replace(/"seed": 1,/, '"seed": 1e999,'),
    error: ValueError,
    message: /model\.seed is not a finite number/,
  },
  // Issue #15 item 8: declared sizes against the files.
  {
    name: 'units-8000',
    json: (d) => (d.model.layers[1].config.units = 8000),
    error: ShapeError,
    message: /weight 1 does not match the layers: layer 'lstm' \(units 8000\) makes lstm\/kernel/,
  },
  {
    name: 'input-dim-1e9',
    json: (d) => (d.model.layers[0].config.inputDim = 1e9),
    error: ShapeError,
    message: /weight 0 does not match the layers: layer 'embedding' \(inputDim 1000000000, outputDim 3\)/,
  },
  {
    name: 'entries-shape',
    json: (d) => (d.weights.entries[0].shape = [1e9, 4]),
    error: ShapeError,
    message: /weight 0 does not match the layers/,
  },
  {
    name: 'entries-missing',
    json: (d) => d.weights.entries.pop(),
    error: ShapeError,
    message: /number of weights/,
  },
  {
    name: 'byte-length',
    json: (d) => (d.weights.byteLength = 1e12),
    error: ShapeError,
    message: /declared byte count/,
  },
  {
    name: 'weights-truncated',
    weights: (b) => b.subarray(0, b.length - 4),
    error: ShapeError,
    message: /has the wrong size/,
  },
  {
    name: 'weights-corrupt',
    weights: (b) => b.map((x, i) => (i === 7 ? x ^ 0x40 : x)),
    error: ValueError,
    message: /corrupt \(SHA-256 differs\)/,
  },
  {
    name: 'weights-missing',
    weights: () => new Uint8Array(0),
    error: ShapeError,
    message: /has the wrong size/,
  },
  // The save format itself.
  {
    name: 'weights-path',
    json: (d) => (d.weights.file = '../../etc/passwd'),
    error: ValueError,
    message: /file name is not allowed/,
  },
  { name: 'format', json: (d) => (d.format = 'keras'), error: ValueError, message: /not a novolstm model/ },
  {
    name: 'format-version',
    json: (d) => (d.formatVersion = 9),
    error: ValueError,
    message: /unsupported format version/,
  },
  {
    name: 'class-name',
    json: (d) => (d.model.className = 'Functional'),
    error: ValueError,
    message: /model\.className is not supported/,
  },
  {
    name: 'layer-class',
    json: (d) => (d.model.layers[1].className = 'Lambda'),
    error: ConfigError,
    message: /unknown layer class/,
  },
  {
    name: 'layer-option',
    json: (d) => (d.model.layers[1].config.__proto__x = 1),
    error: ConfigError,
    message: /unknown option/,
  },
  {
    name: 'input-shape',
    json: (d) => (d.model.inputShape = 'any'),
    error: ConfigError,
    message: /inputShape must be an array/,
  },
  {
    name: 'input-shape-negative',
    json: (d) => (d.model.inputShape = [-3]),
    error: ConfigError,
    message: /inputShape must be an array of positive integers/,
  },
  {
    name: 'rng-state',
    json: (d) => (d.trainingRngState = [1, 2]),
    error: ValueError,
    message: /trainingRngState is malformed/,
  },
  {
    name: 'optimizer',
    json: (d) => (d.compile.optimizer.className = 'Evil'),
    error: ConfigError,
    message: /optimizer/i,
  },
  { name: 'loss', json: (d) => (d.compile.loss = 'eval'), error: ConfigError, message: /loss/ },
  {
    name: 'iterations',
    json: (d) => (d.compile.optimizer.iterations = -5),
    error: ValueError,
    message: /iterations must be a non-negative integer/,
  },
  {
    name: 'not-json',
    text: (t) => t.slice(0, t.length / 2),
    error: ValueError,
    message: /is not valid JSON/,
  },
  { name: 'empty-json', text: () => '', error: ValueError, message: /is not valid JSON/ },
  {
    name: 'json-array',
    text: () => '[1, 2, 3]',
    error: ValueError,
    message: /description must be an object/,
  },
  // Loads as a model; refused as a checkpoint to continue (issue #15 item 7).
  {
    name: 'window-1e9',
    json: (d) => (training(d).window = 1e9),
    error: ValueError,
    message: /training\.window is outside the epoch/,
    only: 'resume',
  },
  {
    name: 'seq-len-1e9',
    json: (d) => (training(d).seqLen = 1e9),
    error: ShapeError,
    message: /too short/,
    only: 'resume',
  },
];

export interface CliCase {
  readonly name: string;
  readonly argv: (f: Fixture) => string[];
  /** The exit code main returns. */
  readonly code: number;
  /** What the one line of stderr says. */
  readonly message: RegExp;
  /** Run as a real process too (where the process matters: a hang, raw bytes on a terminal). */
  readonly spawn?: boolean;
}

/** Flags that keep a run tiny, so that a case whose check is missing ends fast (and fails the test). */
const TINY = ['--units', '4', '--layers', '1', '--embedding', '3', '--seq-len', '8', '--batch', '2'];
const TRAIN = (f: Fixture, out = 'new-run') => [
  'train',
  '--corpus',
  f.corpus,
  ...TINY,
  '--epochs',
  '1',
  '--workers',
  '1',
  '--out',
  `${f.root}/${out}`,
];

/** Bad values for each flag, with the words of its error. */
const FLAG_VALUES: readonly {
  command: 'train' | 'generate' | 'eval';
  flag: string;
  values: string[];
  message: RegExp;
}[] = [
  ...['--units', '--layers', '--embedding', '--seq-len', '--batch'].map((flag) => ({
    command: 'train' as const,
    flag,
    values: ['0', '-1', '1.5', 'abc', '', '1e9', 'NaN', 'Infinity', '99999999999'],
    message: new RegExp(`option '${flag} <n>' argument .* is invalid`),
  })),
  {
    command: 'train',
    flag: '--dropout',
    values: ['1', '-0.1', 'abc', '', 'NaN'],
    message: /--dropout <rate>.*\[0, 1\)/,
  },
  {
    command: 'train',
    flag: '--lr',
    values: ['0', '-1', 'abc', '', 'Infinity'],
    message: /--lr <rate>.*positive number/,
  },
  {
    command: 'train',
    flag: '--clip-norm',
    values: ['0', '-1', 'abc', '', 'NaN'],
    message: /--clip-norm <n>.*positive number/,
  },
  {
    command: 'train',
    flag: '--epochs',
    values: ['0', '-1', '1.5', 'abc', ''],
    message: /--epochs <n>.*positive integer/,
  },
  {
    command: 'train',
    flag: '--time-limit',
    values: ['0', 'abc', '', '-5s', '10x', '5d'],
    message: /--time-limit <duration>.*duration/,
  },
  {
    command: 'train',
    flag: '--max-chars',
    values: ['0', '-1', '1.5', 'NaN', 'Infinity', 'abc', ''],
    message: /--max-chars <n>.*positive integer/,
  },
  {
    command: 'train',
    flag: '--max-chars',
    values: ['1e20'],
    message: /--max-chars <n>.*expected at most 9007199254740991/,
  },
  {
    command: 'train',
    flag: '--seed',
    values: ['-1', '1.5', 'abc', '', '4294967296', '1e20'],
    message: /--seed <n>.*\[0, 4294967295\]/,
  },
  {
    command: 'train',
    flag: '--workers',
    values: ['0', '-1', 'abc', '', '1.5'],
    message: /--workers <n>.*positive integer/,
  },
  {
    command: 'train',
    flag: '--microbatch-size',
    values: ['0', '-1', 'abc', '', '1.5'],
    message: /--microbatch-size <n>.*positive integer/,
  },
  {
    command: 'train',
    flag: '--cell',
    values: ['transformer', '', 'LSTM', 'rnn'],
    message: /--cell <cell>.*expected one of/,
  },
  {
    command: 'generate',
    flag: '--length',
    values: ['0', '-1', 'abc', '', '1e12'],
    message: /--length <n>.*is invalid/,
  },
  {
    command: 'generate',
    flag: '--temperature',
    values: ['', ' ', '-1', 'abc', 'Infinity', 'NaN'],
    message: /--temperature <t>.*number ≥ 0/,
  },
  {
    command: 'generate',
    flag: '--top-k',
    values: ['0', '-2', 'abc', '', '2.5'],
    message: /--top-k <k>.*positive integer/,
  },
  {
    command: 'generate',
    flag: '--top-p',
    values: ['0', '-1', 'abc', ''],
    message: /--top-p <p>.*positive number/,
  },
  {
    command: 'generate',
    flag: '--seed',
    values: ['4294967296', '-1', '', '0.5', 'abc'],
    message: /--seed <n>.*\[0, 4294967295\]/,
  },
  {
    command: 'generate',
    flag: '--threads',
    values: ['3', '0', 'many'],
    message: /--threads <n>.*expected one of/,
  },
  {
    command: 'generate',
    flag: '--unknown',
    values: ['ignore', ''],
    message: /--unknown <mode>.*expected one of/,
  },
  {
    command: 'eval',
    flag: '--seq-len',
    values: ['0', 'abc', '', '1e9'],
    message: /--seq-len <n>.*is invalid/,
  },
  { command: 'eval', flag: '--batch', values: ['0', 'abc', '', '1e9'], message: /--batch <n>.*is invalid/ },
];

function withFlag(f: Fixture, command: string, flag: string, value: string): string[] {
  if (command === 'train') return [...TRAIN(f), flag, value];
  if (command === 'generate') return ['generate', '--model', f.model, '--length', '3', flag, value];
  return ['eval', '--model', f.model, '--corpus', f.corpus, flag, value];
}

const MODEL_COMMANDS: readonly ((f: Fixture, model: string) => string[])[] = [
  (_f, model) => ['generate', '--model', model, '--length', '3'],
  (f, model) => ['eval', '--model', model, '--corpus', f.corpus],
  (_f, model) => ['info', '--model', model],
];

// A resume types no setting of the checkpoint's (a different one would be refused first, by name).
const RESUME = (f: Fixture, dir: string) => [
  'train',
  '--corpus',
  f.corpus,
  '--epochs',
  '3',
  '--workers',
  '1',
  '--out',
  dir,
  '--resume',
];

export const CLI_CASES: readonly CliCase[] = [
  ...FLAG_VALUES.flatMap(({ command, flag, values, message }) =>
    values.map((value) => ({
      name: `${command} ${flag} ${JSON.stringify(value)}`,
      argv: (f: Fixture) => withFlag(f, command, flag, value),
      code: 1,
      message,
    })),
  ),
  // Issue #15 item 6: output paths.
  {
    name: 'train --out a file',
    argv: (f) => TRAIN(f, 'a-file'),
    code: 1,
    message: /--out: cannot write to '.*a-file': it is a file/,
  },
  {
    name: 'train --out below a file',
    argv: (f) => TRAIN(f, 'a-file/sub'),
    code: 1,
    message: /--out: cannot write to '.*a-file\/sub'/,
  },
  {
    name: 'train --out /dev/null',
    argv: (f) => [...TRAIN(f), '--out', '/dev/null'],
    code: 1,
    message: /--out: cannot write to '\/dev\/null': it is a file/,
  },
  {
    name: 'train --out /proc/x',
    argv: (f) => [...TRAIN(f), '--out', '/proc/x'],
    code: 1,
    message: /cannot write to '\/proc\/x'/,
    spawn: true,
  },
  {
    name: 'train --out /proc/x/y',
    argv: (f) => [...TRAIN(f), '--out', '/proc/x/y'],
    code: 1,
    message: /cannot write to '\/proc\/x\/y'/,
  },
  {
    name: 'train --out ""',
    argv: (f) => [...TRAIN(f), '--out', ''],
    code: 1,
    message: /--out: needs a directory path/,
  },
  {
    name: 'demo --out a file',
    argv: (f) => ['demo', '--out', `${f.root}/a-file`],
    code: 1,
    message: /--out: cannot write to/,
  },
  {
    name: 'demo --out /dev/null',
    argv: () => ['demo', '--out', '/dev/null'],
    code: 1,
    message: /--out: cannot write to/,
  },
  {
    name: 'train --resume --out a file',
    argv: (f) => [...RESUME(f, `${f.root}/a-file`)],
    code: 1,
    message: /--out: cannot write to/,
  },
  // Issue #15 item 7: the validation text.
  {
    name: 'train --val without known characters',
    argv: (f) => [...TRAIN(f), '--val', f.file('unknown.txt')],
    code: 1,
    message: /--val .*fewer than two characters the model knows/,
  },
  {
    name: 'train --val with one known character',
    argv: (f) => [...TRAIN(f), '--val', f.file('one-known.txt')],
    code: 1,
    message: /--val .*fewer than two characters/,
  },
  {
    name: 'train --val empty',
    argv: (f) => [...TRAIN(f), '--val', f.file('empty.txt')],
    code: 1,
    message: /is empty/,
  },
  {
    name: 'train --val missing',
    argv: (f) => [...TRAIN(f), '--val', `${f.root}/none.txt`],
    code: 1,
    message: /cannot read/,
  },
  {
    name: 'train --val binary',
    argv: (f) => [...TRAIN(f), '--val', f.file('binary.bin')],
    code: 1,
    message: /looks binary/,
  },
  // Corpora.
  ...(['train', 'eval'] as const).flatMap((command) =>
    (
      [
        ['missing', (f: Fixture) => `${f.root}/none.txt`, /cannot read/],
        ['a directory', (f: Fixture) => f.file('empty-dir'), /cannot read/],
        ['empty', (f: Fixture) => f.file('empty.txt'), /is empty/],
        ['binary', (f: Fixture) => f.file('binary.bin'), /looks binary/],
        ['not UTF-8', (f: Fixture) => f.file('latin1.txt'), /not valid UTF-8/],
        ['an unknown builtin', () => 'builtin:war-and-peace', /unknown built-in corpus/],
      ] as const
    ).map(([what, corpus, message]) => ({
      name: `${command} --corpus ${what}`,
      argv: (f: Fixture) =>
        command === 'train'
          ? [...TRAIN(f), '--corpus', corpus(f)]
          : ['eval', '--model', f.model, '--corpus', corpus(f)],
      code: 1,
      message,
    })),
  ),
  {
    name: 'train --corpus too short',
    argv: (f) => [...TRAIN(f), '--corpus', f.file('short.txt')],
    code: 1,
    message: /too short/,
  },
  {
    name: 'eval --corpus without known characters',
    argv: (f) => ['eval', '--model', f.model, '--corpus', f.file('unknown.txt')],
    code: 1,
    message: /nothing to predict/,
  },
  // Models that are not there, or not models.
  ...MODEL_COMMANDS.flatMap((command, i) =>
    (
      [
        ['missing', (f: Fixture) => `${f.root}/none`, /no model there/, false],
        ['an empty directory', (f: Fixture) => f.file('empty-dir'), /no model there/, false],
        ['a text file', (f: Fixture) => f.file('a-file'), /not a model file/, false],
        ['an empty file', (f: Fixture) => f.file('empty.txt'), /not a model file/, false],
        ['a program', () => '/bin/ls', /not a model file/, i === 0],
        ['/dev/null', () => '/dev/null', /no model there|not a model file/, false],
        ['a text file named .tar', (f: Fixture) => f.file('not-a-model.tar'), /not a model file/, false],
      ] as const
    ).map(([what, model, message, spawn]) => ({
      name: `${['generate', 'eval', 'info'][i]} --model ${what}`,
      argv: (f: Fixture) => command(f, model(f)),
      code: 1,
      message,
      spawn,
    })),
  ),
  // Every mutant, through every command that reads a model, and as a checkpoint to resume.
  ...MODEL_MUTANTS.filter((m) => m.only !== 'resume').flatMap((mutant) =>
    MODEL_COMMANDS.map((command, i) => ({
      name: `${['generate', 'eval', 'info'][i]} --model <${mutant.name}>`,
      argv: (f: Fixture) => command(f, f.mutant(mutant.name)),
      code: 1,
      message: mutant.cliMessage ?? mutant.message,
    })).filter((c) => !(mutant.cliMessage && c.name.startsWith('info '))),
  ),
  ...MODEL_MUTANTS.filter(
    (m) => m.only === 'resume' || /^(training|history|vocabulary|cell|lm-units)/.test(m.name),
  ).map((mutant) => ({
    name: `train --resume <${mutant.name}>`,
    argv: (f: Fixture) => RESUME(f, f.mutant(mutant.name)),
    code: 1,
    message: mutant.message,
  })),
  // Issue #15 item 8, named by its flag.
  {
    name: 'train --units 1e9',
    argv: (f) => [...TRAIN(f), '--units', '1e9'],
    code: 1,
    message: /--units <n>.*at most 4096/,
    spawn: true,
  },
  // Everything else a hand can type.
  { name: 'an unknown command', argv: () => ['trian'], code: 1, message: /unknown command 'trian'/ },
  {
    name: 'an unknown flag',
    argv: (f) => [...TRAIN(f), '--colour'],
    code: 1,
    message: /unknown option '--colour'/,
  },
  {
    name: 'a flag without its value',
    argv: (f) => [...TRAIN(f), '--units'],
    code: 1,
    message: /argument missing/,
  },
  {
    name: 'train without --out',
    argv: (f) => ['train', '--corpus', f.corpus, '--epochs', '1'],
    code: 1,
    message: /required option '--out <dir>'/,
  },
  {
    name: 'train without a stopping rule',
    argv: (f) => ['train', '--corpus', f.corpus, '--out', `${f.root}/new-run`],
    code: 1,
    message: /--epochs N, --time-limit DURATION or --max-chars N/,
  },
  {
    name: 'generate without --model',
    argv: () => ['generate'],
    code: 1,
    message: /required option '--model <dir>'/,
  },
  {
    name: 'eval without --corpus',
    argv: (f) => ['eval', '--model', f.model],
    code: 1,
    message: /required option '--corpus/,
  },
  {
    name: 'generate an unknown prime character',
    argv: (f) => ['generate', '--model', f.model, '--prime', 'Ж', '--length', '3'],
    code: 1,
    message: /prime: has characters the model's vocabulary does not: "Ж"/,
  },
  {
    name: 'generate --top-k with --top-p',
    argv: (f) => ['generate', '--model', f.model, '--top-k', '2', '--top-p', '0.5'],
    code: 1,
    message: /topK or topP, not both/,
  },
  {
    name: 'generate --top-p above 1',
    argv: (f) => ['generate', '--model', f.model, '--top-p', '2'],
    code: 1,
    message: /topP must be in \(0, 1\]/,
  },
  {
    name: 'a control character in a path',
    argv: (f) => ['info', '--model', `${f.root}/bad\u001b[31mname\n`],
    code: 1,
    message: /\\u001b\[31mname\\u000a/,
  },
  {
    name: 'train --resume with another corpus',
    argv: (f) => [...RESUME(f, f.model), '--corpus', f.file('unknown.txt')],
    code: 1,
    message: /--corpus: differs from the text the checkpoint/,
  },
];

export interface ApiCase {
  readonly name: string;
  readonly run: (f: Fixture) => unknown;
  readonly error: ErrorClass;
  readonly message: RegExp;
}

const quiet = { log: () => undefined, progress: { write: () => true }, stopRequested: () => false };

function trainConfig(f: Fixture, changes: Partial<TrainConfig>): TrainConfig {
  return {
    corpus: f.corpus,
    validationFile: null,
    cell: 'lstm',
    // The fixture model's settings, so that a resume differs from its checkpoint only where a case says.
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
    out: `${f.root}/api-run`,
    resume: false,
    workers: 1,
    ...changes,
  };
}

const VOCABULARY = ['a', 'b', 'c', ' '];
const lmConfig = {
  cell: 'lstm' as const,
  units: 3,
  layers: 1,
  embeddingDim: 2,
  dropout: 0,
  vocabulary: VOCABULARY,
};

function smallModel(): nl.Sequential {
  return nl.sequential({
    layers: [nl.layers.lstm({ units: 3, inputShape: [null, 2] }), nl.layers.dense({ units: 2 })],
  });
}

export const API_CASES: readonly ApiCase[] = [
  // Every mutant, read as a language model.
  ...MODEL_MUTANTS.filter((m) => m.only !== 'resume').map((mutant) => ({
    name: `loadModel + languageModelConfig <${mutant.name}>`,
    run: async (f: Fixture) => languageModelConfig(await loadModel(f.mutant(mutant.name))),
    error: mutant.error,
    message: mutant.message,
  })),
  // Every mutant that resumes badly, through the trainer.
  ...MODEL_MUTANTS.filter((m) => m.only === 'resume').map((mutant) => ({
    name: `trainLanguageModel resume <${mutant.name}>`,
    run: (f: Fixture) =>
      trainLanguageModel(
        trainConfig(f, { out: f.mutant(mutant.name), resume: true, epochs: 3, givenSettings: [] }),
        quiet,
      ),
    error: mutant.error,
    message: mutant.message,
  })),
  // Issue #15 item 6: model.save to a bad path; the previous save (or file) stays.
  ...(
    [
      ['a file', (f: Fixture) => f.file('a-file'), /save: cannot write to '.*a-file': it is a file/],
      ['below a file', (f: Fixture) => `${f.file('a-file')}/sub`, /save: cannot write to '.*a-file\/sub'/],
      ['/dev/null', () => '/dev/null', /save: cannot write to '\/dev\/null'/],
      ['/proc/x', () => '/proc/x', /save: cannot write to '\/proc\/x'/],
      ['a corpus file', (f: Fixture) => f.corpus, /it is a file/],
    ] as const
  ).flatMap(([what, dir, message]) => [
    {
      name: `model.save(${what})`,
      run: async (f: Fixture) => (await loadModel(f.model)).save(dir(f)),
      error: ValueError,
      message,
    },
    {
      name: `saveModel(${what})`,
      run: async (f: Fixture) => saveModel(await loadModel(f.model), dir(f)),
      error: ValueError,
      message,
    },
  ]),
  {
    name: "saveModel('')",
    run: () => saveModel(smallModel(), ''),
    error: ConfigError,
    message: /dir must be a directory path/,
  },
  // The trainer: output paths and the validation text before any step.
  {
    name: 'trainLanguageModel out: a file',
    run: (f) => trainLanguageModel(trainConfig(f, { out: f.file('a-file') }), quiet),
    error: ValueError,
    message: /out: cannot write to/,
  },
  {
    name: 'trainLanguageModel out: /proc/x',
    run: (f) => trainLanguageModel(trainConfig(f, { out: '/proc/x' }), quiet),
    error: ValueError,
    message: /out: cannot write to '\/proc\/x'/,
  },
  {
    name: 'trainLanguageModel out: /dev/null',
    run: (f) => trainLanguageModel(trainConfig(f, { out: '/dev/null' }), quiet),
    error: ValueError,
    message: /out: cannot write to/,
  },
  {
    name: 'trainLanguageModel validation without known characters',
    run: (f) => trainLanguageModel(trainConfig(f, { validationFile: f.file('unknown.txt') }), quiet),
    error: ValueError,
    message: /fewer than two characters/,
  },
  {
    name: 'trainLanguageModel validation with one known character',
    run: (f) => trainLanguageModel(trainConfig(f, { validationFile: f.file('one-known.txt') }), quiet),
    error: ValueError,
    message: /fewer than two characters/,
  },
  {
    name: 'trainLanguageModel cell transformer',
    run: (f) => trainLanguageModel(trainConfig(f, { cell: 'transformer' as never }), quiet),
    error: ConfigError,
    message: /unknown cell/,
  },
  {
    name: 'trainLanguageModel units 1e9',
    run: (f) => trainLanguageModel(trainConfig(f, { units: 1e9 }), quiet),
    error: ShapeError,
    message: /too many weights/,
  },
  // The character limit, refused by name before the corpus is read.
  ...[0, -1, 1.5, NaN, Infinity, 2 ** 53].map((charLimit) => ({
    name: `trainLanguageModel charLimit ${charLimit}`,
    run: (f: Fixture) => trainLanguageModel(trainConfig(f, { epochs: null, charLimit }), quiet),
    error: ValueError,
    message: new RegExp(
      `^charLimit: must be a whole number of characters — expected a positive integer or null, got ${charLimit}$`,
    ),
  })),
  {
    name: 'trainLanguageModel corpus too short',
    run: (f) => trainLanguageModel(trainConfig(f, { corpus: f.file('short.txt') }), quiet),
    error: ShapeError,
    message: /too short/,
  },
  // Issue #15 item 8: sizes bounded before allocation.
  {
    name: 'buildLanguageModel units 1e9',
    run: () => buildLanguageModel({ ...lmConfig, units: 1e9 }, 1),
    error: ShapeError,
    message: /too many weights .*novo|too many weights/,
  },
  {
    name: 'buildLanguageModel embeddingDim 1e9',
    run: () => buildLanguageModel({ ...lmConfig, embeddingDim: 1e9 }, 1),
    error: ShapeError,
    message: /too many weights/,
  },
  {
    name: 'buildLanguageModel layers 0',
    run: () => buildLanguageModel({ ...lmConfig, layers: 0 }, 1),
    error: ConfigError,
    message: /layers must be a positive integer/,
  },
  {
    name: 'buildLanguageModel units 2.5',
    run: () => buildLanguageModel({ ...lmConfig, units: 2.5 }, 1),
    error: ConfigError,
    message: /units must be a positive integer/,
  },
  {
    name: 'buildLanguageModel dropout 1',
    run: () => buildLanguageModel({ ...lmConfig, dropout: 1 }, 1),
    error: ConfigError,
    message: /dropout must be in \[0, 1\)/,
  },
  {
    name: 'buildLanguageModel vocabulary []',
    run: () => buildLanguageModel({ ...lmConfig, vocabulary: [] }, 1),
    error: ValueError,
    message: /non-empty array/,
  },
  {
    name: 'buildLanguageModel cell transformer',
    run: () => buildLanguageModel({ ...lmConfig, cell: 'transformer' as never }, 1),
    error: ConfigError,
    message: /unknown cell/,
  },
  {
    name: 'buildLanguageModel seed -1',
    run: () => buildLanguageModel(lmConfig, -1),
    error: ConfigError,
    message: /seed/,
  },
  {
    name: 'lstm units 1e9 in a model',
    run: () => nl.sequential({ layers: [nl.layers.lstm({ units: 1e9, inputShape: [null, 2] })] }),
    error: ShapeError,
    message: /too many weights \(the largest is lstm\/recurrentKernel/,
  },
  {
    name: 'dense units 1e6 on 1e6 inputs',
    run: () => nl.sequential({ layers: [nl.layers.dense({ units: 1e6, inputShape: [1e6] })] }),
    error: ShapeError,
    message: /too many weights/,
  },
  {
    name: 'embedding inputDim 1e12',
    run: () =>
      nl.sequential({ layers: [nl.layers.embedding({ inputDim: 1e12, outputDim: 8, inputShape: [null] })] }),
    error: ShapeError,
    message: /too many weights/,
  },
  // Layer options.
  ...(
    [
      ['lstm units 0', () => nl.layers.lstm({ units: 0 })],
      ['lstm units NaN', () => nl.layers.lstm({ units: NaN })],
      ['lstm units 2.5', () => nl.layers.lstm({ units: 2.5 })],
      ['lstm units "8"', () => nl.layers.lstm({ units: '8' as never })],
      ['lstm dropout 1', () => nl.layers.lstm({ units: 2, dropout: 1 })],
      ['lstm dropout -0.5', () => nl.layers.lstm({ units: 2, dropout: -0.5 })],
      ['lstm unknown option', () => nl.layers.lstm({ units: 2, unroll: true } as never)],
      ['gru units -1', () => nl.layers.gru({ units: -1 })],
      ['novoLSTM units Infinity', () => nl.layers.novoLSTM({ units: Infinity })],
      ['novoLSTM inputGate', () => nl.layers.novoLSTM({ units: 2, inputGate: 'other' as never })],
      ['dense units 0', () => nl.layers.dense({ units: 0 })],
      ['dense activation', () => nl.layers.dense({ units: 2, activation: 'swishy' as never })],
      ['embedding inputDim 0', () => nl.layers.embedding({ inputDim: 0, outputDim: 2 })],
      ['embedding outputDim -1', () => nl.layers.embedding({ inputDim: 3, outputDim: -1 })],
      ['dropout rate 2', () => nl.layers.dropout({ rate: 2 })],
      ['sequential seed 2^32', () => nl.sequential({ seed: 2 ** 32 })],
      ['sequential unknown option', () => nl.sequential({ layerz: [] } as never)],
    ] as const
  ).map(([name, run]) => ({ name, run, error: ConfigError, message: /./ })),
  // Compile and data.
  {
    name: 'compile unknown loss',
    run: () => smallModel().compile({ optimizer: 'adam', loss: 'nope' as never }),
    error: ConfigError,
    message: /loss/,
  },
  {
    name: 'compile unknown optimizer',
    run: () => smallModel().compile({ optimizer: 'lion' as never, loss: 'mse' }),
    error: ConfigError,
    message: /optimizer/,
  },
  {
    name: 'predict with the wrong features',
    run: () => smallModel().predict(nl.tensor(new Float32Array(12), [2, 2, 3])),
    error: ShapeError,
    message: /features|shape|expected/,
  },
  // Vocabularies, text, sampling.
  {
    name: 'CharVocabulary.fromJSON []',
    run: () => CharVocabulary.fromJSON([]),
    error: ValueError,
    message: /non-empty array/,
  },
  {
    name: 'CharVocabulary.fromJSON null',
    run: () => CharVocabulary.fromJSON(null),
    error: ValueError,
    message: /non-empty array/,
  },
  {
    name: 'CharVocabulary.fromJSON ["ab"]',
    run: () => CharVocabulary.fromJSON(['ab']),
    error: ValueError,
    message: /one character/,
  },
  {
    name: 'CharVocabulary.fromJSON repeats',
    run: () => CharVocabulary.fromJSON(['a', 'a']),
    error: ValueError,
    message: /repeated/,
  },
  {
    name: 'scoreText on one character',
    run: async (f) => scoreText(await loadModel(f.model), new Int32Array(1), 2, 8),
    error: ValueError,
    message: /nothing to predict/,
  },
  ...(
    [
      ['temperature -1', { temperature: -1 }, /temperature/],
      ['temperature NaN', { temperature: NaN }, /temperature/],
      ['topK 0', { topK: 0 }, /topK/],
      ['topP 1.5', { topP: 1.5 }, /topP/],
      ['topK and topP', { topK: 2, topP: 0.5 }, /not both/],
    ] as const
  ).map(([what, options, message]) => ({
    name: `generateText ${what}`,
    run: async (f: Fixture) => [...generateText(await loadModel(f.model), { length: 2, ...options })],
    error: ConfigError,
    message,
  })),
  // Bytes that are not a model.
  ...(
    [
      ['empty', new Uint8Array(0)],
      ['text', new TextEncoder().encode('hello '.repeat(200))],
      ['zeros', new Uint8Array(4096)],
      ['a program', null],
    ] as const
  ).map(([what, bytes]) => ({
    name: `modelFromBytes(${what})`,
    run: async () =>
      modelFromBytes(bytes ?? new Uint8Array(await (await import('node:fs/promises')).readFile('/bin/ls'))),
    error: ValueError,
    message: /not a model file/,
  })),
  { name: 'loadModel("")', run: () => loadModel(''), error: ConfigError, message: /dir must be/ },
  {
    name: 'loadModel(missing)',
    run: (f) => loadModel(`${f.root}/none`),
    error: ValueError,
    message: /no model\.json/,
  },
  {
    name: 'loadModel(empty directory)',
    run: (f) => loadModel(f.file('empty-dir')),
    error: ValueError,
    message: /no model\.json/,
  },
  {
    name: 'loadModel(a text file)',
    run: (f) => loadModel(f.file('a-file')),
    error: ValueError,
    message: /not a model file/,
  },
  {
    name: 'importModel(a program)',
    run: () => nl.importModel('/bin/ls'),
    error: NovoLstmError,
    message: /./,
  },
  {
    name: 'importModel(missing)',
    run: (f) => nl.importModel(`${f.root}/none.keras`),
    error: NovoLstmError,
    message: /./,
  },
];
