import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { pino, type Logger } from 'pino';
import { globalKeys } from '../../../src/backends/redis/keys.js';
import { RedisLock, runSingleton } from '../../../src/backends/redis/redis-lock.js';

const REDIS = { host: '127.0.0.1', port: 6379 };

/** Polls `cond` every 10 ms until true; throws when timeoutMs passes first. */
async function waitUntil(
  cond: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(10);
  }
}

/** A logger whose records the test can read. */
function recordingLogger(): { log: Logger; records: { level: number; msg: string }[] } {
  const records: { level: number; msg: string }[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => records.push(JSON.parse(line)) });
  return { log, records };
}

/** A shared duty: counts runs per runner and how many run at once across runners. */
function dutyCounter() {
  const state = { running: 0, maxRunning: 0, runs: new Map<string, number>() };
  const dutyOf =
    (runner: string) =>
    async (signal: AbortSignal): Promise<void> => {
      state.running++;
      state.maxRunning = Math.max(state.maxRunning, state.running);
      state.runs.set(runner, (state.runs.get(runner) ?? 0) + 1);
      try {
        await delay(20, undefined, { signal }).catch(() => undefined);
      } finally {
        state.running--;
      }
    };
  const runs = (runner: string): number => state.runs.get(runner) ?? 0;
  return { state, dutyOf, runs };
}

