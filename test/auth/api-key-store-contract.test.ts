/**
 * The ApiKeyStore contract, run against both adapters: SQLite's service database and
 * PostgreSQL (a migrated schema of its own). Two stores over the same storage stand for
 * two processes (`trawl keys` and a server); a settable clock drives the cache TTL and the
 * once-a-minute last-use writes, so nothing here sleeps.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ApiKeyStore } from '../../src/auth/api-key-store.js';
import type { ApiKeyStoreOptions } from '../../src/auth/create-api-key-store.js';
import { migratePostgres } from '../../src/backends/postgres/migrate.js';
import { createPgPool } from '../../src/backends/postgres/pg-pool.js';
import { createPostgresApiKeyStore } from '../../src/backends/postgres/postgres-api-key-store.js';
import { openServiceDatabase } from '../../src/backends/sqlite/service-database.js';
import { createSqliteApiKeyStore } from '../../src/backends/sqlite/sqlite-api-key-store.js';
import { createTestSchema } from '../support/postgres.js';
import { tempDir } from '../support/temp-dir.js';

interface Harness {
  /** A store over the shared storage, as another process would open it. */
  open(options?: ApiKeyStoreOptions): ApiKeyStore;
  /** The stored hash column of a key, read directly. */
  rawHash(id: string): Promise<string>;
  cleanup(): Promise<void>;
}

const backends: [string, () => Promise<Harness>][] = [
  [
    'SQLite',
    async () => {
      const dir = await tempDir('trawl-keys-');
      const databases = [openServiceDatabase(dir.path)];
      return {
        open(options) {
          const database = openServiceDatabase(dir.path);
          databases.push(database);
          return createSqliteApiKeyStore(database, options);
        },
        async rawHash(id) {
          return databases[0]!.db
            .prepare('SELECT hash FROM api_keys WHERE id = ?')
            .pluck()
            .get(id) as string;
        },
        async cleanup() {
          for (const d of databases) await d.close();
          await dir.cleanup();
        },
      };
    },
  ],
  [
    'PostgreSQL',
    async () => {
      const schema = await createTestSchema('tkeys');
      const pool = createPgPool({ url: schema.url, max: 4 });
      await migratePostgres(pool);
      return {
        open: (options) => createPostgresApiKeyStore(pool, options),
        async rawHash(id) {
          const { rows } = await pool.query<{ hash: string }>(
            'SELECT hash FROM api_keys WHERE id = $1',
            [id],
          );
          return rows[0]!.hash;
        },
        async cleanup() {
          await pool.end();
          await schema.cleanup();
        },
      };
    },
  ],
];

