/**
 * The result writer end to end: records appended to a job's results stream on the shared
 * Redis (a key prefix per test) the way commit.lua appends them, drained into crawled_data
 * of a PostgreSQL schema of the test's own, through outages, data errors and dead writers.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import type pg from 'pg';
import type { PageRecord } from '../../src/core/types.js';
import { createPgPool } from '../../src/backends/postgres/pg-pool.js';
import {
  createPostgresPageSink,
  isTransientPgError,
} from '../../src/backends/postgres/postgres-page-sink.js';
import { createPostgresPageStore } from '../../src/backends/postgres/postgres-page-store.js';
import { jobKeys } from '../../src/backends/redis/keys.js';
import {
  closeRedis,
  connectRedis,
  type RedisClient,
} from '../../src/backends/redis/redis-connection.js';
import { recordJson } from '../../src/backends/redis/redis-frontier.js';
import { createRedisResultQueue } from '../../src/backends/redis/redis-result-queue.js';
import { createMetrics, type TrawlMetrics } from '../../src/metrics/metrics.js';
import type { PageSink } from '../../src/storage/page-store.js';
import type { ResultQueue } from '../../src/storage/result-queue.js';
import { runResultWriter, type ResultWriterOptions } from '../../src/storage/result-writer.js';
import {
  migratedSchema,
  within,
  type MigratedSchema,
} from '../backends/postgres/migrated-schema.js';
import { pgUrlThrough } from '../support/postgres.js';
import { startTcpProxy } from '../support/tcp-proxy.js';
import { makeFailedPage, makePage } from './page-store-contract.js';

const SHARED_REDIS = process.env.TRAWL_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const JOB = 'job1';
const T = 1_735_689_600_000;

let redis: RedisClient;
before(() => {
  redis = connectRedis(SHARED_REDIS, { connectionName: 'trawl-test-result-writer' });
});
after(() => closeRedis(redis));

interface Ctx {
  db: MigratedSchema;
  keys: ReturnType<typeof jobKeys>;
  queue: (consumer: string) => ResultQueue;
  /** Appends the records the way commit.lua does. */
  add: (records: PageRecord[]) => Promise<void>;
  /** Starts a writer on JOB; `stop()` aborts it and waits for run to resolve. */
  start: (options: Partial<ResultWriterOptions> & { consumer: string }) => Writer;
  /** Every stored page of JOB, bodies included, by url. */
  stored: (pool?: pg.Pool) => Promise<Map<string, PageRecord>>;
  rows: () => Promise<{ rows: number; urls: number }>;
  written: () => Promise<number>;
}

interface Writer {
  metrics: TrawlMetrics;
  batches: number[];
  done: Promise<void>;
  abort(): void;
  stop(): Promise<void>;
}

const silent = pino({ level: 'silent' });

async function withWriterEnv(fn: (ctx: Ctx) => Promise<void>): Promise<void> {
  const prefix = `ttest${randomBytes(5).toString('hex')}`;
  const keys = jobKeys(JOB, prefix);
  const db = await migratedSchema();
  const writers: Writer[] = [];
  const queue = (consumer: string) => createRedisResultQueue({ redis, prefix, consumer });
  try {
    await fn({
      db,
      keys,
      queue,
      add: async (records) => {
        const pipeline = redis.pipeline();
        for (const r of records) {
          if (r.body !== null && r.body.length > 0) {
            pipeline.xadd(keys.results, '*', 'r', recordJson(r), 'b', r.body);
          } else pipeline.xadd(keys.results, '*', 'r', recordJson(r));
        }
        await pipeline.exec();
      },
      start: ({ consumer, ...options }) => {
        const controller = new AbortController();
        const metrics = createMetrics({ collectDefault: false });
        const batches: number[] = [];
        const done = runResultWriter({
          queue: queue(consumer),
          sink: createPostgresPageSink(db.pool),
          isTransient: isTransientPgError,
          jobs: async () => [JOB],
          signal: controller.signal,
          log: silent,
          metrics,
          onBatch: (_job, rows) => batches.push(rows),
          retryMaxMs: 200,
          ...options,
        });
        const writer: Writer = {
          metrics,
          batches,
          done,
          abort: () => controller.abort(),
          stop: async () => {
            controller.abort();
            await within(15_000, `writer ${consumer} stops`, done);
          },
        };
        writers.push(writer);
        return writer;
      },
      stored: async (pool = db.pool) => {
        const pages = new Map<string, PageRecord>();
        const store = createPostgresPageStore(pool, JOB);
        for await (const p of store.scanPages({ withBody: true })) pages.set(p.url, p);
        return pages;
      },
      rows: async () => {
        const { rows } = await db.pool.query<{ rows: string; urls: string }>(
          'SELECT count(*) AS rows, count(DISTINCT url) AS urls FROM crawled_data WHERE task_id = $1',
          [JOB],
        );
        return { rows: Number(rows[0]!.rows), urls: Number(rows[0]!.urls) };
      },
      written: async () => Number((await redis.hget(keys.counters, 'written')) ?? 0),
    });
  } finally {
    for (const w of writers) w.abort();
    await Promise.all(writers.map((w) => w.done));
    await db.cleanup();
    let cursor = '0';
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (found.length > 0) await redis.del(...found);
    } while (cursor !== '0');
  }
}

