/**
 * Firecrawl's browser options through its own SDK (@mendable/firecrawl-js), in both
 * modes: a scrape with the `screenshot` format gets the page's PNG (rendered: its scripts
 * ran) as a data URL; `waitFor` waits in the browser for content a script adds late; a
 * crawl with the screenshot format gives each document a `screenshot` link to the
 * service, which serves the PNG. And what a client may not do: choose where artifacts go,
 * or read another job's.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Firecrawl, { type Document } from '@mendable/firecrawl-js';
import { request } from 'undici';
import { findChromium } from '../../src/fetch/browser/browser-pool.js';
import { html, startTestServer, type TestServer } from '../support/http-server.js';
import { pngSize } from '../support/png.js';
import { SERVICE_MODES, startTestService, type TestService } from '../support/service.js';

const chromium = findChromium(process.env.TRAWL_CHROMIUM_PATH);

function dataUrlPng(url: string | undefined): Buffer {
  const m = /^data:image\/png;base64,(.+)$/.exec(url ?? '');
  assert.ok(m, `a PNG data URL, not ${String(url).slice(0, 40)}`);
  return Buffer.from(m[1]!, 'base64');
}

/** A page whose content a script writes, `delayMs` after load. */
const scripted = (title: string, links: string[], delayMs = 0): string =>
  `<title>${title}</title><body style="margin:0"><div id="root"></div><script>
    setTimeout(() => {
      document.getElementById('root').innerHTML = ${JSON.stringify(
        `<h1>${title}</h1><p>${title}: written by a script.</p>` +
          '<div style="height:2400px">tall</div>' +
          links.map((l) => `<a href="${l}">${l}</a>`).join(' '),
      )};
    }, ${delayMs});
  </script>`;

for (const mode of SERVICE_MODES) {
  describe(
    `Firecrawl browser options (${mode})`,
    { skip: chromium === null ? 'no Chromium installed' : false, timeout: 180_000 },
    () => {
      let service: TestService;
      let site: TestServer;
      let firecrawl: Firecrawl;
      before(async () => {
        site = await startTestServer((req, res) => {
          const path = (req.url ?? '/').split('?')[0];
          if (path === '/') html(res, scripted('Home', ['/one', '/two']));
          else if (path === '/one') html(res, scripted('One', ['/']));
          else if (path === '/two') html(res, scripted('Two', []));
          else if (path === '/late') html(res, scripted('Late', [], 700));
          else html(res, '<title>not found</title>', 404);
        });
        service = await startTestService(mode);
        firecrawl = new Firecrawl({ apiKey: 'fc-test', apiUrl: service.url });
      });
      after(async () => {
        await service?.close();
        await site?.close();
      });

      test('scrape with screenshot: the rendered page, as a PNG data URL', async () => {
        const doc = await firecrawl.scrape(`${site.origin}/`, {
          formats: ['markdown', 'screenshot'],
        });
        assert.match(doc.markdown ?? '', /Home: written by a script/, 'rendered, scripts ran');
        const viewport = pngSize(dataUrlPng(doc.screenshot));
        assert.ok(viewport.width >= 800 && viewport.height < 2400, JSON.stringify(viewport));
        const full = await firecrawl.scrape(`${site.origin}/`, {
          formats: [{ type: 'screenshot', fullPage: true }],
        });
        assert.ok(pngSize(dataUrlPng(full.screenshot)).height >= 2400, 'the whole page');
        assert.equal(full.markdown, undefined, 'only the formats asked for');
        assert.equal(full.metadata?.statusCode, 200);
      });

      test('scrape with waitFor: content a script adds late is there', async () => {
        const plain = await firecrawl.scrape(`${site.origin}/late`, { formats: ['markdown'] });
        assert.doesNotMatch(plain.markdown ?? '', /written by a script/, 'HTTP: no script ran');
        const waited = await firecrawl.scrape(`${site.origin}/late`, {
          formats: ['markdown'],
          waitFor: 1500,
        });
        assert.match(waited.markdown ?? '', /Late: written by a script/);
      });

      test('crawl with screenshot: each document links to its PNG on the service', async () => {
        const job = await firecrawl.crawl(`${site.origin}/`, {
          limit: 10,
          scrapeOptions: { formats: ['markdown', { type: 'screenshot', fullPage: true }] },
          pollInterval: 1,
        });
        assert.equal(job.status, 'completed');
        const docs = job.data as Document[];
        assert.deepEqual(docs.map((d) => new URL(String(d.metadata?.sourceURL)).pathname).sort(), [
          '/',
          '/one',
          '/two',
        ]);
        for (const doc of docs) {
          assert.match(doc.markdown ?? '', /written by a script/);
          const link = String(doc.screenshot);
          assert.ok(link.startsWith(`${service.url}/trawl/v1/jobs/`), link);
          const res = await request(link);
          assert.equal(res.statusCode, 200, link);
          assert.equal(res.headers['content-type'], 'image/png');
          assert.ok(pngSize(Buffer.from(await res.body.arrayBuffer())).height >= 2400);
        }
        // Another job's id with this file name: nothing.
        const file = String(docs[0]!.screenshot).split('/').pop();
        const other = await request(`${service.url}/trawl/v1/jobs/no-such-job/artifacts/${file}`);
        assert.equal(other.statusCode, 404);
        await other.body.dump();
        const traversal = await request(
          `${service.url}/trawl/v1/jobs/${job.id ?? 'x'}/artifacts/..%2F..%2Fservice.db`,
        );
        assert.equal(traversal.statusCode, 400);
        await traversal.body.dump();
      });

      test('a client cannot choose where artifacts go', async () => {
        const res = await request(`${service.url}/trawl/v1/jobs`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            seeds: [`${site.origin}/`],
            engine: 'browser',
            screenshot: 'viewport',
            artifacts: '/tmp/elsewhere',
          }),
        });
        const body = (await res.body.json()) as { error: { code: string; field: string } };
        assert.equal(res.statusCode, 400);
        assert.equal(body.error.field, 'body.artifacts');
      });
    },
  );
}
