/**
 * Content fingerprints for deduplication: an exact hash and a 64-bit SimHash of a text.
 *
 * Both are computed over the same normalised form: NFKC, lower case, words = maximal runs
 * of Unicode letters, marks and digits (so punctuation, markup left-overs and whitespace
 * differences never matter). SimHash (Charikar 2002, as used for web pages by Manku et
 * al., "Detecting near-duplicates for web crawling", WWW 2007) votes, bit by bit, over
 * the 64-bit hashes of every k-word shingle: pages sharing most shingles get
 * fingerprints a few bits apart, unrelated pages ~32 bits apart.
 *
 * Speed (bench/dedup-simhash.ts): words are hashed once, a shingle's 64 bits are mixed
 * from its words' hashes in two 32-bit lanes (no BigInt, no per-shingle strings), and
 * the 64 vote counters are bumped four at a time (one byte per counter packed in a
 * 32-bit word, from a 256-entry table), which is ~4x fewer additions than bit by bit.
 */
import { hash } from 'node:crypto';

/** Words per shingle. 3 is the usual choice for web text: 1-2 word shingles make
 * unrelated pages on one topic look alike, longer ones make a one-word edit move many
 * shingles (each word sits in k of them). */
export const SHINGLE_WORDS = 3;

/**
 * Default near-duplicate threshold: at most 3 differing bits of 64. Manku et al. found
 * k = 3 the best precision/recall trade-off for 64-bit SimHash on 8B web pages, and 3 is
 * also the most the 4-band index (dedup-index.ts) finds exactly: split into 4 bands of
 * 16 bits, two fingerprints within 3 bits agree on at least one whole band.
 */
export const DEFAULT_NEAR_THRESHOLD_BITS = 3;

/** Largest threshold the 4 x 16-bit band index can answer without misses. */
export const MAX_NEAR_THRESHOLD_BITS = 3;

/** Number of bands the 64 bits are split into for the near-duplicate index. */
export const SIMHASH_BANDS = 4;

/** The fingerprints of one text. */
export interface ContentFingerprint {
  /** SHA-256 (hex) of the normalised text: equal for texts that differ only in case,
   * punctuation, whitespace or Unicode compatibility forms. */
  contentHash: string;
  /** 64-bit SimHash as 16 lower-case hex digits (high lane first). */
  simhash: string;
  /** Words in the normalised text (0: nothing to compare). */
  words: number;
}

const WORD = /[\p{L}\p{M}\p{N}]+/gu;
const WORD_OR_BREAK = /[\p{L}\p{M}\p{N}]+|[\r\n]+/gu;
const NON_ASCII = /[^\u0000-\u007f]/u; // eslint-disable-line no-control-regex -- the ASCII range, on purpose

/** NFKC (skipped for ASCII text, which it leaves unchanged anyway) and lower case. */
function foldText(text: string): string {
  return (NON_ASCII.test(text) ? text.normalize('NFKC') : text).toLowerCase();
}

/** The normalised words of `text` (see the module comment). */
export function normaliseWords(text: string): string[] {
  return foldText(text).match(WORD) ?? [];
}

/** The normalised words of each line of `text` (empty lines give no block). */
export function normaliseBlocks(text: string): string[][] {
  const blocks: string[][] = [];
  let block: string[] = [];
  // One pass over the folded text: a per-line split would fold and scan line by line.
  for (const token of foldText(text).match(WORD_OR_BREAK) ?? []) {
    const c = token.charCodeAt(0);
    if (c === 10 || c === 13) {
      if (block.length > 0) blocks.push(block);
      block = [];
    } else block.push(token);
  }
  if (block.length > 0) blocks.push(block);
  return blocks;
}

/**
 * Content hash and SimHash of `text`. Shingles do not cross line breaks: a line is a
 * block of the page (a paragraph, a list item, a menu entry), and shingles spanning two
 * blocks would make reordering blocks (a sidebar, a "related pages" list) look like an
 * edit of the text. The content hash ignores line structure (words only).
 */
export function fingerprintText(text: string, shingleWords = SHINGLE_WORDS): ContentFingerprint {
  const blocks = normaliseBlocks(text);
  const words = blocks.flat();
  return {
    contentHash: hash('sha256', words.join(' '), 'hex'),
    simhash: simhashOfBlocks(blocks, shingleWords),
    words: words.length,
  };
}

/** The 64-bit SimHash (16 hex) of one word sequence, over shingles of `k` words. */
export function simhashOfWords(words: readonly string[], k = SHINGLE_WORDS): string {
  return simhashOfBlocks([words], k);
}

/**
 * The 64-bit SimHash (16 hex) over the `k`-word shingles of each block (a block shorter
 * than k is one shingle of all its words). All zeros when there are no words.
 */
export function simhashOfBlocks(blocks: readonly (readonly string[])[], k = SHINGLE_WORDS): string {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`shingle size must be >= 1, got ${k}`);
  let total = 0;
  let shingles = 0;
  for (const block of blocks) {
    total += block.length;
    if (block.length > 0) shingles += Math.max(1, block.length - k + 1);
  }
  const h1 = new Int32Array(total);
  const h2 = new Int32Array(total);
  const lo = new Uint32Array(shingles);
  const hi = new Uint32Array(shingles);
  let at = 0;
  let s = 0;
  for (const block of blocks) {
    const start = at;
    for (const word of block) hashWord(word, h1, h2, at++);
    const width = Math.min(k, block.length);
    for (let i = start; i + width <= at && width > 0; i++) {
      let a = 0x9e3779b9 | 0;
      let b = 0x7f4a7c15 | 0;
      // Order-dependent combination: "a b c" and "c b a" are different shingles.
      for (let j = i; j < i + width; j++) {
        a = Math.imul(a ^ h1[j]!, 0x01000193);
        a ^= a >>> 15;
        b = Math.imul(((b << 5) | (b >>> 27)) ^ h2[j]!, 0xcc9e2d51);
      }
      lo[s] = fmix32(a);
      hi[s++] = fmix32(b ^ width);
    }
  }
  return simhashOfHashes(lo, hi);
}

