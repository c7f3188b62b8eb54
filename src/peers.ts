/**
 * Optional peer packages: libraries only some features need (charts, Keras HDF5, ONNX, the bundled data
 * sets), left out of novolstm's dependencies so that installing the library stays light. Each is loaded
 * when its feature is first used; when it is not installed, the error names the package to install.
 *
 * The module name reaches import() as a variable, so that bundlers do not try to resolve a package the
 * user may not have (a browser bundle of novolstm then never includes these; see README).
 */
import { ConfigError } from './errors.js';

/** A feature's optional package is not installed: a ConfigError whose one line names what to install. */
export class MissingPackageError extends ConfigError {
  constructor(
    /** The npm package to install. */
    readonly pkg: string,
    feature: string,
  ) {
    super(
      feature,
      `needs the optional package '${pkg}': npm install ${pkg}`,
      `'${pkg}' installed`,
      'not found',
    );
  }
}

export function missingPeer(pkg: string, feature: string, cause?: unknown): MissingPackageError {
  const error = new MissingPackageError(pkg, feature);
  if (cause !== undefined) (error as { cause?: unknown }).cause = cause;
  return error;
}

/** True when `error` says that the package `pkg` itself could not be found (not a module inside it). */
export function isMissingPackage(error: unknown, pkg: string): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  const notFound =
    code === 'ERR_MODULE_NOT_FOUND' ||
    code === 'MODULE_NOT_FOUND' ||
    // Browsers: a bare specifier that no import map resolves.
    (error instanceof TypeError && /resolve|specifier|module/i.test(String(message)));
  return notFound && String(message).includes(pkg);
}

/** The optional package `pkg`, imported on first use for `feature`; a ConfigError when it is missing. */
export async function importPeer<T>(pkg: string, feature: string): Promise<T> {
  try {
    return (await import(/* @vite-ignore */ pkg)) as T;
  } catch (error) {
    throw isMissingPackage(error, pkg) ? missingPeer(pkg, feature, error) : error;
  }
}

/**
 * A Node built-in, imported where the code runs in Node only (behind a runtime check) but also sits in the
 * browser bundle. The name is put together at run time: a minifier folds a constant string back into
 * `import("node:…")`, which a browser bundle must not contain.
 */
export async function importNodeBuiltin<T>(name: string): Promise<T> {
  return (await import(/* @vite-ignore */ ['node', name].join(':'))) as T;
}
