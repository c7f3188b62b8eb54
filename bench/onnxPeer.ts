/**
 * ONNX Runtime as an inference peer: the seed model (bench/novolstmStep.ts: embedding → LSTM / NovoLSTM /
 * GRU → dense softmax) exported with encodeOnnx and run by onnxruntime-node, next to our own forward pass
 * (`model.predict` on the engine the bench selected) on the same token ids, as a ratio.
 *
 * ONNX Runtime runs with one intra-op thread and with its default (one per core); our predict runs on one
 * thread. Both outputs are compared, so a timing of a wrong graph cannot pass silently.
 * onnxruntime-node is a dev dependency: without it the section is skipped with the reason printed.
 */
import type * as Ort from 'onnxruntime-node';
import { encodeOnnx, ONNX_FILE } from '../src/interop/onnx/index.js';
import { Random } from '../src/random.js';
import { tensor } from '../src/tensor.js';
import type { BenchConfig } from './config.js';
import { time, type Timing } from './measure.js';
import { seedSequential, type RecurrentKind } from './novolstmStep.js';

export interface OnnxPeerRow {
  readonly kind: RecurrentKind;
  readonly ours: Timing;
  /** ONNX Runtime with 1 intra-op thread, and with its default thread count. */
  readonly onnx1: Timing;
  readonly onnxDefault: Timing;
  /** Largest |ours − ONNX Runtime| over the softmax outputs. */
  readonly maxDifference: number;
}

export type OnnxPeerResult = { readonly rows: OnnxPeerRow[] } | { readonly skipped: string };

export async function runOnnxPeer(
  config: BenchConfig,
  warmup: number,
  runs: number,
): Promise<OnnxPeerResult> {
  let ort: typeof Ort;
  try {
    ort = await import('onnxruntime-node');
  } catch (e) {
    return { skipped: `onnxruntime-node is not installed (${(e as Error).message.split('\n')[0]})` };
  }
  const { B, T, V } = config;
  const rng = new Random(3);
  const ids = Int32Array.from({ length: B * T }, () => rng.int(V));
  const rows: OnnxPeerRow[] = [];
  for (const kind of ['lstm', 'novolstm', 'gru'] as const) {
    const model = seedSequential(config, kind);
    const x = tensor(ids, [B, T], 'int32');
    const bytes = (await encodeOnnx(model)).get(ONNX_FILE)!;
    const feeds = { input: new ort.Tensor('int32', ids, [B, T]) };
    let theirs: Float32Array = new Float32Array(0);
    const session = async (threads?: number): Promise<Timing> => {
      const s = await ort.InferenceSession.create(bytes, threads ? { intraOpNumThreads: threads } : {});
      const timing = await time(
        async () => (theirs = (await s.run(feeds)).output.data as Float32Array),
        warmup,
        runs,
      );
      await s.release();
      return timing;
    };
    let predicted: Float32Array = new Float32Array(0);
    const ours = await time(
      () => (predicted = model.predict(x, { batchSize: B }).data as Float32Array),
      warmup,
      runs,
    );
    const onnx1 = await session(1);
    const onnxDefault = await session();
    let maxDifference = 0;
    for (let i = 0; i < predicted.length; i++)
      maxDifference = Math.max(maxDifference, Math.abs(predicted[i] - theirs[i]));
    rows.push({ kind, ours, onnx1, onnxDefault, maxDifference });
  }
  return { rows };
}

export function printOnnxPeer(result: OnnxPeerResult, config: BenchConfig): void {
  if ('skipped' in result) {
    console.log(`ONNX Runtime: skipped — ${result.skipped}`);
    return;
  }
  const c = config;
  console.log(
    `inference, exported to ONNX: B=${c.B} T=${c.T} E=${c.E} H=${c.H} V=${c.V}; ms per forward pass, median (min–max)`,
  );
  const ms = (t: Timing) =>
    `${t.medianMs.toFixed(1)} (${t.minMs.toFixed(0)}–${t.maxMs.toFixed(0)}, n=${t.runs})`;
  const header = [
    'cell',
    'novolstm predict (1 thread)',
    'ONNX Runtime 1 thread',
    'ONNX Runtime default threads',
    'novolstm ÷ ORT (1 thread)',
    'max |Δ|',
  ];
  const table = result.rows.map((r) => [
    r.kind,
    ms(r.ours),
    ms(r.onnx1),
    ms(r.onnxDefault),
    (r.ours.medianMs / r.onnx1.medianMs).toFixed(2),
    r.maxDifference.toExponential(1),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
  for (const row of [header, ...table]) console.log(row.map((cell, i) => cell.padEnd(widths[i])).join('  '));
}
