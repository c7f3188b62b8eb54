/**
 * Gradients below float32's normal range: the engine's flushSubnormals kernel against its definition, and
 * the fused sequences' backward, which flushes the carried gradients and dz (engine/recurrent.ts,
 * `flushSubnormals`: x86 runs arithmetic on subnormal operands about 100× slower). In both builds, on odd
 * sizes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gruCell, lstmCell, novoLstmCell } from '../src/cells.js';
import { FastGru } from '../src/engine/gru.js';
import { availableBuilds, loadEngine, WASM_BUILDS } from '../src/engine/loader.js';
import { FastLstm } from '../src/engine/lstm.js';
import type { CellKernel, Params } from '../src/kernels/contract.js';
import { recurrentBackward, recurrentForward, zeroGradients } from '../src/kernels/reference/recurrence.js';
import { Random } from '../src/random.js';
import { randomArray } from './helpers.js';

/** The smallest normal float32, 2⁻¹²⁶. */
const SMALLEST_NORMAL = 2 ** -126;

/** The definition: a float32 whose magnitude is below 2⁻¹²⁶ (and not zero) becomes zero of its sign. */
function flushedReference(values: Float32Array): Float32Array {
  return values.map((v) =>
    v !== 0 && Math.abs(v) < SMALLEST_NORMAL ? (Object.is(v, -0) || v < 0 ? -0 : 0) : v,
  );
}

const f32 = (a: ArrayLike<number>) => Float32Array.from(a);

for (const build of WASM_BUILDS) {
  describe(`flushSubnormals (${build} build)`, async () => {
    const available = (await availableBuilds()).includes(build);
    const engine = available ? await loadEngine({ build }) : null;

    it(
      'zeroes subnormals with their sign and leaves every other value bit for bit',
      { skip: !available },
      () => {
        const special = [
          1e-40,
          -1e-40,
          2 ** -149,
          -(2 ** -149),
          SMALLEST_NORMAL,
          -SMALLEST_NORMAL,
          SMALLEST_NORMAL * (1 - 2 ** -23),
          0,
          -0,
          Infinity,
          -Infinity,
          NaN,
          1,
          -3.5,
          1e-30,
          3e38,
        ];
        const rng = new Random(5);
        // 4·23 floats: special values, then random magnitudes from 1e-45 to 1 (both sides of 2⁻¹²⁶).
        const n = 92;
        const values = new Float32Array(n);
        values.set(special);
        for (let i = special.length; i < n; i++) {
          values[i] = (rng.uniform() < 0.5 ? -1 : 1) * 10 ** (-45 * rng.uniform());
        }
        const at = engine!.arena.allocFloats(n + 4);
        // A guard float after the range: it must not be touched.
        engine!.arena.f32(at, n + 4).set([...values, 1e-40, 1e-40, 1e-40, 1e-40]);
        engine!.wasm.flushSubnormals(at, n);
        const out = engine!.arena.f32(at, n + 4).slice();
        const expected = flushedReference(values);
        const bits = (a: Float32Array) => [...new Uint32Array(a.buffer, a.byteOffset, a.length)];
        assert.deepEqual(bits(out.subarray(0, n)), bits(expected));
        assert.deepEqual([...out.subarray(n)], [...f32([1e-40, 1e-40, 1e-40, 1e-40])], 'past the range');
        assert.ok(
          expected.some((v, i) => v !== values[i]),
          'the data holds subnormals',
        );
      },
    );

    const T = 9;
    const B = 5;
    const D = 3;
    const H = 7;
    const cells: [string, CellKernel][] = [
      ['LSTM', lstmCell({ units: H, inputDim: D })],
      ["NovoLSTM inputGate 'reference'", novoLstmCell({ units: H, inputDim: D, inputGate: 'reference' })],
      ['GRU', gruCell({ units: H, inputDim: D })],
      ['GRU resetAfter false', gruCell({ units: H, inputDim: D, resetAfter: false })],
    ];
    for (const [name, cell] of cells) {
      it(
        `${name}: an upstream gradient of 1e-39 (subnormal) gives exactly zero gradients`,
        { skip: !available },
        () => {
          const rng = new Random(7);
          const r = (count: number) => f32(randomArray(rng, count, 0.5));
          const p: Params = {};
          for (const w of cell.weights) p[w.name] = r(w.shape.reduce((a, b) => a * b, 1));
          const x = r(T * B * D);
          const dhT = new Float32Array(B * H).map((_, i) => (i % 2 ? 1e-39 : -1e-39));
          const gru = cell.spec.kind === 'gru';
          const fast = gru ? new FastGru(engine!, cell, T, B) : new FastLstm(engine!, cell, T, B);
          fast.setWeights(p);
          fast.forward(x, {});
          const g = zeroGradients(cell, new Float32Array(0));
          const grad = fast.backward(g, { dhT });
          // What comes from dz and the carried gradients (NovoLSTM's layer-norm gains and shifts add up
          // inside the gate pass, from values multiplied no further: those are not flushed).
          const fromDz = {
            dx: grad.dx,
            dh0: grad.dh0,
            kernel: g.kernel,
            recurrentKernel: g.recurrentKernel,
            bias: g.bias,
          };
          for (const [what, a] of Object.entries(fromDz)) {
            assert.ok(
              a.every((v) => v === 0),
              `gradient ${what} is zero`,
            );
          }
          // The float64 reference keeps them: the flush is what made them zero.
          const f64 = (a: ArrayLike<number>) => Float64Array.from(a);
          const p64: Params = {};
          for (const k of Object.keys(p)) p64[k] = f64(p[k]);
          const ref = recurrentForward(cell, p64, f64(x), { T, B });
          const g64 = zeroGradients(cell, new Float64Array(0));
          const refGrad = recurrentBackward(g64, ref.saved, p64, { dhT: f64(dhT) });
          assert.ok(
            refGrad.dh0.some((v) => v !== 0),
            'the reference carries the subnormal gradient',
          );
        },
      );
    }
  });
}
