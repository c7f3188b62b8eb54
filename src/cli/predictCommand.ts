/**
 * `novolstm predict --model DIR --input FILE.json [--output FILE.json]`: a saved model's outputs for the
 * samples in a JSON file — nested arrays [samples, …one sample's shape] in, nested arrays [samples,
 * …output shape] out (to the file, written whole or not at all, or to stdout). For models that map
 * arrays to arrays (classifiers, regressors, sequence taggers); a language model's text is `generate`'s.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { NovoLstmError, ShapeError, ValueError } from '../errors.js';
import { writeFileAtomic } from '../io/atomicFile.js';
import type { Shape } from '../layers/layer.js';
import type { Sequential } from '../models/sequential.js';
import { tensor, type NestedArray, type Tensor } from '../tensor.js';
import { positiveInteger } from './parse.js';
import { loadSavedModel } from './savedModel.js';

interface PredictFlags {
  model: string;
  input: string;
  output?: string;
  batchSize: number;
}

/** The samples in `file` as a tensor, checked against the shape the model takes. */
export function readSamples(file: string, model: Sequential): Tensor {
  const subject = `--input ${file}`;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ValueError(subject, 'cannot read the file', 'a readable JSON file', (error as Error).message);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ValueError(subject, 'is not JSON', 'nested arrays of numbers', (error as Error).message);
  }
  if (!Array.isArray(value)) {
    throw new ShapeError(subject, 'must hold an array of samples', 'nested arrays', typeof value);
  }
  let x: Tensor;
  try {
    x = tensor(value as NestedArray[]);
  } catch (error) {
    // The tensor's own words (which element is ragged or not a number), said of the file.
    if (error instanceof ShapeError)
      throw new ShapeError(subject, error.problem, error.expected, error.actual);
    if (error instanceof NovoLstmError)
      throw new ValueError(subject, error.problem, error.expected, error.actual);
    throw error;
  }
  checkSampleShape(subject, x.shape, model.inputShape);
  return x;
}

function shapeText(shape: Shape): string {
  return `[samples, ${shape.map((d) => (d === null ? 'any' : String(d))).join(', ')}]`;
}

/** [samples, …] against the model's input shape (null: any size, e.g. the time steps). */
function checkSampleShape(subject: string, shape: readonly number[], inputShape: Shape | null): void {
  if (shape[0] === 0) throw new ShapeError(subject, 'holds no samples', '≥ 1 sample', 0);
  if (!inputShape) return; // an unbuilt model takes its shape from the samples
  const sample = shape.slice(1);
  const fits =
    sample.length === inputShape.length && inputShape.every((d, i) => d === null || d === sample[i]);
  if (!fits) {
    throw new ShapeError(
      subject,
      'the samples do not have the shape the model takes',
      shapeText(inputShape),
      `[${shape.join(', ')}]`,
    );
  }
}

export function registerPredictCommand(program: Command): void {
  program
    .command('predict')
    .description("A saved model's outputs for samples given as JSON nested arrays.")
    .requiredOption('--model <dir>', 'a saved model (directory or .tar model file)')
    .requiredOption('--input <file>', 'a JSON file: nested arrays [samples, …one sample]')
    .option('--output <file>', 'write the outputs here as JSON (default: stdout)')
    .option('--batch-size <n>', 'samples per forward pass', positiveInteger, 32)
    .addHelpText(
      'after',
      `
Examples:
  novolstm predict --model runs/classifier --input samples.json
  novolstm predict --model runs/classifier --input samples.json --output predictions.json`,
    )
    .action(async (flags: PredictFlags) => {
      const model = await loadSavedModel(flags.model);
      const x = readSamples(flags.input, model);
      const predictions = model.predict(x, { batchSize: flags.batchSize });
      const json = `${JSON.stringify(predictions.arraySync())}\n`;
      if (flags.output === undefined) process.stdout.write(json);
      else {
        await writeFileAtomic(flags.output, json);
        console.log(
          `wrote ${predictions.shape[0]} predictions of shape [${predictions.shape.slice(1).join(', ')}] to ${flags.output}`,
        );
      }
    });
}
