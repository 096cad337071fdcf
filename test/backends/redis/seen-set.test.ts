import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { urlFingerprint } from '../../../src/backends/redis/fingerprint.js';
import { jobKeys } from '../../../src/backends/redis/keys.js';
import { callScript, defineScripts } from '../../../src/backends/redis/redis-scripts.js';

const REDIS = { host: '127.0.0.1', port: 6379 };
const BATCH = 1_000;

// seen_has and seen_add have no script of their own (the frontier's scripts will call
// them); the tests run the library with a few-line caller instead.
const SEEN_LIB = readFileSync(
  new URL('../../../src/backends/redis/scripts/lib/seen.lua', import.meta.url),
  'utf8',
);
const SEEN_ADD_ONE_BY_ONE = `${SEEN_LIB}
local base = string.sub(KEYS[1], 1, -4)
local out = {}
for i = 1, #ARGV do out[i] = seen_add(base, ARGV[i]) end
return out`;
const SEEN_HAS = `${SEEN_LIB}
local base = string.sub(KEYS[1], 1, -4)
local out = {}
for i = 1, #ARGV do out[i] = seen_has(base, ARGV[i]) end
return out`;

const randomUrls = (n: number): string[] =>
  Array.from({ length: n }, (_, i) => `https://host${i % 97}.example/${randomUUID()}.html`);

