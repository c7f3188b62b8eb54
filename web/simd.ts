/**
 * Whether this browser's WebAssembly has the 128-bit SIMD instructions novolstm's fast engine is built
 * with: a tiny module using one v128 instruction (i8x16.splat) must validate. The same probe that
 * GoogleChromeLabs/wasm-feature-detect uses.
 */
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98,
  11,
]);

export function hasWasmSimd(): boolean {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}
