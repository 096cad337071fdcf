import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { PageRecord } from '../../../src/core/types.js';
import { createPostgresPageSink } from '../../../src/backends/postgres/postgres-page-sink.js';
import { createPostgresPageStore } from '../../../src/backends/postgres/postgres-page-store.js';
import { makePage, pageStoreContract } from '../../storage/page-store-contract.js';
import { migratedSchema } from './migrated-schema.js';

pageStoreContract('PostgreSQL', async () => {
  const db = await migratedSchema();
  const sink = createPostgresPageSink(db.pool);
  const store = createPostgresPageStore(db.pool, 'contract-job');
  return {
    write: (pages) => sink.writeBatch('contract-job', pages),
    store,
    cleanup: async () => {
      await store.close();
      await sink.close();
      await db.cleanup();
    },
  };
});

async function scan(store: ReturnType<typeof createPostgresPageStore>): Promise<PageRecord[]> {
  const out: PageRecord[] = [];
  for await (const p of store.scanPages({ batchSize: 2 })) out.push(p);
  return out;
}

describe('PostgresPageStore', () => {
  test('reads only its own job', async () => {
    const db = await migratedSchema();
    try {
      const sink = createPostgresPageSink(db.pool);
      await sink.writeBatch('a', [makePage('https://x.test/1'), makePage('https://x.test/2')]);
      await sink.writeBatch('b', [makePage('https://x.test/2'), makePage('https://x.test/3')]);
      await sink.writeBatch('a', [makePage('https://x.test/4')]);
      const a = createPostgresPageStore(db.pool, 'a');
      const b = createPostgresPageStore(db.pool, 'b');
      const none = createPostgresPageStore(db.pool, 'none');
      assert.equal(await a.countPages(), 3);
      assert.equal(await b.countPages(), 2);
      assert.equal(await none.countPages(), 0);
      assert.deepEqual(
        (await scan(a)).map((p) => p.url),
        ['https://x.test/1', 'https://x.test/2', 'https://x.test/4'],
      );
      assert.deepEqual(
        (await scan(b)).map((p) => p.url),
        ['https://x.test/2', 'https://x.test/3'],
      );
      assert.deepEqual(await scan(none), []);
    } finally {
      await db.cleanup();
    }
  });

  test('close() leaves the pool, which belongs to its creator, open', async () => {
    const db = await migratedSchema();
    try {
      const store = createPostgresPageStore(db.pool, 'a');
      await store.close();
      const { rows } = await db.pool.query<{ one: number }>('SELECT 1 AS one');
      assert.equal(rows[0]!.one, 1);
    } finally {
      await db.cleanup();
    }
  });

  test('fetchedAt keeps sub-millisecond precision down to the microsecond', async () => {
    const db = await migratedSchema();
    try {
      const sink = createPostgresPageSink(db.pool);
      const times = [0, 1, 1_735_689_600_123, 4_102_444_799_999, 1_735_689_600_123.5, -1000];
      await sink.writeBatch(
        'a',
        times.map((t, i) => makePage(`https://x.test/${i}`, { fetchedAt: t })),
      );
      const store = createPostgresPageStore(db.pool, 'a');
      assert.deepEqual(
        (await scan(store)).map((p) => p.fetchedAt),
        times,
      );
    } finally {
      await db.cleanup();
    }
  });
});
