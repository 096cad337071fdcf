/**
 * The dedup index contract: every DedupIndex adapter (memory, SQLite, Redis, Redis
 * Cluster) must pass these. Call `dedupContract(name, makeHarness)` from a test file.
 * Fingerprints are built by hand (flipped bits of a base), so distances are exact.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import type { DedupIndex, DedupVerdict } from '../../../src/pipeline/dedup/dedup-index.js';

export interface DedupHarness {
  /** A new client of the harness's storage (several may be open at once: "workers"). */
  open(): Promise<DedupIndex>;
  /** Closes what open() made and deletes the storage. */
  cleanup(): Promise<void>;
}

const ORIGINAL: DedupVerdict = { duplicateOf: null, kind: null, distance: null };

/** A content hash (sha256 hex) standing for the text `label`. */
export const contentHash = (label: string): string =>
  createHash('sha256').update(label).digest('hex');

/** A random 64-bit SimHash. */
export const randomSimhash = (): string => randomBytes(8).toString('hex');

/** `simhash` with the given bit positions (0 = most significant) flipped. */
export function flip(simhash: string, ...bits: number[]): string {
  let v = BigInt(`0x${simhash}`);
  for (const b of bits) v ^= 1n << BigInt(63 - b);
  return v.toString(16).padStart(16, '0');
}

