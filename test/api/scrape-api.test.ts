/**
 * Trawl's single-URL scrape, `POST /trawl/v1/scrape`, over a real socket: the record a
 * crawl stores plus the formats asked for, a site's 404 as a record, the deadline (408),
 * an unusable answer (502), and the strict request shape of Trawl's API.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ARTICLE_TEXT, startContentSite, type ContentSite } from '../support/content-site.js';
import { call, type Body } from '../support/json-call.js';
import { startTestService, type TestService } from '../support/service.js';

describe('scrape API (embedded)', () => {
  let service: TestService;
  let site: ContentSite;
  before(async () => {
    service = await startTestService('embedded');
    site = await startContentSite();
  });
  after(async () => {
    await service?.close();
    await site?.close();
  });

  test("Trawl's /trawl/v1/scrape: the crawl's record plus the formats", async () => {
    const res = await call(service.url, 'POST', '/trawl/v1/scrape', {
      url: site.url('/redirect'),
      formats: ['markdown', 'metadata', 'html', 'links'],
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const r = res.body;
    assert.equal(r.url, site.url('/redirect'));
    assert.equal(r.finalUrl, site.url('/article'));
    assert.equal(r.status, 200);
    assert.equal(r.title, 'The Article');
    assert.equal(r.error, null);
    assert.equal((r.headers as Body)['content-type'], 'text/html; charset=utf-8');
    assert.ok(String(r.markdown).includes(ARTICLE_TEXT));
    assert.equal((r.metadata as Body).description, 'All about trawling');
    assert.match(String(r.html), /^<main><article><h1>Deep Sea Trawling<\/h1>/);
    assert.ok((r.links as { url: string }[]).some((l) => l.url === site.url('/docs/guide')));
    const missing = await call(service.url, 'POST', '/trawl/v1/scrape', {
      url: site.url('/missing'),
    });
    assert.equal(missing.status, 200);
    assert.equal(missing.body.status, 404);
    assert.equal(missing.body.error, 'http_status');
    const late = await call(service.url, 'POST', '/trawl/v1/scrape', {
      url: site.url('/slow'),
      timeoutMs: 200,
    });
    assert.equal(late.status, 408);
    assert.equal((late.body.error as Body).code, 'timeout');
    const broken = await call(service.url, 'POST', '/trawl/v1/scrape', {
      url: site.url('/broken'),
    });
    assert.equal(broken.status, 502);
    assert.equal((broken.body.error as Body).code, 'scrape_failed');
    const strict = await call(service.url, 'POST', '/trawl/v1/scrape', {
      url: site.url('/'),
      format: 'md',
    });
    assert.equal(strict.status, 400);
    assert.equal((strict.body.error as Body).code, 'invalid_request');
  });
});
