/**
 * ONNX export checked against the peer that runs it: ONNX Runtime (onnxruntime-node, a dev dependency).
 * Each model is built with odd sizes and random weights, exported with encodeOnnx, run by ONNX Runtime,
 * and its output compared with our `predict` on the same input to PREDICTION_TOLERANCE — masked steps
 * included, since the graph must compute our zeros there too.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import * as nl from '../src/index.js';
import { runOnnxPeer } from '../bench/onnxPeer.js';
import { decodeOnnx, encodeOnnx, METADATA_KEYS, ONNX_FILE } from '../src/interop/onnx/index.js';
import { Random } from '../src/random.js';
import { paddedIds, perturbWeights, randomFloats } from './modelHelpers.js';

/** float32 on both sides with different summation orders; |ours − theirs| for values of order 1. */
const PREDICTION_TOLERANCE = 1e-5;
/**
 * NovoLSTM with `layerNorm: 'all'` normalises each gate's pre-activations over the units; at a step where
 * their spread is small, 1/√(σ² + 1e-3) (up to 32) magnifies every float32 rounding, step after step. With
 * u = 5 units, one row of this file's goBackwards model is 1.6e-4 from a float64 run of our reference
 * kernel in our own float32 predict and 1.3e-4 in ONNX Runtime: the model's conditioning, not a different
 * formula (spelling out the sigmoid, tanh or layer norm with elementary ONNX ops moves ONNX Runtime's
 * figure by less than 2e-6). So these tests use u = 7, where a small spread over the units is rarer, and
 * a tolerance that allows for the magnification.
 */
const NORM_ALL_TOLERANCE = 5e-5;
const VOCAB = 13;

let worst = { difference: 0, what: 'nothing yet' };
let worstNormAll = { difference: 0, what: 'nothing yet' };
after(() => {
  console.log(`worst |novolstm − ONNX Runtime|: ${worst.difference.toExponential(2)} (${worst.what})`);
  console.log(
    `worst with layerNorm 'all': ${worstNormAll.difference.toExponential(2)} (${worstNormAll.what})`,
  );
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
async function checkAgainstOnnxRuntime(
  what: string,
  model: nl.Sequential,
  x: nl.Tensor,
  tolerance = PREDICTION_TOLERANCE,
): Promise<void> {
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
  if (tolerance === PREDICTION_TOLERANCE && difference > worst.difference) worst = { difference, what };
  if (tolerance !== PREDICTION_TOLERANCE && difference > worstNormAll.difference)
    worstNormAll = { difference, what };
  assert.ok(
    difference <= tolerance,
    `${what}: |difference| ${difference.toExponential(2)} > ${tolerance} at [${index}]: ${ours.data[index]} vs ${theirs[index]}`,
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
          const tolerance = variant.layerNorm === 'all' ? NORM_ALL_TOLERANCE : PREDICTION_TOLERANCE;
          await checkAgainstOnnxRuntime(`${what}, trailing`, model, paddedFloats(rng, 5, 8, 3), tolerance);
          await checkAgainstOnnxRuntime(
            `${what}, leading`,
            model,
            paddedFloats(rng, 5, 8, 3, true),
            tolerance,
          );
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
          const layer = (first?: { inputShape: number[] }): nl.Layer =>
            kind === 'lstm'
              ? nl.layers.lstm({ ...options, ...first })
              : nl.layers.gru({ ...options, ...first, resetAfter: kind === 'gruResetAfter' });
          const masked = nl.sequential({
            layers: [nl.layers.masking({ inputShape: [6, 5] }), layer()],
            seed: 11,
          });
          await checkAgainstOnnxRuntime(
            `${what}, masked`,
            randomized(masked, 12),
            paddedFloats(rng, 5, 6, 5),
          );
          const unmasked = nl.sequential({ layers: [layer({ inputShape: [6, 5] })], seed: 13 });
          await checkAgainstOnnxRuntime(
            `${what}, unmasked`,
            randomized(unmasked, 14),
            randomFloats(rng, [4, 6, 5]),
          );
        });
      }
    }
  }
});

