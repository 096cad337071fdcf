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

    test('queryPages: keyset pages in first-stored order, each page once, filters combine', () =>
      withHarness(async ({ write, store }) => {
        const ok = Array.from({ length: 7 }, (_, i) =>
          makePage(`https://a.test/docs/${i}`, { fetchedAt: 1_000 + i }),
        );
        const failed = [
          makeFailedPage('https://a.test/blog/x', { fetchedAt: 2_000 }),
          makeFailedPage('https://a.test/docs/y', {
            fetchedAt: 2_001,
            error: 'http_status',
            status: 404,
          }),
        ];
        await write([...ok.slice(0, 4), failed[0]!, ...ok.slice(4), failed[1]!]);
        // Pages of 3, following `last`: every page exactly once, in stored order.
        const seen: string[] = [];
        let after: string | undefined;
        for (let round = 0; round < 10; round++) {
          const q = after === undefined ? { limit: 3 } : { limit: 3, after };
          const { pages, last } = await store.queryPages(q);
          if (pages.length === 0) {
            assert.equal(last, null);
            break;
          }
          seen.push(...pages.map((p) => p.url));
          after = last!;
        }
        assert.deepEqual(seen, [
          ...ok.slice(0, 4).map((p) => p.url),
          'https://a.test/blog/x',
          ...ok.slice(4).map((p) => p.url),
          'https://a.test/docs/y',
        ]);
        // An updated page keeps its place.
        await write([makePage('https://a.test/docs/0', { title: 'updated', fetchedAt: 3_000 })]);
        const first = await store.queryPages({ limit: 1 });
        assert.equal(first.pages[0]!.title, 'updated');

        const errors = await store.queryPages({ limit: 100, outcome: 'error' });
        assert.deepEqual(
          errors.pages.map((p) => p.url),
          ['https://a.test/blog/x', 'https://a.test/docs/y'],
        );
        const notFound = await store.queryPages({ limit: 100, status: 404 });
        assert.deepEqual(
          notFound.pages.map((p) => p.url),
          ['https://a.test/docs/y'],
        );
        const timeouts = await store.queryPages({ limit: 100, errorCode: 'timeout' });
        assert.deepEqual(
          timeouts.pages.map((p) => p.url),
          ['https://a.test/blog/x'],
        );
        const docsOk = await store.queryPages({
          limit: 100,
          outcome: 'ok',
          urlPrefix: 'https://a.test/docs/',
        });
        assert.equal(docsOk.pages.length, 7);
        // A prefix is literal text, not a pattern.
        assert.equal(
          (await store.queryPages({ limit: 100, urlPrefix: 'https://a.test/docs/%' })).pages.length,
          0,
        );
        const recent = await store.queryPages({ limit: 100, changedSince: 2_001 });
        assert.deepEqual(
          recent.pages.map((p) => p.url),
          ['https://a.test/docs/0', 'https://a.test/docs/y'],
        );
        assert.deepEqual(await store.countErrors(), [
          { code: 'http_status', count: 1 },
          { code: 'timeout', count: 1 },
        ]);
        await assert.rejects(store.queryPages({ limit: 1, after: 'x; DROP TABLE' }), RangeError);
      }));

    test('getPages finds stored pages by url (bodies on request); change labels filter and count', () =>
      withHarness(async ({ write, store }) => {
        assert.deepEqual(await store.getPages([]), []);
        assert.deepEqual(await store.countChanges(), { new: 0, changed: 0, unchanged: 0, gone: 0 });
        const labelled = (url: string, change: string | null) =>
          makePage(url, change === null ? {} : { fields: { change, markdown: '# x' } });
        await write([
          labelled('https://a.test/1', 'new'),
          labelled('https://a.test/2', 'changed'),
          labelled('https://a.test/3', 'unchanged'),
          labelled('https://a.test/4', 'unchanged'),
          makeFailedPage('https://a.test/5', { status: 404, fields: { change: 'gone' } }),
          labelled('https://a.test/6', null),
          // Quotes and a percent sign: the URLs are data, not SQL.
          labelled("https://a.test/o'neil%", 'changed'),
        ]);
        const found = await store.getPages([
          'https://a.test/2',
          'https://a.test/404',
          'https://a.test/5',
          "https://a.test/o'neil%",
        ]);
        assert.deepEqual(found.map((p) => p.url).sort(), [
          'https://a.test/2',
          'https://a.test/5',
          "https://a.test/o'neil%",
        ]);
        const two = found.find((p) => p.url === 'https://a.test/2')!;
        assert.deepEqual(two, { ...makePage('https://a.test/2'), fields: two.fields!, body: null });
        assert.equal(two.fields!.change, 'changed');
        const [withBody] = await store.getPages(['https://a.test/2'], { withBody: true });
        assert.deepEqual(withBody!.body, makePage('https://a.test/2').body);
        const many = Array.from({ length: 1_000 }, (_, i) => `https://a.test/${i}`);
        assert.equal((await store.getPages(many)).length, 6);
        await assert.rejects(store.getPages([...many, 'https://a.test/x']), RangeError);

        const urls: { url: string; depth: number }[] = [];
        for await (const u of store.scanUrls(2)) urls.push(u);
        assert.deepEqual(
          urls,
          [1, 2, 3, 4, 5, 6]
            .map((i) => ({ url: `https://a.test/${i}`, depth: i === 5 ? 0 : 2 }))
            .concat({
              url: "https://a.test/o'neil%",
              depth: 2,
            }),
        );
        assert.deepEqual(await store.countChanges(), { new: 1, changed: 2, unchanged: 2, gone: 1 });
        const unchanged = await store.queryPages({ limit: 10, change: 'unchanged' });
        assert.deepEqual(
          unchanged.pages.map((p) => p.url),
          ['https://a.test/3', 'https://a.test/4'],
        );
        const gone = await store.queryPages({ limit: 10, change: 'gone', outcome: 'error' });
        assert.deepEqual(
          gone.pages.map((p) => p.url),
          ['https://a.test/5'],
        );
      }));
  });
}
