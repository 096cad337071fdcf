/**
 * The webhook store contract, against SQLite (service.db) and PostgreSQL: the delivery
 * log (newest first, paginated, per job), leased progress (one owner at a time; a
 * released or expired lease passes on with the progress), and API keys' secrets.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createPostgresWebhookStore } from '../../src/backends/postgres/postgres-webhook-store.js';
import {
  openServiceDatabase,
  type ServiceDatabase,
} from '../../src/backends/sqlite/service-database.js';
import { createSqliteWebhookStore } from '../../src/backends/sqlite/sqlite-webhook-store.js';
import type { WebhookStore } from '../../src/webhooks/delivery-log.js';
import { tempDir } from '../support/temp-dir.js';
import { migratedSchema, type MigratedSchema } from './postgres/migrated-schema.js';

interface Backend {
  store: WebhookStore;
  addKey(id: string, webhookSecret: string): Promise<void>;
  close(): Promise<void>;
}

const BACKENDS: Record<string, () => Promise<Backend>> = {
  async sqlite() {
    const dir = await tempDir('trawl-webhook-store-');
    const database: ServiceDatabase = openServiceDatabase(dir.path);
    return {
      store: createSqliteWebhookStore(database),
      async addKey(id, secret) {
        database.db
          .prepare(
            `INSERT INTO api_keys (id, name, scopes, hash, webhook_secret, created_at) VALUES (?, 'k', 'read', 'h', ?, 0)`,
          )
          .run(id, secret);
      },
      async close() {
        await database.close();
        await dir.cleanup();
      },
    };
  },
  async postgres() {
    const schema: MigratedSchema = await migratedSchema();
    return {
      store: createPostgresWebhookStore(schema.pool),
      async addKey(id, secret) {
        await schema.pool.query(
          `INSERT INTO api_keys (id, name, scopes, hash, webhook_secret) VALUES ($1, 'k', 'read', 'h', $2)`,
          [id, secret],
        );
      },
      close: () => schema.cleanup(),
    };
  },
};

const LONG = 60_000;

for (const [name, open] of Object.entries(BACKENDS)) {
  describe(`webhook store (${name})`, () => {
    let backend: Backend;
    let store: WebhookStore;
    before(async () => {
      backend = await open();
      store = backend.store;
    });
    after(() => backend?.close());

    test('the log lists a job’s attempts newest first, page by page', async () => {
      for (let i = 1; i <= 12; i++) {
        await store.append({
          jobId: i % 4 === 0 ? 'other' : 'job-a',
          event: `job.page`,
          url: 'https://example.com/h',
          attempt: i,
          status: i === 12 ? 'delivered' : 'retrying',
          httpStatus: i === 3 ? null : 500,
          error: i === 3 ? 'network: ECONNRESET' : 'HTTP 500',
          durationMs: i,
          createdAt: 1_700_000_000_000 + i,
        });
      }
      const seen: number[] = [];
      let before: string | undefined;
      for (;;) {
        const page = await store.list('job-a', { limit: 4, ...(before ? { before } : {}) });
        seen.push(...page.map((r) => r.attempt));
        if (page.length < 4) break;
        before = page.at(-1)!.id;
      }
      // Attempts 1..11 without the multiples of 4 (job "other"), newest first.
      assert.deepEqual(seen, [11, 10, 9, 7, 6, 5, 3, 2, 1]);
      const [third] = (await store.list('job-a', { limit: 100 })).filter((r) => r.attempt === 3);
      assert.deepEqual(
        { ...third, id: undefined },
        {
          id: undefined,
          jobId: 'job-a',
          event: 'job.page',
          url: 'https://example.com/h',
          attempt: 3,
          status: 'retrying',
          httpStatus: null,
          error: 'network: ECONNRESET',
          durationMs: 3,
          createdAt: 1_700_000_000_003,
        },
      );
      assert.deepEqual(await store.list('nothing', { limit: 10 }), []);
    });

    test('progress is leased: one owner at a time, passed on with the progress when released', async () => {
      await store.track('job-l', 'one', LONG);
      await store.track('job-l', 'two', LONG); // tracked already: still one's
      assert.deepEqual(
        (await store.renew('one', LONG)).map((p) => p.jobId),
        ['job-l'],
      );
      assert.deepEqual(await store.renew('two', LONG), []);
      assert.deepEqual(await store.take('two', LONG, 10), [], 'the lease is live');
      const progress = { jobId: 'job-l', sent: ['started'], pagePosition: '42', pageOffset: 3 };
      assert.equal(await store.save('two', progress, false), false, 'not its lease');
      assert.equal(await store.save('one', progress, false), true);
      assert.deepEqual(await store.renew('one', LONG), [progress]);

      await store.release('one');
      assert.deepEqual(await store.take('two', LONG, 10), [progress]);
      assert.equal(await store.save('one', progress, false), false, 'released');
      assert.equal(
        await store.save('two', { ...progress, sent: ['started', 'completed'] }, true),
        true,
      );
      assert.deepEqual(await store.renew('two', LONG), [], 'done');
      await store.release('two');
      assert.deepEqual(await store.take('one', LONG, 10), [], 'done jobs are not taken');
    });

    test('an expired lease passes to another owner', async () => {
      await store.track('job-e', 'crashed', 50);
      const deadline = Date.now() + 5_000;
      let taken: string[] = [];
      while (taken.length === 0) {
        if (Date.now() > deadline) throw new Error('the lease never expired');
        taken = (await store.take('heir', LONG, 10)).map((p) => p.jobId);
        if (taken.length === 0) await new Promise((r) => setTimeout(r, 20));
      }
      assert.deepEqual(taken, ['job-e']);
      assert.deepEqual(
        (await store.renew('heir', LONG)).map((p) => p.jobId),
        ['job-e'],
      );
      assert.deepEqual(await store.renew('crashed', LONG), []);
    });

    test("an API key's webhook secret, by id", async () => {
      await backend.addKey('Key1234567', 'whsec-0123456789abcdef');
      assert.equal(await store.keySecret('Key1234567'), 'whsec-0123456789abcdef');
      assert.equal(await store.keySecret('NoSuchKey0'), null);
    });
  });
}
