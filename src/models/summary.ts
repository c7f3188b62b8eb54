/**
 * `model.summary()`: Keras' table of layers, output shapes and parameter counts; a frozen layer's
 * (`trainable = false`) count as non-trainable.
 */
import type { Layer } from '../layers/layer.js';

const COLUMNS = [29, 26, 12];

export function summaryLines(modelName: string, layers: readonly Layer[]): string[] {
  const width = COLUMNS.reduce((a, b) => a + b, 0);
  const row = (cells: string[]): string =>
    cells.map((c, i) => (i < cells.length - 1 ? ` ${c}`.padEnd(COLUMNS[i]) : ` ${c}`)).join('');
  const lines = [
    `Model: "${modelName}"`,
    '_'.repeat(width),
    row(['Layer (type)', 'Output Shape', 'Param #']),
    '='.repeat(width),
  ];
  let total = 0;
  let frozen = 0;
  layers.forEach((layer, i) => {
    const count = layer.weightSpecs().reduce((sum, w) => sum + w.shape.reduce((a, b) => a * b, 1), 0);
    total += count;
    if (!layer.trainable) frozen += count;
    const shape = `(${['None', ...(layer.outputShape ?? []).map((d) => (d === null ? 'None' : String(d)))].join(', ')})`;
    lines.push(row([`${layer.name} (${layer.className})`, shape, count.toLocaleString('en-US')]));
    lines.push(i < layers.length - 1 ? '' : '='.repeat(width));
  });
  lines.push(`Total params: ${total.toLocaleString('en-US')}`);
  lines.push(`Trainable params: ${(total - frozen).toLocaleString('en-US')}`);
  lines.push(`Non-trainable params: ${frozen.toLocaleString('en-US')}`);
  lines.push('_'.repeat(width));
  return lines;
}
