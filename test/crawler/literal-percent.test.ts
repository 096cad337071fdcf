/**
 * A literal '%' in a link (files named "operator%.html" exist in real documentation
 * sets) is sent as %25, as GNU Wget does: sent raw, servers answer 400.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { crawlInProcess } from '../support/crawl-in-process.js';
import { html, page, startTestServer } from '../support/http-server.js';
import { readJsonl } from '../support/read-output.js';
import { tempDir } from '../support/temp-dir.js';

test('a literal % in a link is requested as %25 and the page is stored', async () => {
  const site = await startTestServer((req, res) => {
    const path = req.url ?? '/';
    if (path === '/robots.txt') return html(res, 'none', 404);
    if (path === '/') return html(res, page('Home', ['operator%.html', '/100%/x?q=5%']));
    // As a static server does: decode the path; a bad escape is a bad request.
    let file: string;
    try {
      file = decodeURIComponent(path);
    } catch {
      return html(res, 'bad request', 400);
    }
    if (file === '/operator%.html') return html(res, page('Operators', []));
    if (file === '/100%/x?q=5%') return html(res, page('Percent', []));
    html(res, 'not found', 404);
  });
  const dir = await tempDir();
  try {
    const out = join(dir.path, 'out.jsonl');
    await crawlInProcess(
      { seeds: [`${site.origin}/`], delayMs: 0, parseWorkers: 0 },
      dir.path,
      out,
    );
    const rows = new Map((await readJsonl(out)).map((r) => [r.url.slice(site.origin.length), r]));
    assert.deepEqual(
      [rows.get('/operator%25.html')?.status, rows.get('/operator%25.html')?.title],
      [200, 'Operators'],
    );
    assert.equal(rows.get('/100%25/x?q=5%25')?.status, 200);
    assert.ok(site.requests.some((r) => r.path === '/operator%25.html'));
  } finally {
    await site.close();
    await dir.cleanup();
  }
});
