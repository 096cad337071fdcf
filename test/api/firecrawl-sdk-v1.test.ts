/**
 * The Firecrawl-compatible API's `/v1` through the official SDK's v1 client
 * (`firecrawl.v1`, @mendable/firecrawl-js pinned), in both modes, against local sites:
 * scrapeUrl, crawlUrl (its monitor follows `next` to the end), asyncCrawlUrl with
 * checkCrawlStatus and checkCrawlErrors (which the v1 client sends as DELETE), cancel,
 * mapUrl (links as strings), batchScrapeUrls (polled at /v1/crawl/{id}) and the v1
 * CrawlWatcher.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WebSocket as UndiciWebSocket } from 'undici';
import Firecrawl from '@mendable/firecrawl-js';
import { ARTICLE_TEXT, startContentSite, type ContentSite } from '../support/content-site.js';
import { SERVICE_MODES, startTestService, type TestService } from '../support/service.js';
import { startTreeSite, type TreeSite } from '../support/tree-site.js';

// The v1 client's CrawlWatcher calls the global WebSocket, which Node 20 lacks (Node 22
// has it); undici's is the same WHATWG WebSocket (the v2 watcher imports undici itself).
if (typeof (globalThis as { WebSocket?: unknown }).WebSocket !== 'function') {
  (globalThis as { WebSocket?: unknown }).WebSocket = UndiciWebSocket;
}

for (const mode of SERVICE_MODES) {
  describe(`Firecrawl SDK v1 client (${mode})`, () => {
    let service: TestService;
    let site: ContentSite;
    let tree: TreeSite;
    let v1: Firecrawl['v1'];
    before(async () => {
      service = await startTestService(mode, { env: { TRAWL_FIRECRAWL_PAGE_SIZE: '7' } });
      site = await startContentSite();
      tree = await startTreeSite(['127.0.0.1'], 30);
      v1 = new Firecrawl({ apiKey: 'fc-test', apiUrl: service.url }).v1;
    });
    after(async () => {
      await service?.close();
      await site?.close();
      await tree?.close();
    });

    test('scrapeUrl and mapUrl', async () => {
      const scraped = await v1.scrapeUrl(site.url('/article'), { formats: ['markdown', 'html'] });
      assert.equal(scraped.success, true);
      if (!scraped.success) return;
      assert.ok(scraped.markdown!.includes(ARTICLE_TEXT));
      assert.match(scraped.html!, /<h1>Deep Sea Trawling<\/h1>/);
      assert.equal(scraped.metadata!.sourceURL, site.url('/article'));
      assert.equal(scraped.metadata!.statusCode, 200);

      const mapped = await v1.mapUrl(site.url('/'), {});
      assert.ok(mapped.success);
      if (!mapped.success) return;
      assert.ok(mapped.links!.includes(site.url('/blog/news')));
      assert.ok(mapped.links!.every((l) => typeof l === 'string'));
      const noSitemap = await v1.mapUrl(site.url('/'), { ignoreSitemap: true });
      assert.ok(noSitemap.success && !noSitemap.links!.includes(site.url('/blog/news')));
    });

    test('crawlUrl waits and follows next; checkCrawlStatus and checkCrawlErrors', async () => {
      const crawled = await v1.crawlUrl(tree.seeds[0]!, { limit: 30, maxDepth: 10, delay: 0 }, 1);
      assert.ok(crawled.success, JSON.stringify(crawled).slice(0, 300));
      if (!crawled.success) return;
      assert.equal(crawled.status, 'completed');
      assert.equal(crawled.completed, 30);
      assert.equal(crawled.total, 30);
      assert.equal(crawled.data.length, 30, 'the v1 monitor follows next over pages of 7');
      assert.equal(new Set(crawled.data.map((d) => d.metadata?.sourceURL)).size, 30);

      const started = await v1.asyncCrawlUrl(site.url('/'), { allowBackwardLinks: true, delay: 0 });
      assert.ok(started.success && started.id);
      await service.waitForJob(started.id!, ['completed']);
      const status = await v1.checkCrawlStatus(started.id!, true);
      assert.ok(status.success);
      if (!status.success) return;
      assert.equal(status.status, 'completed');
      assert.equal(status.completed, status.total);
      assert.equal(status.data.length, 7);
      // One page of 3 (the v1 client's limit parameter): `next` leads on.
      const page = await v1.checkCrawlStatus(started.id!, false, undefined, undefined, 3);
      assert.ok(page.success);
      if (!page.success) return;
      assert.equal(page.data.length, 3);
      assert.match(
        page.next ?? '',
        new RegExp(`^${service.url}/v1/crawl/${started.id!}\\?.*&limit=3$`),
      );
      const rest = await v1.checkCrawlStatus(started.id!, false, page.next);
      assert.ok(rest.success && rest.data.length === 3);
      const errors = await v1.checkCrawlErrors(started.id!);
      assert.ok('robotsBlocked' in errors);
      assert.deepEqual(errors.robotsBlocked, [site.url('/private/secret')]);
      assert.deepEqual(
        errors.errors.map((e) => e.url),
        [site.url('/broken')],
      );
    });

    test('cancelCrawl and batchScrapeUrls', async () => {
      const slow = await startTreeSite(['127.0.0.2'], 40, 100);
      try {
        const started = await v1.asyncCrawlUrl(slow.seeds[0]!, { delay: 0, maxConcurrency: 1 });
        assert.ok(started.success && started.id);
        const cancelled = await v1.cancelCrawl(started.id!);
        assert.equal((cancelled as { status?: string }).status, 'cancelled');
        await service.waitForJob(started.id!, ['cancelled']);
      } finally {
        await slow.close();
      }
      const urls = [site.url('/article'), site.url('/about')];
      const batch = await v1.batchScrapeUrls(urls, { formats: ['markdown'] }, 1);
      assert.ok(batch.success, JSON.stringify(batch).slice(0, 300));
      if (!batch.success) return;
      assert.equal(batch.status, 'completed');
      assert.equal(batch.completed, 2);
      assert.deepEqual(batch.data.map((d) => d.metadata?.sourceURL).sort(), urls.sort());
    });

    test('crawlUrlAndWatch: documents over the WebSocket, then done', async () => {
      const watcher = await v1.crawlUrlAndWatch(tree.seeds[0]!, { limit: 10, delay: 0 });
      const urls: string[] = [];
      watcher.addEventListener('document', (ev) => {
        urls.push(
          String(
            (ev as CustomEvent<{ metadata?: { sourceURL?: string } }>).detail.metadata?.sourceURL,
          ),
        );
      });
      const status = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no done within 20 s')), 20_000);
        watcher.addEventListener('done', (ev) => {
          clearTimeout(timer);
          resolve((ev as CustomEvent<{ status: string }>).detail.status);
        });
        watcher.addEventListener('error', (ev) =>
          reject(new Error(JSON.stringify((ev as CustomEvent).detail))),
        );
      });
      assert.equal(status, 'completed');
      assert.equal(urls.length, 10);
      assert.equal(new Set(urls).size, 10, 'each document once');
    });
  });
}
