/** SimHash, content hash and Hamming distance (src/pipeline/dedup/simhash.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  fingerprintText,
  hammingDistance,
  normaliseWords,
  simhashBands,
  simhashOfHashes,
  simhashOfWords,
} from '../../../src/pipeline/dedup/simhash.js';

const words = (n: number, seed = 'w'): string =>
  Array.from({ length: n }, (_, i) => `${seed}${(i * 7919) % 1013}`).join(' ');

test('normalisation: case, punctuation, spacing and compatibility forms do not matter', () => {
  assert.deepEqual(normaliseWords('Ｈｅｌｌｏ,  WORLD! Ça   va? 3.5x'), [
    'hello',
    'world',
    'ça',
    'va',
    '3',
    '5x',
  ]);
  const a = fingerprintText('The quick brown fox. Jumps over the lazy dog!');
  const b = fingerprintText('the   QUICK brown fox jumps -- over the lazy dog');
  assert.equal(a.contentHash, b.contentHash);
  assert.equal(a.words, 9);
  assert.match(a.simhash, /^[0-9a-f]{16}$/);
  assert.deepEqual(fingerprintText(' ... ').words, 0);
  assert.equal(fingerprintText('').simhash, '0000000000000000');
});

test('the packed vote counting equals counting bit by bit (past the 255-vote repack)', () => {
  for (const n of [1, 2, 7, 254, 255, 256, 1000, 3001]) {
    const lo = new Uint32Array(randomBytes(4 * n).buffer.slice(0));
    const hi = new Uint32Array(randomBytes(4 * n).buffer.slice(0));
    // Skew some bits so both outcomes occur for them regardless of chance.
    for (let i = 0; i < n; i++) {
      lo[i] = (lo[i]! | 1) >>> 0;
      hi[i] = (hi[i]! & ~(1 << 31)) >>> 0;
    }
    let expected = 0n;
    for (let bit = 0; bit < 64; bit++) {
      let ones = 0;
      for (let i = 0; i < n; i++)
        ones += bit < 32 ? (lo[i]! >>> bit) & 1 : (hi[i]! >>> (bit - 32)) & 1;
      if (2 * ones > n) expected |= 1n << BigInt(bit);
    }
    assert.equal(simhashOfHashes(lo, hi), expected.toString(16).padStart(16, '0'), `n=${n}`);
  }
});

test('similar texts are a few bits apart, unrelated ones about half of 64', () => {
  const base = words(2000);
  const edited = base.replace('w7919', 'changed').replace('w1013', 'edited');
  const d = hammingDistance(fingerprintText(base).simhash, fingerprintText(edited).simhash);
  assert.ok(d <= 3, `one edit in 2000 words: ${d} bits`);
  const distances: number[] = [];
  for (let i = 0; i < 40; i++) {
    const a = fingerprintText(words(300, `a${i}x`)).simhash;
    const b = fingerprintText(words(300, `b${i}y`)).simhash;
    distances.push(hammingDistance(a, b));
  }
  const mean = distances.reduce((x, y) => x + y, 0) / distances.length;
  assert.ok(mean > 26 && mean < 38, `mean distance of unrelated texts: ${mean}`);
  assert.ok(Math.min(...distances) > 10, `closest unrelated pair: ${Math.min(...distances)}`);
});

test('word order matters inside a line, line order does not', () => {
  const s = (t: string): string => fingerprintText(t).simhash;
  assert.notEqual(simhashOfWords(['a', 'b', 'c', 'd']), simhashOfWords(['d', 'c', 'b', 'a']));
  const lines = ['first menu entry', 'second menu entry here', words(200)];
  assert.equal(s(lines.join('\n')), s([lines[2], lines[1], lines[0]].join('\n')));
});

test('hamming distance and bands', () => {
  assert.equal(hammingDistance('0000000000000000', 'ffffffffffffffff'), 64);
  assert.equal(hammingDistance('8000000000000001', '0000000000000000'), 2);
  assert.equal(hammingDistance('0123456789abcdef', '0123456789abcdef'), 0);
  assert.deepEqual(simhashBands('0123456789abcdef'), ['0123', '4567', '89ab', 'cdef']);
});
