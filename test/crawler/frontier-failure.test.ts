/**
 * When the frontier fails (lease() throws: a broken database, Redis gone for good), the
 * loop stops leasing but lets the requests in flight finish and commit before it fails:
 * the ports are never closed under a running request.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openSqliteDatabase } from '../../src/backends/sqlite/sqlite-database.js';
import { openSqliteFrontier } from '../../src/backends/sqlite/sqlite-frontier.js';
import { createSqlitePageStore } from '../../src/backends/sqlite/sqlite-page-store.js';
import { systemClock } from '../../src/core/clock.js';
import { createLinkFilter } from '../../src/core/url/link-filter.js';
import { Crawler } from '../../src/crawler/crawler.js';
import { HttpFetcher } from '../../src/fetch/http/http-fetcher.js';
import type { Frontier } from '../../src/frontier/frontier.js';
import { createLogger } from '../../src/log/logger.js';
import { InlinePageParser } from '../../src/parse/inline-page-parser.js';
import { DEFAULT_SETTINGS, link } from '../frontier/frontier-contract.js';
import { html, page, startTestServer } from '../support/http-server.js';
import { tempDir } from '../support/temp-dir.js';

test('lease() throws while a request is in flight: it is committed first, then run() fails', async () => {
  const site = await startTestServer((_req, res) => {
    setTimeout(() => html(res, page('Slow', [])), 300);
  });
  const dir = await tempDir();
  const db = openSqliteDatabase(join(dir.path, 'data'));
  const fetcher = new HttpFetcher({ userAgent: 'trawl-test/1.0' });
  const filter = { scope: 'any' as const, seedHosts: [], include: [], exclude: [] };
  const parser = new InlinePageParser({ linkFilter: filter, respectNofollow: false });
  try {
    const inner = await openSqliteFrontier(db, { clock: systemClock, settings: DEFAULT_SETTINGS });
    await inner.add([link(`${site.origin}/slow`, 0)]);
    const events: string[] = [];
    let leases = 0;
    const frontier: Frontier = {
      ...inner,
      async lease(max) {
        if (++leases === 2) throw new Error('injected: the frontier is gone');
        return inner.lease(max);
      },
      async commit(completions) {
        const result = await inner.commit(completions);
        events.push('commit');
        return result;
      },
    };
    const crawler = new Crawler(
      {
        concurrency: 4,
        maxDepth: null,
        storeBody: false,
        sortQuery: true,
        maxRedirects: 10,
        idlePollMs: 1_000,
        maxRetries: 0,
        retryBaseMs: 100,
        retryMaxMs: 100,
        maxRetryAfterMs: 1_000,
      },
      {
        frontier,
        fetcher,
        parser,
        linkFilter: createLinkFilter(filter),
        clock: systemClock,
        log: createLogger('silent'),
      },
    );
    await assert.rejects(
      crawler.run().finally(() => events.push('run ended')),
      /injected: the frontier is gone/,
    );
    assert.deepEqual(events, ['commit', 'run ended'], 'the in-flight page committed first');
    await db.writer.flushNow();
    const stored = [];
    for await (const p of createSqlitePageStore(db).scanPages()) stored.push(p.title);
    assert.deepEqual(stored, ['Slow']);
  } finally {
    await parser.close();
    await fetcher.close();
    await db.close();
    await site.close();
    await dir.cleanup();
  }
});
