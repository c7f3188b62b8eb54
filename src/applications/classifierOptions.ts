/**
 * The options the seed text classifiers (State of the Union, spam) share: the text's encoding, the model's
 * sizes, training, and which compared cells run. Each classifier adds its own data options.
 */
export interface TextClassifierOptions {
  /** Words kept per text (the first ones; shorter texts are padded). */
  readonly maxLen?: number;
  readonly vocabularySize?: number;
  readonly embeddingDim?: number;
  readonly units?: number;
  readonly epochs?: number;
  readonly batchSize?: number;
  readonly learningRate?: number;
  /** Fraction of the data held out for testing. */
  readonly testFraction?: number;
  /** Compared-cell ids (see experiments/comparedCells.ts); the seeds' cell is the LSTM or NovoLSTM. */
  readonly cells?: readonly string[];
  /**
   * false (the seed): every cell gets `units`. true (the comparison): the LSTM gets `units` and every other
   * cell the most units whose recurrent layer, with the layer the classifier counts with it (its read-out
   * or the dense layer after it), has no more parameters than the LSTM's.
   */
  readonly matchParameters?: boolean;
  readonly seed?: number;
  readonly verbose?: 0 | 1 | 2;
}
