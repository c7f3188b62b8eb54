/**
 * Corpora of any size: read in chunks into typed token ids (data/text/encodeCorpus.ts). The ids, the
 * vocabulary and the SHA-256 must be exactly those of the whole decoded text, whatever falls on a chunk
 * boundary; bad files get the same errors as loadCorpus; and training on a 50 MB corpus stays within
 * 2 × its size + 200 MB of memory (the old encoder peaked at 37× the corpus).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CharVocabulary, loadCorpus } from '../src/data/text/index.js';
import { CHUNK_BYTES, corpusVocabulary, encodeCorpus } from '../src/data/text/encodeCorpus.js';
import { ValueError } from '../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'novolstm-encode-corpus-'));
// The 50 MB corpus and the runs are not left behind.
after(() => rmSync(dir, { recursive: true, force: true }));

/** What the whole decoded text gives, computed the plain way: spread into characters. */
function reference(text: string): { chars: string[]; ids: number[]; sha256: string } {
  const chars = [...new Set(text)].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
  const index = new Map(chars.map((c, i) => [c, i]));
  return {
    chars,
    ids: [...text].map((c) => index.get(c)!),
    sha256: createHash('sha256').update(text).digest('hex'),
  };
}

function checkAgainstReference(source: string, text: string): void {
  const expected = reference(text);
  const vocabulary = corpusVocabulary(source);
  assert.deepEqual(vocabulary.chars, expected.chars);
  const encoded = encodeCorpus(source, vocabulary);
  assert.equal(encoded.sha256, expected.sha256);
  assert.equal(encoded.ids.length, expected.ids.length);
  const firstDifference = expected.ids.findIndex((id, i) => encoded.ids[i] !== id);
  assert.equal(firstDifference, -1, `first different id at ${firstDifference}`);
  assert.deepEqual(encoded.unknown, []);
  assert.equal(encoded.skipped, 0);
}

function write(name: string, content: string | Uint8Array): string {
  const file = join(dir, name);
  writeFileSync(file, content);
  return file;
}

describe('encodeCorpus: the same vocabulary, ids and SHA-256 as the whole text', () => {
  it('a file with a byte-order mark and characters beyond the BMP', () => {
    const file = write('bom.txt', '\uFEFFhéllo 🐋 wörld\n🐋🐳 ok\n');
    const text = loadCorpus(file); // the decoder drops the mark
    assert.equal(text[0], 'h');
    checkAgainstReference(file, text);
  });

  // Every way a 2-, 3- or 4-byte character can be cut by the end of the first chunk.
  for (const char of ['é', '€', '🐋']) {
    const length = Buffer.byteLength(char);
    for (let before = 1; before < length; before++) {
      it(`'${char}' cut after ${before} of its ${length} bytes by a chunk boundary`, () => {
        const text = 'ab\n'.repeat(CHUNK_BYTES / 3).slice(0, CHUNK_BYTES - before) + char + 'x🐋y\n';
        assert.equal(Buffer.byteLength(text.slice(0, CHUNK_BYTES - before)), CHUNK_BYTES - before);
        checkAgainstReference(write(`cut-${length}-${before}.txt`, text), text);
      });
    }
  }

  it('a vocabulary of more than 256 characters gives two-byte ids', () => {
    const text = Array.from({ length: 301 }, (_, i) => String.fromCodePoint(0x3041 + ((i * 10) % 301))).join(
      '',
    );
    const file = write('wide.txt', text + text);
    checkAgainstReference(file, text + text);
    assert.ok(encodeCorpus(file, corpusVocabulary(file)).ids instanceof Uint16Array);
    assert.ok(
      encodeCorpus(write('narrow.txt', text.slice(0, 3)), corpusVocabulary(file)).ids instanceof Uint16Array,
    );
  });

  it('a vocabulary of up to 256 characters gives one-byte ids', () => {
    const file = write('ascii.txt', 'the whale, the sea.\n');
    assert.ok(encodeCorpus(file, corpusVocabulary(file)).ids instanceof Uint8Array);
  });

  it('builtin:moby-dick', () => {
    checkAgainstReference('builtin:moby-dick', loadCorpus('builtin:moby-dick'));
  });
});

