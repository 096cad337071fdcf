/**
 * Redis memory per seen URL of the frontier's dedup set (scripts/lib/seen.lua), against
 * the naive SET of hex SHA-1s, and the time per 1,000 adds:
 *
 *   node --import tsx bench/redis-dedup-memory.ts [--urls 1000000] [--batch 1000]
 *
 * Each variant gets a redis-server of its own (/usr/bin/redis-server, or --redis-server),
 * started on a free port in a temp dir with persistence off and killed afterwards, so its
 * used_memory delta is the set and nothing else. URLs are realistic and distinct
 * (https://host<k>.example/<section>/.../<i>.html, 40–120 characters, deterministic), and
 * go through seen-add.lua in batches of --batch, as the frontier will send discovered
 * links. Columns: bytes per URL from used_memory (after − before, so including the
 * server's own costs: the main dict's table, the Lua client's buffers, ~0.3 MB) and from
 * MEMORY USAGE of the set's keys alone; wall time per 1,000 adds as a caller sees it
 * (hashing and round trips included) and server time per add (INFO commandstats);
 * "lost": new URLs the set answered "seen" for, links a crawl would drop.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { urlFingerprint } from '../src/backends/redis/fingerprint.js';
import { jobKeys } from '../src/backends/redis/keys.js';
import { callScript, defineScripts } from '../src/backends/redis/redis-scripts.js';

const { values } = parseArgs({
  options: {
    urls: { type: 'string', default: '1000000' },
    batch: { type: 'string', default: '1000' },
    'redis-server': { type: 'string', default: '/usr/bin/redis-server' },
  },
});
const urlCount = Number(values.urls);
const batchSize = Number(values.batch);
if (!Number.isSafeInteger(urlCount) || urlCount < 1 || !Number.isSafeInteger(batchSize)) {
  console.error('--urls and --batch take positive integers');
  process.exit(2);
}

interface Variant {
  name: string;
  /** Job hash fields that choose the mode (none: buckets, the default). */
  job?: Record<string, string | number>;
  /** Adds one batch; returns how many were new. */
  add(redis: Redis, jobKey: string, urls: string[]): Promise<number>;
}

const seenAdd = async (redis: Redis, jobKey: string, urls: string[]): Promise<number> => {
  const reply = await callScript(redis, 'seen-add', [jobKey], urls.map(urlFingerprint));
  if (!Array.isArray(reply)) throw new Error('seen-add answered no array');
  return reply.filter((v) => v === 1).length;
};

const variants: Variant[] = [
  { name: 'buckets (linear hashing)', add: seenAdd },
  {
    name: 'bloom, fpr 0.01',
    job: { dedup: 'bloom', bloom_capacity: urlCount, bloom_fpr: 0.01 },
    add: seenAdd,
  },
  {
    name: 'bloom, fpr 0.001',
    job: { dedup: 'bloom', bloom_capacity: urlCount, bloom_fpr: 0.001 },
    add: seenAdd,
  },
  {
    name: 'naive SET of 40-hex SHA-1',
    add: async (redis, jobKey, urls) =>
      redis.sadd(
        `${jobKey}:naive`,
        urls.map((u) => createHash('sha1').update(u).digest('hex')),
      ),
  },
];

interface Row {
  name: string;
  /** used_memory after − before. */
  bytes: number;
  /** MEMORY USAGE summed over the set's keys: the set alone, without server overheads. */
  keyBytes: number;
  lost: number;
  /** Wall time per 1,000 adds, client included (hashing, round trips), in ms. */
  msPer1000: number;
  /** Server time per add (INFO commandstats of the script or SADD), in µs. */
  serverUsPerAdd: number;
  notes: string;
}

const rows: Row[] = [];
for (const variant of variants) {
  const server = await startRedis(values['redis-server']);
  try {
    rows.push(await measure(server.redis, variant));
  } finally {
    await server.stop();
  }
}

console.log(`\n${urlCount.toLocaleString('en')} URLs, batches of ${batchSize}\n`);
console.log(
  '| variant | bytes / URL (used_memory) | bits / URL | bytes / URL (MEMORY USAGE of its keys) | ms / 1,000 adds | server µs / add | lost | notes |',
);
console.log('|---|---:|---:|---:|---:|---:|---:|---|');
for (const r of rows) {
  const perUrl = r.bytes / urlCount;
  console.log(
    `| ${r.name} | ${perUrl.toFixed(1)} | ${(perUrl * 8).toFixed(1)} | ${(r.keyBytes / urlCount).toFixed(1)} | ${r.msPer1000.toFixed(2)} | ${r.serverUsPerAdd.toFixed(2)} | ${r.lost} | ${r.notes} |`,
  );
}

