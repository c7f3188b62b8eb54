/**
 * The WebAssembly engine: which build loads, and its matrix multiply against the reference `gemm`
 * (float64 on the same float32 inputs) in every transpose/accumulate variant, on sizes that do not divide
 * the 4×8 tile or the 512/64 blocks, and on the LSTM's real sizes — in both builds.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gemm } from '../src/engine/gemm.js';
import { availableBuilds, loadEngine, WASM_BUILDS, type Engine } from '../src/engine/loader.js';
import { gemm as referenceGemm, rowMajor, transposed } from '../src/kernels/reference/floats.js';
import { Random } from '../src/random.js';
import { randomArray } from './helpers.js';

/**
 * Error bound relative to Σ_k |a_mk·b_kn| (the scale a float32 dot product's rounding error grows with;
 * plain relative error is meaningless where the sum cancels). A wrong index gives errors of order 1.
 */
const GEMM_TOLERANCE = 1e-5;
/** `npm test` runs node with this flag, so there the relaxed build must load. */
const RELAXED_FLAG = '--experimental-wasm-relaxed-simd';

function float32Random(rng: Random, n: number): Float32Array {
  return randomArray(rng, n, 1, new Float32Array(0)) as Float32Array;
}

/** Worst |c − ref| / Σ_k |a·b| over the matrix, with where it is. */
function checkProduct(
  what: string,
  c: Float32Array,
  ref: Float64Array,
  scale: Float64Array,
  tolerance: number,
): void {
  let worst = { error: -1, index: -1 };
  for (let i = 0; i < c.length; i++) {
    const error = Math.abs(c[i] - ref[i]) / Math.max(scale[i], 1e-30);
    if (!(error <= worst.error)) worst = { error, index: i };
  }
  const i = worst.index;
  assert.ok(
    worst.error <= tolerance,
    `${what}: error ${worst.error.toExponential(2)} > ${tolerance} at [${i}]: ${c[i]} vs ${ref[i]}`,
  );
}

function runCase(
  engine: Engine,
  M: number,
  K: number,
  N: number,
  transA: boolean,
  transB: boolean,
  accumulate: boolean,
  seed: number,
): void {
  const rng = new Random(seed);
  const a = float32Random(rng, M * K); // [M, K], or [K, M] with transA
  const b = float32Random(rng, K * N); // [K, N], or [N, K] with transB
  const start = float32Random(rng, M * N); // [M, N] what out holds before
  const aView = transA ? transposed(rowMajor(Float64Array.from(a), M)) : rowMajor(Float64Array.from(a), K);
  const bView = transB ? transposed(rowMajor(Float64Array.from(b), K)) : rowMajor(Float64Array.from(b), N);
  const ref = Float64Array.from(start);
  referenceGemm(rowMajor(ref, N), aView, bView, M, K, N, accumulate);
  const scale = new Float64Array(M * N).fill(accumulate ? 1 : 0); // |start| ≤ 1
  const absA = { ...aView, data: aView.data.map(Math.abs) };
  const absB = { ...bView, data: bView.data.map(Math.abs) };
  referenceGemm(rowMajor(scale, N), absA, absB, M, K, N, true);

  const aCopy = a.slice();
  const bCopy = b.slice();
  const out = start.slice();
  gemm(engine, out, a, b, M, K, N, { transA, transB, accumulate });
  const what = `${engine.build} ${M}×${K}×${N} transA=${transA} transB=${transB} accumulate=${accumulate}`;
  checkProduct(what, out, ref, scale, GEMM_TOLERANCE);
  assert.deepEqual(a, aCopy, `${what}: a was modified`);
  assert.deepEqual(b, bCopy, `${what}: b was modified`);
}