describe('encodeCorpus: unknown characters and bad files', () => {
  const vocabulary = CharVocabulary.fromText('abc ');
  it("names the unknown characters, or skips and counts them with 'skip'", () => {
    const file = write('unknown.txt', 'abc xyx 🐋 a');
    assert.throws(
      () => encodeCorpus(file, vocabulary),
      (e: unknown) => e instanceof ValueError && e.message.includes('"x" "y" "🐋"'),
    );
    const skipped = encodeCorpus(file, vocabulary, 'skip');
    assert.deepEqual(skipped.unknown, ['x', 'y', '🐋']);
    assert.equal(skipped.skipped, 4);
    assert.deepEqual(Array.from(skipped.ids), Array.from(vocabulary.encode('abc   a')));
  });

  // The same one-line errors as loadCorpus, which reads the whole file.
  const cases: [string, Uint8Array][] = [
    ['empty', new Uint8Array(0)],
    ['binary', Uint8Array.of(0x68, 0x00, 0x69)],
    ['not UTF-8', Uint8Array.of(0x68, 0xff, 0xfe, 0x69)],
    ['cut at its last character', Uint8Array.of(0x68, 0xc3)],
    ['an encoded surrogate', Uint8Array.of(0x68, 0xed, 0xa0, 0x80)],
  ];
  for (const [what, bytes] of cases) {
    it(`refuses a file that is ${what}, as loadCorpus does`, () => {
      const file = write(`bad-${what}.txt`, bytes);
      assert.throws(() => loadCorpus(file), ValueError);
      const expected = (() => {
        try {
          loadCorpus(file);
        } catch (error) {
          return (error as Error).message;
        }
      })();
      assert.throws(() => corpusVocabulary(file), { name: 'ValueError', message: expected });
      assert.throws(() => encodeCorpus(file, vocabulary), { name: 'ValueError', message: expected });
    });
  }
  it('refuses a missing file, a directory and an unknown built-in', () => {
    const sub = join(dir, 'a-directory');
    mkdirSync(sub, { recursive: true });
    for (const source of [join(dir, 'nope.txt'), sub, 'builtin:war-and-peace']) {
      const message = (() => {
        try {
          loadCorpus(source);
        } catch (error) {
          return (error as Error).message;
        }
      })();
      assert.ok(message);
      assert.throws(() => encodeCorpus(source, vocabulary), { name: 'ValueError', message });
    }
  });
});

/** A deterministic corpus of about `megabytes` MB: words, punctuation and a few non-ASCII characters. */
function writeCorpus(file: string, megabytes: number): void {
  const words = ['the', 'whale', 'sea', 'ship', 'Ahab', 'white', 'and', 'of', 'naïve', '—', 'to', 'his'];
  let seed = 12345;
  const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const fd = openSync(file, 'w');
  for (let mb = 0; mb < megabytes; mb++) {
    const parts: string[] = [];
    for (let size = 0; size < 1_000_000;) {
      const word = words[Math.floor(next() * words.length)] + (next() < 0.1 ? '.\n' : ' ');
      parts.push(word);
      size += word.length;
    }
    writeSync(fd, parts.join(''));
  }
  closeSync(fd);
}

/** Runs the CLI; its peak resident memory (KB) is printed at exit by a hook loaded first. */
function runCli(args: string[]): Promise<{ code: number | null; peakKb: number; output: string }> {
  const reportPeak =
    'data:text/javascript,process.on("exit",()=>process.stderr.write(`peak-rss-kb ${process.resourceUsage().maxRSS}\\n`))';
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--experimental-wasm-relaxed-simd',
        '--import',
        reportPeak,
        '--import',
        'tsx',
        'src/cli/bin.ts',
        ...args,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const peak = /peak-rss-kb (\d+)/.exec(output);
      resolve({ code, peakKb: peak ? Number(peak[1]) : NaN, output });
    });
  });
}

describe('a 50 MB corpus: training and resuming within 2 × its size + 200 MB', () => {
  it('trains a few windows, checkpoints, resumes, and the peak RSS stays within the bound', async (t) => {
    const corpus = join(dir, 'big.txt');
    writeCorpus(corpus, 50);
    const bytes = statSync(corpus).size;
    const boundKb = (2 * bytes + 200e6) / 1024;
    const out = join(dir, 'big-run');
    const flags = ['--corpus', corpus, '--out', out, '--units', '8', '--layers', '1', '--embedding', '4'];
    const small = ['--seq-len', '100', '--batch', '64', '--workers', '1', '--time-limit', '1s'];
    for (const resume of [false, true]) {
      const run = await runCli(['train', ...flags, ...small, ...(resume ? ['--resume'] : [])]);
      assert.equal(run.code, 0, run.output);
      t.diagnostic(`${resume ? 'resume' : 'train'}: peak RSS ${(run.peakKb / 1024).toFixed(0)} MB`);
      if (resume) assert.match(run.output, /resuming/);
      assert.ok(
        run.peakKb <= boundKb,
        `${resume ? 'resume' : 'train'}: peak RSS ${(run.peakKb / 1024).toFixed(0)} MB, bound ${(boundKb / 1024).toFixed(0)} MB`,
      );
    }
    // The checkpoint names the corpus by the SHA-256 of its bytes, computed here independently.
    const training = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8')).metadata.training;
    assert.equal(training.corpusSha256, createHash('sha256').update(readFileSync(corpus)).digest('hex'));
    assert.ok(training.chars > 0);
  });
});
