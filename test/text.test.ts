/**
 * Text handling for the language model: corpora, the character vocabulary, and TBPTT streams.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ValueError, ShapeError } from '../src/errors.js';
import {
  CharVocabulary,
  groupSplit,
  holdOut,
  loadCorpus,
  OOV_ID,
  padSequences,
  randomSplit,
  TextStreams,
  tokenizeWords,
  WordVocabulary,
} from '../src/data/text/index.js';

describe('corpus', () => {
  const dir = mkdtempSync(join(tmpdir(), 'novolstm-corpus-'));
  it('builtin:moby-dick is the whole book, read from the installed package', () => {
    const text = loadCorpus('builtin:moby-dick');
    assert.ok(text.length > 1_100_000, `length ${text.length}`);
    assert.ok(text.includes('Call me Ishmael. Some years ago'));
  });
  it('a UTF-8 file, with characters beyond the BMP', () => {
    const file = join(dir, 'ok.txt');
    writeFileSync(file, 'héllo 🐋\n');
    assert.equal(loadCorpus(file), 'héllo 🐋\n');
  });
  for (const [what, content, pattern] of [
    ['empty', Buffer.alloc(0), /is empty/],
    ['binary', Buffer.from([0x68, 0x00, 0x69]), /looks binary/],
    ['not UTF-8', Buffer.from([0x68, 0xff, 0xfe, 0x69]), /not valid UTF-8/],
  ] as const) {
    it(`refuses an ${what} file`, () => {
      const file = join(dir, `${what}.txt`);
      writeFileSync(file, content);
      assert.throws(
        () => loadCorpus(file),
        (e: unknown) => e instanceof ValueError && pattern.test(e.message),
      );
    });
  }
  it('refuses a missing file and an unknown built-in', () => {
    assert.throws(() => loadCorpus(join(dir, 'nope.txt')), /cannot read/);
    assert.throws(() => loadCorpus('builtin:war-and-peace'), /unknown built-in corpus/);
  });
});

describe('CharVocabulary', () => {
  it('sorted code points; encode and decode round-trip, astral characters included', () => {
    const text = 'the whale 🐋 — the sea';
    const v = CharVocabulary.fromText(text);
    assert.deepEqual(v.chars.slice(0, 3), [' ', 'a', 'e']);
    assert.equal(v.chars.at(-1), '🐋');
    assert.equal(v.decode(v.encode(text)), text);
    assert.equal(v.encode(text).length, [...text].length);
  });
  it('unknown characters: an error naming them, or skipped on request', () => {
    const v = CharVocabulary.fromText('abc');
    assert.throws(
      () => v.encode('abXcY'),
      (e: unknown) => e instanceof ValueError && /"X" "Y"/.test(e.message),
    );
    assert.equal(v.decode(v.encode('abXcY', 'skip')), 'abc');
  });
  it('JSON round trip; bad JSON refused; __proto__ is just a string', () => {
    const v = CharVocabulary.fromText('hello');
    assert.deepEqual(CharVocabulary.fromJSON(JSON.parse(JSON.stringify(v))).chars, v.chars);
    assert.throws(() => CharVocabulary.fromJSON({}), ValueError);
    assert.throws(() => CharVocabulary.fromJSON(['a', 'bc']), /one character/);
    assert.throws(() => CharVocabulary.fromJSON(['a', 'a']), /repeated/);
    assert.throws(() => CharVocabulary.fromJSON(['__proto__']), /one character/);
  });
});

describe('TextStreams (TBPTT)', () => {
  const N = 1003;
  const ids = Int32Array.from({ length: N }, (_, i) => i); // id = position, so positions can be checked
  const B = 7;
  const S = 11;
  const streams = new TextStreams(ids, B, S);
  const L = Math.floor((N - 1) / B);

  it('one epoch shows every character once as an input, and each target is the next character', () => {
    const seen = new Uint8Array(N);
    for (let w = 0; w < streams.windowsPerEpoch; w++) {
      const win = streams.window(w);
      for (let i = 0; i < win.B * win.S; i++) {
        seen[win.inputs[i]]++;
        assert.equal(win.targets[i], win.inputs[i] + 1);
      }
    }
    assert.equal(streams.windowsPerEpoch, Math.ceil(L / S));
    assert.equal(
      seen.subarray(0, B * L).every((c) => c === 1),
      true,
      'every character of the streams once',
    );
    assert.equal(
      seen.subarray(B * L).every((c) => c === 0),
      true,
      'the remainder is not used',
    );
  });
  it('consecutive windows continue the same streams (so the state can be carried)', () => {
    for (let w = 0; w + 1 < streams.windowsPerEpoch; w++) {
      const a = streams.window(w);
      const b = streams.window(w + 1);
      for (let s = 0; s < B; s++)
        assert.equal(b.inputs[s * b.S], a.targets[s * a.S + a.S - 1], `stream ${s}`);
    }
  });
  it('the last window is shorter when S does not divide the stream length', () => {
    const last = streams.window(streams.windowsPerEpoch - 1);
    assert.equal(last.S, L - (streams.windowsPerEpoch - 1) * S);
  });
  it('a text shorter than one window per stream is refused', () => {
    assert.throws(() => new TextStreams(ids.subarray(0, 50), B, S), ShapeError);
  });
  it('holdOut keeps the last 5%', () => {
    const { train, validation } = holdOut(ids);
    assert.equal(train.length + validation.length, N);
    assert.equal(validation[0], train.length);
    assert.equal(validation.length, N - Math.floor(N * 0.95));
  });
});

describe('words', () => {
  it('tokenizeWords: lower case, letters/digits/apostrophes, Unicode', () => {
    assert.deepEqual(tokenizeWords("The whale's jaw — 1851, Ahab’s Pequod!"), [
      'the',
      "whale's",
      'jaw',
      '1851',
      'ahab’s',
      'pequod',
    ]);
  });
  it('WordVocabulary: 0 padding, 1 unknown, then by frequency with alphabetical ties; maxSize', () => {
    const v = WordVocabulary.fromTexts(['b a a c', 'c a d'], { maxSize: 5 });
    assert.deepEqual(v.words, ['a', 'c', 'b']);
    assert.equal(v.size, 5);
    assert.deepEqual([...v.encode('a b c d zebra')], [2, 4, 3, OOV_ID, OOV_ID]);
    assert.deepEqual(WordVocabulary.fromJSON(v.toJSON()).words, v.words);
  });
  it('padSequences as Keras: pre-padding and pre-truncating by default; post on request', () => {
    const seqs = [[1, 2, 3], [4], [5, 6, 7, 8, 9]];
    assert.deepEqual([...padSequences(seqs, { maxLen: 4 })], [0, 1, 2, 3, 0, 0, 0, 4, 6, 7, 8, 9]);
    assert.deepEqual(
      [...padSequences(seqs, { maxLen: 4, padding: 'post', truncating: 'post' })],
      [1, 2, 3, 0, 4, 0, 0, 0, 5, 6, 7, 8],
    );
    assert.throws(() => padSequences(seqs, { maxLen: 0 }), /maxLen/);
  });
});

describe('splits', () => {
  it('randomSplit: disjoint, complete, seeded', () => {
    const s = randomSplit(101, 0.2, 3);
    assert.equal(s.validation.length, 20);
    assert.deepEqual(
      [...s.train, ...s.validation].sort((a, b) => a - b),
      [...Array(101).keys()],
    );
    assert.deepEqual(randomSplit(101, 0.2, 3), s);
    assert.notDeepEqual(randomSplit(101, 0.2, 4), s);
  });
  it('groupSplit keeps every group on one side', () => {
    const groups = Array.from({ length: 300 }, (_, i) => `address-${i % 23}`);
    const s = groupSplit(groups, 0.1, 5);
    const trainGroups = new Set(s.train.map((i) => groups[i]));
    for (const i of s.validation) assert.ok(!trainGroups.has(groups[i]), `group ${groups[i]} on both sides`);
    assert.ok(
      s.validation.length >= 30 && s.validation.length < 60,
      `validation size ${s.validation.length}`,
    );
  });
});
