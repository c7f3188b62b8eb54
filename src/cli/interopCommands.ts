/**
 * `novolstm import FILE --out DIR` and `novolstm export --model DIR --format F --out FILE`: another
 * framework's model in and out (src/interop). The flags become a path and a format; the library does the
 * rest and its typed errors become one `novolstm: …` line.
 */
import type { Command } from 'commander';
import { loadModel, saveModel } from '../io/index.js';
import { EXPORT_FORMATS, type ExportFormat } from '../interop/formats.js';
import { exportModel, importModel } from '../interop/index.js';
import { choice } from './parse.js';

interface ImportFlags {
  out: string;
  config?: string;
}

interface ExportFlags {
  model: string;
  format: ExportFormat;
  out: string;
  stateless?: boolean;
}

export function registerInteropCommands(program: Command): void {
  program
    .command('import')
    .description(
      'Read a model from another framework (Keras .keras or .weights.h5 + config.json, TensorFlow.js, safetensors) and save it in novolstm format.',
    )
    .argument('<file>', 'a .keras file, a .weights.h5 file, a model.json or a directory')
    .requiredOption('--out <dir>', 'directory to save the novolstm model in')
    .option('--config <file>', 'for a .weights.h5: its Keras config.json (default: config.json beside it)')
    .addHelpText(
      'after',
      `
Examples:
  novolstm import classifier.keras --out runs/classifier
  novolstm import model.weights.h5 --config config.json --out runs/from-keras
  novolstm import tfjs-model/ --out runs/from-tfjs`,
    )
    .action(async (file: string, flags: ImportFlags) => {
      const model = await importModel(file, flags.config === undefined ? {} : { config: flags.config });
      await saveModel(model, flags.out);
      console.log(
        `imported ${file} (${model.layers.length} layers, ${model.values.length} weights) → ${flags.out}`,
      );
    });

  program
    .command('export')
    .description("Write a saved novolstm model in another framework's format.")
    .requiredOption('--model <dir>', 'a saved novolstm model (directory or bundle file)')
    .requiredOption('--format <format>', `one of ${EXPORT_FORMATS.join(', ')}`, choice(EXPORT_FORMATS))
    .requiredOption('--out <file>', 'the file to write (for tfjs: a directory)')
    .option(
      '--stateless',
      "write stateful layers (the language model's) with stateful: false, every call starting from zero state; keras and tfjs need it for such a model",
    )
    .addHelpText(
      'after',
      `
The language model made by \`novolstm train\` carries its state from call to call. ONNX carries it as
graph inputs and outputs (<layer>_h_in, <layer>_c_in → <layer>_h_out, <layer>_c_out; see docs/onnx.md);
Keras and TensorFlow.js cannot without a fixed batch size, so --stateless writes it without the state.

Examples:
  novolstm export --model runs/lm --format onnx --out lm.onnx
  novolstm export --model runs/lm --format keras --stateless --out lm.keras
  novolstm export --model runs/lm --format safetensors --out lm.safetensors
  novolstm export --model runs/classifier --format keras --out classifier.keras
  novolstm export --model runs/classifier --format tfjs --out web/model`,
    )
    .action(async (flags: ExportFlags) => {
      const model = await loadModel(flags.model);
      await exportModel(model, flags.out, { format: flags.format, stateless: flags.stateless === true });
      const note = flags.stateless ? ' (stateful layers written as stateless)' : '';
      console.log(`exported ${flags.model} as ${flags.format}${note} → ${flags.out}`);
    });
}
