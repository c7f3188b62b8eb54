/** Text for the language model: corpora (Node: loadCorpus), and what browsers get too (portable.ts). */
export * from './portable.js';
export { loadCorpus, BUILTIN_CORPORA } from './corpus.js';