async function measure(redis: Redis, variant: Variant): Promise<Row> {
  defineScripts(redis);
  // A warm-up job absorbs one-off costs (the script in the server's cache, the buffers of
  // Redis's Lua client, which grow to a batch's size once) before the baseline is taken.
  const warmup = jobKeys('warmup');
  if (variant.job !== undefined)
    await redis.hset(warmup.job, { ...variant.job, bloom_capacity: 1_000 });
  for (let i = 0; i < 3; i++) {
    await variant.add(
      redis,
      warmup.job,
      Array.from({ length: batchSize }, (_, j) => `https://warmup.example/${i}/${j}`),
    );
  }
  const warmupKeys = await redis.keys('*'); // this server holds nothing else
  if (warmupKeys.length > 0) await redis.del(...warmupKeys);

  const job = jobKeys('bench');
  if (variant.job !== undefined) await redis.hset(job.job, variant.job);
  await redis.config('RESETSTAT');
  const before = await usedMemory(redis);

  let added = 0;
  const started = performance.now();
  for (let i = 0; i < urlCount; i += batchSize) {
    const urls: string[] = [];
    for (let j = i; j < Math.min(urlCount, i + batchSize); j++) urls.push(realisticUrl(j));
    added += await variant.add(redis, job.job, urls);
  }
  const elapsedMs = performance.now() - started;
  const after = await usedMemory(redis);
  const serverUs = await commandUsec(redis, ['evalsha', 'eval', 'sadd']);
  const keyBytes = await keysUsage(redis, job.base);
  const notes =
    variant.job === undefined && variant.add === seenAdd ? await bucketStats(redis, job.base) : '';
  console.error(`${variant.name}: done in ${(elapsedMs / 1000).toFixed(1)} s`);
  return {
    name: variant.name,
    bytes: after - before,
    keyBytes,
    lost: urlCount - added,
    msPer1000: (elapsedMs / urlCount) * 1000,
    serverUsPerAdd: serverUs / urlCount,
    notes,
  };
}

/** MEMORY USAGE (exact: SAMPLES 0) summed over the job's keys but its job hash. */
async function keysUsage(redis: Redis, base: string): Promise<number> {
  let total = 0;
  for await (const keys of redis.scanStream({ match: `${base}*`, count: 1000 })) {
    const pipeline = redis.pipeline();
    for (const key of keys as string[]) {
      if (key !== `${base}job`) pipeline.memory('USAGE', key, 'SAMPLES', 0);
    }
    for (const [err, bytes] of (await pipeline.exec()) ?? []) {
      if (err !== null) throw err;
      total += Number(bytes);
    }
  }
  return total;
}

/** How many buckets, their fields (mean, max) and whether all are still listpacks. */
async function bucketStats(redis: Redis, base: string): Promise<string> {
  let buckets = 0;
  let fields = 0;
  let maxFields = 0;
  let notListpack = 0;
  for await (const keys of redis.scanStream({ match: `${base}seen:*`, count: 1000 })) {
    for (const key of keys as string[]) {
      if (!/seen:\d+$/.test(key)) continue;
      const [size, encoding] = await Promise.all([redis.hlen(key), redis.object('ENCODING', key)]);
      buckets++;
      fields += size;
      maxFields = Math.max(maxFields, size);
      if (encoding !== 'listpack') notListpack++;
    }
  }
  return `${buckets} buckets, ${(fields / buckets).toFixed(1)} fields mean, ${maxFields} max, ${notListpack} not listpack`;
}

/**
 * URL i: one of 5,000 hosts, 1–4 path segments of varied words, sometimes a query, so
 * lengths spread over 40–120 characters as real links do. Deterministic in i.
 */
function realisticUrl(i: number): string {
  const r = mix(i);
  const words = ['docs', 'api', 'en', 'products', 'blog', '2024', 'category', 'item', 'user', 'a'];
  const depth = 1 + (r % 4);
  const segments: string[] = [];
  for (let d = 0; d < depth; d++) segments.push(words[(r >>> (4 + 4 * d)) % words.length]!);
  const query = (r >>> 24) % 4 === 0 ? `?page=${(r >>> 8) % 50}&sort=desc` : '';
  return `https://host${(r >>> 12) % 5_000}.example/${segments.join('/')}/${i}.html${query}`;
}

/** A 32-bit integer hash of i (splitmix-style), for the URL shapes. */
function mix(i: number): number {
  let x = Math.imul(i ^ 0x9e3779b9, 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** Total usec INFO commandstats reports for these commands since RESETSTAT. */
async function commandUsec(redis: Redis, commands: string[]): Promise<number> {
  const info = await redis.info('commandstats');
  let total = 0;
  for (const command of commands) {
    const m = new RegExp(`^cmdstat_${command}:calls=\\d+,usec=(\\d+)`, 'm').exec(info);
    if (m !== null) total += Number(m[1]);
  }
  return total;
}

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  const m = /^used_memory:(\d+)/m.exec(info);
  if (m === null) throw new Error('INFO memory has no used_memory');
  return Number(m[1]);
}

/** A throwaway redis-server on a free port, in a temp dir, nothing saved. */
async function startRedis(binary: string): Promise<{ redis: Redis; stop(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'trawl-bench-redis-'));
  const port = await freePort();
  const child: ChildProcess = spawn(
    binary,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const redis = new Redis({
    port,
    host: '127.0.0.1',
    lazyConnect: true,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined); // refused until the server listens; connect() reports it
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await redis.connect();
      break;
    } catch (err) {
      if (Date.now() > deadline)
        throw new Error(`redis-server on ${port} did not start`, { cause: err });
      await delay(20);
    }
  }
  return {
    redis,
    async stop() {
      redis.disconnect();
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}
