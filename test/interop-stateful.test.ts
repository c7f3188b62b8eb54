/**
 * Stateful models leaving novolstm (issue #13 follow-up): the character language model's recurrent layers
 * carry their state from call to call, and every export must either carry it too or say what it drops.
 *
 * ONNX: the state becomes graph inputs and outputs. ONNX Runtime (onnxruntime-node) runs a sequence in
 * consecutive chunks, each chunk fed the state the previous one gave back, and every chunk's output and
 * state must equal our stateful predict over the same chunks.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import * as nl from '../src/index.js';
import { encodeOnnx, ONNX_FILE } from '../src/interop/onnx/index.js';
import { Recurrent, type RecurrentOptions } from '../src/layers/recurrent.js';
import { Random } from '../src/random.js';
import { perturbWeights } from './modelHelpers.js';

/** float32 on both sides with different summation orders, over a few chunks; values of order 1. */
const PREDICTION_TOLERANCE = 1e-5;
const VOCAB = 11;

type CellFactory = (options: RecurrentOptions) => Recurrent;
const CELLS: ReadonlyArray<readonly [string, CellFactory]> = [
  ['lstm', (o) => nl.layers.lstm(o)],
  ['gru', (o) => nl.layers.gru(o)],
  ['novolstm', (o) => nl.layers.novoLSTM(o)],
];

/** The worst |a − b| and where, for the failure message. */
function compare(what: string, ours: ArrayLike<number>, theirs: ArrayLike<number>): void {
  assert.equal(theirs.length, ours.length, `${what}: length`);
  let index = 0;
  let difference = 0;
  for (let i = 0; i < ours.length; i++) {
    const d = Math.abs(ours[i] - theirs[i]);
    if (!(d <= difference)) {
      difference = d;
      index = i;
    }
  }
  assert.ok(
    difference <= PREDICTION_TOLERANCE,
    `${what}: |difference| ${difference.toExponential(2)} > ${PREDICTION_TOLERANCE} at [${index}]: ${ours[index]} vs ${theirs[index]}`,
  );
}

/** The model's stateful recurrent layers, in order. */
function statefulLayers(model: nl.Sequential): Recurrent[] {
  return model.layers.filter((l): l is Recurrent => l instanceof Recurrent && l.stateful);
}

/** The names a stateful layer's state takes in the graph: h, then c for the LSTM family. */
function stateNames(layer: Recurrent, direction: 'in' | 'out'): string[] {
  const parts = layer.className === 'GRU' ? ['h'] : ['h', 'c'];
  return parts.map((p) => `${layer.name}_${p}_${direction}`);
}

/**
 * Runs `chunks` (token ids [B, T_k] each) through the exported graph, feeding each chunk the state outputs
 * of the one before (zeros for the first), and through our model's stateful predict; every chunk's output
 * and every layer's state must agree.
 */
async function checkChunks(what: string, model: nl.Sequential, chunks: readonly nl.Tensor[]): Promise<void> {
  const bytes = (await encodeOnnx(model)).get(ONNX_FILE)!;
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  try {
    const layers = statefulLayers(model);
    assert.deepEqual(session.inputNames, ['input', ...layers.flatMap((l) => stateNames(l, 'in'))]);
    assert.deepEqual(session.outputNames, ['output', ...layers.flatMap((l) => stateNames(l, 'out'))]);
    for (const layer of layers) layer.resetStates();
    const B = chunks[0].shape[0];
    let state: Record<string, ort.Tensor> = {};
    for (const layer of layers) {
      for (const name of stateNames(layer, 'in'))
        state[name] = new ort.Tensor('float32', new Float32Array(B * layer.units), [B, layer.units]);
    }
    for (const [k, chunk] of chunks.entries()) {
      const input = new ort.Tensor('int32', chunk.data as Int32Array, [...chunk.shape]);
      const result = await session.run({ input, ...state });
      const ours = model.predict(chunk);
      assert.deepEqual([...result.output.dims], [...ours.shape], `${what}, chunk ${k}: output shape`);
      compare(`${what}, chunk ${k}: output`, ours.data as Float32Array, result.output.data as Float32Array);
      state = {};
      for (const layer of layers) {
        const carried = layer.getStates()!;
        stateNames(layer, 'out').forEach((name, s) => {
          compare(
            `${what}, chunk ${k}: ${name}`,
            carried[s].data as Float32Array,
            result[name].data as Float32Array,
          );
          state[name.replace(/_out$/, '_in')] = result[name];
        });
      }
    }
  } finally {
    await session.release();
  }
}

/** Token ids [B, T] in 1 … VOCAB−1; `padding` sets the given [row, from] steps to 0 (to the end of the row). */
function idChunk(
  rng: Random,
  B: number,
  T: number,
  padding: ReadonlyArray<readonly [number, number]> = [],
): nl.Tensor {
  const data = new Int32Array(B * T);
  for (let i = 0; i < data.length; i++) data[i] = 1 + rng.int(VOCAB - 1);
  for (const [row, from] of padding) data.fill(0, row * T + from, (row + 1) * T);
  return nl.tensor(data, [B, T], 'int32');
}

function randomized(model: nl.Sequential, seed: number): nl.Sequential {
  perturbWeights(model, seed, 0.4);
  model.markWeightsChanged();
  return model;
}

describe('ONNX: a stateful layer carries its state through graph inputs and outputs', () => {
  for (const [cell, make] of CELLS) {
    it(`${cell}: the character language model (buildLanguageModel, 2 layers) over chunks of 6, 1, 1 and 4 steps`, async () => {
      const vocabulary = [...'abcdefghij'].slice(0, VOCAB - 1).concat('\n');
      const model = randomized(
        nl.buildLanguageModel(
          { cell: cell as nl.LmCell, units: 7, layers: 2, embeddingDim: 5, dropout: 0.1, vocabulary },
          2,
        ),
        3,
      );
      const rng = new Random(4);
      await checkChunks(
        `${cell} LM`,
        model,
        [6, 1, 1, 4].map((T) => idChunk(rng, 3, T)),
      );
    });

    it(`${cell}: masked chunks (a row padded at the end, a row with no real step) and goBackwards`, async () => {
      for (const goBackwards of [false, true]) {
        const model = randomized(
          nl.sequential({
            layers: [
              nl.layers.embedding({ inputDim: VOCAB, outputDim: 3, maskZero: true, inputShape: [null] }),
              make({ units: 5, returnSequences: true, stateful: true, goBackwards, name: 'carry' }),
              make({ units: 3, stateful: true, name: 'last' }),
              nl.layers.dense({ units: 2 }),
            ],
            seed: 5,
          }),
          6,
        );
        const rng = new Random(7);
        const chunks = [
          idChunk(rng, 4, 5, [[1, 3]]),
          idChunk(rng, 4, 4, [
            [0, 0],
            [2, 1],
          ]),
          idChunk(rng, 4, 3),
        ];
        await checkChunks(`${cell}${goBackwards ? ' goBackwards' : ''}, masked`, model, chunks);
      }
    });
  }
});
