/**
 * The embedding layer's lookup and gradient: on the WebAssembly engine when it is loaded, else the
 * reference kernels (`kernels/reference/embedding.ts`, whose contract this keeps: forward writes y,
 * backward ADDS into dTable). The engine path needs float32 tables (the reference also takes float64, for
 * gradient checks).
 */
import { embeddingBackward, embeddingForward } from '../kernels/reference/embedding.js';
import type { Float } from '../kernels/reference/floats.js';
import { embeddingGather, embeddingScatter } from '../engine/embedding.js';
import { sharedEngine } from './backend.js';

/** y [N, E] = rows of table [V, E] picked by ids [N]. */
export function embeddingForwardOn(
  y: Float32Array,
  ids: Readonly<Int32Array>,
  table: Readonly<Float>,
  N: number,
  E: number,
): Float32Array {
  const engine = sharedEngine();
  if (!engine || !(table instanceof Float32Array)) return embeddingForward(y, ids, table, N, E);
  return embeddingGather(engine, y, ids, table, N, E);
}

/** dTable [V, E] += dy [N, E] scattered to the rows its ids picked. */
export function embeddingBackwardOn(
  dTable: Float,
  dy: Readonly<Float32Array>,
  ids: Readonly<Int32Array>,
  N: number,
  E: number,
): void {
  const engine = sharedEngine();
  if (!engine || !(dTable instanceof Float32Array)) return embeddingBackward(dTable, dy, ids, N, E);
  embeddingScatter(engine, dTable, dy, ids, N, E);
}