describe('Redis lock', () => {
  let admin: Redis;
  const clients: Redis[] = [];
  const prefixes: string[] = [];

  /** A lock key under a prefix of its own, deleted after the suite. */
  const freshKey = (): string => {
    const prefix = `trawl-test-${randomUUID()}`;
    prefixes.push(prefix);
    return globalKeys(prefix).lock('reaper');
  };
  const client = (): Redis => {
    const redis = new Redis(REDIS);
    clients.push(redis);
    return redis;
  };

  before(() => {
    admin = new Redis(REDIS);
  });

  after(async () => {
    for (const prefix of prefixes) {
      for await (const keys of admin.scanStream({ match: `${prefix}:*`, count: 1000 })) {
        if ((keys as string[]).length > 0) await admin.unlink(...(keys as string[]));
      }
    }
    // disconnect() on a closed stream would hold the process for ioredis's disconnectTimeout.
    for (const redis of clients) {
      if (redis.status === 'ready') await redis.quit();
      else if (redis.status !== 'end') redis.disconnect();
    }
    await admin.quit();
  });

  describe('RedisLock', () => {
    test('of two contenders only one acquires; its release lets the other acquire', async () => {
      const key = freshKey();
      const a = new RedisLock(client(), key, { ttlMs: 10_000 });
      const b = new RedisLock(client(), key, { ttlMs: 10_000 });
      const results = await Promise.all([a.acquire(), b.acquire()]);
      assert.equal(results.filter(Boolean).length, 1);
      const [holder, other] = results[0] ? [a, b] : [b, a];
      assert.equal(holder.held, true);
      assert.equal(other.held, false);
      assert.equal(await other.acquire(), false);

      assert.equal(await holder.release(), true);
      assert.equal(holder.held, false);
      assert.equal(await other.acquire(), true);
      assert.equal(other.held, true);
      assert.equal(await admin.get(key), other.token);
    });

    test('acquiring again with the held token extends the lock', async () => {
      const key = freshKey();
      const a = new RedisLock(client(), key, { ttlMs: 5_000 });
      assert.equal(await a.acquire(), true);
      await admin.pexpire(key, 100);
      assert.equal(await a.acquire(), true);
      assert.ok((await admin.pttl(key)) > 1_000, 'TTL restarted at ttlMs');
    });

    test('a holder that stops renewing loses the lock after ttl; the other then acquires', async () => {
      const key = freshKey();
      const ttlMs = 300;
      const a = new RedisLock(client(), key, { ttlMs });
      const b = new RedisLock(client(), key, { ttlMs });
      const startedAt = Date.now();
      assert.equal(await a.acquire(), true);
      assert.equal(await b.acquire(), false);

      await waitUntil(() => b.acquire(), 5_000, 'b to acquire after a expired');
      const waitedMs = Date.now() - startedAt;
      assert.ok(waitedMs >= ttlMs - 20, `b acquired after ${waitedMs} ms, before the ttl`);
      assert.ok(waitedMs < ttlMs + 1_000, `b acquired only after ${waitedMs} ms`);
      assert.equal(a.held, false);
      assert.equal(await a.renew(), false, 'the old holder cannot renew the new holder’s lock');
      assert.equal(await a.release(), false);
      assert.equal(await admin.get(key), b.token);
    });

    test('a wrong token cannot release or renew; the lock stays in place', async () => {
      const key = freshKey();
      const holder = new RedisLock(client(), key, { ttlMs: 10_000, token: 'holder' });
      const impostor = new RedisLock(client(), key, { ttlMs: 60_000, token: 'impostor' });
      assert.equal(await holder.acquire(), true);
      const ttlBefore = await admin.pttl(key);

      assert.equal(await impostor.release(), false);
      assert.equal(await impostor.renew(), false);
      assert.equal(impostor.held, false);
      assert.equal(await admin.get(key), 'holder');
      assert.ok((await admin.pttl(key)) <= ttlBefore, 'the impostor did not extend it');
      assert.equal(await holder.renew(), true);
      assert.equal(holder.held, true);
    });

    test('the constructor refuses a non-positive ttl', () => {
      assert.throws(() => new RedisLock(admin, 'k', { ttlMs: 0 }), RangeError);
    });
  });

  describe('runSingleton', () => {
    const ttlMs = 400;
    const intervalMs = 25;

    test('two runners run the duty one at a time and fail over when the holder stops', async () => {
      const key = freshKey();
      const { state, dutyOf, runs } = dutyCounter();
      const stopA = new AbortController();
      const stopB = new AbortController();
      const runnerA = runSingleton({
        redis: client(),
        key,
        ttlMs,
        intervalMs,
        duty: dutyOf('a'),
        signal: stopA.signal,
      });
      await waitUntil(() => runs('a') >= 1, 5_000, 'runner a to run the duty');
      const runnerB = runSingleton({
        redis: client(),
        key,
        ttlMs,
        intervalMs,
        duty: dutyOf('b'),
        signal: stopB.signal,
      });
      // Long enough for a's lock to need several renewals: a keeps it all along.
      const aRunsBefore = runs('a');
      await waitUntil(() => runs('a') >= aRunsBefore + 30, 10_000, 'a to keep running');
      assert.equal(runs('b'), 0, 'b never ran while a held the lock');

      stopA.abort();
      await runnerA;
      const stoppedAt = Date.now();
      await waitUntil(() => runs('b') >= 1, ttlMs, 'b to take over after a released');
      assert.ok(Date.now() - stoppedAt < ttlMs, 'a released: b did not wait for the ttl');

      stopB.abort();
      await runnerB;
      assert.equal(state.maxRunning, 1, 'never two runs of the duty at once');
      assert.equal(state.running, 0);
      assert.equal(await admin.exists(key), 0, 'b released the lock on stop');
    });

    test('a runner whose connection dies loses the lock; the other takes over within ~ttl', async () => {
      const key = freshKey();
      const { state, dutyOf, runs } = dutyCounter();
      const { log, records } = recordingLogger();
      const redisA = client();
      const stopA = new AbortController();
      const stopB = new AbortController();
      const runnerA = runSingleton({
        redis: redisA,
        key,
        ttlMs,
        intervalMs,
        duty: dutyOf('a'),
        signal: stopA.signal,
        log,
      });
      await waitUntil(() => runs('a') >= 1, 5_000, 'runner a to run the duty');
      const runnerB = runSingleton({
        redis: client(),
        key,
        ttlMs,
        intervalMs,
        duty: dutyOf('b'),
        signal: stopB.signal,
      });

      // a's process "dies" as far as Redis can tell: no more renewals reach the server.
      redisA.disconnect();
      const diedAt = Date.now();
      await waitUntil(() => runs('b') >= 1, ttlMs + intervalMs + 1_000, 'b to take over');
      const failoverMs = Date.now() - diedAt;
      assert.ok(failoverMs < ttlMs + intervalMs + 200, `failover took ${failoverMs} ms`);
      assert.ok(
        records.some((r) => r.msg === 'singleton lock renew failed'),
        'a logged the failed renewal',
      );
      assert.ok(records.some((r) => r.msg === 'singleton lock lost; duty stopped'));

      // a keeps trying on its dead connection without rejecting, and stops when told.
      stopA.abort();
      stopB.abort();
      await Promise.all([runnerA, runnerB]);
      assert.equal(state.maxRunning, 1, 'never two runs of the duty at once');
    });

    test('a runner whose renewal is refused stops its duty and tries again', async () => {
      const key = freshKey();
      const { state, dutyOf, runs } = dutyCounter();
      const aborted: unknown[] = [];
      const duty = dutyOf('a');
      const stop = new AbortController();
      const runner = runSingleton({
        redis: client(),
        key,
        ttlMs,
        intervalMs,
        duty: async (signal) => {
          signal.addEventListener('abort', () => aborted.push(signal.reason), { once: true });
          await duty(signal);
        },
        signal: stop.signal,
      });
      await waitUntil(() => runs('a') >= 1, 5_000, 'the runner to run the duty');

      // As if the lock had expired and another process had taken it.
      await admin.set(key, 'another-owner', 'PX', 60_000);
      await waitUntil(() => aborted.length >= 1, ttlMs, 'the running duty to be aborted');
      await waitUntil(() => state.running === 0, 1_000, 'the duty to stop');
      const runsWhileLost = runs('a');
      await delay(ttlMs / 2); // a bounded observation window, not a wait for a condition
      assert.equal(runs('a'), runsWhileLost, 'no duty runs while another owner holds the lock');

      await admin.del(key);
      await waitUntil(() => runs('a') > runsWhileLost, 5_000, 'the runner to take it back');
      stop.abort();
      await runner;
      assert.equal(state.maxRunning, 1);
    });

    test('with Redis unreachable the loop logs, retries and still stops on abort', async () => {
      const port = await closedPort();
      const redis = new Redis({
        host: '127.0.0.1',
        port,
        lazyConnect: true,
        maxRetriesPerRequest: 1,
        retryStrategy: () => 20,
        disconnectTimeout: 10,
      });
      clients.push(redis);
      redis.on('error', () => undefined); // refused connections are the point here
      const { log, records } = recordingLogger();
      const { dutyOf, runs } = dutyCounter();
      const stop = new AbortController();
      const runner = runSingleton({
        redis,
        key: freshKey(),
        ttlMs: 200,
        intervalMs: 20,
        duty: dutyOf('a'),
        signal: stop.signal,
        log,
      });
      const failures = (): number =>
        records.filter((r) => r.msg.startsWith('singleton lock acquire')).length;
      await waitUntil(() => failures() >= 3, 10_000, 'three failed acquires');
      assert.equal(runs('a'), 0);

      const stoppingAt = Date.now();
      stop.abort();
      await runner; // resolves, does not reject
      assert.ok(Date.now() - stoppingAt < 200 + 1_000, 'the release gives up after ~ttl');
    });
  });
});

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}
