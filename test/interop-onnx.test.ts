/**
 * ONNX export checked against the peer that runs it: ONNX Runtime (onnxruntime-node, a dev dependency).
 * Each model is built with odd sizes and random weights, exported with encodeOnnx, run by ONNX Runtime,
 * and its output compared with our `predict` on the same input to PREDICTION_TOLERANCE — masked steps
 * included, since the graph must compute our zeros there too.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import * as nl from '../src/index.js';
import { encodeOnnx, METADATA_KEYS, ONNX_FILE } from '../src/interop/onnx/index.js';
import { Random } from '../src/random.js';
import { paddedIds, perturbWeights, randomFloats } from './modelHelpers.js';

/** float32 on both sides with different summation orders; |ours − theirs| for values of order 1. */
const PREDICTION_TOLERANCE = 1e-5;
const VOCAB = 13;

let worst = { difference: 0, what: 'nothing yet' };
after(() => {
  console.log(`worst |novolstm − ONNX Runtime| over every comparison: ${worst.difference.toExponential(2)} (${worst.what})`);
});

async function onnxBytes(model: nl.Sequential): Promise<Uint8Array> {
  const files = await encodeOnnx(model);
  assert.deepEqual([...files.keys()], [ONNX_FILE]);
  return files.get(ONNX_FILE)!;
}

async function runOnnx(bytes: Uint8Array, x: nl.Tensor): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const input =
    x.dtype === 'int32'
      ? new ort.Tensor('int32', x.data as Int32Array, [...x.shape])
      : new ort.Tensor('float32', x.data as Float32Array, [...x.shape]);
  const result = await session.run({ input });
  await session.release();
  return result.output.data as Float32Array;
}

/** Exports `model`, runs it in ONNX Runtime on x and compares with our predict (shapes and values). */
async function checkAgainstOnnxRuntime(what: string, model: nl.Sequential, x: nl.Tensor): Promise<void> {
  const ours = model.predict(x);
  const theirs = await runOnnx(await onnxBytes(model), x);
  assert.equal(theirs.length, ours.data.length, `${what}: output length`);
  let index = 0;
  let difference = 0;
  for (let i = 0; i < theirs.length; i++) {
    const d = Math.abs(theirs[i] - ours.data[i]);
    if (!(d <= difference)) {
      difference = d;
      index = i;
    }
  }
  if (difference > worst.difference) worst = { difference, what };
  assert.ok(
    difference <= PREDICTION_TOLERANCE,
    `${what}: |difference| ${difference.toExponential(2)} > ${PREDICTION_TOLERANCE} at [${index}]: ${ours.data[index]} vs ${theirs[index]}`,
  );
}

/** Random weights everywhere (biases and layer-norm gains included), so no block can hide a swap. */
function randomized(model: nl.Sequential, seed: number, scale = 0.4): nl.Sequential {
  perturbWeights(model, seed, scale);
  model.markWeightsChanged();
  return model;
}

/** Float sequences [N, T, D] whose last steps (or first, `leading`) are all 0: padding for masking(). */
function paddedFloats(rng: Random, N: number, T: number, D: number, leading = false): nl.Tensor {
  const x = randomFloats(rng, [N, T, D]);
  const data = x.data as Float32Array;
  for (let n = 0; n < N; n++) {
    const length = n === 0 ? T : 1 + rng.int(T); // one full row
    for (let k = length; k < T; k++) {
      const t = leading ? T - 1 - k : k;
      data.fill(0, (n * T + t) * D, (n * T + t + 1) * D);
    }
  }
  return x;
}

function ids(rng: Random, N: number, T: number, leading = false): nl.Tensor {
  return nl.tensor(paddedIds(rng, N, T, VOCAB, leading), undefined, 'int32');
}

const NOVO_VARIANTS = [
  { inputGate: 'readme', layerNorm: 'inputGate' },
  { inputGate: 'reference', layerNorm: 'inputGate' },
  { inputGate: 'readme', layerNorm: 'all' },
  { inputGate: 'reference', layerNorm: 'all' },
] as const;