describe('Redis seen-set (lib/seen.lua)', () => {
  let redis: Redis;
  const prefixes: string[] = [];

  /** A job under a key prefix of its own, deleted after the suite. */
  const freshJob = (): ReturnType<typeof jobKeys> => {
    const prefix = `trawl-test-${randomUUID()}`;
    prefixes.push(prefix);
    return jobKeys('job1', prefix);
  };

  const replyInts = (reply: unknown): number[] => {
    assert.ok(Array.isArray(reply) && reply.every((v) => v === 0 || v === 1), 'array of 0/1');
    return reply as number[];
  };

  /** seen-add.lua over urls in batches: 1 per URL that was new. */
  const add = async (jobKey: string, urls: readonly string[]): Promise<number[]> => {
    const out: number[] = [];
    for (let i = 0; i < urls.length; i += BATCH) {
      const fps = urls.slice(i, i + BATCH).map(urlFingerprint);
      out.push(...replyInts(await callScript(redis, 'seen-add', [jobKey], fps)));
    }
    return out;
  };

  /** Runs a library caller (SEEN_HAS, SEEN_ADD_ONE_BY_ONE) over urls in batches. */
  const evalLib = async (
    script: string,
    jobKey: string,
    urls: readonly string[],
  ): Promise<number[]> => {
    const out: number[] = [];
    for (let i = 0; i < urls.length; i += BATCH) {
      const fps = urls.slice(i, i + BATCH).map(urlFingerprint);
      out.push(...replyInts(await redis.eval(script, 1, jobKey, ...fps)));
    }
    return out;
  };
  const has = (jobKey: string, urls: readonly string[]): Promise<number[]> =>
    evalLib(SEEN_HAS, jobKey, urls);

  const keysMatching = async (pattern: string): Promise<string[]> => {
    const found: string[] = [];
    for await (const keys of redis.scanStream({ match: pattern, count: 1000 })) {
      found.push(...(keys as string[]));
    }
    return found;
  };

  /** The bucket HASHes of buckets mode (`seen:<address>`, not `seen:meta`). */
  const bucketKeys = async (base: string): Promise<string[]> =>
    (await keysMatching(`${base}seen:*`)).filter((k) => /seen:\d+$/.test(k));

  const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

  before(() => {
    redis = new Redis(REDIS);
    defineScripts(redis);
  });

  after(async () => {
    for (const prefix of prefixes) {
      const doomed = await keysMatching(`${prefix}:*`);
      for (let i = 0; i < doomed.length; i += BATCH)
        await redis.unlink(...doomed.slice(i, i + BATCH));
    }
    await redis.quit();
  });

  test('buckets: 20,000 URLs are each new once, then all seen; buckets split and stay listpacks', async () => {
    const job = freshJob();
    const urls = randomUrls(20_000);
    const first = await add(job.job, urls);
    assert.equal(sum(first), urls.length, 'every URL new on the first pass');
    const second = await add(job.job, urls);
    assert.equal(sum(second), 0, 'every URL seen on the second pass');
    assert.equal(sum(await has(job.job, urls)), urls.length, 'seen_has finds them all');
    assert.equal(sum(await has(job.job, randomUrls(2_000))), 0, 'and no others');

    const buckets = await bucketKeys(job.base);
    // The load factor is 40 per bucket: 20,000 URLs make about 500 buckets.
    assert.ok(buckets.length >= 250, `only ${buckets.length} buckets after 20,000 adds`);
    let entries = 0;
    for (const key of buckets) {
      assert.equal(await redis.object('ENCODING', key), 'listpack', `${key} left listpack`);
      const size = await redis.hlen(key);
      assert.ok(size < 128, `${key} has ${size} fields`);
      entries += size;
    }
    assert.equal(entries, urls.length, 'every fingerprint is in exactly one bucket');
  });

  test('buckets: a small crawl keeps a single bucket', async () => {
    const job = freshJob();
    assert.equal(sum(await add(job.job, randomUrls(30))), 30);
    assert.deepEqual(await bucketKeys(job.base), [`${job.base}seen:0`]);
  });

  test('seen_add one URL at a time keeps the same set as seen_add_many', async () => {
    const job = freshJob();
    const urls = randomUrls(2_000);
    assert.equal(sum(await evalLib(SEEN_ADD_ONE_BY_ONE, job.job, urls.slice(0, 1_500))), 1_500);
    // seen-add.lua (seen_add_many) sees those, records the rest, and splits on from there.
    assert.equal(sum(await add(job.job, urls)), 500);
    assert.equal(sum(await evalLib(SEEN_ADD_ONE_BY_ONE, job.job, urls)), 0);
    const buckets = await bucketKeys(job.base);
    assert.ok(buckets.length >= 2_000 / 80, `${buckets.length} buckets for 2,000 URLs`);
  });

  test('a URL repeated inside one call is new once', async () => {
    for (const mode of ['buckets', 'bloom']) {
      const job = freshJob();
      if (mode === 'bloom') {
        await redis.hset(job.job, { dedup: 'bloom', bloom_capacity: 1_000, bloom_fpr: 0.01 });
      }
      const [a, b] = randomUrls(2) as [string, string];
      assert.deepEqual(await add(job.job, [a, b, a, b, a]), [1, 1, 0, 0, 0], mode);
      assert.deepEqual(await add(job.job, [b, a]), [0, 0], mode);
    }
  });

  test('bloom: capacity 10,000 at fpr 0.01 has no false negatives and ~1 % false positives', async () => {
    const job = freshJob();
    const capacity = 10_000;
    const fpr = 0.01;
    await redis.hset(job.job, { dedup: 'bloom', bloom_capacity: capacity, bloom_fpr: fpr });
    const inserted = randomUrls(capacity);
    // While filling, a new URL can already look seen: the rate climbs from 0 to ~fpr.
    const firstNew = sum(await add(job.job, inserted));
    assert.ok(firstNew >= capacity * (1 - fpr), `${capacity - firstNew} lost while filling`);
    assert.equal(sum(await add(job.job, inserted)), 0, 'no false negatives (seen-add)');
    assert.equal(sum(await has(job.job, inserted)), capacity, 'no false negatives (seen_has)');

    // Tolerance: 2× either way. Over 50,000 probes at 1 % the count's standard deviation is
    // about 22 of 500, so only a wrongly sized or badly spread filter falls outside.
    const probes = 50_000;
    const falsePositives = sum(await has(job.job, randomUrls(probes)));
    const rate = falsePositives / probes;
    assert.ok(rate >= fpr / 2 && rate <= fpr * 2, `false-positive rate ${rate}, target ${fpr}`);

    // m = ceil(-n ln p / (ln 2)^2) bits in one segment string.
    const mBits = Math.ceil((-capacity * Math.log(fpr)) / Math.LN2 ** 2);
    const segments = await keysMatching(`${job.base}bloom:[0-9]*`);
    assert.deepEqual(segments, [`${job.base}bloom:0`]);
    assert.equal(await redis.strlen(segments[0]!), Math.ceil(mBits / 8), 'filter of m bits');
  });

  test('a bad fingerprint or dedup mode is an error, not a silent miss', async () => {
    const job = freshJob();
    await assert.rejects(
      callScript(redis, 'seen-add', [job.job], [Buffer.alloc(7)]),
      /fingerprint is 8 bytes/,
    );
    await redis.hset(job.job, { dedup: 'cuckoo' });
    await assert.rejects(
      callScript(redis, 'seen-add', [job.job], [urlFingerprint('https://a.example/')]),
      /unknown dedup mode/,
    );
    await redis.hset(job.job, { dedup: 'bloom' });
    await assert.rejects(
      callScript(redis, 'seen-add', [job.job], [urlFingerprint('https://a.example/')]),
      /bloom_capacity/,
    );
    // Over 2^32 bits the 32-bit double hashing would not spread: refused before allocating.
    await redis.hset(job.job, { bloom_capacity: 1_000_000_000, bloom_fpr: 0.01 });
    await assert.rejects(
      callScript(redis, 'seen-add', [job.job], [urlFingerprint('https://a.example/')]),
      /over the 2\^32/,
    );
    assert.deepEqual(await keysMatching(`${job.base}bloom:*`), []);
  });
});

test('urlFingerprint is the first 8 bytes of SHA-1', () => {
  const fp = urlFingerprint('https://example.com/');
  assert.equal(fp.length, 8);
  // printf https://example.com/ | sha1sum = b559c7edd3fb67374c1a25e739cdd7edd1d79949
  assert.equal(fp.toString('hex'), 'b559c7edd3fb6737');
});