describe('ONNX export agrees with ONNX Runtime: bidirectional', () => {
  for (const kind of ['lstm', 'gru', 'novoLSTM'] as const) {
    for (const mergeMode of ['concat', 'sum', 'mul', 'ave'] as const) {
      for (const returnSequences of [false, true]) {
        for (const goBackwards of [false, true]) {
          const what = `bidirectional(${kind}) ${mergeMode} returnSequences ${returnSequences} goBackwards ${goBackwards}`;
          it(`${what}: embedding(maskZero) in front, padding at the end`, async () => {
            const rng = new Random(20);
            const options = { units: 5, returnSequences, goBackwards };
            const wrapped =
              kind === 'lstm'
                ? nl.layers.lstm(options)
                : kind === 'gru'
                  ? nl.layers.gru({ ...options, resetAfter: mergeMode !== 'sum' })
                  : nl.layers.novoLSTM({
                      ...options,
                      inputGate: mergeMode === 'mul' ? 'reference' : 'readme',
                    });
            const model = nl.sequential({
              layers: [
                nl.layers.embedding({ inputDim: VOCAB, outputDim: 3, maskZero: true, inputShape: [7] }),
                nl.layers.bidirectional({ layer: wrapped, mergeMode }),
                nl.layers.dense({ units: 3, activation: 'tanh' }),
              ],
              seed: 21,
            });
            await checkAgainstOnnxRuntime(what, randomized(model, 22), ids(rng, 6, 7));
          });
        }
      }
    }
  }
});

describe('ONNX export agrees with ONNX Runtime: the other layers', () => {
  it('masking → dropout → lstm(returnSequences) → layerNormalization → dense per step, every activation', async () => {
    const rng = new Random(30);
    for (const activation of ['linear', 'relu', 'sigmoid', 'tanh', 'softmax'] as const) {
      for (const useBias of [true, false]) {
        const model = nl.sequential({
          layers: [
            nl.layers.masking({ maskValue: 0, inputShape: [6, 3] }),
            nl.layers.dropout({ rate: 0.3 }),
            nl.layers.lstm({ units: 5, returnSequences: true }),
            nl.layers.layerNormalization({ epsilon: 1e-2 }),
            nl.layers.dense({ units: 3, activation, useBias }),
          ],
          seed: 31,
        });
        const x = paddedFloats(rng, 5, 6, 3);
        await checkAgainstOnnxRuntime(`dense ${activation} useBias ${useBias}`, randomized(model, 32), x);
      }
    }
  });

  it('a masking layer with a non-zero maskValue zeroes the padded steps it passes on', async () => {
    const rng = new Random(33);
    const x = randomFloats(rng, [4, 5, 3]);
    const data = x.data as Float32Array;
    data.fill(0.5, (0 * 5 + 3) * 3, (0 * 5 + 5) * 3); // row 0: its last two steps are padding
    data.fill(0.5, (2 * 5 + 4) * 3, (2 * 5 + 5) * 3); // row 2: its last step
    const model = nl.sequential({
      layers: [
        nl.layers.masking({ maskValue: 0.5, inputShape: [5, 3] }),
        nl.layers.gru({ units: 3, returnSequences: true }),
      ],
      seed: 34,
    });
    await checkAgainstOnnxRuntime('masking 0.5 → gru', randomized(model, 35), x);
  });

  it('a row with no real step gives zeros, as ours', async () => {
    const x = nl.tensor(
      [
        [1, 2, 0, 0],
        [0, 0, 0, 0],
        [3, 4, 5, 6],
      ],
      undefined,
      'int32',
    );
    for (const layer of [nl.layers.lstm({ units: 3 }), nl.layers.gru({ units: 3, returnSequences: true })]) {
      const model = nl.sequential({
        layers: [
          nl.layers.embedding({ inputDim: VOCAB, outputDim: 3, maskZero: true, inputShape: [4] }),
          layer,
        ],
        seed: 36,
      });
      await checkAgainstOnnxRuntime(`all-padding row, ${layer.className}`, randomized(model, 37), x);
    }
  });

  for (const [what, next] of [
    ['lstm', () => nl.layers.lstm({ units: 3, returnSequences: true })],
    ['lstm(goBackwards)', () => nl.layers.lstm({ units: 3, goBackwards: true, returnSequences: true })],
    ['gru (final state)', () => nl.layers.gru({ units: 3 })],
    [
      'gru(goBackwards) (final state)',
      () => nl.layers.gru({ units: 3, goBackwards: true, resetAfter: false }),
    ],
    [
      'bidirectional(lstm, concat)',
      () => nl.layers.bidirectional({ layer: nl.layers.lstm({ units: 3, returnSequences: true }) }),
    ],
  ] as const) {
    it(`stacked: lstm(goBackwards, returnSequences) → ${what}, fed the mask it flipped to the front`, async () => {
      const rng = new Random(41);
      const model = nl.sequential({
        layers: [
          nl.layers.embedding({ inputDim: VOCAB, outputDim: 4, maskZero: true, inputShape: [7] }),
          nl.layers.lstm({ units: 5, goBackwards: true, returnSequences: true }),
          next(),
        ],
        seed: 42,
      });
      const x = nl.tensor([[0, 0, 0, 0, 0, 0, 0], ...paddedIds(rng, 6, 7, VOCAB)], undefined, 'int32');
      await checkAgainstOnnxRuntime(`lstm backwards → ${what}`, randomized(model, 43), x);
    });
  }

  it('stacked: gru(goBackwards) → gru(goBackwards) → lstm: flipped twice, the padding is at the end again', async () => {
    const rng = new Random(44);
    const model = nl.sequential({
      layers: [
        nl.layers.embedding({ inputDim: VOCAB, outputDim: 4, maskZero: true, inputShape: [7] }),
        nl.layers.gru({ units: 5, goBackwards: true, returnSequences: true }),
        nl.layers.gru({ units: 3, goBackwards: true, returnSequences: true }),
        nl.layers.lstm({ units: 3, returnSequences: true }),
      ],
      seed: 45,
    });
    await checkAgainstOnnxRuntime('gru backwards ×2 → lstm', randomized(model, 46), ids(rng, 6, 7));
  });

  it('stacked: gru(goBackwards, returnSequences) → novoLSTM sees the flipped mask (padding at the front)', async () => {
    const rng = new Random(38);
    const model = nl.sequential({
      layers: [
        nl.layers.embedding({ inputDim: VOCAB, outputDim: 4, maskZero: true, inputShape: [7] }),
        nl.layers.gru({ units: 5, goBackwards: true, returnSequences: true }),
        nl.layers.novoLSTM({ units: 3, inputGate: 'reference' }),
      ],
      seed: 39,
    });
    await checkAgainstOnnxRuntime('gru backwards → novoLSTM', randomized(model, 40), ids(rng, 6, 7));
  });
});

