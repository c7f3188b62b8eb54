/**
 * SHA-256 through WebCrypto (`globalThis.crypto.subtle`), which Node ≥ 20 and every current browser have,
 * so saving and loading share one digest path. Browsers expose it only in secure contexts (https or
 * localhost); elsewhere this fails with a clear error instead of writing a file without digests.
 */
import { ConfigError } from '../errors.js';

export async function sha256Hex(bytes: Readonly<Uint8Array>): Promise<string> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) {
    throw new ConfigError(
      'SHA-256',
      'WebCrypto is not available (browsers offer it only on https or localhost pages)',
      'crypto.subtle',
      'undefined',
    );
  }
  const digest = new Uint8Array(await subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  let hex = '';
  for (const b of digest) hex += b.toString(16).padStart(2, '0');
  return hex;
}
