/**
 * The Redis result queue on the shared Redis, a key prefix of its own per test (deleted
 * afterwards): entries go in as commit.lua writes them (`r` = recordJson, `b` = body bytes).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { PageRecord } from '../../../src/core/types.js';
import { jobKeys } from '../../../src/backends/redis/keys.js';
import {
  closeRedis,
  connectRedis,
  type RedisClient,
} from '../../../src/backends/redis/redis-connection.js';
import { recordJson } from '../../../src/backends/redis/redis-frontier.js';
import { createRedisResultQueue } from '../../../src/backends/redis/redis-result-queue.js';
import type { ResultQueue } from '../../../src/storage/result-queue.js';
import { makeFailedPage, makePage } from '../../storage/page-store-contract.js';

const SHARED_REDIS = process.env.TRAWL_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const JOB = 'job1';

let redis: RedisClient;
before(() => {
  redis = connectRedis(SHARED_REDIS, { connectionName: 'trawl-test-result-queue' });
});
after(() => closeRedis(redis));

interface Ctx {
  prefix: string;
  keys: ReturnType<typeof jobKeys>;
  queue: (
    consumer: string,
    onUnreadable?: (job: string, id: string, e: string) => void,
  ) => ResultQueue;
  /** Appends `record` the way commit.lua does; returns its id. */
  add: (record: PageRecord) => Promise<string>;
}

/** Runs `fn` under a fresh key prefix and deletes every key of it afterwards. */
async function withPrefix(fn: (ctx: Ctx) => Promise<void>): Promise<void> {
  const prefix = `ttest${randomBytes(5).toString('hex')}`;
  const keys = jobKeys(JOB, prefix);
  try {
    await fn({
      prefix,
      keys,
      queue: (consumer, onUnreadable) =>
        createRedisResultQueue({ redis, prefix, consumer, onUnreadable }),
      add: async (record) => {
        const args: (string | Buffer)[] = ['r', recordJson(record)];
        if (record.body !== null && record.body.length > 0) args.push('b', record.body);
        return (await redis.xadd(keys.results, '*', ...args))!;
      },
    });
  } finally {
    let cursor = '0';
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (found.length > 0) await redis.del(...found);
    } while (cursor !== '0');
  }
}

/** A body with every byte value, so any text decoding on the way would show. */
const BINARY = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

/** The fields of the first entry of a dead-letter stream, as bytes. */
async function deadFields(key: string): Promise<Buffer[]> {
  const entries = (await redis.xrangeBuffer(key, '-', '+', 'COUNT', 1)) as [Buffer, Buffer[]][];
  assert.ok(entries.length > 0, 'a dead letter');
  return entries[0]![1];
}

async function pendingCount(keys: Ctx['keys']): Promise<number> {
  const summary = (await redis.xpending(keys.results, 'writers')) as [number, ...unknown[]];
  return Number(summary[0]);
}

