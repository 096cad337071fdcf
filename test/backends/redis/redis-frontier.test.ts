/**
 * The frontier contract against the Redis frontier: on the shared Redis (a key prefix of
 * its own per test) and on a three-master Redis Cluster started by the test.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Cluster, Redis } from 'ioredis';
import type { PageRecord } from '../../../src/core/types.js';
import { closeRedis, type RedisClient } from '../../../src/backends/redis/redis-connection.js';
import { jobKeys } from '../../../src/backends/redis/keys.js';
import { openRedisJob, redisFrontier } from '../../../src/backends/redis/redis-frontier.js';
import {
  DEFAULT_SETTINGS,
  frontierContract,
  link,
  ManualClock,
  pageDone,
  type FrontierHarness,
} from '../../frontier/frontier-contract.js';
import { startRedisCluster } from '../../support/redis-cluster.js';

const SHARED_REDIS = process.env.TRAWL_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A harness over `client`: each test gets a prefix of its own, deleted afterwards. */
function harness(client: () => RedisClient): () => Promise<FrontierHarness> {
  return async () => {
    const prefix = `ttest${randomBytes(5).toString('hex')}`;
    const jobId = 'job1';
    const keys = jobKeys(jobId, prefix);
    return {
      async open(clock, settings) {
        const redis = client();
        await openRedisJob({ redis, jobId, prefix, settings, clock, spec: { test: true } });
        return redisFrontier({ redis, jobId, prefix, settings, clock });
      },
      async committedPages() {
        const pages = new Map<string, PageRecord>();
        const entries = await client().xrange(keys.results, '-', '+');
        for (const [, fields] of entries) {
          const at = fields.indexOf('r');
          const record = JSON.parse(fields[at + 1]!) as PageRecord;
          pages.set(record.url, record);
        }
        return pages;
      },
      async cleanup() {
        await deleteKeys(client(), `${prefix}:*`);
      },
    };
  };
}

async function deleteKeys(client: RedisClient, pattern: string): Promise<void> {
  const nodes = client instanceof Cluster ? client.nodes('master') : [client];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, found] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      // One key per DEL: keys of different slots cannot share a command in a cluster.
      for (const key of found) await node.del(key);
    } while (cursor !== '0');
  }
}

let single: Redis;
before(() => {
  single = new Redis(SHARED_REDIS, { maxRetriesPerRequest: 3 });
});
after(() => closeRedis(single));

frontierContract(
  'Redis',
  harness(() => single),
);

let cluster: Awaited<ReturnType<typeof startRedisCluster>> | null = null;
let clusterClient: Cluster | null = null;
before(async () => {
  cluster = await startRedisCluster({ masters: 3 });
  clusterClient = new Cluster(cluster.startupNodes, { enableAutoPipelining: true });
});
after(async () => {
  if (clusterClient !== null) await closeRedis(clusterClient);
  await cluster?.stop();
});

frontierContract(
  'Redis Cluster (3 masters)',
  harness(() => clusterClient!),
);

test('keys.ts and lib/keys.lua name the same keys, all on the job slot', async () => {
  const prefix = `ttest${randomBytes(5).toString('hex')}`;
  const keys = jobKeys('job1', prefix);
  const clock = new ManualClock();
  const settings = { ...DEFAULT_SETTINGS, robots: true };
  try {
    await openRedisJob({ redis: single, jobId: 'job1', prefix, settings, clock, spec: {} });
    const f = redisFrontier({ redis: single, jobId: 'job1', prefix, settings, clock });
    await f.add([link('http://a.test/1')]);
    const [robots] = (await f.lease(1)).leases;
    await f.commit([
      {
        kind: 'robots',
        token: robots!.token,
        fetched: { kind: 'allow-all', status: 404, error: null, text: null },
        contactAgoMs: 0,
      },
    ]);
    const [page] = (await f.lease(1)).leases;
    assert.equal(await single.zcard(keys.deadlines), 1);
    await f.commit([pageDone(page!)]);
    for (const key of [
      keys.job,
      keys.counters,
      keys.results,
      keys.robots('http://a.test'),
      keys.host('a.test'),
    ]) {
      assert.equal(await single.exists(key), 1, `${key} exists`);
    }
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await single.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      found.push(...batch);
    } while (cursor !== '0');
    const slots = new Set(
      await Promise.all(found.map((k) => single.cluster('KEYSLOT', k).catch(() => slotOf(k)))),
    );
    assert.ok(found.length > 5, `${found.length} keys`);
    assert.ok(
      found.every((k) => k.startsWith(keys.base)),
      'every key under the job base',
    );
    assert.equal(slots.size, 1, 'one hash slot for the whole job');
  } finally {
    await deleteKeys(single, `${prefix}:*`);
  }
});

/** The hash tag of a key (what Redis Cluster hashes), when the server is not a cluster. */
function slotOf(key: string): string {
  const open = key.indexOf('{');
  const close = key.indexOf('}', open + 1);
  return open !== -1 && close > open + 1 ? key.slice(open + 1, close) : key;
}
