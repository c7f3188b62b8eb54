/** The character language model: training with TBPTT, scoring, generation (used by the CLI and examples). */
export {
  trainLanguageModel,
  TrainingDivergedError,
  type TrainConfig,
  type TrainHooks,
  type TrainResult,
  type EpochRecord,
} from './trainer.js';
export { generateText, type GenerateOptions } from './generate.js';
export { scoreText, type TextScore } from './evaluate.js';
export { unigramBpc } from './unigram.js';
export { buildLanguageModel, languageModelConfig, LM_CELLS, type LmCell } from './languageModel.js';
