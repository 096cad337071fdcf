/**
 * The job registry contract, against SQLite (service.db) and PostgreSQL (crawl_jobs):
 * jobs inserted in a burst (which both backends commit in groups) are each stored and
 * read back as given, newest first; an insert that fails (a duplicate id) fails only its
 * own caller.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createPostgresJobRegistry } from '../../src/backends/postgres/postgres-job-registry.js';
import { openServiceDatabase } from '../../src/backends/sqlite/service-database.js';
import { createSqliteJobRegistry } from '../../src/backends/sqlite/sqlite-job-registry.js';
import type { JobRecord, JobRegistry } from '../../src/jobs/job-registry.js';
import { tempDir } from '../support/temp-dir.js';
import { migratedSchema } from './postgres/migrated-schema.js';

const BACKENDS: Record<string, () => Promise<{ registry: JobRegistry; close(): Promise<void> }>> = {
  async sqlite() {
    const dir = await tempDir('trawl-job-registry-');
    const database = openServiceDatabase(dir.path);
    return {
      registry: createSqliteJobRegistry(database),
      async close() {
        await database.close();
        await dir.cleanup();
      },
    };
  },
  async postgres() {
    const schema = await migratedSchema();
    return { registry: createPostgresJobRegistry(schema.pool), close: () => schema.cleanup() };
  },
};

function job(id: string, at: number): JobRecord {
  return {
    id,
    kind: 'crawl',
    state: 'running',
    spec: { seeds: [`http://127.0.0.1:9/${id}`], nested: { quote: 'it\'s "x"', n: 1.5 } },
    meta: { seed: { url: `http://127.0.0.1:9/${id}` } },
    createdAt: at,
    startedAt: at,
    finishedAt: null,
    counts: null,
    error: null,
  };
}

for (const [name, open] of Object.entries(BACKENDS)) {
  describe(`job registry (${name})`, { timeout: 60_000 }, () => {
    let backend: Awaited<ReturnType<typeof open>>;
    before(async () => {
      backend = await open();
    });
    after(() => backend?.close());

    test('a burst of inserts: every job stored as given', async () => {
      const base = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
      const jobs = Array.from({ length: 300 }, (_, i) => job(`burst-${i}`, base + i));
      await Promise.all(jobs.map((j) => backend.registry.insert(j)));
      for (const j of [jobs[0]!, jobs[150]!, jobs[299]!]) {
        assert.deepEqual(await backend.registry.get(j.id), j);
      }
      const listed = await backend.registry.list({ limit: 500, order: 'newest' });
      assert.equal(listed.length, 300);
      assert.equal(new Set(listed.map((j) => j.id)).size, 300);
    });

    test('a duplicate id in a burst fails alone', async () => {
      const at = Date.now();
      await backend.registry.insert(job('dup', at));
      const settled = await Promise.allSettled([
        backend.registry.insert(job('dup-a', at)),
        backend.registry.insert(job('dup', at)),
        backend.registry.insert(job('dup-b', at)),
      ]);
      assert.equal(settled[0]!.status, 'fulfilled');
      assert.equal(settled[1]!.status, 'rejected');
      assert.equal(settled[2]!.status, 'fulfilled');
      assert.ok(await backend.registry.get('dup-a'));
      assert.ok(await backend.registry.get('dup-b'));
    });

    test('NUL characters and lone surrogates in a spec or meta fail neither the job nor its burst', async () => {
      const at = Date.now();
      const hostile: JobRecord = {
        ...job('hostile', at),
        spec: { seeds: ['http://127.0.0.1:9/a\u0000b'], ['k\ud800']: ['\udfffx'] },
        meta: { note: 'n\u0000' },
      };
      const settled = await Promise.allSettled([
        backend.registry.insert(job('hostile-before', at)),
        backend.registry.insert(hostile),
        backend.registry.insert(job('hostile-after', at)),
      ]);
      assert.deepEqual(
        settled.map((s) => s.status),
        ['fulfilled', 'fulfilled', 'fulfilled'],
      );
      const stored = await backend.registry.get('hostile');
      // PostgreSQL's text and jsonb cannot hold them: U+FFFD instead, as a UTF-8 decoder writes.
      const expected =
        name === 'postgres'
          ? {
              spec: { seeds: ['http://127.0.0.1:9/a\uFFFDb'], ['k\uFFFD']: ['\uFFFDx'] },
              meta: { note: 'n\uFFFD' },
            }
          : { spec: hostile.spec, meta: hostile.meta };
      assert.deepEqual({ spec: stored?.spec, meta: stored?.meta }, expected);
      assert.ok(await backend.registry.get('hostile-after'));
    });
  });
}
