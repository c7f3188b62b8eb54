/** Text for the language model: corpora (Node: loadCorpus, the streamed encoder), and what browsers get too (portable.ts). */
export * from './portable.js';
export { loadCorpus, BUILTIN_CORPORA } from './corpus.js';
export { corpusVocabulary, encodeCorpus, type EncodedCorpus } from './encodeCorpus.js';
export { type TokenIds } from './charVocabulary.js';
