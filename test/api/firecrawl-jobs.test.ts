/**
 * Firecrawl crawl and batch options as Trawl runs them, on the wire: path patterns on
 * the path (or the whole URL), the start path as the default scope, sitemap modes and
 * discovery depth (v2 and v1 names); webhooks stored as the dispatcher reads them; batch
 * scrapes with ignoreInvalidURLs, kept apart from crawls but polled by v1 at /v1/crawl.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startContentSite, type ContentSite } from '../support/content-site.js';
import { html, startTestServer, type TestServer } from '../support/http-server.js';
import { assertFirecrawlError, call, type Body } from '../support/json-call.js';
import { startTestService, type TestService } from '../support/service.js';
import { startTreeSite, type TreeSite } from '../support/tree-site.js';

async function completed(service: TestService, id: string): Promise<void> {
  await service.waitForJob(id, ['completed']);
}

describe('Firecrawl crawl and batch options (embedded)', () => {
  let service: TestService;
  let site: ContentSite;
  let tree: TreeSite;
  let receiver: TestServer;
  before(async () => {
    // A service secret signs the webhooks of requests without an API key.
    service = await startTestService('embedded', {
      env: { TRAWL_WEBHOOK_SECRET: 'jobs-test-secret' },
    });
    site = await startContentSite();
    tree = await startTreeSite(['127.0.0.1'], 30);
    receiver = await startTestServer((_req, res) => html(res, 'ok'));
  });
  after(async () => {
    await service?.close();
    await site?.close();
    await tree?.close();
    await receiver?.close();
  });

  test('path patterns, the start path and the sitemap scope a crawl', async () => {
    /** The paths a crawl stores documents for. */
    const crawl = async (body: Body, version = 'v2'): Promise<string[]> => {
      const res = await call(service.url, 'POST', `/${version}/crawl`, { delay: 0, ...body });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      await completed(service, res.body.id as string);
      const status = await call(service.url, 'GET', `/v2/crawl/${res.body.id as string}?limit=100`);
      assert.equal(status.body.completed, status.body.total);
      return (status.body.data as { metadata: { sourceURL: string } }[])
        .map((d) => new URL(d.metadata.sourceURL).pathname)
        .sort();
    };
    const root = tree.seeds[0]!;
    // Concurrent: each crawl is its own job.
    const [anchored, unanchored, excluded, full, below, entire, onlySitemap, depth, v1Depth] =
      await Promise.all([
        crawl({ url: root, includePaths: ['^/p/(1|3|4)$'] }),
        // Anywhere in the path; /p/1's links (/p/3, /p/4) do not match.
        crawl({ url: root, includePaths: ['p/1'] }),
        crawl({ url: root, excludePaths: ['^/p/[12]$'] }),
        crawl({
          url: root,
          includePaths: [`${tree.servers[0]!.origin}/p/2$`],
          regexOnFullURL: true,
        }),
        // Below the start path only, unless crawlEntireDomain.
        crawl({ url: site.url('/docs/intro'), sitemap: 'skip' }),
        crawl({ url: site.url('/docs/intro'), crawlEntireDomain: true, sitemap: 'skip' }),
        // The start page and the sitemap's URLs, no link followed.
        crawl({ url: site.url('/about'), sitemap: 'only', crawlEntireDomain: true }),
        crawl({ url: root, maxDiscoveryDepth: 1, sitemap: 'skip' }),
        crawl({ url: root, maxDepth: 1, ignoreSitemap: true }, 'v1'),
      ]);
    assert.deepEqual(anchored, ['/', '/p/1', '/p/3', '/p/4']);
    assert.deepEqual(unanchored, ['/', '/p/1']);
    assert.deepEqual(excluded, ['/']);
    assert.deepEqual(full, ['/', '/p/2']);
    assert.deepEqual(below, ['/docs/intro']);
    assert.deepEqual(entire, ['/docs/guide', '/docs/intro'], 'a sibling of the start path');
    assert.deepEqual(onlySitemap, [
      '/about',
      '/article',
      '/blog/news',
      '/docs/guide',
      '/docs/intro',
    ]);
    assert.deepEqual(depth, ['/', '/p/1', '/p/2']);
    assert.deepEqual(v1Depth, ['/', '/p/1', '/p/2']);
  });

  test('webhooks are stored as the dispatcher reads them; a bad one is refused by name', async () => {
    const hook = `${receiver.origin}/hook`;
    const res = await call(service.url, 'POST', '/v2/crawl', {
      url: tree.seeds[0],
      limit: 2,
      delay: 0,
      webhook: {
        url: hook,
        headers: { 'X-Token': 'abc' },
        metadata: { team: 'a' },
        events: ['crawl.completed', 'page'],
      },
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const job = await service.jobs.get(res.body.id as string);
    assert.deepEqual(job?.meta.webhook, {
      url: hook,
      headers: { 'X-Token': 'abc' },
      metadata: { team: 'a' },
      events: ['completed', 'page'],
      flavor: 'firecrawl',
      keyId: null,
    });
    const plain = await call(service.url, 'POST', '/v2/batch/scrape', {
      urls: [site.url('/about')],
      webhook: hook,
    });
    const batch = await service.jobs.get(plain.body.id as string);
    assert.deepEqual((batch?.meta.webhook as Body).events, [
      'started',
      'page',
      'completed',
      'failed',
    ]);
    const badEvent = await call(service.url, 'POST', '/v2/crawl', {
      url: tree.seeds[0],
      webhook: { url: hook, events: ['crawl.exploded'] },
    });
    assertFirecrawlError(badEvent, 400, 'invalid_request');
    assert.match(String(badEvent.body.error), /body\.webhook\.events\.0/);
    await completed(service, res.body.id as string);
    await completed(service, plain.body.id as string);
  });

  test('batch scrape: ignoreInvalidURLs, kinds kept apart, v1 polls batches at /v1/crawl', async () => {
    const res = await call(service.url, 'POST', '/v2/batch/scrape', {
      urls: [site.url('/about'), 'not a url', site.url('/article')],
      ignoreInvalidURLs: true,
      formats: ['html'],
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body.invalidURLs, ['not a url']);
    const id = res.body.id as string;
    assert.equal(res.body.url, `${service.url}/v2/batch/scrape/${id}`);
    await completed(service, id);
    const status = await call(service.url, 'GET', `/v2/batch/scrape/${id}`);
    assert.equal(status.body.completed, 2);
    const docs = status.body.data as { html: string; metadata: Body }[];
    assert.ok(docs.every((d) => d.html.startsWith('<main>')));
    assertFirecrawlError(await call(service.url, 'GET', `/v2/crawl/${id}`), 404, 'job_not_found');
    assert.equal((await call(service.url, 'GET', `/v1/crawl/${id}`)).body.completed, 2);
    const strict = await call(service.url, 'POST', '/v2/batch/scrape', {
      urls: [site.url('/'), 'nope'],
    });
    assertFirecrawlError(strict, 400, 'invalid_request');
    assert.match(String(strict.body.error), /body\.urls\.1/);
  });
});