function manualClock(start = 1_767_225_600_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

async function eventually(cond: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

for (const [name, makeHarness] of backends) {
  describe(`ApiKeyStore contract (${name})`, () => {
    let h: Harness;
    before(async () => {
      h = await makeHarness();
    });
    after(async () => {
      await h?.cleanup();
    });

    test('create: the key is shown once, only an scrypt hash is stored, verify accepts it', async () => {
      const store = h.open();
      assert.equal(await store.any(), false);
      const created = await store.create({
        name: '  ci pipeline ',
        scopes: ['admin', 'read', 'read'],
      });
      assert.match(created.key, /^trawl_[0-9A-Za-z]{8,12}_[A-Za-z0-9_-]{43}$/);
      assert.match(created.webhookSecret, /^whsec_[A-Za-z0-9_-]{43}$/);
      assert.equal(created.key.split('_')[1], created.record.id);
      assert.deepEqual(created.record.scopes, ['read', 'admin']);
      assert.equal(created.record.name, 'ci pipeline');
      assert.equal(created.record.revokedAt, null);
      assert.equal(created.record.lastUsedAt, null);
      assert.equal(await store.any(), true);

      const secret = created.key.slice(`trawl_${created.record.id}_`.length);
      const hash = await h.rawHash(created.record.id);
      assert.match(hash, /^scrypt\$16384\$8\$1\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]{43}$/);
      assert.ok(!hash.includes(secret));

      // Another process (a fresh store) accepts it; list never shows a secret.
      const other = h.open();
      const verified = await other.verify(created.key);
      assert.equal(verified?.id, created.record.id);
      assert.equal(verified?.webhookSecret, created.webhookSecret);
      assert.deepEqual(verified?.scopes, ['read', 'admin']);
      const listed = await other.list();
      const mine = listed.find((k) => k.id === created.record.id);
      assert.deepEqual(mine, { ...created.record, lastUsedAt: mine?.lastUsedAt ?? null });
      const text = JSON.stringify(listed);
      assert.ok(
        !text.includes(secret) && !text.includes(created.webhookSecret) && !text.includes(hash),
      );
    });

    test('verify refuses a wrong secret, an unknown id and anything not shaped like a key', async () => {
      const store = h.open();
      const { key, record } = await store.create({ name: 'v', scopes: ['read'] });
      const secret = key.slice(`trawl_${record.id}_`.length);
      const flipped = secret[0] === 'A' ? `B${secret.slice(1)}` : `A${secret.slice(1)}`;
      const fresh = h.open();
      for (const bad of [
        `trawl_${record.id}_${flipped}`,
        `trawl_ZZZZZZZZZZ_${secret}`,
        `trawl_${record.id}`,
        `${key}x`,
        key.slice(0, -1),
        '',
        'Bearer',
        `xtrawl_${record.id}_${secret}`,
      ]) {
        assert.equal(await fresh.verify(bad), null, bad);
      }
      assert.equal((await fresh.verify(key))?.id, record.id);
    });

    test('concurrent verifications of one key all succeed', async () => {
      const store = h.open();
      const { key, record } = await store.create({ name: 'burst', scopes: ['write'] });
      const fresh = h.open();
      const results = await Promise.all(Array.from({ length: 20 }, () => fresh.verify(key)));
      assert.ok(results.every((r) => r?.id === record.id));
    });

    test('a revoked key stops working at once in the revoking store, within the cache TTL elsewhere', async () => {
      const clock = manualClock();
      const server = h.open({ cacheTtlMs: 10_000, clock });
      const cli = h.open({ clock });
      const { key, record } = await cli.create({ name: 'to revoke', scopes: ['write'] });
      assert.equal((await server.verify(key))?.id, record.id);

      const revoked = await cli.revoke(record.id);
      assert.equal(revoked?.id, record.id);
      assert.equal(revoked?.revokedAt, clock.now());
      assert.equal(await cli.verify(key), null, 'the revoking store refuses at once');
      assert.equal((await server.verify(key))?.id, record.id, 'cached in the other store');
      clock.advance(9_999);
      assert.equal((await server.verify(key))?.id, record.id);
      clock.advance(2);
      assert.equal(await server.verify(key), null, 'refused once the TTL is over');

      // Idempotent: the first revocation time stands. Unknown and malformed ids: null.
      clock.advance(5_000);
      assert.equal((await cli.revoke(record.id))?.revokedAt, revoked?.revokedAt);
      assert.equal(await cli.revoke('ZZZZZZZZZZ'), null);
      assert.equal(await cli.revoke("x' OR 1=1 --"), null);
      assert.equal(await cli.any(), true, 'revoked keys still count: revoking all locks the API');
    });

    test('a flood of bad keys does not push a verified key out of the cache', async () => {
      const server = h.open({ cacheTtlMs: 10_000, cacheMax: 3 });
      const cli = h.open();
      const { key, record } = await cli.create({ name: 'kept', scopes: ['read'] });
      assert.equal((await server.verify(key))?.id, record.id);
      for (let i = 0; i < 20; i++) {
        assert.equal(
          await server.verify(`trawl_Bad${String(i).padStart(7, '0')}_${'A'.repeat(43)}`),
          null,
        );
      }
      await cli.revoke(record.id);
      // Still accepted: it was answered from the cache, not asked again (and refused).
      assert.equal((await server.verify(key))?.id, record.id);
    });

    test('with a TTL of 0 every verification asks the store', async () => {
      const server = h.open({ cacheTtlMs: 0 });
      const cli = h.open();
      const { key, record } = await cli.create({ name: 'uncached', scopes: ['read'] });
      assert.equal((await server.verify(key))?.id, record.id);
      await cli.revoke(record.id);
      assert.equal(await server.verify(key), null);
    });

    test('last use is recorded at most once a minute per store', async () => {
      const clock = manualClock(1_767_300_000_000);
      const server = h.open({ cacheTtlMs: 1_000, clock });
      const cli = h.open({ clock });
      const { key, record } = await cli.create({ name: 'used', scopes: ['read'] });
      const lastUsed = async () => (await cli.list()).find((k) => k.id === record.id)!.lastUsedAt;
      await server.verify(key);
      const first = clock.now();
      await eventually(async () => (await lastUsed()) === first, 'the first use recorded');
      clock.advance(30_000);
      await server.verify(key);
      clock.advance(29_000);
      await server.verify(key);
      // Writes are not awaited by verify: give a would-be write time to land.
      await cli.list();
      assert.equal(await lastUsed(), first, 'not rewritten within the minute');
      clock.advance(2_000);
      await server.verify(key);
      await eventually(async () => (await lastUsed()) === clock.now(), 'the next use recorded');
    });

    test('bad input names the field', async () => {
      const store = h.open();
      const cases: [Parameters<ApiKeyStore['create']>[0], RegExp][] = [
        [{ name: 'x', scopes: [] }, /^scopes: at least one scope/],
        [{ name: 'x', scopes: ['read', 'root'] }, /^scopes: unknown scope "root"/],
        [{ name: '   ', scopes: ['read'] }, /^name: /],
        [{ name: 'x'.repeat(101), scopes: ['read'] }, /^name: /],
        [{ name: 'a\nb', scopes: ['read'] }, /^name: /],
      ];
      for (const [input, message] of cases) {
        await assert.rejects(store.create(input), (err: Error & { code?: string }) => {
          assert.equal(err.code, 'usage');
          assert.match(err.message, message);
          return true;
        });
      }
    });

    test('list: every key, oldest first, revoked ones included', async () => {
      const clock = manualClock(4_000_000_000_000);
      const store = h.open({ clock });
      const before = (await store.list()).length;
      const a = await store.create({ name: 'first', scopes: ['read'] });
      clock.advance(1);
      const b = await store.create({ name: 'second', scopes: ['write'] });
      await store.revoke(a.record.id);
      const listed = await store.list();
      assert.equal(listed.length, before + 2);
      assert.deepEqual(
        listed.slice(-2).map((k) => [k.id, k.createdAt, k.revokedAt !== null]),
        [
          [a.record.id, a.record.createdAt, true],
          [b.record.id, b.record.createdAt, false],
        ],
      );
    });
  });
}
