/**
 * The language-model commands: `train`, `generate`, `eval` and `demo` (`info` is infoCommand.ts').
 */
import type { Command } from 'commander';
import { CharVocabulary } from '../data/text/charVocabulary.js';
import { encodeCorpus } from '../data/text/encodeCorpus.js';
import { checkOutputDirectory } from '../io/outputDirectory.js';
import { scoreText } from '../lm/evaluate.js';
import { generateText } from '../lm/generate.js';
import { LM_CELLS, LM_FORMAT, languageModelConfig, type LmCell } from '../lm/languageModel.js';
import { DEFAULT_CURVE_EVERY } from '../lm/curve.js';
import { trainLanguageModel, type TrainConfig } from '../lm/trainer.js';
import { CHECKPOINT_SETTINGS, type CheckpointSetting } from '../lm/trainConfig.js';
import type { Sequential } from '../models/sequential.js';
import { Interrupted, UsageError } from './errors.js';
import {
  choice,
  duration,
  nonNegativeNumber,
  positiveInteger,
  positiveIntegerUpTo,
  positiveNumber,
  rate,
  seed,
  workerCount,
} from './parse.js';
import { loadSavedModel } from './savedModel.js';
import { trainOutput } from './trainOutput.js';

/**
 * Upper bounds of the sizes a flag sets. Each allocates memory (weights grow with units², states and
 * windows with batch × seq-len); past these a run would not fit in memory on any machine this trains on,
 * so the flag is refused by name instead of failing inside an allocation.
 */
const MAX_SIZES = {
  units: 4096,
  layers: 32,
  embedding: 4096,
  seqLen: 100_000,
  batch: 65_536,
  length: 100_000_000,
} as const;

interface TrainFlags {
  corpus: string;
  val?: string;
  cell: LmCell;
  units: number;
  layers: number;
  embedding: number;
  seqLen: number;
  batch: number;
  dropout: number;
  lr: number;
  clipNorm: number;
  epochs?: number;
  timeLimit?: number;
  maxChars?: number;
  seed: number;
  out: string;
  resume: boolean;
  workers: number | 'auto';
  microbatchSize?: number;
  curveEvery: number;
  json: boolean;
}

/** Whether a stop signal was handled in this process: see `stoppedBySignal`. */
let signalled = false;

/**
 * Whether training was stopped by a signal. The process must then end by `process.exit` (src/cli/bin.ts):
 * ending it by its event loop running dry closes the signal handlers first, and a further Ctrl-C in
 * that window (a user pressing it twice) ended the saved run by the signal's default action, reported as
 * killed by SIGINT rather than with its exit code.
 */
export function stoppedBySignal(): boolean {
  return signalled;
}

/**
 * Ctrl-C / SIGTERM ask training to checkpoint and stop; the trainer sees it within one window, and it cuts
 * the workers' start-up and a validation pass short. A second signal does not end the process: the
 * checkpoint may be half-way through its files, and the process exits as soon as it is written.
 */