/** Polls `check` until it returns true, or fails with `what` after `timeoutMs`. */
async function waitFor(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await sleep(20);
  }
}

async function counter(c: { get(): Promise<{ values: { value: number }[] }> }): Promise<number> {
  return (await c.get()).values.reduce((sum, v) => sum + v.value, 0);
}

function pages(n: number, from = 0, overrides: Partial<PageRecord> = {}): PageRecord[] {
  return Array.from({ length: n }, (_, i) =>
    (i + from) % 3 === 2
      ? makeFailedPage(`https://a.test/p${i + from}`, overrides)
      : makePage(`https://a.test/p${i + from}`, {
          body: (i + from) % 3 === 0 ? Buffer.from([i % 256, 0, 255, 10]) : null,
          ...overrides,
        }),
  );
}

function byUrl(records: PageRecord[]): Map<string, PageRecord> {
  return new Map(records.map((r) => [r.url, r]));
}

describe('runResultWriter', () => {
  test('drains the stream into crawled_data: every record once, every field intact', () =>
    withWriterEnv(async ({ queue, add, start, stored, rows, written }) => {
      const records = pages(1200);
      await add(records.slice(0, 700));
      const writer = start({ consumer: 'w1', batchSize: 500 });
      await add(records.slice(700));
      await waitFor('the stream is drained', async () => (await queue('x').unwritten(JOB)) === 0);
      assert.deepEqual(await stored(), byUrl(records));
      assert.deepEqual(await rows(), { rows: 1200, urls: 1200 });
      assert.equal(await written(), 1200);
      assert.equal(await queue('x').deadLetters(JOB), 0);
      assert.equal(
        writer.batches.reduce((a, b) => a + b, 0),
        1200,
      );
      assert.ok(Math.max(...writer.batches) <= 500);
      assert.equal(await counter(writer.metrics.writerRowsTotal), 1200);
      await writer.stop();
    }));

  test('a record the store refuses is dead-lettered; the rest of its batch is stored', () =>
    withWriterEnv(async ({ keys, queue, add, start, stored, written }) => {
      const records = pages(40);
      // int columns: 2^40 does not fit (22003 numeric_value_out_of_range).
      records[7] = makePage('https://a.test/deep', { depth: 2 ** 40 });
      records[30] = makePage('https://a.test/links', { linkCount: 2 ** 40 });
      await add(records);
      const writer = start({ consumer: 'w1', retryMinMs: 5 });
      await waitFor('drained', async () => (await queue('x').unwritten(JOB)) === 0);
      const good = records.filter((_, i) => i !== 7 && i !== 30);
      assert.deepEqual(await stored(), byUrl(good));
      assert.equal(await written(), 38);
      assert.equal(await queue('x').deadLetters(JOB), 2);
      assert.equal(await counter(writer.metrics.writerDeadLettersTotal), 2);
      const dead = await redis.xrange(keys.deadLetters, '-', '+');
      const urls = dead.map(([, f]) => (JSON.parse(f[f.indexOf('r') + 1]!) as PageRecord).url);
      assert.deepEqual(urls, ['https://a.test/deep', 'https://a.test/links']);
      for (const [, f] of dead) assert.match(f[f.indexOf('error') + 1]!, /out of range.*22003/);
      await writer.stop();
    }));

  test('PostgreSQL cut for seconds while records arrive: all stored once, none dead-lettered', () =>
    withWriterEnv(async ({ db, queue, add, start, stored, rows }) => {
      const target = new URL(db.url);
      const proxy = await startTcpProxy({
        targetHost: target.hostname,
        targetPort: Number(target.port || 5432),
      });
      const pool = createPgPool({
        url: pgUrlThrough(db.url, proxy.host, proxy.port),
        max: 2,
        connectionTimeoutMillis: 1_000,
      });
      try {
        const writer = start({
          consumer: 'w1',
          sink: createPostgresPageSink(pool),
          batchSize: 50,
          retryMaxMs: 500,
          // Long enough that nothing is claimed or counted as a redelivery.
          claimIdleMs: 60_000,
        });
        const records = pages(600);
        await add(records.slice(0, 100));
        await waitFor('some rows before the cut', async () => (await rows()).rows > 0);
        proxy.cut();
        const cutAt = Date.now();
        // Records keep arriving while the writer retries: a chunk, then a retry, and again.
        const retries = () => counter(writer.metrics.writerRetriesTotal);
        for (let i = 100; i < 600; i += 100) {
          const seen = await retries();
          await add(records.slice(i, i + 100));
          await waitFor('retries during the cut', async () => (await retries()) >= seen + 2);
        }
        proxy.restore();
        assert.ok(Date.now() - cutAt >= 2_000, `cut for ${Date.now() - cutAt} ms`);
        await waitFor('drained', async () => (await queue('x').unwritten(JOB)) === 0, 15_000);
        assert.deepEqual(await rows(), { rows: 600, urls: 600 });
        assert.deepEqual(await stored(), byUrl(records));
        assert.equal(await queue('x').deadLetters(JOB), 0);
        await writer.stop();
      } finally {
        await pool.end();
        await proxy.close();
      }
    }));

  test('a writer that died holding a batch: another takes it over and writes it', () =>
    withWriterEnv(async ({ queue, add, start, stored, written }) => {
      const records = pages(30);
      await add(records);
      // "w1" reads the batch and dies before writing it.
      assert.equal((await queue('w1').read(JOB, 100)).length, 30);
      const writer = start({ consumer: 'w2', claimIdleMs: 500 });
      await waitFor('drained', async () => (await queue('x').unwritten(JOB)) === 0);
      assert.deepEqual(await stored(), byUrl(records));
      assert.equal(await written(), 30);
      assert.equal(await queue('x').deadLetters(JOB), 0);
      await writer.stop();
    }));

  test('an entry that keeps killing writers is dead-lettered when claimed, untried', () =>
    withWriterEnv(async ({ keys, queue, add, start, stored }) => {
      await add([makePage('https://a.test/poison')]);
      await queue('w1').read(JOB, 10);
      // Five more writers claimed it and died: delivered 6 times.
      for (let i = 2; i <= 6; i++) await queue(`w${i}`).claimStale(JOB, 10, 0);
      let writes = 0;
      const sink: PageSink = {
        writeBatch: async () => void writes++,
        close: async () => {},
      };
      const writer = start({ consumer: 'w7', claimIdleMs: 0, maxDeliveries: 5, sink });
      await waitFor('dead-lettered', async () => (await queue('x').deadLetters(JOB)) === 1);
      assert.equal(writes, 0);
      assert.equal((await stored()).size, 0);
      const [, fields] = (await redis.xrange(keys.deadLetters, '-', '+'))[0]!;
      assert.equal(fields[fields.indexOf('error') + 1], 'delivered 7 times without being written');
      assert.equal(await queue('x').unwritten(JOB), 0);
      await writer.stop();
    }));

  test('killed after COMMIT, before the ack: written again by another, rows once and newest', () =>
    withWriterEnv(async ({ db, queue, add, start, stored, rows, written }) => {
      const old = pages(20, 0, { fetchedAt: T, title: 'old' });
      await add(old);
      let committed = false;
      const real = createPostgresPageSink(db.pool);
      const dying: PageSink = {
        // Commits, then the process "dies": the call never returns, so no ack follows.
        writeBatch: async (job, batch) => {
          await real.writeBatch(job, batch);
          committed = true;
          return new Promise<void>(() => {});
        },
        close: async () => {},
      };
      const first = start({ consumer: 'w1', sink: dying, shutdownGraceMs: 50 });
      await waitFor('the first writer committed', () => committed);
      await first.stop();
      assert.equal(await queue('x').unwritten(JOB), 20, 'committed but never acknowledged');

      // Refetched meanwhile: newer versions of half of the urls.
      const newer = pages(10, 0, { fetchedAt: T + 1_000, title: 'new' });
      await add(newer);
      const second = start({ consumer: 'w2', claimIdleMs: 500 });
      await waitFor('drained', async () => (await queue('x').unwritten(JOB)) === 0);
      assert.deepEqual(await rows(), { rows: 20, urls: 20 });
      assert.deepEqual(await stored(), byUrl([...old.slice(10), ...newer]));
      assert.equal(await written(), 30, 'the old entries acked once, by the second writer');
      assert.equal(await queue('x').deadLetters(JOB), 0);
      await second.stop();
    }));

  test('graceful stop: the batch being written completes and is acked; nothing more is read', () =>
    withWriterEnv(async ({ db, queue, add, start, stored, written }) => {
      const records = pages(10);
      await add(records);
      const real = createPostgresPageSink(db.pool);
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let writing = false;
      const slow: PageSink = {
        writeBatch: async (job, batch) => {
          writing = true;
          await gate;
          await real.writeBatch(job, batch);
        },
        close: async () => {},
      };
      const writer = start({ consumer: 'w1', sink: slow });
      let resolved = false;
      void writer.done.then(() => (resolved = true));
      await waitFor('a batch is being written', () => writing);
      writer.abort();
      await add(pages(5, 100));
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(resolved, false, 'run waits for the batch in hand');
      release();
      await within(5_000, 'run resolves', writer.done);
      assert.deepEqual(await stored(), byUrl(records));
      assert.equal(await written(), 10);
      assert.equal(await queue('x').unwritten(JOB), 5, 'nothing read after the stop');
    }));

  test('stopping during an outage returns at once and leaves the batch pending', () =>
    withWriterEnv(async ({ queue, add, start }) => {
      await add(pages(10));
      const down: PageSink = {
        writeBatch: async () => {
          throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {
            code: 'ECONNREFUSED',
          });
        },
        close: async () => {},
      };
      const writer = start({ consumer: 'w1', sink: down, retryMaxMs: 5_000 });
      await waitFor(
        'retrying',
        async () => (await counter(writer.metrics.writerRetriesTotal)) >= 2,
      );
      const stopped = Date.now();
      await writer.stop();
      assert.ok(Date.now() - stopped < 1_000, 'the retry wait ends at the stop');
      assert.equal(await queue('x').unwritten(JOB), 10);
      assert.equal(await queue('x').deadLetters(JOB), 0);
    }));

  test('when every record is refused, the store is at fault: dead-lettering stops', () =>
    withWriterEnv(async ({ db, queue, add, start, stored }) => {
      const records = pages(10);
      await add(records);
      let broken = true;
      const real = createPostgresPageSink(db.pool);
      const sink: PageSink = {
        writeBatch: async (job, batch) => {
          if (broken) {
            throw Object.assign(new Error('relation "crawled_data" does not exist'), {
              code: '42P01',
            });
          }
          await real.writeBatch(job, batch);
        },
        close: async () => {},
      };
      const writer = start({
        consumer: 'w1',
        sink,
        recordAttempts: 1,
        maxDeadLettersInARow: 2,
        retryMinMs: 5,
        retryMaxMs: 20,
      });
      await waitFor(
        'retrying',
        async () => (await counter(writer.metrics.writerRetriesTotal)) >= 5,
      );
      assert.equal(await queue('x').deadLetters(JOB), 2, 'two sacrificed, then no more');
      broken = false;
      await waitFor('drained', async () => (await queue('x').unwritten(JOB)) === 0);
      assert.equal((await stored()).size, 8);
      assert.equal(await queue('x').deadLetters(JOB), 2);
      await writer.stop();
    }));
});