/**
 * SimHash of feature hashes given as two 32-bit lanes (hi[i]:lo[i] is feature i's 64-bit
 * hash): bit b is set where more than half of the features have it set. Exposed for
 * tests, which check the packed counting against a bit-by-bit count.
 */
export function simhashOfHashes(lo: Uint32Array, hi: Uint32Array): string {
  const votes = new Votes();
  for (let i = 0; i < lo.length; i++) votes.add(lo[i]!, hi[i]!);
  return votes.fingerprint(lo.length);
}

/** Two independent 32-bit hashes of one word (FNV-1a and a murmur-style multiply). */
function hashWord(word: string, h1: Int32Array, h2: Int32Array, i: number): void {
  let a = 0x811c9dc5 | 0;
  let b = 0x1b873593;
  for (let c = 0; c < word.length; c++) {
    const code = word.charCodeAt(c);
    a = Math.imul(a ^ code, 0x01000193);
    b = Math.imul(b ^ code, 0x5bd1e995);
    b ^= b >>> 13;
  }
  h1[i] = a;
  h2[i] = b;
}

/** MurmurHash3's 32-bit finaliser: every input bit flips each output bit with p ~ 1/2. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * SPREAD[v] holds the 8 bits of byte v one per byte lane: bits 0-3 in the low word's
 * lanes (SPREAD[2v]), bits 4-7 in the high word's (SPREAD[2v + 1]).
 */
const SPREAD = (() => {
  const table = new Uint32Array(512);
  for (let v = 0; v < 256; v++) {
    let lo = 0;
    let hi = 0;
    for (let j = 0; j < 4; j++) {
      lo |= ((v >>> j) & 1) << (8 * j);
      hi |= ((v >>> (j + 4)) & 1) << (8 * j);
    }
    table[2 * v] = lo >>> 0;
    table[2 * v + 1] = hi >>> 0;
  }
  return table;
})();

/** 64 per-bit vote counters, kept packed (4 byte-wide counters per word) between flushes. */
class Votes {
  private readonly packed = new Uint32Array(16);
  private readonly counts = new Float64Array(64);
  private sincePacked = 0;

  add(lo: number, hi: number): void {
    const p = this.packed;
    for (let byte = 0; byte < 4; byte++) {
      const vl = ((lo >>> (8 * byte)) & 255) * 2;
      const vh = ((hi >>> (8 * byte)) & 255) * 2;
      p[2 * byte] = p[2 * byte]! + SPREAD[vl]!;
      p[2 * byte + 1] = p[2 * byte + 1]! + SPREAD[vl + 1]!;
      p[8 + 2 * byte] = p[8 + 2 * byte]! + SPREAD[vh]!;
      p[9 + 2 * byte] = p[9 + 2 * byte]! + SPREAD[vh + 1]!;
    }
    // A byte lane overflows at 256 votes: unpack before it can.
    if (++this.sincePacked === 255) this.unpack();
  }

  /** The fingerprint after `total` votes: bit set where more than half voted 1. */
  fingerprint(total: number): string {
    this.unpack();
    let lo = 0;
    let hi = 0;
    for (let bit = 0; bit < 32; bit++) {
      if (2 * this.counts[bit]! > total) lo |= 1 << bit;
      if (2 * this.counts[32 + bit]! > total) hi |= 1 << bit;
    }
    return hex8(hi >>> 0) + hex8(lo >>> 0);
  }

  private unpack(): void {
    const p = this.packed;
    for (let word = 0; word < 16; word++) {
      const w = p[word]!;
      // Word 2b (+8 for the high lane) holds bits 8b..8b+3, word 2b+1 bits 8b+4..8b+7.
      const base = 32 * (word >>> 3) + 8 * ((word & 7) >>> 1) + 4 * (word & 1);
      for (let lane = 0; lane < 4; lane++) {
        this.counts[base + lane] = this.counts[base + lane]! + ((w >>> (8 * lane)) & 255);
      }
      p[word] = 0;
    }
    this.sincePacked = 0;
  }
}

function hex8(v: number): string {
  return v.toString(16).padStart(8, '0');
}

const SIMHASH_HEX = /^[0-9a-f]{16}$/;

/** True for a well-formed SimHash (16 lower-case hex digits). */
export function isSimhash(value: string): boolean {
  return SIMHASH_HEX.test(value);
}

/** Number of differing bits between two SimHashes (16 hex each). */
export function hammingDistance(a: string, b: string): number {
  return (
    popcount32(parseInt(a.slice(0, 8), 16) ^ parseInt(b.slice(0, 8), 16)) +
    popcount32(parseInt(a.slice(8), 16) ^ parseInt(b.slice(8), 16))
  );
}

function popcount32(v: number): number {
  v -= (v >>> 1) & 0x55555555;
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 63;
}

/** The 4 bands of a SimHash, 4 hex digits (16 bits) each, most significant first. */
export function simhashBands(simhash: string): string[] {
  const bands: string[] = [];
  for (let i = 0; i < SIMHASH_BANDS; i++) bands.push(simhash.slice(4 * i, 4 * i + 4));
  return bands;
}
