import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import {
  migratePostgres,
  PgSchemaTooNewError,
  POSTGRES_SCHEMA_VERSION,
} from '../../../src/backends/postgres/migrate.js';
import { createPgPool } from '../../../src/backends/postgres/pg-pool.js';
import { createTestSchema, TEST_DATABASE_URL } from '../../support/postgres.js';

describe('migratePostgres', () => {
  test('creates the tables in the search_path schema, once', async () => {
    const schema = await createTestSchema();
    const pool = createPgPool({ url: schema.url });
    try {
      const first = await migratePostgres(pool);
      assert.deepEqual(
        first.applied,
        Array.from({ length: POSTGRES_SCHEMA_VERSION }, (_, i) => i + 1),
      );
      assert.deepEqual(await migratePostgres(pool), { applied: [] });

      const tables = await pool.query<{ table_schema: string; table_name: string }>(
        `SELECT table_schema, table_name FROM information_schema.tables
         WHERE table_name IN ('crawl_jobs', 'crawled_data', 'trawl_migrations')
           AND table_schema IN ($1, 'public')
         ORDER BY table_name`,
        [schema.schema],
      );
      assert.deepEqual(
        tables.rows.map((r) => [r.table_schema, r.table_name]),
        [
          [schema.schema, 'crawl_jobs'],
          [schema.schema, 'crawled_data'],
          [schema.schema, 'trawl_migrations'],
        ],
      );
      const recorded = await pool.query<{ version: number; name: string }>(
        'SELECT version, name FROM trawl_migrations ORDER BY version',
      );
      assert.equal(recorded.rows.length, POSTGRES_SCHEMA_VERSION);
      assert.equal(recorded.rows[0]!.version, 1);
      assert.ok(recorded.rows[0]!.name.length > 0);
    } finally {
      await pool.end();
      await schema.cleanup();
    }
  });

  test('three processes migrating at once apply each version exactly once', async () => {
    const schema = await createTestSchema();
    const pools = [1, 2, 3].map(() => createPgPool({ url: schema.url, max: 1 }));
    try {
      const results = await Promise.all(pools.map((p) => migratePostgres(p)));
      const applied = results.flatMap((r) => r.applied).sort((a, b) => a - b);
      assert.deepEqual(
        applied,
        Array.from({ length: POSTGRES_SCHEMA_VERSION }, (_, i) => i + 1),
      );
      const n = await pools[0]!.query<{ n: string }>('SELECT count(*) AS n FROM trawl_migrations');
      assert.equal(Number(n.rows[0]!.n), POSTGRES_SCHEMA_VERSION);
    } finally {
      await Promise.all(pools.map((p) => p.end()));
      await schema.cleanup();
    }
  });

  test('migrations of different schemas do not wait for each other', async () => {
    const a = await createTestSchema();
    const b = await createTestSchema();
    const poolA = createPgPool({ url: a.url, max: 1 });
    const poolB = createPgPool({ url: b.url, max: 1 });
    const holder = new pg.Client({ connectionString: a.url });
    try {
      await holder.connect();
      // Hold schema a's migration lock; schema b must still migrate.
      await holder.query('BEGIN');
      await holder.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
        `trawl.migrate:${a.schema}`,
      ]);
      const blocked = migratePostgres(poolA);
      assert.deepEqual((await migratePostgres(poolB)).applied.length, POSTGRES_SCHEMA_VERSION);
      await holder.query('COMMIT');
      assert.equal((await blocked).applied.length, POSTGRES_SCHEMA_VERSION);
    } finally {
      await holder.end();
      await Promise.all([poolA.end(), poolB.end()]);
      await a.cleanup();
      await b.cleanup();
    }
  });

  test('refuses a schema newer than this code, and changes nothing', async () => {
    const schema = await createTestSchema();
    const pool = createPgPool({ url: schema.url });
    try {
      await migratePostgres(pool);
      const future = POSTGRES_SCHEMA_VERSION + 1;
      await pool.query(`INSERT INTO trawl_migrations (version, name) VALUES ($1, 'future')`, [
        future,
      ]);
      await assert.rejects(migratePostgres(pool), (err: unknown) => {
        assert.ok(err instanceof PgSchemaTooNewError);
        assert.equal(err.code, 'pg_schema_too_new');
        assert.equal(err.databaseVersion, future);
        assert.match(err.message, new RegExp(`version ${future}, newer than this Trawl`));
        assert.match(err.message, new RegExp(schema.schema));
        return true;
      });
      // The refused run rolled back and returned its connection in a usable state.
      const n = await pool.query<{ n: string }>('SELECT count(*) AS n FROM trawl_migrations');
      assert.equal(Number(n.rows[0]!.n), POSTGRES_SCHEMA_VERSION + 1);
    } finally {
      await pool.end();
      await schema.cleanup();
    }
  });

  test('a failing migration leaves no trace', async () => {
    const schema = await createTestSchema();
    const pool = createPgPool({ url: schema.url });
    try {
      const broken = [
        { version: 1, name: 'ok', sql: 'CREATE TABLE one (x int)' },
        { version: 2, name: 'broken', sql: 'CREATE TABLE two (x nosuchtype)' },
      ];
      await assert.rejects(migratePostgres(pool, broken), /nosuchtype/);
      const t = await pool.query(
        `SELECT 1 FROM information_schema.tables WHERE table_schema = $1`,
        [schema.schema],
      );
      assert.equal(t.rowCount, 0);
    } finally {
      await pool.end();
      await schema.cleanup();
    }
  });

  test('a search_path without an existing schema is a clear error', async () => {
    const url = `${TEST_DATABASE_URL}?options=${encodeURIComponent('-c search_path=t_does_not_exist')}`;
    const pool = createPgPool({ url });
    try {
      await assert.rejects(migratePostgres(pool), /first schema of search_path does not exist/);
    } finally {
      await pool.end();
    }
  });
});