describe('engine loader', () => {
  it('picks the fastest build this runtime validates, and refuses a forced build it does not', async () => {
    const builds = await availableBuilds();
    assert.ok(builds.includes('simd'), `Node 20 has SIMD128, got ${builds.join(', ')}`);
    if (process.execArgv.includes(RELAXED_FLAG)) assert.deepEqual(builds, ['relaxed', 'simd']);
    const auto = await loadEngine();
    assert.equal(auto?.build, builds[0]);
    for (const build of WASM_BUILDS) {
      if (builds.includes(build)) assert.equal((await loadEngine({ build }))?.build, build);
      else await assert.rejects(loadEngine({ build }), /does not accept/);
    }
    await assert.rejects(loadEngine({ build: 'sse' as never }), /build must be/);
  });

  it('falls back to plain SIMD where relaxed SIMD is off (Node 20 without the flag, Safari)', () => {
    const probe = `
      import { availableBuilds, loadEngine } from './src/engine/loader.ts';
      const builds = await availableBuilds();
      const auto = (await loadEngine())?.build;
      const forced = await loadEngine({ build: 'relaxed' }).then(() => 'loaded', (e) => e.message);
      console.log(JSON.stringify({ builds, auto, forced }));`;
    const root = fileURLToPath(new URL('..', import.meta.url));
    const child = spawnSync(
      process.execPath,
      ['--no-experimental-wasm-relaxed-simd', '--import', 'tsx', '--input-type=module', '-e', probe],
      { cwd: root, encoding: 'utf8' },
    );
    assert.equal(child.status, 0, child.stderr);
    const seen = JSON.parse(child.stdout.trim().split('\n').pop()!);
    assert.deepEqual(seen.builds, ['simd']);
    assert.equal(seen.auto, 'simd');
    assert.match(seen.forced, /does not accept the 'relaxed' WebAssembly build/);
  });

  it('enableRelaxedSimdInNode turns the relaxed build on at run time, and it computes the same', () => {
    // The same child Node without the flag: first refused, then after the call accepted, and its
    // product equals the plain build's (to the fused multiply-add's rounding).
    const probe = `
      import { availableBuilds, enableRelaxedSimdInNode, loadEngine } from './src/engine/loader.ts';
      import { gemm } from './src/engine/gemm.ts';
      const before = await availableBuilds();
      const enabled = await enableRelaxedSimdInNode();
      const after = await availableBuilds();
      const [M, K, N] = [7, 600, 9];
      const a = Float32Array.from({ length: M * K }, (_, i) => Math.sin(i));
      const b = Float32Array.from({ length: K * N }, (_, i) => Math.cos(i));
      const products = [];
      for (const build of ['relaxed', 'simd']) {
        products.push(gemm(await loadEngine({ build }), new Float32Array(M * N), a, b, M, K, N));
      }
      let worst = 0;
      for (let i = 0; i < M * N; i++) worst = Math.max(worst, Math.abs(products[0][i] - products[1][i]));
      console.log(JSON.stringify({ before, enabled, after, worst }));`;
    const root = fileURLToPath(new URL('..', import.meta.url));
    const child = spawnSync(
      process.execPath,
      ['--no-experimental-wasm-relaxed-simd', '--import', 'tsx', '--input-type=module', '-e', probe],
      { cwd: root, encoding: 'utf8' },
    );
    assert.equal(child.status, 0, child.stderr);
    const seen = JSON.parse(child.stdout.trim().split('\n').pop()!);
    assert.deepEqual(seen.before, ['simd']);
    assert.equal(seen.enabled, true);
    assert.deepEqual(seen.after, ['relaxed', 'simd']);
    // Sums of 600 products of magnitude ≤ 1: float32 rounding differences stay far below 1e-3.
    assert.ok(seen.worst < 1e-3, `relaxed and plain products differ by ${seen.worst}`);
  });
});

