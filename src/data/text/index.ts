/** Text for the language model: corpora, character vocabularies, TBPTT streams. */
export { loadCorpus, checkText, BUILTIN_CORPORA } from './corpus.js';
export { CharVocabulary, type TokenIds } from './charVocabulary.js';
export { corpusVocabulary, encodeCorpus, type EncodedCorpus } from './encodeCorpus.js';
export { TextStreams, holdOut, type TextWindow } from './streams.js';
export { tokenizeWords, WordVocabulary, padSequences, PAD_ID, OOV_ID, type PadOptions } from './words.js';
export { randomSplit, groupSplit, stratifiedGroupSplit, type Split } from './split.js';