describe('RedisResultQueue', () => {
  test('read delivers each entry once, records and bodies intact; ack deletes and counts them', () =>
    withPrefix(async ({ keys, queue, add }) => {
      const pages = [
        makePage('https://a.test/1', { body: BINARY }),
        makeFailedPage('https://a.test/2'),
        makePage('https://a.test/3', { title: 'lone \ud800 surrogate, NUL \u0000', body: null }),
      ];
      const ids = [];
      for (const p of pages) ids.push(await add(p));
      const q = queue('w1');
      // No group yet: the first read creates it (from the stream's start).
      const batch = await q.read(JOB, 10);
      assert.deepEqual(
        batch.map((e) => e.id),
        ids,
      );
      assert.deepEqual(
        batch.map((e) => e.record),
        pages,
      );
      assert.ok(batch.every((e) => e.deliveries === 1));
      assert.deepEqual(await q.read(JOB, 10), [], 'delivered entries are not read again');
      assert.deepEqual(await queue('w2').read(JOB, 10), [], 'nor by another writer');
      assert.equal(await q.unwritten(JOB), 3);

      await q.ack(JOB, [ids[0]!, ids[2]!]);
      await q.ack(JOB, [ids[0]!]);
      await q.ack(JOB, []);
      assert.equal(await q.unwritten(JOB), 1, 'ack deletes: the stream length is the backlog');
      assert.equal(await redis.hget(keys.counters, 'written'), '2', 'an ack twice counts once');
      assert.equal(await pendingCount(keys), 1);
      assert.equal(await q.deadLetters(JOB), 0);
    }));

  test('read respects max and an existing group (BUSYGROUP is not an error)', () =>
    withPrefix(async ({ keys, queue, add }) => {
      await redis.xgroup('CREATE', keys.results, 'writers', '0', 'MKSTREAM');
      for (let i = 0; i < 5; i++) await add(makePage(`https://a.test/${i}`));
      const q = queue('w1');
      assert.equal((await q.read(JOB, 2)).length, 2);
      assert.equal((await q.read(JOB, 10)).length, 3);
      assert.equal(await q.unwritten('other-job'), 0, 'a job without a stream has no backlog');
    }));

  test('a stream deleted and made again (NOGROUP) gets its group back', () =>
    withPrefix(async ({ keys, queue, add }) => {
      const q = queue('w1');
      await add(makePage('https://a.test/before'));
      assert.equal((await q.read(JOB, 10)).length, 1);
      await redis.del(keys.results);
      await add(makePage('https://a.test/after'));
      const batch = await q.read(JOB, 10);
      assert.deepEqual(
        batch.map((e) => e.record.url),
        ['https://a.test/after'],
      );
    }));

  test('claimStale takes over idle entries with their delivery counts, resuming its scan', () =>
    withPrefix(async ({ keys, queue, add }) => {
      const ids = [];
      for (let i = 0; i < 3; i++) ids.push(await add(makePage(`https://a.test/${i}`)));
      const dead = queue('w1');
      const taker = queue('w2');
      assert.equal((await dead.read(JOB, 10)).length, 3);
      assert.deepEqual(await taker.claimStale(JOB, 10, 60_000), [], 'not idle long enough');

      // Two at a time: the second call goes on where the first stopped.
      const first = await taker.claimStale(JOB, 2, 0);
      const second = await taker.claimStale(JOB, 2, 0);
      assert.deepEqual(
        [...first, ...second].map((e) => [e.id, e.deliveries]),
        ids.map((id) => [id, 2]),
      );
      assert.equal(first[0]!.record.url, 'https://a.test/0');

      // Claimed again (the taker died too): one more delivery each.
      const third = await queue('w3').claimStale(JOB, 10, 0);
      assert.deepEqual(
        third.map((e) => e.deliveries),
        [3, 3, 3],
      );
      const pel = (await redis.xpending(keys.results, 'writers', '-', '+', 10)) as [
        string,
        string,
      ][];
      assert.ok(pel.every(([, consumer]) => consumer === 'w3'));
    }));

  test('claimStale skips entries deleted while pending (Redis 7 lists them apart)', () =>
    withPrefix(async ({ keys, queue, add }) => {
      const gone = await add(makePage('https://a.test/gone'));
      const kept = await add(makePage('https://a.test/kept'));
      await queue('w1').read(JOB, 10);
      await redis.xdel(keys.results, gone);
      const claimed = await queue('w2').claimStale(JOB, 10, 0);
      assert.deepEqual(
        claimed.map((e) => e.id),
        [kept],
      );
      assert.equal(await pendingCount(keys), 1, 'the deleted one left the pending list');
    }));

  test('deadLetter moves the entry with its error, atomically, once', () =>
    withPrefix(async ({ keys, queue, add }) => {
      const page = makePage('https://a.test/bad', { body: BINARY });
      const id = await add(page);
      await add(makePage('https://a.test/good'));
      const q = queue('w1');
      const [entry] = await q.read(JOB, 1);
      const before = Date.now();
      await q.deadLetter(JOB, entry!, 'value out of range (22003)');
      await q.deadLetter(JOB, entry!, 'again');
      assert.equal(
        await q.deadLetters(JOB),
        1,
        'a second dead-letter of the same entry is a no-op',
      );
      assert.equal(await q.unwritten(JOB), 1);
      assert.equal(await redis.hget(keys.counters, 'written'), null, 'not counted as written');
      assert.equal(await pendingCount(keys), 0);

      const fields = await deadFields(keys.deadLetters);
      const get = (name: string) => fields[fields.findIndex((f) => f.toString() === name) + 1]!;
      assert.equal(get('id').toString(), id);
      assert.equal(get('error').toString(), 'value out of range (22003)');
      assert.ok(Number(get('failed_at').toString()) >= before);
      assert.equal(get('r').toString(), recordJson(page));
      assert.deepEqual(get('b'), BINARY);
    }));

  test('entries that do not decode are dead-lettered by read, byte for byte, never returned', () =>
    withPrefix(async ({ keys, queue, add }) => {
      const notJson = Buffer.from([0x7b, 0xff, 0x00, 0x22]);
      await redis.xadd(keys.results, '*', 'r', notJson, 'b', BINARY);
      await redis.xadd(keys.results, '*', 'x', 'no record field');
      await redis.xadd(keys.results, '*', 'r', '42');
      const good = await add(makePage('https://a.test/good'));
      const told: string[] = [];
      const q = queue('w1', (job, _id, error) => told.push(`${job}: ${error}`));
      const batch = await q.read(JOB, 10);
      assert.deepEqual(
        batch.map((e) => e.id),
        [good],
      );
      assert.equal(told.length, 3);
      assert.match(told[0]!, /^job1: unreadable result entry: the record is not JSON/);
      assert.match(told[1]!, /no record field "r"/);
      assert.match(told[2]!, /not an object with a url/);
      assert.equal(await q.deadLetters(JOB), 3);
      assert.equal(await q.unwritten(JOB), 1);
      const fields = await deadFields(keys.deadLetters);
      assert.deepEqual(fields[7], notJson, 'the raw record is kept');
      assert.deepEqual(fields[9], BINARY);
    }));
});