describe("TensorFlow.js' hard sigmoid on the gates (recurrentActivation: 'hardSigmoid')", () => {
  /** The layer, or null where the layers do not take recurrentActivation yet (it is refused by name). */
  function hardSigmoidLayer(className: 'LSTM' | 'GRU', options: Record<string, unknown>): nl.Layer | null {
    try {
      return nl.layers.layerFromConfig(className, { ...options, recurrentActivation: 'hardSigmoid' });
    } catch (e) {
      if (e instanceof nl.ConfigError && /recurrentActivation/.test(e.message)) return null;
      throw e;
    }
  }

  for (const className of ['LSTM', 'GRU'] as const) {
    for (const wrapped of [false, true]) {
      const what = `${wrapped ? 'bidirectional ' : ''}${className} with hardSigmoid`;
      it(`${what}: ONNX's HardSigmoid activation, masked, goBackwards`, async (t) => {
        const options = { units: 5, returnSequences: true, goBackwards: true };
        const layer = hardSigmoidLayer(className, options);
        if (!layer) {
          t.skip('the recurrent layers do not take recurrentActivation on this branch yet');
          return;
        }
        const model = nl.sequential({
          layers: [
            nl.layers.embedding({ inputDim: VOCAB, outputDim: 4, maskZero: true, inputShape: [7] }),
            wrapped
              ? nl.layers.bidirectional({
                  layer: hardSigmoidLayer(className, options) as nl.layers.Recurrent,
                })
              : layer,
            nl.layers.dense({ units: 3, activation: 'softmax' }),
          ],
          seed: 60,
        });
        await checkAgainstOnnxRuntime(what, randomized(model, 61, 1), ids(new Random(62), 6, 7));
      });
    }
  }
});

