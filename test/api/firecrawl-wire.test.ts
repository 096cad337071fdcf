/**
 * The Firecrawl-compatible API on the wire (raw HTTP and WebSocket, no SDK): the details
 * clients depend on. Every success is a 200 with `success: true`; errors are
 * `{success: false, error, code, details}`; unknown keys are ignored and wrong types
 * name the field; options Trawl cannot honour are refused by name; `next` is absolute
 * and absent on the last page; the watcher's messages; the SSRF guard refuses private
 * targets when TRAWL_ALLOW_TARGETS is empty. Crawl options: firecrawl-jobs.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { request, WebSocket } from 'undici';
import { ARTICLE_TEXT, startContentSite, type ContentSite } from '../support/content-site.js';
import { assertFirecrawlError, call, type Body } from '../support/json-call.js';
import { startTestService, type TestService } from '../support/service.js';
import { startTreeSite, type TreeSite } from '../support/tree-site.js';

async function completed(service: TestService, id: string): Promise<void> {
  await service.waitForJob(id, ['completed']);
}

/** Every message of a watcher connection, and the close reason. */
async function watch(url: string): Promise<{ messages: Body[]; reason: string; code: number }> {
  const ws = new WebSocket(url, 'fc-test');
  const messages: Body[] = [];
  ws.onmessage = (ev) => messages.push(JSON.parse(String(ev.data)) as Body);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`watcher ${url} did not close`)), 20_000);
    ws.onclose = (ev) => {
      clearTimeout(timer);
      resolve({ messages, reason: ev.reason, code: ev.code });
    };
  });
}

