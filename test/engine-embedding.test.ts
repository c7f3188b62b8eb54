/**
 * The embedding lookup and its gradient on each WebAssembly build against the reference kernels, on sizes
 * that do not divide the vector width (E = 13), with repeated ids, accumulating into a gradient that
 * already holds values; inputs left untouched.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { embeddingGather, embeddingScatter } from '../src/engine/embedding.js';
import { availableBuilds, loadEngine } from '../src/engine/loader.js';
import { embeddingBackward, embeddingForward } from '../src/kernels/reference/embedding.js';
import { Random } from '../src/random.js';
import { assertClose, randomArray } from './helpers.js';

const MAX_RELATIVE_ERROR = 1e-5;
const [B, T, E, V] = [5, 7, 13, 11];
const N = B * T;

describe('embedding gather and scatter on the engine = the reference kernels', async () => {
  for (const build of await availableBuilds()) {
    it(`${build}: B=${B} T=${T} E=${E} V=${V}, repeated ids`, async () => {
      const engine = (await loadEngine({ build }))!;
      const rng = new Random(61);
      const r = (n: number) => Float32Array.from(randomArray(rng, n, 1));
      const ids = Int32Array.from({ length: N }, (_, n) => (n * 4) % V); // every id, most repeated
      ids[N - 1] = V - 1;
      const table = r(V * E);
      const [idsCopy, tableCopy] = [ids.slice(), table.slice()];

      const y = embeddingGather(engine, new Float32Array(N * E).fill(7), ids, table, N, E);
      assert.deepEqual(y, embeddingForward(new Float32Array(N * E), ids, table, N, E), 'y');

      const dy = r(N * E);
      const dyCopy = dy.slice();
      const start = r(V * E); // the gradient accumulates into what is there
      const dTable = start.slice();
      embeddingScatter(engine, dTable, dy, ids, N, E);
      const expected = Float64Array.from(start);
      embeddingBackward(expected, Float64Array.from(dy), ids, N, E);
      assertClose('dTable', dTable, expected, MAX_RELATIVE_ERROR, 1e-6);
      assert.deepEqual([ids, table, dy], [idsCopy, tableCopy, dyCopy], 'inputs untouched');
    });
  }
});
