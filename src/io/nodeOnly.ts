/**
 * The error the browser build throws where Node's file system or threads would be needed: package.json's
 * `browser` field swaps each Node-only module (io/save.js, io/load.js, interop/nodeFiles.js,
 * parallel/nodeWorkers.js) for a `*.browser.ts` twin that throws it, so browser bundles hold no `node:` import.
 */
import { ConfigError } from '../errors.js';

export function nodeOnly(what: string, instead: string): ConfigError {
  return new ConfigError(
    what,
    `needs Node's file system or threads; in a browser, ${instead}`,
    'Node',
    'a browser',
  );
}