describe('what ONNX cannot carry gets a typed error naming the layer', () => {
  it('a stateful layer inside Bidirectional (a stateful layer on its own exports: interop-stateful.test.ts)', async () => {
    const model = nl.sequential({
      layers: [
        nl.layers.bidirectional({
          layer: nl.layers.lstm({ units: 3, stateful: true, name: 'carry' }),
          inputShape: [4, 2],
        }),
      ],
    });
    await assert.rejects(encodeOnnx(model), (e: Error) => {
      assert.ok(e instanceof nl.ConfigError);
      assert.match(e.message, /LSTM 'forward_[^']+'.*Bidirectional.*stateless: true/);
      return true;
    });
  });

  it('a model that is not built', async () => {
    const model = nl.sequential([nl.layers.dense({ units: 3 })]);
    await assert.rejects(encodeOnnx(model), nl.ConfigError);
  });
});

/** A Python with the `onnx` package (Debian's python3-onnx), or null. */
function pythonWithOnnx(): string | null {
  for (const python of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(python, ['-c', 'import onnx'], { encoding: 'utf8' });
    if (r.status === 0) return python;
  }
  return null;
}

const ONNX_CHECK_SCRIPT = `
import sys, onnx
for path in sys.argv[1:]:
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
    print(path, 'passes onnx', onnx.__version__)
`;

