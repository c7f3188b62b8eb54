/**
 * Data preparation for the examples: labelling, passages, email cleaning, the stratified group split,
 * binary scores and the unigram baseline — on small inputs whose answers are known.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as datasets from '../src/datasets.js';
import * as lm from '../src/lm/index.js';
import * as nl from '../src/index.js';

describe('State of the Union passages', () => {
  it('labels the 233 addresses Democratic 90 / Republican 92 / other 51 and keeps each passage with its address', () => {
    const d = datasets.loadSotuPassages({ passageWords: 60 });
    assert.equal(d.addresses.length, 233);
    const perAddress = [0, 0, 0];
    for (const a of d.addresses) perAddress[datasets.sotuClass(a.party)]++;
    assert.deepEqual(perAddress, [90, 92, 51]);
    assert.equal(d.texts.length, d.labels.length);
    for (let i = 0; i < d.texts.length; i += 997) {
      const a = d.addresses[d.address[i]];
      assert.equal(d.labels[i], datasets.sotuClass(a.party));
      assert.ok(a.text.includes(d.texts[i].slice(0, 80)), `passage ${i} comes from its address`);
    }
  });

  it('cuts text into whole sentences of at least passageWords words; a short tail joins the last passage', () => {
    const text = 'One two three. Four five! Six seven eight? Nine.';
    assert.deepEqual(datasets.splitSentences(text), [
      'One two three.',
      'Four five!',
      'Six seven eight?',
      'Nine.',
    ]);
    assert.deepEqual(datasets.passages(text, 4), ['One two three. Four five!', 'Six seven eight? Nine.']);
    assert.throws(() => datasets.loadSotuPassages({ passageWords: 0 }), nl.ConfigError);
  });
});

describe('SpamAssassin emails', () => {
  it('keeps the subject and the readable body; drops headers, MIME parts and HTML', () => {
    const raw =
      'From x@y  Thu Aug 22 2002\nReceived: from relay.example.org\nSubject: Cheap\n  pills\n' +
      'Content-Type: multipart/alternative; boundary="b1"\n\n--b1\nContent-Type: text/html\n\n' +
      '<html><style>p{}</style><p>Buy&nbsp;now =\nplease</p></html>\n--b1--\n';
    assert.equal(datasets.emailText(raw), 'Cheap pills. Buy now please');
    assert.equal(datasets.isSpamGroup('spam-2'), true);
    assert.equal(datasets.isSpamGroup('hard-ham-1'), false);
    assert.throws(() => datasets.isSpamGroup('spam-3'), /not a SpamAssassin group/);
  });
});

describe('stratifiedGroupSplit', () => {
  it('holds out whole groups, about the fraction of each class', () => {
    // 40 groups of 5 examples; groups 0–29 are class 0, 30–39 class 1.
    const groups = Array.from({ length: 200 }, (_, i) => Math.floor(i / 5));
    const labels = groups.map((g) => (g < 30 ? 0 : 1));
    const { train, validation } = nl.text.stratifiedGroupSplit(groups, labels, 0.2, 3);
    assert.equal(train.length + validation.length, 200);
    const heldGroups = new Set(validation.map((i) => groups[i]));
    for (const i of train) assert.ok(!heldGroups.has(groups[i]), 'a group on both sides');
    const heldPerClass = [0, 1].map((c) => validation.filter((i) => labels[i] === c).length);
    assert.deepEqual(heldPerClass, [30, 10]);
    assert.throws(() => nl.text.stratifiedGroupSplit([1, 1], [0, 1], 0.5, 1), /more than one label/);
  });
});

describe('binaryScores', () => {
  it('counts, precision, recall and F1 by hand', () => {
    const s = nl.binaryScores([0.9, 0.8, 0.2, 0.6, 0.1, 0.3], [1, 1, 1, 0, 0, 0]);
    assert.deepEqual([s.truePositives, s.falsePositives, s.trueNegatives, s.falseNegatives], [2, 1, 2, 1]);
    assert.equal(s.accuracy, 4 / 6);
    assert.equal(s.precision, 2 / 3);
    assert.equal(s.recall, 2 / 3);
    assert.ok(Math.abs(s.f1 - 2 / 3) < 1e-15);
    assert.equal(nl.binaryScores([0.1, 0.2], [1, 0]).f1, 0);
    assert.throws(() => nl.binaryScores([0.5], [2]), /label 0 is not 0 or 1/);
    assert.throws(() => nl.binaryScores([0.5], [1, 0]), nl.ShapeError);
  });
});

describe('unigramBpc', () => {
  it('is the entropy of the smoothed frequencies on text drawn from them', () => {
    // Counts 3 and 1 plus one each: p = 4/6, 2/6.
    const bpc = lm.unigramBpc([0, 0, 0, 1], [0, 0, 1], 2);
    assert.ok(Math.abs(bpc - -(2 * Math.log2(4 / 6) + Math.log2(2 / 6)) / 3) < 1e-12);
  });
});