function stopSignals(): { stop: AbortController; dispose: () => void } {
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    signalled = true;
    if (stop.signal.aborted) {
      process.stderr.write(`\n${signal}: already stopping; exiting as soon as the checkpoint is written\n`);
      return;
    }
    stop.abort();
    process.stderr.write(`\n${signal}: stopping (with a checkpoint of what was trained)\n`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    stop,
    dispose: () => {
      // Once stopping, the handlers stay until the process exits: a signal after the checkpoint is written
      // would otherwise end a saved run by the signal's default, reporting it as killed (exit code 130).
      if (stop.signal.aborted) return;
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

export async function runTraining(config: TrainConfig, json = false): Promise<Sequential> {
  const signals = stopSignals();
  const output = trainOutput(json);
  try {
    const result = await trainLanguageModel(config, {
      ...output.hooks,
      stopRequested: () => signals.stop.signal.aborted,
      stopSignal: signals.stop.signal,
    });
    output.finish(result, config.out);
    return result.model;
  } catch (e) {
    if (signals.stop.signal.aborted && e === signals.stop.signal.reason) {
      throw new Interrupted(
        `stopped while reading the texts: nothing was trained, and nothing written to ${config.out}`,
      );
    }
    throw e;
  } finally {
    signals.dispose();
  }
}

/** A directory from `novolstm train`, or the one-file model the web page saves (io/bundle.ts). */
async function loadLanguageModel(dir: string, command: string): Promise<Sequential> {
  const model = await loadSavedModel(dir);
  if ((model.metadata as { format?: unknown }).format !== LM_FORMAT) {
    throw new UsageError(
      `--model ${dir}: \`${command}\` needs a character language model (one \`novolstm train\` wrote, with its vocabulary); this is a model of ${model.layers.length} layers without one — \`novolstm info\` shows it, \`novolstm predict\` runs it`,
    );
  }
  languageModelConfig(model); // refuses other format versions
  return model;
}

function addTrainOptions(command: Command): Command {
  return command
    .option('--corpus <source>', "a UTF-8 text file, or 'builtin:moby-dick'", 'builtin:moby-dick')
    .option('--val <file>', 'validation text (default: the last 5% of the corpus)')
    .option('--cell <cell>', LM_CELLS.join(' | '), choice(LM_CELLS), 'novolstm')
    .option('--units <n>', 'units per recurrent layer', positiveIntegerUpTo(MAX_SIZES.units), 256)
    .option('--layers <n>', 'recurrent layers', positiveIntegerUpTo(MAX_SIZES.layers), 2)
    .option('--embedding <n>', 'embedding size', positiveIntegerUpTo(MAX_SIZES.embedding), 64)
    .option(
      '--seq-len <n>',
      'characters per window (backpropagation through time)',
      positiveIntegerUpTo(MAX_SIZES.seqLen),
      100,
    )
    .option('--batch <n>', 'parallel streams of text', positiveIntegerUpTo(MAX_SIZES.batch), 64)
    .option('--dropout <rate>', 'input dropout of each recurrent layer', rate, 0.1)
    .option('--lr <rate>', 'Adam learning rate', positiveNumber, 2e-3)
    .option('--clip-norm <n>', 'clip each weight gradient to this norm', positiveNumber, 5)
    .option('--epochs <n>', 'stop after this many epochs', positiveInteger)
    .option('--time-limit <duration>', 'stop after this long, e.g. 90s, 10m, 1h', duration)
    .option(
      '--max-chars <n>',
      'stop after training this many characters in all (at the window reaching it; the same on any machine)',
      positiveIntegerUpTo(Number.MAX_SAFE_INTEGER),
    )
    .option('--seed <n>', 'seed of weights, dropout and samples', seed, 1)
    .option('--resume', 'continue the checkpoint in --out exactly where it stopped', false)
    .option(
      '--workers <n>',
      "worker threads sharing each batch: a number, or 'auto' (one per core)",
      workerCount,
      'auto',
    )
    .option(
      '--microbatch-size <n>',
      'sum each gradient over micro-batches of this many streams: the same weights for any --workers',
      positiveIntegerUpTo(0x7fffffff),
    );
}

/** The flag (as commander names its value) of each setting a checkpoint fixes. */
const SETTING_FLAGS: Record<CheckpointSetting, keyof TrainFlags> = {
  cell: 'cell',
  units: 'units',
  layers: 'layers',
  embeddingDim: 'embedding',
  dropout: 'dropout',
  clipNorm: 'clipNorm',
  seed: 'seed',
  seqLen: 'seqLen',
  batch: 'batch',
};

function trainConfig(flags: TrainFlags, out: string): TrainConfig {
  if (flags.epochs === undefined && flags.timeLimit === undefined && flags.maxChars === undefined) {
    throw new UsageError('give --epochs N, --time-limit DURATION or --max-chars N (or several)');
  }
  return {
    corpus: flags.corpus,
    validationFile: flags.val ?? null,
    cell: flags.cell,
    units: flags.units,
    layers: flags.layers,
    embeddingDim: flags.embedding,
    dropout: flags.dropout,
    seqLen: flags.seqLen,
    batch: flags.batch,
    learningRate: flags.lr,
    clipNorm: flags.clipNorm,
    epochs: flags.epochs ?? null,
    timeLimitSeconds: flags.timeLimit ?? null,
    charLimit: flags.maxChars ?? null,
    seed: flags.seed,
    out,
    resume: flags.resume,
    workers: flags.workers,
    microbatchSize: flags.microbatchSize,
    curveEvery: flags.curveEvery,
  };
}

export function registerLanguageModelCommands(program: Command): void {
  addTrainOptions(
    program
      .command('train')
      .description('Train a character-level language model on a text (truncated BPTT over contiguous text).'),
  )
    .requiredOption('--out <dir>', 'model directory (checkpoint, metrics.csv, steps.csv, learning-curve.svg)')
    .option(
      '--curve-every <windows>',
      'a learning-curve point (steps.csv) every this many windows',
      positiveInteger,
      DEFAULT_CURVE_EVERY,
    )
    .option('--json', 'stdout: one JSON line per epoch and one at the end (progress goes to stderr)', false)
    .addHelpText(
      'after',
      `
Examples:
  novolstm train --corpus builtin:moby-dick --cell novolstm --time-limit 10m --out runs/moby
  novolstm train --corpus book.txt --cell lstm --units 128 --layers 1 --epochs 5 --out runs/book
  novolstm train --corpus builtin:moby-dick --cell gru --max-chars 2000000 --out runs/moby-gru
  novolstm train --out runs/moby --time-limit 10m --resume`,
    )
    .action(async (flags: TrainFlags & { out: string }, command: Command) => {
      // On --resume the checkpoint's settings stand, and one typed on this command line must agree with it;
      // a learning rate typed here replaces the checkpoint's.
      const typed = (flag: keyof TrainFlags) => command.getOptionValueSource(flag) === 'cli';
      const config = trainConfig(flags, flags.out);
      checkOutputDirectory(flags.out, '--out');
      await runTraining(
        {
          ...config,
          overrideLearningRate: typed('lr'),
          givenSettings: CHECKPOINT_SETTINGS.filter((setting) => typed(SETTING_FLAGS[setting])),
        },
        flags.json,
      );
    });

  program
    .command('generate')
    .description('Generate text from a trained model, streaming it as it is sampled.')
    .requiredOption(
      '--model <dir>',
      'a model directory from `novolstm train`, or a .tar model file from the web page',
    )
    .option('--prime <text>', 'text to start from', '')
    .option('--length <n>', 'characters to generate', positiveIntegerUpTo(MAX_SIZES.length), 1000)
    .option(
      '--temperature <t>',
      '< 1 more conservative, > 1 more random; 0 = always the likeliest',
      nonNegativeNumber,
      0.8,
    )
    .option('--top-k <k>', 'sample only among the k likeliest characters', positiveInteger)
    .option(
      '--top-p <p>',
      'sample only among the likeliest characters reaching probability p',
      positiveNumber,
    )
    .option(
      '--unknown <mode>',
      "prime characters outside the vocabulary: 'error' or 'skip'",
      choice(['error', 'skip']),
      'error',
    )
    .option('--seed <n>', 'seed of the sampling', seed, 1)
    .option(
      '--threads <n>',
      "'auto' (two threads for large models when faster, timed as it runs), 1, or 2; the same text for a seed",
      choice(['auto', '1', '2']),
      'auto',
    )
    .addHelpText(
      'after',
      `
Examples:
  novolstm generate --model runs/moby --prime "Call me Ishmael." --length 500
  novolstm generate --model runs/moby --temperature 0.5 --top-k 10 --seed 7`,
    )
    .action(
      async (flags: {
        model: string;
        prime: string;
        length: number;
        temperature: number;
        topK?: number;
        topP?: number;
        unknown: 'error' | 'skip';
        seed: number;
        threads: 'auto' | '1' | '2';
      }) => {
        const model = await loadLanguageModel(flags.model, 'generate');
        const pieces = generateText(model, {
          prime: flags.prime,
          length: flags.length,
          temperature: flags.temperature,
          topK: flags.topK,
          topP: flags.topP,
          seed: flags.seed,
          unknown: flags.unknown,
          threads: flags.threads === 'auto' ? 'auto' : flags.threads === '1' ? 1 : 2,
        });
        process.stdout.write(flags.prime);
        for (const piece of pieces) process.stdout.write(piece);
        process.stdout.write('\n');
      },
    );

  program
    .command('eval')
    .description('Bits per character of a text under a trained model.')
    .requiredOption(
      '--model <dir>',
      'a model directory from `novolstm train`, or a .tar model file from the web page',
    )
    .requiredOption('--corpus <source>', "a UTF-8 text file, or 'builtin:moby-dick'")
    .option('--seq-len <n>', 'characters per window', positiveIntegerUpTo(MAX_SIZES.seqLen), 100)
    .option('--batch <n>', 'parallel streams', positiveIntegerUpTo(MAX_SIZES.batch), 64)
    .option(
      '--json',
      'print one JSON object: {"bpc", "chars", "skipped", "cell", "params"} (skipped: unknown characters left out)',
      false,
    )
    .addHelpText('after', '\nExample:\n  novolstm eval --model runs/moby --corpus held-out.txt --json')
    .action(
      async (flags: { model: string; corpus: string; seqLen: number; batch: number; json: boolean }) => {
        const model = await loadLanguageModel(flags.model, 'eval');
        const config = languageModelConfig(model);
        const vocabulary = CharVocabulary.fromJSON(config.vocabulary);
        // Read in chunks into token ids: a corpus of any size that fits its ids in memory can be scored.
        const { ids, unknown, skipped } = encodeCorpus(flags.corpus, vocabulary, 'skip');
        const score = scoreText(model, ids, flags.batch, flags.seqLen);
        if (flags.json) {
          console.log(
            JSON.stringify({
              bpc: score.bpc,
              chars: score.chars,
              // Occurrences of characters outside the vocabulary, dropped before scoring.
              skipped,
              cell: config.cell,
              params: model.values.length,
            }),
          );
        } else {
          console.log(`${score.bpc.toFixed(4)} bits per character over ${score.chars} characters`);
          if (unknown.length > 0)
            console.log(`(skipped characters the model does not know: ${JSON.stringify(unknown.join(''))})`);
        }
      },
    );
}

interface DemoFlags {
  timeLimit: number;
  out: string;
  cell: LmCell;
}

/** The main job: a 2-layer model on Moby-Dick for about two minutes, then a passage from it. */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('Train a 2-layer NovoLSTM on Moby-Dick for about two minutes, then generate a passage.')
    .option('--time-limit <duration>', 'how long to train', duration, 120)
    .option('--out <dir>', 'where the model goes', 'runs/demo')
    .option('--cell <cell>', LM_CELLS.join(' | '), choice(LM_CELLS), 'novolstm')
    .action(async (flags: DemoFlags) => {
      checkOutputDirectory(flags.out, '--out');
      console.log(
        `Training a 2-layer ${flags.cell} on Moby-Dick (builtin:moby-dick) for ${flags.timeLimit} s…`,
      );
      const model = await runTraining({
        corpus: 'builtin:moby-dick',
        validationFile: null,
        cell: flags.cell,
        units: 128,
        layers: 2,
        embeddingDim: 32,
        dropout: 0,
        seqLen: 64,
        batch: 32,
        learningRate: 3e-3,
        clipNorm: 5,
        epochs: null,
        timeLimitSeconds: flags.timeLimit,
        seed: 1,
        out: flags.out,
        resume: false,
        workers: 'auto',
      });
      const prime = 'Call me Ishmael.';
      console.log(
        `\nA passage (temperature 0.8):\n\n${prime}${[...generateText(model, { prime, length: 400, temperature: 0.8 })].join('')}\n`,
      );
      console.log(`The model is in ${flags.out}/ (metrics.csv, learning-curve.svg). Next:`);
      console.log(`  npm run cli -- train --out ${flags.out} --resume --time-limit 10m    # train it longer`);
      console.log(`  npm run cli -- generate --model ${flags.out} --prime "The whale" --length 1000`);
    });
}
