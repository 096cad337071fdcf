import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPgPool } from '../../../src/backends/postgres/pg-pool.js';
import { createPostgresPageSink } from '../../../src/backends/postgres/postgres-page-sink.js';
import { isTransientPgError } from '../../../src/backends/postgres/pg-errors.js';
import { freePort } from '../../support/free-port.js';
import { pgUrlThrough, TEST_DATABASE_URL } from '../../support/postgres.js';
import { startTcpProxy } from '../../support/tcp-proxy.js';
import { makePage } from '../../storage/page-store-contract.js';
import { migratedSchema, within } from './migrated-schema.js';

const failure = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => assert.fail('expected a failure'),
    (err: unknown) => err,
  );

describe('isTransientPgError', () => {
  test('a refused connection (nothing listening) is transient', async () => {
    const port = await freePort();
    const pool = createPgPool({ url: pgUrlThrough(TEST_DATABASE_URL, '127.0.0.1', port) });
    try {
      const err = await failure(pool.query('SELECT 1'));
      assert.equal((err as { code?: string }).code, 'ECONNREFUSED');
      assert.equal(isTransientPgError(err), true);
    } finally {
      await pool.end();
    }
  });

  test('a refused connection through "localhost" (every address fails) is transient', async () => {
    const port = await freePort();
    const pool = createPgPool({ url: pgUrlThrough(TEST_DATABASE_URL, 'localhost', port) });
    try {
      assert.equal(isTransientPgError(await failure(pool.query('SELECT 1'))), true);
    } finally {
      await pool.end();
    }
  });

  test('a connection cut mid-query is transient; the pool recovers', async () => {
    const target = new URL(TEST_DATABASE_URL);
    const proxy = await startTcpProxy({
      targetHost: target.hostname,
      targetPort: Number(target.port || 5432),
    });
    const pool = createPgPool({ url: pgUrlThrough(TEST_DATABASE_URL, proxy.host, proxy.port) });
    try {
      await pool.query('SELECT 1');
      const slow = failure(pool.query('SELECT pg_sleep(30)'));
      proxy.cut();
      const err = await within(10_000, 'the cut query to fail', slow);
      assert.equal(isTransientPgError(err), true, String(err));
      // Still cut: connecting fails, transiently.
      assert.equal(isTransientPgError(await failure(pool.query('SELECT 1'))), true);
      proxy.restore();
      assert.equal((await pool.query<{ one: number }>('SELECT 1 AS one')).rows[0]!.one, 1);
    } finally {
      await pool.end();
      await proxy.close();
    }
  });

  test('the server terminating a connection (57P01) is transient, idle or busy', async () => {
    const idleErrors: Error[] = [];
    let sawIdleError: () => void = () => {};
    const idleErrorSeen = new Promise<void>((resolve) => (sawIdleError = resolve));
    const pool = createPgPool({
      url: TEST_DATABASE_URL,
      max: 2,
      onIdleError: (err) => {
        idleErrors.push(err);
        sawIdleError();
      },
    });
    const admin = createPgPool({ url: TEST_DATABASE_URL, max: 1 });
    try {
      // Idle: the pool's listener gets the error (without it the process would crash).
      const pid = (await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!
        .pid;
      await admin.query('SELECT pg_terminate_backend($1)', [pid]);
      await within(5_000, 'the idle client error', idleErrorSeen);
      assert.equal((idleErrors[0] as { code?: string }).code, '57P01');
      assert.equal(isTransientPgError(idleErrors[0]), true);
      // The pool replaced the connection.
      assert.equal((await pool.query<{ one: number }>('SELECT 1 AS one')).rows[0]!.one, 1);

      // Busy: the query in flight fails with it.
      const client = await pool.connect();
      try {
        const busyPid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid'))
          .rows[0]!.pid;
        const slow = failure(client.query('SELECT pg_sleep(30)'));
        await admin.query('SELECT pg_terminate_backend($1)', [busyPid]);
        const err = await within(5_000, 'the busy query to fail', slow);
        assert.equal(isTransientPgError(err), true, String(err));
      } finally {
        client.release(true);
      }
    } finally {
      await pool.end();
      await admin.end();
    }
  });

  test('data errors (22xxx, 23xxx), SQL errors and misuse are not transient', async () => {
    const db = await migratedSchema();
    try {
      const sink = createPostgresPageSink(db.pool);
      const tooLong = makePage('https://a.test/x', { depth: 2 ** 40 });
      const data = await failure(sink.writeBatch('j', [tooLong]));
      assert.match((data as { code: string }).code, /^22/);
      assert.equal(isTransientPgError(data), false);
      const unique = await failure(
        db.pool.query(`INSERT INTO trawl_migrations (version, name) VALUES (1, 'again')`),
      );
      assert.equal((unique as { code: string }).code, '23505');
      assert.equal(isTransientPgError(unique), false);
      const syntax = await failure(db.pool.query('SELEC 1'));
      assert.equal(isTransientPgError(syntax), false);
      const ended = createPgPool({ url: db.url });
      await ended.end();
      assert.equal(isTransientPgError(await failure(ended.query('SELECT 1'))), false);
    } finally {
      await db.cleanup();
    }
  });

  test('codes and shapes', () => {
    const withCode = (code: string): Error => Object.assign(new Error(code), { code });
    for (const code of ['08006', '08001', '57P01', '57P03', '53300', '40P01', '40001']) {
      assert.equal(isTransientPgError(withCode(code)), true, code);
    }
    for (const code of ['22P02', '22021', '23505', '23502', '42P01', '42601', 'XX000']) {
      assert.equal(isTransientPgError(withCode(code)), false, code);
    }
    assert.equal(isTransientPgError(withCode('EPIPE')), true);
    assert.equal(isTransientPgError(new Error('Connection terminated unexpectedly')), true);
    assert.equal(isTransientPgError(new Error('timeout exceeded when trying to connect')), true);
    assert.equal(isTransientPgError(new Error('wrapped', { cause: withCode('ECONNRESET') })), true);
    assert.equal(
      isTransientPgError(new AggregateError([withCode('ECONNREFUSED')], 'all failed')),
      true,
    );
    for (const v of [null, undefined, 'ECONNREFUSED', 42, {}]) {
      assert.equal(isTransientPgError(v), false);
    }
  });
});
