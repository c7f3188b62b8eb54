/**
 * fit's output: a live bar on a terminal, plain lines elsewhere, nothing at verbose 0.
 */
/* eslint-disable no-control-regex -- the output under test is terminal control sequences */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as nl from '../src/index.js';
import { Progress } from '../src/training/progress.js';

function sink(isTTY: boolean): { isTTY: boolean; text: string; write(t: string): void } {
  return {
    isTTY,
    text: '',
    write(t: string) {
      this.text += t;
    },
  };
}

describe('progress', () => {
  it('on a terminal: a redrawn bar with throughput and ETA, then the epoch line', () => {
    const out = sink(true);
    let clock = 0;
    const p = new Progress(out, 2, 4, 1, () => clock);
    p.startEpoch(0);
    for (let b = 0; b < 4; b++) {
      clock += 500; // 0.5 s a batch of 10 samples: 20 samples/s
      p.batchDone(b, 10, { loss: 1 - b / 10 });
    }
    clock += 250; // validation
    p.epochDone({ loss: 0.7, val_loss: 0.8 });
    assert.match(
      out.text,
      /^\rEpoch 1\/2 \[====>\s{15}\] 1\/4 - 0\.5s - 20 samples\/s - ETA 1\.5s - loss: 1\.0000\x1b\[K/,
    );
    assert.match(
      out.text,
      /\rEpoch 1\/2 \[={20}\] 4\/4 - 2\.0s - 20 samples\/s - ETA 0\.0s - loss: 0\.7000\x1b\[K/,
    );
    assert.ok(
      out.text.endsWith('\rEpoch 1/2 - 4/4 - 2.3s - 20 samples/s - loss: 0.7000 - val_loss: 0.8000\x1b[K\n'),
    );
  });

  it('a validation pass is announced: after the live line on a terminal, which the epoch line replaces', () => {
    const live = sink(true);
    const p = new Progress(live, 2, 1, 1, () => 0, 'chars');
    p.startEpoch(0);
    p.batchDone(0, 10, { bpc: 2 });
    p.validating(1234);
    assert.match(live.text, /\] 1\/1 - .* - bpc: 2\.0000\x1b\[K - validating…$/);
    p.epochDone({ bpc: 2, val_bpc: 3 });
    assert.match(live.text, / - validating…\rEpoch 1\/2 - 1\/1 - .* - val_bpc: 3\.0000\x1b\[K\n$/);

    const plain = sink(false);
    const q = new Progress(plain, 2, 1, 1, () => 0, 'chars');
    q.startEpoch(1);
    q.batchDone(0, 10, { bpc: 2 });
    q.validating(1234);
    assert.equal(plain.text, 'Epoch 2/2 - validating on 1234 characters…\n');
  });

  it('elsewhere: one plain line per epoch, no control characters', async () => {
    const out = sink(false);
    const model = nl.sequential([nl.layers.dense({ units: 1, inputShape: [2] })]);
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const x = nl.tensor([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    const y = nl.tensor([[1], [2], [3]]);
    await model.fit(x, y, { epochs: 3, batchSize: 2, progressSink: out });
    const lines = out.text.split('\n');
    assert.equal(lines.length, 4);
    assert.equal(lines[3], '');
    lines
      .slice(0, 3)
      .forEach((line, i) =>
        assert.match(
          line,
          new RegExp(`^Epoch ${i + 1}/3 - 2/2 - \\d+\\.\\ds - \\S+ samples/s - loss: \\d+\\.\\d{4}$`),
        ),
      );
    assert.doesNotMatch(out.text, /[\r\x1b]/);

    const quiet = sink(true);
    await model.fit(x, y, { epochs: 2, verbose: 0, progressSink: quiet });
    assert.equal(quiet.text, '');
    const plain = sink(true);
    await model.fit(x, y, { epochs: 2, verbose: 2, progressSink: plain });
    assert.doesNotMatch(plain.text, /[\r\x1b]/);
  });
});

describe('fit and the event loop', () => {
  it('yields during a long fit, so timers fire while it trains', async () => {
    const model = nl.sequential([
      nl.layers.gru({ units: 8, inputShape: [null, 4] }),
      nl.layers.dense({ units: 1 }),
    ]);
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const x = nl.tensor(new Float32Array(64 * 12 * 4).fill(0.5), [64, 12, 4]);
    const y = nl.tensor(new Float32Array(64), [64, 1]);
    let ticks = 0;
    let batches = 0;
    const timer = setInterval(() => ticks++, 1);
    const started = Date.now();
    await model.fit(x, y, {
      batchSize: 4,
      epochs: 50,
      verbose: 0,
      callbacks: [{ onBatchEnd: () => void batches++ }],
    });
    clearInterval(timer);
    const elapsed = Date.now() - started;
    // Only meaningful if the fit ran long enough to cross the yield interval several times.
    assert.ok(
      elapsed < 200 || ticks >= 2,
      `${ticks} timer ticks during ${elapsed} ms of fit (${batches} batches)`,
    );
  });
});
