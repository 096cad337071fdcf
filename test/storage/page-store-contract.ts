/**
 * The page store contract, read side: every PageStore adapter (SQLite, PostgreSQL) must pass
 * these. Call `pageStoreContract(name, makeHarness)` from an adapter's test file; the harness
 * writes through the adapter's own write path (SQLite's in-transaction upsert, PostgreSQL's PageSink).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { PageRecord } from '../../src/core/types.js';
import type { PageStore } from '../../src/storage/page-store.js';

export interface PageStoreHarness {
  /** Stores `pages` (one batch, upserted by url) so that `store` can read them. */
  write(pages: PageRecord[]): Promise<void>;
  /** The store under test, over what `write` wrote. */
  store: PageStore;
  /** Closes the store and removes what the harness created. */
  cleanup(): Promise<void>;
}

/** A page with every field set; `overrides` replaces some. fetchedAt is whole ms. */
export function makePage(url: string, overrides: Partial<PageRecord> = {}): PageRecord {
  return {
    url,
    finalUrl: `${url}?redirected=1`,
    status: 200,
    title: `Title of ${url} — café ✓ 😀`,
    depth: 2,
    contentType: 'text/html; charset=utf-8',
    fetchedAt: 1_735_689_600_123,
    error: null,
    errorMessage: null,
    attempts: 1,
    etag: '"abc123"',
    lastModified: 'Wed, 21 Oct 2015 07:28:00 GMT',
    contentHash: 'da39a3ee5e6b4b0d3255bfef95601890afd80709',
    contentLength: 5_000_000_000,
    charset: 'utf-8',
    canonicalUrl: `${url}#canonical`,
    linkCount: 42,
    durationMs: 137,
    headers: { 'content-type': 'text/html; charset=utf-8', etag: '"abc123"', server: 'nginx' },
    body: Buffer.from(`<html><title>${url}</title>\u00e9\x00\xff</html>`, 'latin1'),
    ...overrides,
  };
}

/** A failed fetch: every nullable field null, no headers, no body. */
export function makeFailedPage(url: string, overrides: Partial<PageRecord> = {}): PageRecord {
  return makePage(url, {
    finalUrl: null,
    status: null,
    title: null,
    depth: 0,
    contentType: null,
    fetchedAt: 1_735_689_601_999,
    error: 'timeout',
    errorMessage: 'headers deadline of 30000 ms exceeded',
    attempts: 3,
    etag: null,
    lastModified: null,
    contentHash: null,
    contentLength: null,
    charset: null,
    canonicalUrl: null,
    linkCount: 0,
    durationMs: null,
    headers: {},
    body: null,
    ...overrides,
  });
}

async function scan(store: PageStore, options?: Parameters<PageStore['scanPages']>[0]) {
  const out: PageRecord[] = [];
  for await (const page of store.scanPages(options)) out.push(page);
  return out;
}

export function pageStoreContract(
  name: string,
  makeHarness: () => Promise<PageStoreHarness>,
): void {
  describe(`PageStore contract: ${name}`, () => {
    const withHarness = async (fn: (h: PageStoreHarness) => Promise<void>): Promise<void> => {
      const harness = await makeHarness();
      try {
        await fn(harness);
      } finally {
        await harness.cleanup();
      }
    };

    test('an empty store counts 0 and scans nothing', () =>
      withHarness(async ({ store }) => {
        assert.equal(await store.countPages(), 0);
        assert.deepEqual(await scan(store), []);
        assert.deepEqual(await scan(store, { withBody: true, batchSize: 1 }), []);
      }));

    test('every field round-trips exactly, nulls included', () =>
      withHarness(async ({ write, store }) => {
        const full = makePage('https://a.test/full');
        const failed = makeFailedPage('https://a.test/failed');
        const empty = makePage('https://a.test/empty', {
          title: '',
          body: Buffer.alloc(0),
          contentLength: 0,
          linkCount: 0,
          status: 404,
          error: 'http_status',
          errorMessage: 'status 404',
          fetchedAt: 0,
        });
        await write([full, failed, empty]);
        const pages = await scan(store, { withBody: true });
        assert.deepEqual(pages, [full, failed, empty]);
        assert.ok(Buffer.isBuffer(pages[0]!.body));
        assert.equal(typeof pages[0]!.fetchedAt, 'number');
        assert.equal(typeof pages[0]!.contentLength, 'number');
      }));

    test('pages are upserted by url: no duplicates, the later write wins', () =>
      withHarness(async ({ write, store }) => {
        await write([makePage('https://a.test/1'), makePage('https://a.test/2')]);
        const again = makePage('https://a.test/1', {
          fetchedAt: 1_735_689_700_000,
          status: 500,
          title: 'second',
          attempts: 2,
          headers: { server: 'other' },
          body: Buffer.from('second body'),
          etag: null,
        });
        await write([again]);
        assert.equal(await store.countPages(), 2);
        const pages = await scan(store, { withBody: true });
        assert.deepEqual(
          pages.map((p) => p.url),
          ['https://a.test/1', 'https://a.test/2'],
        );
        assert.deepEqual(pages[0], again);
      }));

    test('scanPages returns pages in first-stored order, across batches', () =>
      withHarness(async ({ write, store }) => {
        // Neither alphabetical nor by length, and more than 9 pages so that a store sorting
        // a numeric key as text would show it.
        const urls = ['z', 'a', 'mm', 'b', 'y', 'ccc', 'x', 'd', 'w', 'e', 'v', 'f', 'u'].map(
          (s) => `https://a.test/${s}`,
        );
        await write(urls.slice(0, 3).map((u) => makePage(u)));
        await write(urls.slice(3).map((u) => makePage(u)));
        // Rewriting early pages must not move them to the end.
        await write([makePage(urls[0]!, { fetchedAt: 1_735_689_700_000, title: 'updated' })]);
        for (const batchSize of [1, 2, 3, 5, 13, 100]) {
          const pages = await scan(store, { batchSize });
          assert.deepEqual(
            pages.map((p) => p.url),
            urls,
            `batchSize ${batchSize}`,
          );
        }
        assert.equal((await scan(store))[0]!.title, 'updated');
      }));

    test('countPages counts distinct pages', () =>
      withHarness(async ({ write, store }) => {
        await write(Array.from({ length: 25 }, (_, i) => makePage(`https://a.test/${i}`)));
        await write(
          Array.from({ length: 10 }, (_, i) => makeFailedPage(`https://a.test/${i + 20}`)),
        );
        assert.equal(await store.countPages(), 30);
      }));

    test('withBody false (the default) leaves bodies out; true returns them', () =>
      withHarness(async ({ write, store }) => {
        const pages = [
          makePage('https://a.test/with', { body: Buffer.from('hello') }),
          makePage('https://a.test/without', { body: null }),
        ];
        await write(pages);
        for (const options of [undefined, {}, { withBody: false }]) {
          const bodies = (await scan(store, options)).map((p) => p.body);
          assert.deepEqual(bodies, [null, null]);
        }
        const withBody = await scan(store, { withBody: true });
        assert.deepEqual(
          withBody.map((p) => p.body),
          [Buffer.from('hello'), null],
        );
        // Everything but the body is the same either way.
        const without = await scan(store);
        assert.deepEqual(
          without,
          withBody.map((p) => ({ ...p, body: null })),
        );
      }));
  });
}