export function dedupContract(name: string, makeHarness: () => Promise<DedupHarness>): void {
  describe(`dedup index contract: ${name}`, () => {
    /** Runs `fn` with a fresh harness and one open index; cleans up whatever happens. */
    const withIndex = (
      fn: (index: DedupIndex, h: DedupHarness, job: string) => Promise<void>,
    ): (() => Promise<void>) => {
      return async () => {
        const h = await makeHarness();
        try {
          await fn(await h.open(), h, `job-${randomBytes(4).toString('hex')}`);
        } finally {
          await h.cleanup();
        }
      };
    };

    test(
      'exact: the first URL wins, later ones name it',
      withIndex(async (index, _h, job) => {
        const sim = randomSimhash();
        assert.deepEqual(await index.check(job, 'https://a/1', contentHash('x'), sim), ORIGINAL);
        assert.deepEqual(await index.check(job, 'https://a/2', contentHash('x'), sim), {
          duplicateOf: 'https://a/1',
          kind: 'exact',
          distance: 0,
        });
        // Exact match by content hash even when the SimHash differs (it is only a hint).
        const other = await index.check(job, 'https://a/3', contentHash('x'), randomSimhash());
        assert.deepEqual(other, { duplicateOf: 'https://a/1', kind: 'exact', distance: 0 });
      }),
    );

    test(
      'near: 1 to 3 differing bits, in one band or spread over several',
      withIndex(async (index, _h, job) => {
        const base = randomSimhash();
        await index.check(job, 'https://n/base', contentHash('base'), base);
        const cases: [string, number[]][] = [
          ['one', [5]],
          ['two-bands', [0, 63]],
          ['three-one-band', [16, 17, 31]],
          ['three-three-bands', [1, 20, 40]],
        ];
        for (const [label, bits] of cases) {
          const verdict = await index.check(
            job,
            `https://n/${label}`,
            contentHash(label),
            flip(base, ...bits),
          );
          assert.deepEqual(
            verdict,
            { duplicateOf: 'https://n/base', kind: 'near', distance: bits.length },
            label,
          );
        }
      }),
    );

    test(
      'not near: 4 or more bits, or beyond a lower threshold',
      withIndex(async (index, _h, job) => {
        const base = randomSimhash();
        await index.check(job, 'https://f/base', contentHash('base'), base);
        // One bit in each band: no band matches exactly, and 4 > 3 anyway.
        const four = flip(base, 0, 16, 32, 48);
        assert.deepEqual(await index.check(job, 'https://f/4', contentHash('4'), four), ORIGINAL);
        const five = flip(base, 1, 2, 3, 4, 5);
        assert.deepEqual(await index.check(job, 'https://f/5', contentHash('5'), five), ORIGINAL);
        const two = flip(base, 8, 9);
        const strict = await index.check(job, 'https://f/2', contentHash('2'), two, {
          threshold: 1,
        });
        assert.deepEqual(strict, ORIGINAL);
        const off = await index.check(job, 'https://f/1', contentHash('1'), flip(base, 7), {
          near: false,
        });
        assert.deepEqual(off, ORIGINAL);
      }),
    );

    test(
      'the nearest original wins; a tie goes to the first; duplicates are never originals',
      withIndex(async (index, _h, job) => {
        const base = randomSimhash();
        await index.check(job, 'https://t/far', contentHash('far'), flip(base, 1, 2, 3));
        await index.check(job, 'https://t/near', contentHash('near'), flip(base, 60));
        const v = await index.check(job, 'https://t/q', contentHash('q'), base);
        assert.deepEqual(v, { duplicateOf: 'https://t/near', kind: 'near', distance: 1 });

        const b2 = randomSimhash();
        await index.check(job, 'https://t/first', contentHash('first'), flip(b2, 10, 11));
        await index.check(job, 'https://t/second', contentHash('second'), flip(b2, 40, 41));
        // Both at distance 2 from q2 (and 4 from each other, so both are originals).
        const q2 = flip(b2, 10, 40);
        const tie = await index.check(job, 'https://t/q2', contentHash('q2'), q2);
        assert.deepEqual(tie, { duplicateOf: 'https://t/first', kind: 'near', distance: 2 });

        // C is 2 bits from the duplicate B but 5 from the original A: C is an original.
        const a = randomSimhash();
        await index.check(job, 'https://c/a', contentHash('a'), a);
        const b = flip(a, 0, 1, 2);
        assert.equal((await index.check(job, 'https://c/b', contentHash('b'), b)).kind, 'near');
        const c = flip(b, 30, 31);
        assert.deepEqual(await index.check(job, 'https://c/c', contentHash('c'), c), ORIGINAL);
        // And C's content, checked again under another URL, is a copy of C.
        const c2 = await index.check(job, 'https://c/c2', contentHash('c'), c);
        assert.deepEqual(c2, { duplicateOf: 'https://c/c', kind: 'exact', distance: 0 });
      }),
    );

    test(
      'the same URL checked again gets its first verdict, not "duplicate of itself"',
      withIndex(async (index, h, job) => {
        const sim = randomSimhash();
        await index.check(job, 'https://r/1', contentHash('r'), sim);
        await index.check(job, 'https://r/2', contentHash('r'), sim);
        await index.check(job, 'https://r/3', contentHash('r3'), flip(sim, 9));
        // From another client too (a refetch after a crash lands on another worker).
        const other = await h.open();
        for (const client of [index, other]) {
          assert.deepEqual(await client.check(job, 'https://r/1', contentHash('r'), sim), ORIGINAL);
          const again = await client.check(job, 'https://r/2', contentHash('changed'), sim);
          assert.deepEqual(again, { duplicateOf: 'https://r/1', kind: 'exact', distance: 0 });
          const near = await client.check(job, 'https://r/3', contentHash('r3'), flip(sim, 9));
          assert.deepEqual(near, { duplicateOf: 'https://r/1', kind: 'near', distance: 1 });
        }
      }),
    );

    test(
      'concurrent checks of one content from two clients: exactly one original',
      withIndex(async (index, h, job) => {
        const other = await h.open();
        const sim = randomSimhash();
        const urls = Array.from({ length: 60 }, (_, i) => `https://p/${i}`);
        // Half exact copies, half near variants (pairwise within 2 bits of each other).
        const verdicts = await Promise.all(
          urls.map((url, i) =>
            (i % 2 === 0 ? index : other).check(
              job,
              url,
              contentHash(i % 3 === 0 ? 'same' : `v${i}`),
              i % 3 === 0 ? sim : flip(sim, i % 64),
            ),
          ),
        );
        const winners = urls.filter((_, i) => verdicts[i]!.duplicateOf === null);
        assert.equal(winners.length, 1, `originals: ${winners.join(', ')}`);
        for (const v of verdicts) {
          if (v.duplicateOf !== null) assert.equal(v.duplicateOf, winners[0]);
        }
      }),
    );

    test(
      'jobs are isolated',
      withIndex(async (index, _h, job) => {
        const sim = randomSimhash();
        assert.deepEqual(await index.check(job, 'https://j/1', contentHash('j'), sim), ORIGINAL);
        const elsewhere = await index.check(`${job}-b`, 'https://j/2', contentHash('j'), sim);
        assert.deepEqual(elsewhere, ORIGINAL);
        const sameUrl = await index.check(
          `${job}-c`,
          'https://j/1',
          contentHash('k'),
          flip(sim, 3),
        );
        assert.deepEqual(sameUrl, ORIGINAL);
      }),
    );

    test(
      'many pages: every verdict stays right as the index grows',
      withIndex(async (index, _h, job) => {
        const pages = Array.from({ length: 1500 }, (_, i) => ({
          url: `https://m.example/section-${i % 17}/page-${i}.html`,
          hash: contentHash(`m${i}`),
          sim: randomSimhash(),
        }));
        // In parallel chunks (as workers would send them): distinct pages do not interact.
        const inChunks = async (fn: (p: (typeof pages)[number], i: number) => Promise<void>) => {
          for (let at = 0; at < pages.length; at += 100) {
            await Promise.all(pages.slice(at, at + 100).map((p, j) => fn(p, at + j)));
          }
        };
        await inChunks(async (p) => {
          assert.deepEqual(await index.check(job, p.url, p.hash, p.sim), ORIGINAL);
        });
        await inChunks(async (p, i) => {
          const [again, copy, near] = await Promise.all([
            index.check(job, p.url, p.hash, p.sim),
            index.check(job, `${p.url}?copy`, p.hash, p.sim),
            index.check(
              job,
              `${p.url}?near`,
              contentHash(`n${i}`),
              flip(p.sim, i % 64, (i + 7) % 64),
            ),
          ]);
          assert.deepEqual(again, ORIGINAL, 're-check');
          assert.deepEqual(copy, { duplicateOf: p.url, kind: 'exact', distance: 0 });
          assert.deepEqual(near, { duplicateOf: p.url, kind: 'near', distance: 2 });
        });
      }),
    );

    test(
      'bad arguments are refused before anything is recorded',
      withIndex(async (index, _h, job) => {
        const sim = randomSimhash();
        await assert.rejects(index.check(job, 'https://b/1', 'zz', sim), RangeError);
        await assert.rejects(index.check(job, 'https://b/1', contentHash('b'), 'abc'), RangeError);
        await assert.rejects(
          index.check(job, 'https://b/1', contentHash('b'), sim, { threshold: 4 }),
          RangeError,
        );
        await assert.rejects(index.check(job, '', contentHash('b'), sim), RangeError);
        assert.deepEqual(await index.check(job, 'https://b/1', contentHash('b'), sim), ORIGINAL);
      }),
    );
  });
}
