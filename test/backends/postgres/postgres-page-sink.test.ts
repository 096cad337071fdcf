import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { PageRecord } from '../../../src/core/types.js';
import {
  createPostgresPageSink,
  isTransientPgError,
  type PostgresPageSinkOptions,
} from '../../../src/backends/postgres/postgres-page-sink.js';
import { createPostgresPageStore } from '../../../src/backends/postgres/postgres-page-store.js';
import { makeFailedPage, makePage } from '../../storage/page-store-contract.js';
import { migratedSchema, type MigratedSchema } from './migrated-schema.js';

const JOB = 'job-1';

async function withSink(
  fn: (ctx: {
    db: MigratedSchema;
    write: (pages: PageRecord[], jobId?: string) => Promise<void>;
    read: (jobId?: string) => Promise<PageRecord[]>;
  }) => Promise<void>,
  options?: PostgresPageSinkOptions,
): Promise<void> {
  const db = await migratedSchema();
  const sink = createPostgresPageSink(db.pool, options);
  try {
    await fn({
      db,
      write: (pages, jobId = JOB) => sink.writeBatch(jobId, pages),
      read: async (jobId = JOB) => {
        const out: PageRecord[] = [];
        const store = createPostgresPageStore(db.pool, jobId);
        for await (const p of store.scanPages({ withBody: true, batchSize: 500 })) out.push(p);
        await store.close();
        return out;
      },
    });
  } finally {
    await sink.close();
    await db.cleanup();
  }
}

const T = 1_735_689_600_000;

