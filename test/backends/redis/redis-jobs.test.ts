/**
 * Submitting jobs to Redis (submitRedisJob): a burst of submissions on one client goes as
 * one job-submit.lua call, and must still give each job what a lone submission gives it —
 * created once, its seeds queued once, its place in the registry — while a submission that
 * fails fails only its own caller. Against an own redis-server.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { defineScripts } from '../../../src/backends/redis/redis-scripts.js';
import { jobKeys } from '../../../src/backends/redis/keys.js';
import {
  activeRedisJobs,
  deleteRedisJob,
  readRedisJob,
  redisJobStatus,
  submitRedisJob,
} from '../../../src/backends/redis/redis-jobs.js';
import { openRedisJob, redisFrontier } from '../../../src/backends/redis/redis-frontier.js';
import { parseCrawlSpec } from '../../../src/config/parse-spec.js';
import { frontierSettings } from '../../../src/main/job-parts.js';
import { startRedisServer, type RedisServer } from '../../support/redis-server.js';

const PREFIX = 'tjobs';

describe('submitRedisJob', { timeout: 60_000 }, () => {
  let server: RedisServer;
  let redis: Redis;
  before(async () => {
    server = await startRedisServer();
    redis = new Redis(server.url, { maxRetriesPerRequest: null });
    defineScripts(redis);
  });
  after(async () => {
    redis?.disconnect();
    await server?.stop();
  });

  const spec = parseCrawlSpec({ seeds: ['http://127.0.0.1:9/'] });
  const submit = (jobId: string, urls: string[], sitemaps: string[] = []) =>
    submitRedisJob({
      redis,
      jobId,
      prefix: PREFIX,
      settings: frontierSettings(spec),
      spec,
      seeds: urls.map((url) => ({ url, host: new URL(url).host, depth: 0, priority: 0 })),
      sitemapOrigins: sitemaps,
    });

  test('a burst of submissions: each job created once, with its seeds and in the registry', async () => {
    const ids = Array.from({ length: 150 }, (_, i) => `burst-${i}`);
    // All in one turn of the event loop: they share script calls.
    const results = await Promise.all(
      ids.map((id, i) =>
        submit(
          id,
          [`http://127.0.0.${1 + (i % 3)}:9/a`, `http://127.0.0.${1 + (i % 3)}:9/b`],
          [`http://127.0.0.${1 + (i % 3)}:9`],
        ),
      ),
    );
    // queued: the two pages and the sitemap walk.
    for (const r of results) assert.deepEqual(r, { created: true, newSeeds: 2, queued: 3 });
    const registered = new Set(await activeRedisJobs(redis, PREFIX));
    for (const id of ids) assert.ok(registered.has(id), `${id} in the registry`);
    for (const id of [ids[0]!, ids[77]!, ids[149]!]) {
      const status = await redisJobStatus(redis, id, PREFIX);
      assert.equal(status.state, 'running');
      // Two pages and the sitemap walk.
      assert.equal(status.stats.queued, 3);
      const info = await readRedisJob(redis, id, PREFIX);
      assert.equal(info?.version, 1);
      assert.deepEqual(info?.spec, JSON.parse(JSON.stringify(spec)));
      const groups = (await redis.xinfo('GROUPS', jobKeys(id, PREFIX).results)) as unknown[];
      assert.equal(groups.length, 1, 'the writers group exists');
    }

    // Submitted again with one new seed: not created, only the new seed queued.
    const again = await submit(ids[0]!, ['http://127.0.0.1:9/a', 'http://127.0.0.1:9/c']);
    assert.deepEqual(again, { created: false, newSeeds: 1, queued: 1 });
    assert.equal((await readRedisJob(redis, ids[0]!, PREFIX))?.version, 2);
    assert.equal((await redisJobStatus(redis, ids[0]!, PREFIX)).stats.queued, 4);
  });

  test('a submission that fails fails alone: the others sent with it are submitted', async () => {
    // A key of the wrong type where the job's hash would be: its script step errors.
    await redis.set(jobKeys('broken', PREFIX).job, 'not a hash');
    const ids = ['ok-1', 'broken', 'ok-2', 'ok-3'];
    const settled = await Promise.allSettled(ids.map((id) => submit(id, ['http://127.0.0.1:9/'])));
    assert.equal(settled[1]!.status, 'rejected');
    assert.match(String((settled[1] as PromiseRejectedResult).reason), /WRONGTYPE/);
    for (const i of [0, 2, 3]) {
      assert.deepEqual(settled[i], {
        status: 'fulfilled',
        value: { created: true, newSeeds: 1, queued: 1 },
      });
    }
    const registered = new Set(await activeRedisJobs(redis, PREFIX));
    assert.ok(!registered.has('broken'));
    for (const id of ['ok-1', 'ok-2', 'ok-3']) {
      assert.ok(registered.has(id));
      assert.equal((await redisJobStatus(redis, id, PREFIX)).stats.queued, 1);
    }
  });

  /** Every key of a job and what it holds, the job hash's creation time left out. */
  async function jobState(jobId: string): Promise<Record<string, unknown>> {
    const { base, job } = jobKeys(jobId, PREFIX);
    const keys = (await redis.keys(`${base}*`)).sort();
    const state: Record<string, unknown> = {};
    for (const key of keys) {
      const name = key.slice(base.length);
      const type = await redis.type(key);
      if (type === 'hash') {
        const value = await redis.hgetall(key);
        if (key === job) delete value.created;
        state[name] = value;
      } else if (type === 'list') state[name] = await redis.lrange(key, 0, -1);
      else if (type === 'zset') state[name] = await redis.zrange(key, 0, -1, 'WITHSCORES');
      else if (type === 'stream') state[name] = (await redis.xinfo('GROUPS', key)) as unknown;
      else state[name] = type;
    }
    return state;
  }

  test('a new job submitted holds exactly what one opened and then given its seeds holds', async () => {
    // job-submit builds a new job without reading anything back; job-open and add.lua
    // read every key they change. Both must leave the same keys and values.
    const seeds = ['http://127.0.0.1:9/a', 'http://127.0.0.2:9/b', 'http://127.0.0.1:9/c'];
    const links = seeds.map((url) => ({ url, host: new URL(url).host, depth: 0, priority: 0 }));
    const origins = ['http://127.0.0.1:9'];
    await submit('same-submitted', seeds, origins);

    const opened = {
      redis,
      jobId: 'same-opened',
      prefix: PREFIX,
      settings: frontierSettings(spec),
      spec,
    };
    assert.equal(await openRedisJob(opened), true);
    await redis.hincrby(jobKeys('same-opened', PREFIX).job, 'specv', 1);
    await redis.xgroup(
      'CREATE',
      jobKeys('same-opened', PREFIX).results,
      'writers',
      '0',
      'MKSTREAM',
    );
    const frontier = redisFrontier(opened);
    assert.equal(await frontier.add(links), 3);
    assert.equal(await frontier.addSitemapSources(origins), 1);

    const submitted = await jobState('same-submitted');
    assert.ok(
      Object.keys(submitted).length >= 8,
      `the job's keys: ${Object.keys(submitted).join(' ')}`,
    );
    assert.deepEqual(submitted, await jobState('same-opened'));
  });

  test('a job deleted and submitted again starts from nothing', async () => {
    await submit('reborn', ['http://127.0.0.1:9/a']);
    await deleteRedisJob(redis, 'reborn', PREFIX);
    assert.deepEqual(await redis.keys(`${jobKeys('reborn', PREFIX).base}*`), []);
    const again = await submit('reborn', ['http://127.0.0.1:9/a']);
    assert.deepEqual(again, { created: true, newSeeds: 1, queued: 1 });
  });
});
