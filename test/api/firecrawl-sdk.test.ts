/**
 * The Firecrawl-compatible API through Firecrawl's own SDK (@mendable/firecrawl-js, the
 * pinned dev dependency), in both modes, against local sites: scrape with every format
 * Trawl makes, crawl waiting to the end and following `next` over several pages, start,
 * status, active list and cancel, errors, map, batch scrape, the WebSocket watcher, the
 * errors a client sees. The v1 client through `.v1`: firecrawl-sdk-v1.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Firecrawl, { type Document, type SdkError } from '@mendable/firecrawl-js';
import { ARTICLE_TEXT, startContentSite, type ContentSite } from '../support/content-site.js';
import { SERVICE_MODES, startTestService, type TestService } from '../support/service.js';
import { startTreeSite, type TreeSite } from '../support/tree-site.js';

/** Documents per status page: small, so a 30-page crawl needs `next` four times. */
const PAGE_SIZE = 7;

async function until<T>(what: string, f: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function rejects(p: Promise<unknown>): Promise<SdkError & { status?: number }> {
  try {
    await p;
  } catch (err) {
    return err as SdkError;
  }
  throw new Error('expected the SDK to throw');
}

const sourceUrls = (docs: Document[]): string[] =>
  docs.map((d) => String(d.metadata?.sourceURL)).sort();

for (const mode of SERVICE_MODES) {
  describe(`Firecrawl SDK (${mode})`, () => {
    let service: TestService;
    let site: ContentSite;
    let tree: TreeSite;
    let firecrawl: Firecrawl;
    before(async () => {
      service = await startTestService(mode, {
        env: { TRAWL_FIRECRAWL_PAGE_SIZE: String(PAGE_SIZE) },
      });
      site = await startContentSite();
      tree = await startTreeSite(['127.0.0.1'], 30);
      firecrawl = new Firecrawl({ apiKey: 'fc-test', apiUrl: service.url });
    });
    after(async () => {
      await service?.close();
      await site?.close();
      await tree?.close();
    });

    test('scrape: markdown, html, rawHtml and links, with the metadata the SDK reads', async () => {
      const doc = await firecrawl.scrape(site.url('/redirect'), {
        formats: ['markdown', 'html', 'rawHtml', 'links'],
      });
      assert.match(doc.markdown ?? '', /^# Deep Sea Trawling/m);
      assert.ok(doc.markdown!.includes(ARTICLE_TEXT));
      assert.ok(!doc.markdown!.includes('Copyright footer'), 'main content only');
      assert.ok(!doc.markdown!.includes('Docs navigation'), 'navigation dropped');
      assert.match(doc.html ?? '', /<h1>Deep Sea Trawling<\/h1>/);
      assert.ok(!doc.html!.includes('<script'), 'no script in the cleaned html');
      assert.ok(!doc.html!.includes('Copyright footer'));
      assert.ok(doc.html!.includes(`src="${site.url('/img/net.png')}"`), 'absolute src');
      assert.equal(doc.rawHtml, site.articleHtml);
      assert.ok(doc.links!.includes(site.url('/docs/intro')));
      assert.ok(doc.links!.includes(site.url('/docs/guide')), 'relative link resolved');
      const m = doc.metadata!;
      assert.equal(m.title, 'The Article');
      assert.equal(m.description, 'All about trawling');
      assert.equal(m.language, 'en');
      assert.equal(m.ogTitle, 'Trawling, explained');
      assert.equal(m.ogSiteName, 'Content Site');
      assert.equal(m.sourceURL, site.url('/redirect'));
      assert.equal(m.url, site.url('/article'));
      assert.equal(m.statusCode, 200);

      const plain = await firecrawl.scrape(site.url('/article'));
      assert.deepEqual(Object.keys(plain).sort(), ['markdown', 'metadata'], 'markdown by default');

      const whole = await firecrawl.scrape(site.url('/article'), {
        onlyMainContent: false,
        excludeTags: ['nav'],
      });
      assert.ok(whole.markdown!.includes('Copyright footer'));
      assert.ok(!whole.markdown!.includes('Docs navigation'));

      const only = await firecrawl.scrape(site.url('/article'), { includeTags: ['h1'] });
      assert.equal(only.markdown!.trim(), '# Deep Sea Trawling');

      const missing = await firecrawl.scrape(site.url('/missing'));
      assert.equal(missing.metadata!.statusCode, 404, 'a 404 page is a document');
      assert.equal(missing.metadata!.error, 'HTTP 404');
    });

    test('crawl waits to the end and follows `next`: every page once, completed == total', async () => {
      const job = await firecrawl.crawl(tree.seeds[0]!, {
        limit: 100,
        delay: 0,
        maxConcurrency: 8,
        scrapeOptions: { formats: ['markdown', 'links'] },
        pollInterval: 1,
        timeout: 60,
      });
      assert.equal(job.status, 'completed');
      assert.equal(job.completed, 30);
      assert.equal(job.total, 30);
      assert.equal(job.creditsUsed, 30);
      assert.ok(Date.parse(job.expiresAt!) > Date.now());
      assert.equal(job.next, null);
      assert.equal(job.data.length, 30, `${job.data.length} documents over pages of ${PAGE_SIZE}`);
      assert.deepEqual(sourceUrls(job.data), [...tree.expected].sort());
      for (const d of job.data) {
        const n =
          d.metadata!.url === tree.seeds[0] ? 0 : Number(String(d.metadata!.url).split('/').pop());
        assert.ok(d.markdown!.includes(`Page ${n} of 127.0.0.1`), String(d.metadata!.url));
        assert.equal(d.metadata!.statusCode, 200);
        assert.equal(d.metadata!.title, `Page ${n} of 127.0.0.1`);
        assert.ok(Array.isArray(d.links));
      }

      // Without auto-pagination: one page, and a `next` that leads to the rest.
      const id = (await firecrawl.startCrawl(tree.seeds[0]!, { limit: 30, delay: 0 })).id;
      await service.waitForJob(id, ['completed']);
      const first = await firecrawl.getCrawlStatus(id, { autoPaginate: false });
      assert.equal(first.data.length, PAGE_SIZE);
      assert.match(first.next ?? '', new RegExp(`^${service.url}/v2/crawl/${id}\\?cursor=`));
      const all = await firecrawl.getCrawlStatus(id);
      assert.equal(all.data.length, 30);
      assert.equal(new Set(sourceUrls(all.data)).size, 30, 'no document twice');
    });

    test('startCrawl, getCrawlStatus, getActiveCrawls and cancelCrawl', async () => {
      const slow = await startTreeSite(['127.0.0.2'], 60, 100);
      try {
        const started = await firecrawl.startCrawl(slow.seeds[0]!, {
          limit: 60,
          delay: 0,
          maxConcurrency: 2,
        });
        assert.equal(started.url, `${service.url}/v2/crawl/${started.id}`);
        const running = await until('a first document', async () => {
          const s = await firecrawl.getCrawlStatus(started.id);
          return s.completed > 0 ? s : undefined;
        });
        assert.equal(running.status, 'scraping');
        assert.ok(running.completed <= running.total);
        assert.ok(running.total > running.completed, 'pages still queued count in total');
        const active = await firecrawl.getActiveCrawls();
        const mine = active.crawls.find((c) => c.id === started.id);
        assert.equal(mine?.url, slow.seeds[0]);

        assert.equal(await firecrawl.cancelCrawl(started.id), true);
        const cancelled = await until('cancelled', async () => {
          const s = await firecrawl.getCrawlStatus(started.id);
          return s.status === 'cancelled' ? s : undefined;
        });
        assert.equal(cancelled.completed, cancelled.total, 'a finished job reaches completed');
        assert.ok(cancelled.completed < 60);
        const after = await firecrawl.getActiveCrawls();
        assert.ok(!after.crawls.some((c) => c.id === started.id));
      } finally {
        await slow.close();
      }
    });

    test('getCrawlErrors: failures and robots.txt refusals, not in the documents', async () => {
      const job = await firecrawl.crawl(site.url('/'), {
        delay: 0,
        crawlEntireDomain: true,
        pollInterval: 1,
        timeout: 60,
      });
      assert.equal(job.status, 'completed');
      assert.equal(job.completed, job.total);
      const urls = sourceUrls(job.data);
      // The sitemap's /blog/news is crawled although no page links to it.
      for (const p of [
        '/',
        '/article',
        '/docs/intro',
        '/docs/guide',
        '/blog/news',
        '/about',
        '/missing',
      ]) {
        assert.ok(urls.includes(site.url(p)), p);
      }
      assert.ok(!urls.includes(site.url('/broken')));
      assert.ok(!urls.includes(site.url('/private/secret')));
      const errors = await firecrawl.getCrawlErrors(job.id);
      assert.deepEqual(errors.robotsBlocked, [site.url('/private/secret')]);
      assert.equal(errors.errors.length, 1);
      assert.equal(errors.errors[0]!.url, site.url('/broken'));
      assert.equal(errors.errors[0]!.code, 'bad_encoding');
      assert.equal(job.total, urls.length + 2, 'total counts failures too');
    });

    test('map: the page links and the sitemap, search ranks, limit cuts', async () => {
      const map = await firecrawl.map(site.url('/'));
      const urls = map.links.map((l) => l.url);
      for (const p of ['/', '/article', '/docs/intro', '/docs/guide', '/blog/news', '/about']) {
        assert.ok(urls.includes(site.url(p)), p);
      }
      assert.equal(new Set(urls).size, urls.length);
      assert.equal(map.links.find((l) => l.url === site.url('/about'))?.title, 'About us');
      const docs = await firecrawl.map(site.url('/'), { search: 'docs' });
      assert.deepEqual(docs.links.map((l) => l.url).sort(), [
        site.url('/docs/guide'),
        site.url('/docs/intro'),
      ]);
      const skip = await firecrawl.map(site.url('/'), { sitemap: 'skip' });
      assert.ok(!skip.links.some((l) => l.url === site.url('/blog/news')), 'sitemap skipped');
      const only = await firecrawl.map(site.url('/'), { sitemap: 'only' });
      assert.deepEqual(only.links.map((l) => l.url).sort(), [
        site.url('/article'),
        site.url('/blog/news'),
        site.url('/docs/guide'),
        site.url('/docs/intro'),
      ]);
      const two = await firecrawl.map(site.url('/'), { limit: 2 });
      assert.equal(two.links.length, 2);
    });

    test('batchScrape: one document per URL, a 404 included, failures in errors', async () => {
      const urls = [
        site.url('/article'),
        site.url('/docs/intro'),
        site.url('/missing'),
        site.url('/broken'),
      ];
      const job = await firecrawl.batchScrape(urls, {
        options: { formats: ['markdown', 'rawHtml'] },
        pollInterval: 1,
        timeout: 60,
      });
      assert.equal(job.status, 'completed');
      assert.equal(job.completed, 4);
      assert.equal(job.total, 4);
      assert.deepEqual(sourceUrls(job.data), [urls[0], urls[1], urls[2]].sort());
      const article = job.data.find((d) => d.metadata!.sourceURL === urls[0])!;
      assert.ok(article.markdown!.includes(ARTICLE_TEXT));
      assert.equal(article.rawHtml, site.articleHtml);
      assert.equal(
        job.data.find((d) => d.metadata!.sourceURL === urls[2])!.metadata!.statusCode,
        404,
      );
      const id = (await firecrawl.startBatchScrape([site.url('/broken')])).id;
      await service.waitForJob(id, ['completed']);
      const errors = await firecrawl.getBatchScrapeErrors(id);
      assert.deepEqual(
        errors.errors.map((e) => [e.url, e.code]),
        [[site.url('/broken'), 'bad_encoding']],
      );
    });

    test('the watcher streams every document over the WebSocket, then done', async () => {
      const slow = await startTreeSite(['127.0.0.3'], 20, 20);
      try {
        const { id } = await firecrawl.startCrawl(slow.seeds[0]!, { limit: 20, delay: 0 });
        // A poll interval longer than the test: only the WebSocket can finish it in time.
        const watcher = firecrawl.watcher(id, { kind: 'crawl', pollInterval: 600 });
        const docs: Document[] = [];
        watcher.on('document', (d: Document) => docs.push(d));
        const done = new Promise<{ status: string }>((resolve, reject) => {
          watcher.on('done', resolve);
          watcher.on('error', reject);
        });
        await watcher.start();
        const end = await done;
        assert.equal(end.status, 'completed');
        assert.deepEqual(sourceUrls(docs), [...slow.expected].sort());
      } finally {
        await slow.close();
      }
    });

    test('errors: the SDK throws with the message, status and code', async () => {
      const bad = await rejects(firecrawl.scrape('not a url'));
      assert.equal(bad.status, 400);
      assert.match(bad.message, /body\.url: not a valid http\(s\) URL/);
      const llm = await rejects(firecrawl.scrape(site.url('/article'), { formats: ['summary'] }));
      assert.equal(llm.status, 400);
      assert.equal(llm.code, 'unsupported_option');
      assert.match(llm.message, /body\.formats\.0: the summary format needs a language model/);
      const wait = await rejects(firecrawl.scrape(site.url('/article'), { waitFor: 90_000 }));
      assert.equal(wait.status, 400);
      assert.match(wait.message, /body\.waitFor: at most 60000 ms/);
      const unknown = await rejects(firecrawl.getCrawlStatus('no-such-job'));
      assert.equal(unknown.status, 404);
      assert.match(unknown.message, /no crawl job no-such-job/);
      const timeout = await rejects(firecrawl.scrape(site.url('/slow'), { timeout: 300 }));
      assert.equal(timeout.status, 408);
      const crawl = await rejects(firecrawl.startCrawl(site.url('/'), { prompt: 'only the blog' }));
      assert.match(crawl.message, /body\.prompt/);
    });
  });
}