describe('Firecrawl wire details (embedded)', () => {
  let service: TestService;
  let site: ContentSite;
  let tree: TreeSite;
  before(async () => {
    service = await startTestService('embedded', { env: { TRAWL_FIRECRAWL_PAGE_SIZE: '7' } });
    site = await startContentSite();
    tree = await startTreeSite(['127.0.0.1'], 30);
  });
  after(async () => {
    await service?.close();
    await site?.close();
    await tree?.close();
  });

  test('successes are 200 with success: true; unknown keys are ignored', async () => {
    const scrape = await call(service.url, 'POST', '/v2/scrape', {
      url: site.url('/article'),
      formats: [{ type: 'markdown' }],
      origin: 'js-sdk@x',
      integration: 'wire-test',
      someFutureOption: { nested: true },
      maxAge: 0,
      blockAds: true,
    });
    assert.equal(scrape.status, 200, JSON.stringify(scrape.body));
    assert.equal(scrape.body.success, true);
    assert.ok(String((scrape.body.data as Body).markdown).includes(ARTICLE_TEXT));
    const map = await call(service.url, 'POST', '/v2/map', { url: site.url('/'), unknown: 1 });
    assert.equal(map.status, 200);
    assert.equal(map.body.success, true);
    const crawl = await call(service.url, 'POST', '/v2/crawl', {
      url: tree.seeds[0],
      delay: 0,
      x: 1,
    });
    assert.equal(crawl.status, 200);
    assert.equal(crawl.body.success, true);
    const id = crawl.body.id as string;
    assert.equal(crawl.body.url, `${service.url}/v2/crawl/${id}`);
    for (const path of [`/v2/crawl/${id}`, `/v2/crawl/${id}/errors`, '/v2/crawl/active']) {
      const res = await call(service.url, 'GET', path);
      assert.equal(res.status, 200, path);
      assert.equal(res.body.success, true, path);
    }
    await completed(service, id);
    const v1 = await call(service.url, 'POST', '/v1/scrape', { url: site.url('/article') });
    assert.equal(v1.body.success, true);
  });

  test('errors: {success: false, error, code, details}, the field named', async () => {
    const wrongType = await call(service.url, 'POST', '/v2/crawl', {
      url: tree.seeds[0],
      limit: 'ten',
    });
    assertFirecrawlError(wrongType, 400, 'invalid_request');
    assert.match(String(wrongType.body.error), /^body\.limit: /);
    assert.ok(Array.isArray(wrongType.body.details));
    assertFirecrawlError(await call(service.url, 'POST', '/v2/scrape', {}), 400, 'invalid_request');
    assertFirecrawlError(await call(service.url, 'GET', '/v2/crawl/nope'), 404, 'job_not_found');
    assertFirecrawlError(await call(service.url, 'GET', '/v2/no-such-route'), 404, 'not_found');
    const notJson = await request(`${service.url}/v2/scrape`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"url": ',
    });
    assertFirecrawlError(
      { status: notJson.statusCode, body: (await notJson.body.json()) as Body },
      400,
      'invalid_request',
    );
    const refusals: [string, Body, RegExp][] = [
      [
        '/v2/scrape',
        { url: site.url('/'), formats: ['json'] },
        /body\.formats\.0: the json format needs a language model/,
      ],
      ['/v2/scrape', { url: site.url('/'), mobile: true }, /body\.mobile/],
      ['/v2/scrape', { url: site.url('/'), actions: [{ type: 'click' }] }, /body\.actions/],
      ['/v2/scrape', { url: site.url('/'), headers: { Host: 'other' } }, /body\.headers\.Host/],
      [
        '/v2/crawl',
        { url: site.url('/'), ignoreQueryParameters: true },
        /body\.ignoreQueryParameters/,
      ],
      [
        '/v2/crawl',
        { url: site.url('/'), scrapeOptions: { actions: [{ type: 'click' }] } },
        /body\.scrapeOptions\.actions/,
      ],
      [
        '/v2/crawl',
        { url: site.url('/'), scrapeOptions: { headers: { Cookie: 'a=1' } } },
        /body\.scrapeOptions\.headers\.Cookie/,
      ],
      ['/v2/batch/scrape', { urls: [site.url('/')], appendToId: 'x' }, /body\.appendToId/],
    ];
    for (const [path, body, message] of refusals) {
      const res = await call(service.url, 'POST', path, body);
      assertFirecrawlError(res, 400, 'unsupported_option');
      assert.match(String(res.body.error), message);
    }
    const badRegex = await call(service.url, 'POST', '/v2/crawl', {
      url: site.url('/'),
      includePaths: ['(['],
    });
    assertFirecrawlError(badRegex, 400, 'invalid_request');
    assert.match(String(badRegex.body.error), /body\.includePaths\.0: invalid regular expression/);
    const badSelector = await call(service.url, 'POST', '/v2/scrape', {
      url: site.url('/'),
      includeTags: ['a[['],
    });
    assert.match(String(badSelector.body.error), /body\.includeTags\.0: invalid CSS selector/);
  });

  test('status pages: `next` absolute while more documents exist, absent on the last', async () => {
    const { body } = await call(service.url, 'POST', '/v2/crawl', { url: tree.seeds[0], delay: 0 });
    const id = body.id as string;
    await completed(service, id);
    const seen: string[] = [];
    let next: string | undefined = `${service.url}/v2/crawl/${id}`;
    let pages = 0;
    while (next !== undefined) {
      const page = await call(service.url, 'GET', next);
      assert.equal(page.status, 200);
      assert.equal(page.body.status, 'completed');
      assert.equal(page.body.completed, 30);
      assert.equal(page.body.total, 30);
      const data = page.body.data as { metadata: { sourceURL: string } }[];
      assert.ok(data.length > 0, 'a `next` never leads to an empty page');
      seen.push(...data.map((d) => d.metadata.sourceURL));
      pages++;
      if ('next' in page.body) {
        assert.match(String(page.body.next), new RegExp(`^${service.url}/v2/crawl/${id}\\?`));
        next = String(page.body.next);
      } else next = undefined;
    }
    assert.equal(pages, 5, '30 documents in pages of 7');
    assert.deepEqual([...seen].sort(), [...tree.expected].sort());
    const limited = await call(service.url, 'GET', `/v2/crawl/${id}?limit=10`);
    assert.equal((limited.body.data as unknown[]).length, 10);
    assert.match(String(limited.body.next), /&limit=10$/);
    const skipped = await call(service.url, 'GET', `/v2/crawl/${id}?skip=25`);
    assert.equal((skipped.body.data as unknown[]).length, 5);
    assert.ok(!('next' in skipped.body));
    const exact = await call(service.url, 'GET', `/v2/crawl/${id}?limit=30`);
    assert.ok(!('next' in exact.body), 'no next when the page holds the last document');
    assertFirecrawlError(
      await call(service.url, 'GET', `/v2/crawl/${id}?cursor=bogus`),
      400,
      'invalid_request',
    );
    // A finished crawl cannot be cancelled; the v1 path serves the same job.
    assertFirecrawlError(await call(service.url, 'DELETE', `/v2/crawl/${id}`), 409, 'job_state');
    const v1 = await call(service.url, 'GET', `/v1/crawl/${id}`);
    assert.equal(v1.body.status, 'completed');
  });

  test('the watcher: documents then done (v2); catchup and a JSON close reason (v1)', async () => {
    const { body } = await call(service.url, 'POST', '/v2/crawl', {
      url: tree.seeds[0],
      limit: 12,
      delay: 0,
    });
    const id = body.id as string;
    await completed(service, id);
    const wsBase = service.url.replace(/^http/, 'ws');
    const v2 = await watch(`${wsBase}/v2/crawl/${id}`);
    const types = v2.messages.map((m) => m.type);
    assert.deepEqual(types, [...Array(12).fill('document'), 'done']);
    const done = v2.messages.at(-1)!.data as Body;
    assert.equal(done.status, 'completed');
    assert.equal(done.completed, 12);
    const v1 = await watch(`${wsBase}/v1/crawl/${id}`);
    assert.equal(v1.messages[0]!.type, 'catchup');
    assert.equal(((v1.messages[0]!.data as Body).data as unknown[]).length, 12);
    assert.deepEqual(JSON.parse(v1.reason), { type: 'done' });
    const missing = await watch(`${wsBase}/v2/crawl/no-such-job`);
    assert.deepEqual(missing.messages, [{ type: 'error', error: 'no crawl job no-such-job' }]);
  });
});