for (const build of WASM_BUILDS) {
  describe(`engine gemm (${build} build)`, async () => {
    const available = (await availableBuilds()).includes(build);
    const engine = available ? await loadEngine({ build }) : null;

    it(
      'matches the reference on sizes that do not divide the tile, every variant',
      { skip: !available },
      () => {
        const sizes = [
          [5, 13, 19],
          [7, 3, 33],
          [1, 1, 1],
          [4, 8, 8], // exactly one tile
          [9, 600, 17], // K over two blocks
          [70, 40, 9], // M over two row blocks
          [1, 600, 37], // one row (its own path): K over two blocks, four panels at once, an edge panel
          [1, 7, 64], // one row, exactly twice four panels
          [1, 13, 24], // one row, three full panels one at a time
        ];
        let seed = 1;
        for (const [M, K, N] of sizes) {
          for (const transA of [false, true]) {
            for (const transB of [false, true]) {
              for (const accumulate of [false, true])
                runCase(engine!, M, K, N, transA, transB, accumulate, seed++);
            }
          }
        }
      },
    );

    it('matches the reference on the LSTM sizes (B=128, H=128, E=50)', { skip: !available }, () => {
      runCase(engine!, 128, 128, 512, false, false, true, 100); // per step: z += h·U
      runCase(engine!, 128, 512, 128, false, true, false, 101); // per step: dh = dz·Uᵀ
      runCase(engine!, 50, 1100, 512, true, false, false, 102); // dW = xᵀ·dz (T·B rows cut to 1100)
      runCase(engine!, 1100, 512, 50, false, true, false, 103); // dx = dz·Wᵀ
    });

    it(
      'writes into an output that is also an input (operands are copied first)',
      { skip: !available },
      () => {
        const n = 9;
        const rng = new Random(5);
        const a = float32Random(rng, n * n);
        const b = float32Random(rng, n * n);
        // out = a·b computed into a, then out += a·b computed into b.
        const product = gemm(engine!, new Float32Array(n * n), a, b, n, n, n);
        const sum = gemm(engine!, b.slice(), a, b, n, n, n, { accumulate: true });
        const a2 = a.slice();
        assert.deepEqual(gemm(engine!, a2, a2, b, n, n, n), product);
        const b2 = b.slice();
        assert.deepEqual(gemm(engine!, b2, a, b2, n, n, n, { accumulate: true }), sum);
      },
    );

    it('one row at a time gives bit for bit the rows of a taller product', { skip: !available }, () => {
      // Generation steps one row where training multiplies many: the text must not depend on which.
      const [M, K, N] = [5, 700, 43];
      const rng = new Random(11);
      for (const transA of [false, true]) {
        for (const accumulate of [false, true]) {
          const a = float32Random(rng, M * K);
          const b = float32Random(rng, K * N);
          const start = float32Random(rng, M * N);
          const whole = gemm(engine!, start.slice(), a, b, M, K, N, { transA, accumulate });
          for (let m = 0; m < M; m++) {
            const row = transA
              ? Float32Array.from({ length: K }, (_, k) => a[k * M + m])
              : a.slice(m * K, (m + 1) * K);
            const one = gemm(engine!, start.slice(m * N, (m + 1) * N), row, b, 1, K, N, { accumulate });
            assert.deepEqual(
              one,
              whole.subarray(m * N, (m + 1) * N),
              `row ${m} transA=${transA} accumulate=${accumulate}`,
            );
          }
        }
      }
    });

    it('with B packed once (K over two blocks)', { skip: !available }, () => {
      const { wasm, arena } = engine!;
      const [M, K, N] = [6, 1100, 21];
      const rng = new Random(7);
      const a = float32Random(rng, M * K); // [M, K]
      const b = float32Random(rng, K * N); // [K, N]
      const mark = arena.mark();
      const pa = arena.copyIn(a);
      const pb = arena.copyIn(b);
      const packed = arena.allocFloats(wasm.packedBFloats(K, N));
      const pc = arena.allocFloats(M * N);
      const scratch = arena.allocFloats(wasm.gemmScratchFloats(N));
      wasm.packB(packed, pb, N, 1, 0, K, N);
      wasm.gemmPacked(pc, N, pa, K, 1, packed, M, K, N, false, scratch);
      const out = arena.f32(pc, M * N).slice();
      arena.release(mark);
      const ref = new Float64Array(M * N);
      referenceGemm(
        rowMajor(ref, N),
        rowMajor(Float64Array.from(a), K),
        rowMajor(Float64Array.from(b), N),
        M,
        K,
        N,
        false,
      );
      const scale = new Float64Array(M * N);
      referenceGemm(
        rowMajor(scale, N),
        rowMajor(Float64Array.from(a, Math.abs), K),
        rowMajor(Float64Array.from(b, Math.abs), N),
        M,
        K,
        N,
        false,
      );
      checkProduct(`${build} packed ${M}×${K}×${N}`, out, ref, scale, GEMM_TOLERANCE);
    });

    it(
      'rowTimesPacked = the one-row gemmPacked bit for bit, panels read either way',
      { skip: !available },
      () => {
        // Generation reads every other character's weights from the last panel (src/lm/stepLayers.ts): the
        // sums must not change. N = 43 leaves one whole group of four panels and two tail panels, 77 two and
        // two; K = 1100 runs over three K blocks.
        const { wasm, arena } = engine!;
        const rng = new Random(13);
        for (const [K, N] of [
          [7, 43],
          [1100, 77],
          [64, 32],
        ]) {
          const mark = arena.mark();
          const pa = arena.copyIn(float32Random(rng, K));
          const packed = arena.allocFloats(wasm.packedBFloats(K, N));
          wasm.packB(packed, arena.copyIn(float32Random(rng, K * N)), N, 1, 0, K, N);
          const scratch = arena.allocFloats(wasm.gemmScratchFloats(N));
          const start = float32Random(rng, N);
          const pc = arena.allocFloats(N);
          for (const accumulate of [false, true]) {
            arena.f32(pc, N).set(start);
            wasm.gemmPacked(pc, N, pa, K, 1, packed, 1, K, N, accumulate, scratch);
            const expected = arena.f32(pc, N).slice();
            for (const descending of [false, true]) {
              arena.f32(pc, N).set(start);
              wasm.rowTimesPacked(pc, pa, 1, packed, K, N, accumulate, descending, scratch);
              const what = `K=${K} N=${N} accumulate=${accumulate} descending=${descending}`;
              assert.deepEqual(arena.f32(pc, N).slice(), expected, what);
            }
          }
          arena.release(mark);
        }
      },
    );

    it('gemmColumnSums = gemm and columnSums bit for bit, B left untouched', { skip: !available }, () => {
      // The weight and bias gradients of backward ([x | H]ᵀ·dz and Σ dz) from one pass over dz. N = 19 and
      // 44 end in a partial panel (its sums come from the element-by-element path), K = 1100 runs over
      // three K blocks, M = 70 over two row blocks; A read both ways.
      const { wasm, arena } = engine!;
      const rng = new Random(17);
      for (const [M, K, N] of [
        [5, 13, 19],
        [70, 1100, 44],
        [3, 600, 64],
      ]) {
        for (const transA of [false, true]) {
          for (const accumulate of [false, true]) {
            const mark = arena.mark();
            const a = float32Random(rng, M * K); // [M, K], or [K, M] with transA
            const b = float32Random(rng, K * N); // [K, N]
            // Some exact zeros of either sign: the sums must keep what columnSums makes of them.
            for (let i = 0; i < b.length; i += 37) b[i] = i % 2 ? -0 : 0;
            const start = float32Random(rng, M * N);
            const [aRow, aCol] = transA ? [1, M] : [K, 1];
            const pa = arena.copyIn(a);
            const pb = arena.copyIn(b);
            const pc = arena.copyIn(start);
            const sums = arena.copyIn(float32Random(rng, N)); // overwritten, not added to
            const scratch = arena.allocFloats(wasm.gemmScratchFloats(N));
            wasm.gemmColumnSums(pc, N, pa, aRow, aCol, pb, N, M, K, N, accumulate, scratch, sums);
            const [c, s] = [arena.f32(pc, M * N).slice(), arena.f32(sums, N).slice()];
            const what = `${build} ${M}×${K}×${N} transA=${transA} accumulate=${accumulate}`;
            assert.deepEqual(arena.f32(pb, K * N).slice(), b, `${what}: b was modified`);
            arena.f32(pc, M * N).set(start);
            wasm.gemm(pc, N, pa, aRow, aCol, pb, N, 1, M, K, N, accumulate, scratch);
            wasm.columnSums(sums, pb, K, N);
            const [cExpected, sExpected] = [arena.f32(pc, M * N).slice(), arena.f32(sums, N).slice()];
            arena.release(mark);
            assert.deepStrictEqual(c, cExpected, `${what}: the product`);
            assert.deepStrictEqual(s, sExpected, `${what}: the column sums`);
          }
        }
      }
    });

    it('gemmColumnSumsStacked = gemmColumnSums over the stacked A, bit for bit', { skip: !available }, () => {
      // The LSTM's [dW; dU] = [x | H]ᵀ·dz with x and H where they are: the same product and sums as one
      // A that holds them side by side (the layout it replaced). M1 = 1 takes the one-row path, M2 = 70
      // two row blocks; K = 1100 runs over three K blocks; N = 19 and 44 end in a partial panel.
      const { wasm, arena } = engine!;
      const rng = new Random(19);
      for (const [M1, M2, K, N] of [
        [1, 6, 13, 19],
        [3, 70, 1100, 44],
        [50, 132, 600, 64],
      ]) {
        for (const accumulate of [false, true]) {
          const mark = arena.mark();
          const M = M1 + M2;
          // A read transposed as backward reads x and H: [K, M1] and [K, M2], and stacked [K, M].
          const a1 = float32Random(rng, K * M1);
          const a2 = float32Random(rng, K * M2);
          const stacked = new Float32Array(K * M);
          for (let k = 0; k < K; k++) {
            stacked.set(a1.subarray(k * M1, (k + 1) * M1), k * M);
            stacked.set(a2.subarray(k * M2, (k + 1) * M2), k * M + M1);
          }
          const b = float32Random(rng, K * N);
          for (let i = 0; i < b.length; i += 37) b[i] = i % 2 ? -0 : 0;
          const start = float32Random(rng, M * N);
          const [p1, p2, ps, pb] = [a1, a2, stacked, b].map((v) => arena.copyIn(v));
          const pc = arena.copyIn(start);
          const sums = arena.copyIn(float32Random(rng, N));
          const scratch = arena.allocFloats(wasm.gemmScratchFloats(N));
          wasm.gemmColumnSumsStacked(
            pc,
            N,
            p1,
            1,
            M1,
            M1,
            p2,
            1,
            M2,
            M2,
            pb,
            N,
            K,
            N,
            accumulate,
            scratch,
            sums,
          );
          const [c, s] = [arena.f32(pc, M * N).slice(), arena.f32(sums, N).slice()];
          arena.f32(pc, M * N).set(start);
          wasm.gemmColumnSums(pc, N, ps, 1, M, pb, N, M, K, N, accumulate, scratch, sums);
          const [cExpected, sExpected] = [arena.f32(pc, M * N).slice(), arena.f32(sums, N).slice()];
          const what = `${build} ${M1}+${M2}×${K}×${N} accumulate=${accumulate}`;
          assert.deepEqual(arena.f32(pb, K * N).slice(), b, `${what}: b was modified`);
          arena.release(mark);
          assert.deepStrictEqual(c, cExpected, `${what}: the product`);
          assert.deepStrictEqual(s, sExpected, `${what}: the column sums`);
        }
      }
    });
  });
}
