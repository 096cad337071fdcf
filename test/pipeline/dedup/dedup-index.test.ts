/**
 * The dedup index contract against every adapter: memory, SQLite (a data dir of its own
 * per test), the shared Redis (a key prefix of its own per test, deleted afterwards) and
 * a three-master Redis Cluster started here. Plus what only Redis can get wrong: every
 * key in the job's slot and named by keys.ts, buckets kept compact.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Cluster, Redis } from 'ioredis';
import { jobKeys } from '../../../src/backends/redis/keys.js';
import { closeRedis, type RedisClient } from '../../../src/backends/redis/redis-connection.js';
import { redisDedupIndex } from '../../../src/backends/redis/redis-dedup-index.js';
import { openSqliteDatabase } from '../../../src/backends/sqlite/sqlite-database.js';
import { createSqliteDedupIndex } from '../../../src/backends/sqlite/sqlite-dedup-index.js';
import type { DedupIndex } from '../../../src/pipeline/dedup/dedup-index.js';
import { createMemoryDedupIndex } from '../../../src/pipeline/dedup/memory-dedup-index.js';
import { startRedisCluster, type RedisCluster } from '../../support/redis-cluster.js';
import { tempDir } from '../../support/temp-dir.js';
import { contentHash, dedupContract, randomSimhash, type DedupHarness } from './dedup-contract.js';

const SHARED_REDIS = process.env.TRAWL_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

dedupContract('memory', async () => {
  // "Clients" of the in-process index are the same instance, as workers of one process.
  const index = createMemoryDedupIndex();
  return { open: async () => index, cleanup: () => index.close() };
});

dedupContract('SQLite', async () => {
  const dir = await tempDir('trawl-dedup-');
  const database = openSqliteDatabase(dir.path);
  const opened: DedupIndex[] = [];
  return {
    async open() {
      const index = createSqliteDedupIndex(database);
      opened.push(index);
      return index;
    },
    async cleanup() {
      for (const index of opened) await index.close();
      await database.close();
      await dir.cleanup();
    },
  };
});

/** A harness over `client`: its own key prefix, every key of it deleted on cleanup. */
function redisHarness(client: () => RedisClient, second: () => RedisClient) {
  return async (): Promise<DedupHarness> => {
    const prefix = `ttest${randomBytes(5).toString('hex')}`;
    let opened = 0;
    return {
      // Alternate connections, so "two clients" really are two connections.
      open: async () =>
        redisDedupIndex({ redis: opened++ % 2 === 0 ? client() : second(), prefix }),
      cleanup: () => deleteKeys(client(), `${prefix}:*`),
    };
  };
}

async function deleteKeys(client: RedisClient, pattern: string): Promise<void> {
  for (const key of await scanKeys(client, pattern)) await client.del(key);
}

async function scanKeys(client: RedisClient, pattern: string): Promise<string[]> {
  const nodes = client instanceof Cluster ? client.nodes('master') : [client];
  const keys: string[] = [];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, found] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      keys.push(...found);
    } while (cursor !== '0');
  }
  return keys;
}

let single: Redis;
let single2: Redis;
before(() => {
  single = new Redis(SHARED_REDIS, { maxRetriesPerRequest: 3 });
  single2 = new Redis(SHARED_REDIS, { maxRetriesPerRequest: 3 });
});
after(async () => {
  await closeRedis(single);
  await closeRedis(single2);
});

dedupContract(
  'Redis',
  redisHarness(
    () => single,
    () => single2,
  ),
);

let cluster: RedisCluster | null = null;
let clusterA: Cluster | null = null;
let clusterB: Cluster | null = null;
before(async () => {
  cluster = await startRedisCluster({ masters: 3 });
  clusterA = new Cluster(cluster.startupNodes);
  clusterB = new Cluster(cluster.startupNodes);
});
after(async () => {
  if (clusterA !== null) await closeRedis(clusterA);
  if (clusterB !== null) await closeRedis(clusterB);
  await cluster?.stop();
});

dedupContract(
  'Redis Cluster (3 masters)',
  redisHarness(
    () => clusterA!,
    () => clusterB!,
  ),
);

test('Redis: every dedup key is one keys.ts names, in the job slot, and buckets stay listpacks', async () => {
  const prefix = `ttest${randomBytes(5).toString('hex')}`;
  const keys = jobKeys('job1', prefix);
  const index = redisDedupIndex({ redis: single, prefix });
  try {
    for (let i = 0; i < 3000; i++) {
      const url = `https://k.example/docs/section-${i % 31}/page-${i}.html`;
      await index.check('job1', url, contentHash(`k${i}`), randomSimhash());
    }
    const found = await scanKeys(single, `${prefix}:*`);
    const meta = await single.hgetall(keys.dedupMeta);
    const buckets = 2 ** Number(meta.L) + Number(meta.S);
    assert.equal(Number(meta.o), 3000, 'originals');
    assert.equal(Number(meta.n), 3000 * 6, 'records: url, hash and 4 bands per original');
    const expected = new Set([keys.dedupMeta, keys.dedupOriginals]);
    for (let a = 0; a < buckets; a++) expected.add(keys.dedupBucket(a));
    assert.deepEqual(new Set(found), expected);
    for (const key of found) assert.ok(key.startsWith(`${prefix}:{job1}:`), key);
    for (let a = 0; a < buckets; a++) {
      assert.equal(await single.object('ENCODING', keys.dedupBucket(a)), 'listpack');
    }
  } finally {
    await deleteKeys(single, `${prefix}:*`);
  }
});