describe('PostgresPageSink', () => {
  test("one job's writers commit one at a time, so ids follow commit order; other jobs go on", () =>
    withSink(async ({ write, read, db }) => {
      // A writer of the job is mid-transaction (holding the job's lock)…
      const holder = await db.pool.connect();
      try {
        await holder.query('BEGIN');
        await holder.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [JOB]);
        let written = false;
        const blocked = write([makePage('https://a.test/late')]).then(() => (written = true));
        // …another job's writer is not held up…
        await write([makePage('https://b.test/1')], 'job-2');
        assert.equal(written, false, 'the same job waits for the one in progress');
        await holder.query('COMMIT');
        await blocked;
        assert.deepEqual(
          (await read()).map((p) => p.url),
          ['https://a.test/late'],
        );
      } finally {
        holder.release();
      }
    }));

  test('the newest fetch wins: an older refetch written later changes nothing', () =>
    withSink(async ({ write, read, db }) => {
      const newer = makePage('https://a.test/p', { fetchedAt: T + 5000, title: 'newer' });
      const older = makePage('https://a.test/p', { fetchedAt: T, title: 'older', status: 500 });
      await write([newer]);
      const before = await db.pool.query<{ updated_at: Date }>(
        'SELECT updated_at FROM crawled_data',
      );
      await write([older]);
      assert.deepEqual(await read(), [newer]);
      const after = await db.pool.query<{ updated_at: Date }>(
        'SELECT updated_at FROM crawled_data',
      );
      assert.deepEqual(after.rows, before.rows, 'the skipped update did not touch updated_at');

      // And the other way round: the newer one replaces the older.
      await write([older], 'job-2');
      await write([newer], 'job-2');
      assert.deepEqual(await read('job-2'), [newer]);
    }));

  test('the same url twice in one batch keeps the newest, in first-seen position', () =>
    withSink(async ({ write, read }) => {
      const a1 = makePage('https://a.test/a', { fetchedAt: T + 10, title: 'a newest' });
      const b = makePage('https://a.test/b');
      const a2 = makePage('https://a.test/a', { fetchedAt: T, title: 'a older' });
      const c1 = makePage('https://a.test/c', { fetchedAt: T, title: 'c first' });
      const c2 = makePage('https://a.test/c', { fetchedAt: T, title: 'c same time, later' });
      await write([a1, b, a2, c1, c2]);
      assert.deepEqual(await read(), [a1, b, c2]);
    }));

  test('NUL characters and lone surrogates are stored as U+FFFD instead of failing', () =>
    withSink(async ({ write, read }) => {
      const dirty = makePage('https://a.test/nul', {
        title: 'a\u0000b',
        errorMessage: 'bad \ud800 high, bad \udc00 low, good \ud83d\ude00',
        headers: { 'x-evil': 'v\u0000al', 'x-\u0000name': 'ok', 'x-lone': '\udfff' },
      });
      const clean = makePage('https://a.test/clean');
      await write([dirty, clean]);
      const [stored, other] = await read();
      assert.equal(stored!.title, 'a\ufffdb');
      assert.equal(stored!.errorMessage, 'bad \ufffd high, bad \ufffd low, good \ud83d\ude00');
      assert.deepEqual(stored!.headers, {
        'x-evil': 'v\ufffdal',
        'x-\ufffdname': 'ok',
        'x-lone': '\ufffd',
      });
      assert.deepEqual(other, clean);
    }));

  test('urls that differ only in unstorable characters are one row', () =>
    withSink(async ({ write, read }) => {
      const nul = makePage('https://a.test/\u0000', { fetchedAt: T });
      const lone = makePage('https://a.test/\ud800', { fetchedAt: T + 1, title: 'newest' });
      await write([nul, lone]);
      const pages = await read();
      assert.deepEqual(
        pages.map((p) => [p.url, p.title]),
        [['https://a.test/\ufffd', 'newest']],
      );
    }));

  test('metadata carries the S1 summary of each page', () =>
    withSink(async ({ write, db }) => {
      await write([makePage('https://a.test/ok'), makeFailedPage('https://a.test/failed')]);
      const { rows } = await db.pool.query<{ url: string; metadata: unknown }>(
        'SELECT url, metadata FROM crawled_data ORDER BY id',
      );
      assert.deepEqual(rows, [
        {
          url: 'https://a.test/ok',
          metadata: {
            status: 200,
            finalUrl: 'https://a.test/ok?redirected=1',
            contentType: 'text/html; charset=utf-8',
            charset: 'utf-8',
            linkCount: 42,
          },
        },
        { url: 'https://a.test/failed', metadata: { linkCount: 0, error: 'timeout' } },
      ]);
    }));

  // 3,500 rows × 20 columns would be 70,000 bind parameters in a multi-row VALUES insert,
  // over the protocol's 65,535.
  const big = Array.from({ length: 3500 }, (_, i) =>
    makePage(`https://a.test/big/${i}`, { fetchedAt: T + i, body: null }),
  );

  test('a batch beyond the bind-parameter limit goes in one statement', () =>
    withSink(
      async ({ write, read }) => {
        await write(big);
        assert.deepEqual(await read(), big);
      },
      { maxRowsPerStatement: 10_000 },
    ));

  test('a batch split into several statements by row count', () =>
    withSink(async ({ write, read }) => {
      await write(big);
      assert.deepEqual(await read(), big);
    }));

  test('a batch split by bytes keeps each body with its row', () =>
    withSink(
      async ({ write, read }) => {
        const pages = Array.from({ length: 40 }, (_, i) =>
          makePage(`https://a.test/body/${i}`, {
            body: i % 3 === 0 ? null : Buffer.alloc(3000 + i, i),
          }),
        );
        // A page larger than the limit still goes, alone.
        pages.push(makePage('https://a.test/huge', { body: Buffer.alloc(50_000, 7) }));
        await write(pages);
        assert.deepEqual(await read(), pages);
      },
      { maxBytesPerStatement: 10_000 },
    ));

  test('a data error fails the whole batch, writes nothing, and is not transient', () =>
    withSink(
      async ({ write, read, db }) => {
        const good = Array.from({ length: 5 }, (_, i) => makePage(`https://a.test/g${i}`));
        const bad = makePage('https://a.test/bad', { status: 200.5 });
        // The bad row is in the last of three statements: the first two must roll back.
        const err = await write([...good, bad]).then(
          () => null,
          (e: unknown) => e,
        );
        assert.ok(err instanceof Error, 'the batch failed');
        assert.match((err as { code?: string }).code ?? '', /^22/);
        assert.equal(isTransientPgError(err), false);
        assert.deepEqual(await read(), []);
        // The pool is fine afterwards.
        await write(good);
        assert.equal((await read()).length, 5);
        const idle = await db.pool.query<{ n: string }>(
          `SELECT count(*) AS n FROM pg_stat_activity
           WHERE application_name = $1 AND state LIKE 'idle in transaction%'`,
          [db.schema],
        );
        assert.equal(Number(idle.rows[0]!.n), 0, 'no transaction left open');
      },
      { maxRowsPerStatement: 2 },
    ));

  test('a missing NOT NULL value is a data error too (23xxx)', () =>
    withSink(async ({ write }) => {
      const err = await write([makePage('https://a.test/nan', { fetchedAt: Number.NaN })]).then(
        () => null,
        (e: unknown) => e,
      );
      assert.match((err as { code?: string } | null)?.code ?? '', /^23/);
      assert.equal(isTransientPgError(err), false);
    }));

  test('an empty batch is a no-op', () =>
    withSink(async ({ write, read }) => {
      await write([]);
      assert.deepEqual(await read(), []);
    }));
});
