/**
 * Seed 002 as a library function: spam or ham? Embedding → Dropout(0.2) → recurrent layer (dropout 0.2,
 * recurrentDropout 0.2) → Dense(250, relu) → Dropout(0.2) → Dense(1, sigmoid) on the SpamAssassin corpus
 * (`loadSpamAssassin`: subject and body, headers removed), scored by accuracy and F1 of the spam class on
 * a held-out random split. The seed's recurrent layer is an LSTM(100); the comparison report runs every
 * compared cell on the same split. `examples/spamClassifier.ts` runs it at the seed's size.
 */
import { loadSpamAssassin, sampleIndices } from '../data/datasets/index.js';
import { padSequences, randomSplit, WordVocabulary } from '../data/text/index.js';
import { comparedCell, parameterCount, unitsMatchingLstm } from '../experiments/comparedCells.js';
import * as layers from '../layers/index.js';
import { sequential } from '../models/sequential.js';
import { tensor, type Tensor } from '../tensor.js';
import { fit } from '../training/fit.js';
import { binaryScores, type BinaryScores } from '../training/binaryScores.js';
import { adam } from '../training/optimizers.js';
import type { TextClassifierOptions } from './classifierOptions.js';

export interface SpamOptions extends TextClassifierOptions {
  /** Emails drawn at random; null: all 6,046. */
  readonly emails?: number | null;
  /** Units of the Dense(relu) layer after the recurrent one. */
  readonly denseUnits?: number;
}

export interface SpamResult {
  readonly trainEmails: number;
  readonly testEmails: number;
  /** Accuracy of answering "ham" (the majority class) for every test email. */
  readonly majorityBaseline: number;
  /** Per cell, on the same split. */
  readonly cells: Record<string, SpamCellResult>;
}

export interface SpamCellResult {
  readonly scores: BinaryScores;
  /** The recurrent layer's units, and the recurrent layer's + the next dense layer's parameters. */
  readonly units: number;
  readonly parameters: number;
  /** Training and scoring this cell (the data preparation is shared, and not counted). */
  readonly seconds: number;
}

export async function spamClassifier(options: SpamOptions = {}): Promise<SpamResult> {
  const {
    emails = null,
    maxLen = 200,
    vocabularySize = 10000,
    embeddingDim = 100,
    units = 100,
    denseUnits = 250,
    epochs = 3,
    batchSize = 32,
    learningRate = 1e-3,
    testFraction = 0.2,
    cells = ['lstm'],
    matchParameters = false,
    seed = 1,
    verbose = 1,
  } = options;
  const data = loadSpamAssassin();
  const chosen = sampleIndices(data.texts.length, emails, seed);
  const split = randomSplit(chosen.length, testFraction, seed);
  const trainIdx = split.train.map((k) => chosen[k]);
  const testIdx = split.validation.map((k) => chosen[k]);

  const vocabulary = WordVocabulary.fromTexts(
    trainIdx.map((i) => data.texts[i]),
    { maxSize: vocabularySize },
  );
  const encode = (indices: number[]): { x: Tensor; y: Tensor } => ({
    x: tensor(
      padSequences(
        indices.map((i) => vocabulary.encode(data.texts[i])),
        { maxLen, padding: 'post', truncating: 'post' },
      ),
      [indices.length, maxLen],
      'int32',
    ),
    y: tensor(
      Float32Array.from(indices, (i) => data.labels[i]),
      [indices.length, 1],
    ),
  });
  const train = encode(trainIdx);
  const test = encode(testIdx);

  const labels = testIdx.map((i) => data.labels[i]);
  const spam = labels.filter((l) => l === 1).length;
  const results: Record<string, SpamCellResult> = {};
  for (const id of cells) {
    const started = performance.now();
    const cell = comparedCell(id);
    const cellUnits = matchParameters ? unitsMatchingLstm(id, units, embeddingDim, denseUnits) : units;
    const model = sequential({
      layers: [
        layers.embedding({ inputDim: vocabulary.size, outputDim: embeddingDim, maskZero: true }),
        layers.dropout({ rate: 0.2 }),
        cell.layer(cellUnits, { returnSequences: false, dropout: 0.2, recurrentDropout: 0.2 }),
        layers.dense({ units: denseUnits, activation: 'relu' }),
        layers.dropout({ rate: 0.2 }),
        layers.dense({ units: 1, activation: 'sigmoid' }),
      ],
      seed,
    });
    model.compile({
      optimizer: adam({ learningRate, clipNorm: 5 }),
      loss: 'binaryCrossentropy',
      metrics: ['accuracy'],
    });
    await fit(model, train.x, train.y, { batchSize, epochs, verbose });
    if (verbose) model.summary();
    results[id] = {
      scores: binaryScores(model.predict(test.x).data, labels),
      units: cellUnits,
      parameters: parameterCount(cell, cellUnits, embeddingDim, denseUnits),
      seconds: (performance.now() - started) / 1000,
    };
  }
  return {
    trainEmails: trainIdx.length,
    testEmails: testIdx.length,
    majorityBaseline: Math.max(spam, labels.length - spam) / labels.length,
    cells: results,
  };
}
