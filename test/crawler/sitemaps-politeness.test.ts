/**
 * --sitemaps and robots.txt Crawl-delay: the delay holds from the first request to the
 * host — robots.txt, each sitemap file, every page — whoever fetched robots.txt.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { crawlInProcess } from '../support/crawl-in-process.js';
import { html, page, startTestServer } from '../support/http-server.js';
import { readJsonl } from '../support/read-output.js';
import { tempDir } from '../support/temp-dir.js';

test('--sitemaps keeps robots.txt Crawl-delay between every request to the host', async () => {
  const site = await startTestServer((req, res, self) => {
    switch (req.url) {
      case '/robots.txt':
        res.writeHead(200, { 'content-type': 'text/plain' });
        return res.end(`User-agent: *\nCrawl-delay: 0.3\nSitemap: ${self.origin}/index.xml\n`);
      case '/index.xml':
        res.writeHead(200, { 'content-type': 'application/xml' });
        return res.end(
          `<sitemapindex><sitemap><loc>${self.origin}/pages.xml</loc></sitemap></sitemapindex>`,
        );
      case '/pages.xml':
        res.writeHead(200, { 'content-type': 'application/xml' });
        return res.end(
          `<urlset>${['/s1', '/s2', '/s3'].map((p) => `<url><loc>${self.origin}${p}</loc></url>`).join('')}</urlset>`,
        );
    }
    html(res, page(`Page ${req.url}`, []));
  });
  const dir = await tempDir();
  try {
    const out = join(dir.path, 'out.jsonl');
    await crawlInProcess(
      { seeds: [`${site.origin}/`], sitemaps: true, delayMs: 50, concurrency: 8, parseWorkers: 0 },
      dir.path,
      out,
    );
    const paths = (await readJsonl(out)).map((r) => new URL(r.url).pathname).sort();
    assert.deepEqual(paths, ['/', '/s1', '/s2', '/s3']);
    assert.deepEqual(
      site.requests.map((r) => r.path).slice(0, 1),
      ['/robots.txt'],
      'robots.txt is the first request',
    );
    assert.equal(site.hits('/robots.txt'), 1);
    const times = site.requests.map((r) => r.at).sort((a, b) => a - b);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    const min = Math.min(...gaps);
    assert.equal(site.requests.length, 7);
    assert.ok(min >= 299.5, `min gap ${min.toFixed(1)} ms (Crawl-delay 300 ms)`);
  } finally {
    await site.close();
    await dir.cleanup();
  }
});
