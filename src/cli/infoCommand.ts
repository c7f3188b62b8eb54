/**
 * `novolstm info --model DIR [--json]`: any saved model — its layers, shapes and parameters; for a
 * character language model also its cell, vocabulary and training record. `--json` prints the same as one
 * JSON object.
 */
import type { Command } from 'commander';
import type { Layer, Shape } from '../layers/layer.js';
import { LM_FORMAT, languageModelConfig } from '../lm/languageModel.js';
import type { Sequential } from '../models/sequential.js';
import { loadSavedModel } from './savedModel.js';

/** What `info --json` prints. */
export interface ModelInfo {
  readonly name: string;
  /** Shapes without the batch axis; null is a size the model takes any of (e.g. the time steps). */
  readonly inputShape: Shape | null;
  readonly outputShape: Shape | null;
  readonly params: number;
  readonly layers: readonly {
    readonly name: string;
    readonly className: string;
    readonly outputShape: Shape | null;
    readonly params: number;
  }[];
  readonly compiled: { readonly loss: string; readonly optimizer: string } | null;
  /** Present for a model `novolstm train` wrote. */
  readonly languageModel: {
    readonly cell: string;
    readonly layers: number;
    readonly units: number;
    readonly embeddingDim: number;
    readonly vocabularySize: number;
  } | null;
  readonly training: {
    readonly corpus: string;
    readonly epochs: number;
    readonly chars: number;
    readonly seconds: number;
    readonly validationBpc: number | null;
  } | null;
}

/** The training record `novolstm train` keeps in a language model's metadata (lm/checkpoint.ts). */
interface TrainingRecord {
  corpus: string;
  epoch: number;
  chars: number;
  seconds: number;
  history: { validationBpc: number }[];
}

function layerParams(layer: Layer): number {
  return layer.weightSpecs().reduce((sum, w) => sum + w.shape.reduce((a, b) => a * b, 1), 0);
}

export function modelInfo(model: Sequential): ModelInfo {
  const isLanguageModel = (model.metadata as { format?: unknown }).format === LM_FORMAT;
  // A language model of another format version is refused here with languageModelConfig's message.
  const lm = isLanguageModel ? languageModelConfig(model) : null;
  const training = isLanguageModel ? (model.metadata as { training?: TrainingRecord }).training : undefined;
  const last = training?.history[training.history.length - 1];
  return {
    name: model.name,
    inputShape: model.inputShape,
    outputShape: model.outputShape,
    params: model.values.length,
    layers: model.layers.map((layer) => ({
      name: layer.name,
      className: layer.className,
      outputShape: layer.outputShape ?? null,
      params: layerParams(layer),
    })),
    compiled: model.compiled
      ? { loss: model.compiled.loss, optimizer: model.compiled.optimizer.className }
      : null,
    languageModel: lm
      ? {
          cell: lm.cell,
          layers: lm.layers,
          units: lm.units,
          embeddingDim: lm.embeddingDim,
          vocabularySize: lm.vocabulary.length,
        }
      : null,
    training: training
      ? {
          corpus: training.corpus,
          epochs: training.epoch,
          chars: training.chars,
          seconds: training.seconds,
          validationBpc: last && Number.isFinite(last.validationBpc) ? last.validationBpc : null,
        }
      : null,
  };
}

function shapeText(shape: Shape | null): string {
  return shape ? `(None, ${shape.map((d) => (d === null ? 'None' : String(d))).join(', ')})` : 'unknown';
}

function printInfo(model: Sequential, info: ModelInfo): void {
  if (model.isBuilt) model.summary();
  console.log(`input ${shapeText(info.inputShape)} → output ${shapeText(info.outputShape)}`);
  console.log(
    info.compiled
      ? `compiled with loss ${info.compiled.loss}, optimizer ${info.compiled.optimizer}`
      : 'not compiled',
  );
  const lm = info.languageModel;
  if (lm) {
    console.log(
      `character language model: cell ${lm.cell}, ${lm.layers} × ${lm.units} units, vocabulary of ${lm.vocabularySize} characters`,
    );
  }
  const training = info.training;
  if (training) {
    console.log(
      `trained on ${training.corpus}: ${training.epochs} epochs, ${training.chars} characters, ${(training.seconds / 60).toFixed(1)} minutes` +
        (training.validationBpc !== null
          ? `; validation ${training.validationBpc.toFixed(3)} bits per character`
          : ''),
    );
  }
}

export function registerInfoCommand(program: Command): void {
  program
    .command('info')
    .description(
      'Show a saved model: its layers, shapes, parameters and (for a language model) training record.',
    )
    .requiredOption(
      '--model <dir>',
      'a saved model: a directory (from `novolstm train`, `novolstm import` or model.save()) or a .tar model file',
    )
    .option('--json', 'print one JSON object instead of the table', false)
    .addHelpText(
      'after',
      '\nExamples:\n  novolstm info --model runs/moby\n  novolstm info --model runs/classifier --json',
    )
    .action(async (flags: { model: string; json: boolean }) => {
      const model = await loadSavedModel(flags.model);
      const info = modelInfo(model);
      if (flags.json) console.log(JSON.stringify(info));
      else printInfo(model, info);
    });
}
