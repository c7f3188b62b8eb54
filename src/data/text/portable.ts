/** Text for the language model without a file system: checking bytes, vocabularies, TBPTT streams, splits. */
export { checkText } from './checkText.js';
export { CharVocabulary, CodePointSet } from './charVocabulary.js';
export { TextStreams, holdOut, type TextWindow } from './streams.js';
export { tokenizeWords, WordVocabulary, padSequences, PAD_ID, OOV_ID, type PadOptions } from './words.js';
export { randomSplit, groupSplit, stratifiedGroupSplit, type Split } from './split.js';
