/**
 * One URL whose server never sends headers must not hold a polite host for
 * timeout × attempts: the first-byte deadline ends each attempt early, and the host's
 * other URLs go ahead while the slow one waits for its retry.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { crawlInProcess } from '../support/crawl-in-process.js';
import { html, page, startTestServer } from '../support/http-server.js';
import { readJsonl } from '../support/read-output.js';
import { tempDir } from '../support/temp-dir.js';

test('a URL that never answers: first-byte deadline, and the host goes on meanwhile', async () => {
  const others = Array.from({ length: 6 }, (_, i) => `/p${i}`);
  const site = await startTestServer((req, res) => {
    if (req.url === '/robots.txt') return html(res, 'none', 404);
    if (req.url === '/hang') return; // headers never come
    if (req.url === '/') return html(res, page('Home', ['/hang', ...others]));
    html(res, page(`Page ${req.url}`, []));
  });
  const dir = await tempDir();
  try {
    const out = join(dir.path, 'out.jsonl');
    const started = performance.now();
    await crawlInProcess(
      {
        seeds: [`${site.origin}/`],
        delayMs: 50,
        firstByteTimeoutMs: 400,
        maxRetries: 2,
        retryBaseMs: 100,
        parseWorkers: 0,
      },
      dir.path,
      out,
    );
    const rows = new Map((await readJsonl(out)).map((r) => [new URL(r.url).pathname, r]));
    assert.equal(rows.get('/hang')?.error, 'timeout');
    assert.equal(rows.get('/hang')?.attempts, 3);
    for (const p of others) assert.equal(rows.get(p)?.status, 200, p);
    const hangs = site.requests.filter((r) => r.path === '/hang').map((r) => r.at - started);
    const done = site.requests.filter((r) => others.includes(r.path)).map((r) => r.at - started);
    assert.equal(hangs.length, 3);
    // Every other page was fetched before the slow URL's last attempt began.
    assert.ok(
      Math.max(...done) < hangs[2]!,
      `pages at ${done.map(Math.round)}, /hang at ${hangs.map(Math.round)}`,
    );
    // Each attempt was cut at the first-byte deadline, not the whole-fetch one (60 s).
    assert.ok(performance.now() - started < 10_000);
  } finally {
    await site.close();
    await dir.cleanup();
  }
});
