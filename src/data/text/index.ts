/** Text for the language model: corpora, character vocabularies, TBPTT streams. */
export { loadCorpus, checkText, BUILTIN_CORPORA } from './corpus.js';
export { CharVocabulary } from './charVocabulary.js';
export { TextStreams, holdOut, type TextWindow } from './streams.js';
