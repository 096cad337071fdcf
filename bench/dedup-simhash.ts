/**
 * Cost of dedup per page: fingerprinting (normalise + SHA-256 + SimHash) on real
 * documentation text, and, with --redis, the Redis index's memory per page and time per
 * check:
 *
 *   node dist/bench/dedup-simhash.js [--rounds 5] [--redis redis://127.0.0.1:6379 --pages 100000]
 *
 * Pages: the labelled set of test/pipeline/dedup/near-duplicate-set.ts (Debian docs on a
 * site template, 720 pages). Redis: pages are checked under a key prefix of the bench's
 * own (deleted afterwards); 80 % distinct, 10 % exact and 10 % near copies of earlier
 * ones, URLs of 60-90 characters. Bytes per page = MEMORY USAGE summed over the job's
 * dedup keys / pages checked (the keys alone: no server overhead).
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { jobKeys } from '../src/backends/redis/keys.js';
import { redisDedupIndex } from '../src/backends/redis/redis-dedup-index.js';
import {
  fingerprintText,
  normaliseBlocks,
  normaliseWords,
  simhashOfBlocks,
} from '../src/pipeline/dedup/simhash.js';
import { buildNearDuplicateSet } from '../test/pipeline/dedup/near-duplicate-set.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    redis: { type: 'string' },
    pages: { type: 'string', default: '100000' },
  },
});

function timeIt(label: string, texts: string[], fn: (t: string) => unknown, rounds: number): void {
  for (const t of texts) fn(t); // warm-up
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    for (const t of texts) fn(t);
    best = Math.min(best, performance.now() - t0);
  }
  console.log(
    `${label.padEnd(34)} ${((best * 1000) / texts.length).toFixed(1).padStart(7)} µs/page`,
  );
}

const { pages } = buildNearDuplicateSet(120);
const texts = pages.map((p) => p.text);
const words = texts.reduce((n, t) => n + normaliseWords(t).length, 0);
const rounds = Number(values.rounds);
console.log(`${texts.length} pages, ${Math.round(words / texts.length)} words/page on average`);
timeIt('normalise (NFKC, lower, split)', texts, (t) => normaliseBlocks(t), rounds);
const blocks = new Map(texts.map((t) => [t, normaliseBlocks(t)]));
timeIt('simhash of normalised words', texts, (t) => simhashOfBlocks(blocks.get(t)!), rounds);
timeIt('fingerprintText (all of it)', texts, (t) => fingerprintText(t), rounds);

if (values.redis !== undefined) await redisMemory(values.redis, Number(values.pages));

async function redisMemory(url: string, count: number): Promise<void> {
  const redis = new Redis(url);
  const prefix = `tbench${randomBytes(4).toString('hex')}`;
  const index = redisDedupIndex({ redis, prefix });
  const originals: { url: string; hash: string; sim: string }[] = [];
  try {
    const t0 = performance.now();
    const batch: Promise<unknown>[] = [];
    for (let i = 0; i < count; i++) {
      const pageUrl = `https://docs${i % 50}.example.org/manual/section-${i % 400}/topic-${i}-${randomBytes(6).toString('hex')}.html`;
      const r = i % 10;
      let hash = randomBytes(32).toString('hex');
      let sim = randomBytes(8).toString('hex');
      const earlier = originals[Math.floor(Math.random() * originals.length)];
      if (r === 8 && earlier) hash = earlier.hash;
      if (r === 9 && earlier)
        sim = (BigInt(`0x${earlier.sim}`) ^ 0b101n).toString(16).padStart(16, '0');
      if (r < 8) originals.push({ url: pageUrl, hash, sim });
      batch.push(index.check('bench', pageUrl, hash, sim));
      // 64 in flight, as a few workers would keep.
      if (batch.length === 64) await Promise.all(batch.splice(0));
    }
    await Promise.all(batch);
    const ms = performance.now() - t0;
    const keys = jobKeys('bench', prefix);
    let bytes = 0;
    let n = 0;
    let cursor = '0';
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', `${keys.base}dd:*`, 'COUNT', 1000);
      cursor = next;
      for (const key of found) {
        bytes += (await redis.memory('USAGE', key, 'SAMPLES', 0)) ?? 0;
        n++;
      }
    } while (cursor !== '0');
    console.log(
      `redis: ${count} pages in ${n} keys, ${(bytes / count).toFixed(1)} bytes/page ` +
        `(${(bytes / 1048576).toFixed(1)} MiB); ${((ms * 1000) / count).toFixed(1)} µs/check wall, 64 in flight`,
    );
  } finally {
    let cursor = '0';
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (found.length > 0) await redis.del(...found);
    } while (cursor !== '0');
    redis.disconnect();
  }
}