describe('Firecrawl SSRF guard (TRAWL_ALLOW_TARGETS empty)', () => {
  let service: TestService;
  let site: ContentSite;
  before(async () => {
    service = await startTestService('embedded', { env: { TRAWL_ALLOW_TARGETS: '' } });
    site = await startContentSite();
  });
  after(async () => {
    await service?.close();
    await site?.close();
  });

  test('a private target is refused on every endpoint, before anything is fetched', async () => {
    const target = site.url('/article');
    const cases: [string, string, Body, string][] = [
      ['/v2/scrape', 'body.url', { url: target }, ''],
      ['/v1/scrape', 'body.url', { url: target }, ''],
      ['/v2/map', 'body.url', { url: target }, ''],
      ['/v2/crawl', 'body.url', { url: target }, ''],
      ['/v1/crawl', 'body.url', { url: target }, ''],
      ['/v2/batch/scrape', 'body.urls.0', { urls: [target] }, ''],
      ['/v2/crawl', 'body.webhook.url', { url: 'https://example.com/', webhook: target }, ''],
      [
        '/trawl/v1/scrape',
        'body.url',
        { url: 'http://169.254.169.254/latest/meta-data/' },
        'trawl',
      ],
    ];
    for (const [path, field, body, format] of cases) {
      const res = await call(service.url, 'POST', path, body);
      assert.equal(res.status, 400, `${path} ${JSON.stringify(res.body)}`);
      const message = format === 'trawl' ? (res.body.error as Body).message : res.body.error;
      const code = format === 'trawl' ? (res.body.error as Body).code : res.body.code;
      assert.equal(code, 'target_refused', path);
      assert.ok(String(message).startsWith(`${field}: `), `${path}: ${String(message)}`);
    }
    assert.equal(site.server.requests.length, 0, 'nothing was fetched');
    assert.deepEqual(await service.jobs.list({ limit: 10 }), [], 'no job was created');
  });
});