describe('ONNX export agrees with ONNX Runtime', () => {
  it('an LSTM classifier: embedding(maskZero) → lstm → dense(softmax), trailing padding', async () => {
    const rng = new Random(1);
    const model = nl.sequential({
      layers: [
        nl.layers.embedding({ inputDim: VOCAB, outputDim: 5, maskZero: true, inputShape: [9] }),
        nl.layers.lstm({ units: 7 }),
        nl.layers.dense({ units: 3, activation: 'softmax' }),
      ],
      seed: 2,
    });
    await checkAgainstOnnxRuntime('lstm classifier', randomized(model, 3), ids(rng, 6, 9));
  });

  it('a NovoLSTM language model: embedding → novoLSTM ×2 (returnSequences) → dense(softmax)', async () => {
    const rng = new Random(4);
    const model = nl.sequential({
      layers: [
        nl.layers.embedding({ inputDim: VOCAB, outputDim: 5, inputShape: [null] }),
        nl.layers.novoLSTM({ units: 7, returnSequences: true }),
        nl.layers.novoLSTM({ units: 9, returnSequences: true }),
        nl.layers.dense({ units: VOCAB, activation: 'softmax' }),
      ],
      seed: 5,
    });
    const x = nl.tensor(
      Array.from({ length: 3 }, () => Array.from({ length: 11 }, () => rng.int(VOCAB))),
      undefined,
      'int32',
    );
    await checkAgainstOnnxRuntime('novolstm language model', randomized(model, 6), x);
  });

  for (const variant of NOVO_VARIANTS) {
    for (const goBackwards of [false, true]) {
      for (const returnSequences of [false, true]) {
        const what = `novoLSTM ${variant.inputGate}/${variant.layerNorm} goBackwards ${goBackwards} returnSequences ${returnSequences}`;
        it(`${what}, masked (padding at the end and at the front)`, async () => {
          const rng = new Random(7);
          const model = nl.sequential({
            layers: [
              nl.layers.masking({ inputShape: [8, 3] }),
              nl.layers.novoLSTM({ units: 7, goBackwards, returnSequences, ...variant }),
            ],
            seed: 8,
          });
          randomized(model, 9);
          await checkAgainstOnnxRuntime(`${what}, trailing`, model, paddedFloats(rng, 5, 8, 3));
          await checkAgainstOnnxRuntime(`${what}, leading`, model, paddedFloats(rng, 5, 8, 3, true));
        });
      }
    }
  }

  for (const kind of ['lstm', 'gruResetAfter', 'gru'] as const) {
    for (const goBackwards of [false, true]) {
      for (const returnSequences of [false, true]) {
        const what = `${kind} goBackwards ${goBackwards} returnSequences ${returnSequences}`;
        it(`${what}, with and without a mask (padding at the end)`, async () => {
          const rng = new Random(10);
          const options = { units: 7, goBackwards, returnSequences };
          const layer = (): nl.Layer =>
            kind === 'lstm'
              ? nl.layers.lstm(options)
              : nl.layers.gru({ ...options, resetAfter: kind === 'gruResetAfter' });
          const masked = nl.sequential({ layers: [nl.layers.masking({ inputShape: [6, 5] }), layer()], seed: 11 });
          await checkAgainstOnnxRuntime(`${what}, masked`, randomized(masked, 12), paddedFloats(rng, 5, 6, 5));
          const unmasked = nl.sequential({ layers: [layerWithShape(kind, options, [6, 5])], seed: 13 });
          await checkAgainstOnnxRuntime(`${what}, unmasked`, randomized(unmasked, 14), randomFloats(rng, [4, 6, 5]));
        });
      }
    }
  }
});

function layerWithShape(
  kind: 'lstm' | 'gruResetAfter' | 'gru',
  options: { units: number; goBackwards: boolean; returnSequences: boolean },
  inputShape: number[],
): nl.Layer {
  return kind === 'lstm'
    ? nl.layers.lstm({ ...options, inputShape })
    : nl.layers.gru({ ...options, resetAfter: kind === 'gruResetAfter', inputShape });
}

describe('the ONNX file', () => {
  it('is opset 17 and carries the model description in metadata_props', async () => {
    const model = nl.sequential({
      layers: [
        nl.layers.embedding({ inputDim: VOCAB, outputDim: 3, inputShape: [5] }),
        nl.layers.gru({ units: 4 }),
      ],
    });
    model.metadata = { vocabulary: 'abc' };
    const proto = onnxProto.onnx.ModelProto.decode(await onnxBytes(model));
    assert.deepEqual(
      proto.opsetImport.map((o) => [o.domain, Number(o.version)]),
      [['', 17]],
    );
    const props = Object.fromEntries(proto.metadataProps.map((p) => [p.key, p.value]));
    const description = JSON.parse(props[METADATA_KEYS.model]);
    assert.deepEqual(
      description.layers.map((l: { className: string }) => l.className),
      ['Embedding', 'GRU'],
    );
    assert.deepEqual(description.inputShape, [5]);
    assert.deepEqual(JSON.parse(props[METADATA_KEYS.metadata]), { vocabulary: 'abc' });
  });
});