describe('the ONNX file', () => {
  it("passes ONNX's own checker with strict shape inference (python3-onnx, where installed)", async (t) => {
    const python = pythonWithOnnx();
    if (!python) {
      t.skip('python3-onnx is not installed (apt-get install python3-onnx): the checker did not run');
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'novolstm-onnx-'));
    try {
      const models = [
        nl.sequential({
          layers: [
            nl.layers.embedding({ inputDim: VOCAB, outputDim: 5, maskZero: true, inputShape: [null] }),
            nl.layers.novoLSTM({ units: 7, returnSequences: true }),
            nl.layers.novoLSTM({
              units: 9,
              inputGate: 'reference',
              layerNorm: 'all',
              goBackwards: true,
              returnSequences: true,
            }),
            nl.layers.lstm({ units: 5, returnSequences: true }),
            nl.layers.dense({ units: VOCAB, activation: 'softmax' }),
          ],
        }),
        nl.sequential({
          layers: [
            nl.layers.masking({ inputShape: [9, 3] }),
            nl.layers.dropout({ rate: 0.1 }),
            nl.layers.gru({ units: 5, goBackwards: true, returnSequences: true, resetAfter: false }),
            nl.layers.bidirectional({ layer: nl.layers.lstm({ units: 3 }), mergeMode: 'mul' }),
            nl.layers.layerNormalization(),
            nl.layers.dense({ units: 2, activation: 'sigmoid' }),
          ],
        }),
        // Stateful layers: their state as graph inputs and outputs, with and without a mask.
        nl.sequential({
          layers: [
            nl.layers.embedding({ inputDim: VOCAB, outputDim: 5, maskZero: true, inputShape: [null] }),
            nl.layers.lstm({ units: 5, returnSequences: true, stateful: true }),
            nl.layers.novoLSTM({ units: 3, returnSequences: true, stateful: true, goBackwards: true }),
            nl.layers.gru({ units: 4, stateful: true }),
            nl.layers.dense({ units: 2 }),
          ],
        }),
        nl.sequential({
          layers: [
            nl.layers.embedding({ inputDim: VOCAB, outputDim: 5, inputShape: [null] }),
            nl.layers.gru({ units: 5, returnSequences: true, stateful: true }),
            nl.layers.lstm({ units: 3, returnSequences: true, stateful: true }),
            nl.layers.dense({ units: VOCAB, activation: 'softmax' }),
          ],
        }),
      ];
      const paths = await Promise.all(
        models.map(async (m, i) => {
          const path = join(dir, `model${i}.onnx`);
          writeFileSync(path, await onnxBytes(m));
          return path;
        }),
      );
      const r = spawnSync(python, ['-c', ONNX_CHECK_SCRIPT, ...paths], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout.trim().split('\n').length, paths.length, r.stdout);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

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

describe('bench: ONNX Runtime as an inference peer', () => {
  it('times the three seed models at tiny sizes, and their outputs agree', async () => {
    const result = await runOnnxPeer({ B: 3, T: 4, E: 5, H: 6, V: 7 }, 1, 3);
    assert.ok('rows' in result, 'onnxruntime-node is a dev dependency, so the peer runs');
    assert.deepEqual(
      result.rows.map((r) => r.kind),
      ['lstm', 'novolstm', 'gru'],
    );
    for (const r of result.rows) {
      for (const t of [r.ours, r.onnx1, r.onnxDefault])
        assert.ok(t.medianMs > 0 && Number.isFinite(t.medianMs));
      assert.ok(r.maxDifference <= PREDICTION_TOLERANCE, `${r.kind}: ${r.maxDifference}`);
    }
  });
});

/** Bit patterns, so -0 and 0 (and any NaN payload) count as different. */
function bits(t: nl.Tensor): Uint32Array {
  const data = t.data as Float32Array;
  return new Uint32Array(data.buffer, data.byteOffset, data.length);
}

describe('decodeOnnx reads back what encodeOnnx wrote', () => {
  const models: [string, () => nl.Sequential, (rng: Random) => nl.Tensor][] = [
    [
      'embedding(maskZero) → bidirectional(lstm, goBackwards) → gru(resetAfter false) → dense(no bias)',
      () =>
        nl.sequential({
          layers: [
            nl.layers.embedding({ inputDim: VOCAB, outputDim: 3, maskZero: true, inputShape: [7] }),
            nl.layers.bidirectional({
              layer: nl.layers.lstm({ units: 5, returnSequences: true, goBackwards: true }),
              mergeMode: 'ave',
            }),
            nl.layers.gru({ units: 3, resetAfter: false }),
            nl.layers.dense({ units: 4, activation: 'relu', useBias: false }),
          ],
          seed: 50,
          name: 'round_trip',
        }),
      (rng) => ids(rng, 5, 7),
    ],
    [
      'masking → dropout → novoLSTM(reference, all) → layerNormalization → bidirectional(gru) → novoLSTM(readme)',
      () =>
        nl.sequential({
          layers: [
            nl.layers.masking({ inputShape: [6, 3] }),
            nl.layers.dropout({ rate: 0.2 }),
            nl.layers.novoLSTM({ units: 5, inputGate: 'reference', layerNorm: 'all', returnSequences: true }),
            nl.layers.layerNormalization(),
            nl.layers.bidirectional({
              layer: nl.layers.gru({ units: 3, returnSequences: true }),
              mergeMode: 'concat',
            }),
            nl.layers.novoLSTM({ units: 7, inputGateGain: 'ones' }),
          ],
          seed: 51,
        }),
      (rng) => paddedFloats(rng, 4, 6, 3),
    ],
  ];
  for (const [what, build, input] of models) {
    it(`${what}: the same layers, weights bit for bit, metadata, and predictions`, async () => {
      const model = randomized(build(), 52);
      model.metadata = { labels: ['a', 'b'], note: 'round trip' };
      const again = await decodeOnnx(await encodeOnnx(model));
      assert.equal(again.name, model.name);
      assert.deepEqual(
        again.layers.map((l) => [l.className, l.name, l.getConfig()]),
        model.layers.map((l) => [l.className, l.name, l.getConfig()]),
      );
      const theirs = again.getWeights();
      model.getWeights().forEach((w, i) => {
        assert.deepEqual(theirs[i].shape, w.shape, `weight ${i} shape`);
        assert.deepEqual(bits(theirs[i]), bits(w), `weight ${i} (${model.entries[i].name}) bits`);
      });
      assert.deepEqual(again.metadata, model.metadata);
      const x = input(new Random(53));
      assert.deepEqual(bits(again.predict(x)), bits(model.predict(x)));
    });
  }

  it('refuses an ONNX file it did not write, and bytes that are not ONNX, with a ValueError', async () => {
    const model = nl.sequential({ layers: [nl.layers.dense({ units: 2, inputShape: [3] })] });
    const proto = onnxProto.onnx.ModelProto.decode(await onnxBytes(model));
    proto.metadataProps = proto.metadataProps.filter((p) => p.key !== METADATA_KEYS.format);
    const foreign = onnxProto.onnx.ModelProto.encode(proto).finish();
    await assert.rejects(decodeOnnx(new Map([[ONNX_FILE, foreign]])), (e: Error) => {
      assert.ok(e instanceof nl.ValueError);
      assert.match(e.message, /only ONNX files written by novolstm/);
      return true;
    });
    await assert.rejects(
      decodeOnnx(new Map([[ONNX_FILE, Uint8Array.of(0xff, 0xff, 0xff, 0x0f)]])),
      nl.ValueError,
    );
  });
});
