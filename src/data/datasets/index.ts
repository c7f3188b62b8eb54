/** Real data sets for the examples, loaded from npm packages on disk and labelled. */
export {
  loadSotuPassages,
  loadSotuAddresses,
  sotuClass,
  splitSentences,
  passages,
  SOTU_CLASSES,
  type SotuAddress,
  type SotuPassages,
  type SotuOptions,
  type SotuClass,
} from './sotu.js';
export { sampleIndices } from './sample.js';
export {
  loadSpamAssassin,
  loadRawEmails,
  emailText,
  isSpamGroup,
  SPAM_GROUPS,
  HAM_GROUPS,
  type RawEmail,
  type SpamData,
} from './spamAssassin.js';
