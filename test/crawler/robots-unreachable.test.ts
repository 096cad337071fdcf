/**
 * RFC 9309: a robots.txt that answers 5xx forbids crawling for a while, not for good —
 * the host's pages wait, robots.txt is fetched again, and then they are crawled.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { crawlInProcess } from '../support/crawl-in-process.js';
import { html, page, startTestServer } from '../support/http-server.js';
import { readJsonl } from '../support/read-output.js';
import { tempDir } from '../support/temp-dir.js';

test('an unreachable robots.txt delays the host, then the crawl goes on', async () => {
  let robotsHits = 0;
  const site = await startTestServer((req, res) => {
    if (req.url === '/robots.txt') {
      robotsHits++;
      if (robotsHits === 1) return html(res, 'down', 503);
      res.writeHead(200, { 'content-type': 'text/plain' });
      return res.end('User-agent: *\nDisallow: /no\n');
    }
    html(res, page('Home', ['/no', '/yes']));
  });
  const dir = await tempDir();
  try {
    const out = join(dir.path, 'out.jsonl');
    await crawlInProcess(
      { seeds: [`${site.origin}/`], delayMs: 0, robotsRetryMs: 300 },
      dir.path,
      out,
    );
    const rows = await readJsonl(out);
    const byPath = new Map(rows.map((r) => [new URL(r.url).pathname, r]));
    assert.equal(byPath.get('/')?.status, 200, 'the start page waited for robots.txt');
    assert.equal(byPath.get('/yes')?.status, 200);
    assert.equal(byPath.get('/no')?.error, 'robots_disallowed');
    assert.equal(robotsHits, 2);
    const robotsTimes = site.requests.filter((r) => r.path === '/robots.txt').map((r) => r.at);
    assert.ok(robotsTimes[1]! - robotsTimes[0]! >= 290, 'refetched after the retry window');
  } finally {
    await site.close();
    await dir.cleanup();
  }
});
