/**
 * Anti-blocking end to end, through the real CLI against loopback servers: a site that
 * tracks visitors by cookie and shows a Cloudflare-style challenge to a visitor past 3
 * pages is crawled whole with --sessions (cookies sent back, browser headers, blocked
 * sessions replaced, the blocked pages retried); a crawl through two proxies, one of
 * which fails, delivers every page through the good one (embedded and distributed, the
 * pool then in Redis); --random-delay spaces requests on top of --delay.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../support/cli.js';
import { distributedSandbox } from '../support/distributed.js';
import { startForwardProxy, type ForwardProxy } from '../support/forward-proxy.js';
import { html, startTestServer, type TestServer } from '../support/http-server.js';
import { readJsonl } from '../support/read-output.js';
import { tempDir } from '../support/temp-dir.js';

const PAGES = 12;
const paths = ['/', ...Array.from({ length: PAGES }, (_, i) => `/p${i + 1}`)];

describe('anti-blocking crawl', { timeout: 120_000 }, () => {
  let site: TestServer;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  /** Requests per visitor id (the `sid` cookie), and what each request carried. */
  const visits = new Map<string, number>();
  const seen: { sid: string | null; ua: string; chUa: boolean; challenged: boolean }[] = [];
  let good: ForwardProxy;
  let bad: ForwardProxy;

  before(async () => {
    dir = await tempDir('trawl-antiblock-');
    site = await startTestServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      if (path === '/robots.txt') return html(res, '', 404);
      const sid = /(?:^|;\s*)sid=([0-9a-f]+)/.exec(req.headers.cookie ?? '')?.[1] ?? null;
      const id = sid ?? randomBytes(6).toString('hex');
      const n = (visits.get(id) ?? 0) + 1;
      visits.set(id, n);
      const challenged = req.url?.includes('guarded') === true && n > 3;
      seen.push({
        sid,
        ua: String(req.headers['user-agent']),
        chUa:
          req.headers['sec-ch-ua'] !== undefined ||
          /Firefox|Safari\//.test(String(req.headers['user-agent'])),
        challenged,
      });
      if (sid === null) res.setHeader('set-cookie', `sid=${id}; Path=/; HttpOnly`);
      if (challenged) {
        res.writeHead(403, { 'content-type': 'text/html', 'cf-mitigated': 'challenge' });
        res.end('<!doctype html><title>Just a moment...</title><div id="challenge-running"></div>');
        return;
      }
      const links = path === '/' ? paths.slice(1) : [];
      html(
        res,
        `<title>${path}</title><p>Page ${path}</p>${links.map((l) => `<a href="${l}${req.url?.includes('guarded') ? '?guarded' : ''}">${l}</a>`).join('')}`,
      );
    });
    good = await startForwardProxy();
    bad = await startForwardProxy({ fail: 'destroy' });
  });
  after(async () => {
    await site?.close();
    await good?.close();
    await bad?.close();
    await dir?.cleanup();
  });

  test('--sessions: a challenged visitor is replaced, every page arrives, cookies go back', async () => {
    const out = join(dir.path, 'sessions.jsonl');
    const start = seen.length;
    const run = await runCli([
      'crawl',
      `${site.origin}/?guarded`,
      '--sessions',
      '--max-sessions',
      '2',
      '--delay',
      '0',
      '--concurrency',
      '2',
      '--max-retries',
      '6',
      '--data-dir',
      join(dir.path, 'sessions-data'),
      '--out',
      out,
      '--no-progress',
    ]);
    assert.equal(run.code, 0, run.stderr);
    const rows = await readJsonl(out);
    assert.equal(rows.length, PAGES + 1);
    for (const row of rows) assert.equal(row.status, 200, `${row.url}: ${row.error}`);
    const mine = seen.slice(start);
    // Blocks happened, and were got past with fresh visitors.
    assert.ok(
      mine.some((r) => r.challenged),
      'the site challenged someone',
    );
    assert.ok(new Set(mine.map((r) => r.sid)).size >= 3, 'several visitors');
    // Each visitor's cookie came back on its next requests.
    assert.ok(mine.filter((r) => r.sid !== null).length >= PAGES / 2);
    // Browser header sets, not Trawl's own User-Agent.
    for (const r of mine) {
      assert.match(r.ua, /^Mozilla\/5\.0 /);
      assert.ok(r.chUa, `client hints for ${r.ua}`);
    }
  });

  for (const mode of ['embedded', 'distributed'] as const) {
    test(`two proxies, one failing (${mode}): every page through the good one`, async () => {
      const out = join(dir.path, `proxies-${mode}.jsonl`);
      const before = good.requests;
      const sandbox = mode === 'distributed' ? await distributedSandbox() : null;
      try {
        const run = await runCli(
          [
            'crawl',
            `${site.origin}/`,
            '--proxy',
            bad.url,
            '--proxy',
            good.url,
            '--delay',
            '0',
            '--max-retries',
            '4',
            ...(sandbox === null
              ? ['--data-dir', join(dir.path, 'proxies-data')]
              : ['--job', `proxies-${randomBytes(3).toString('hex')}`]),
            '--out',
            out,
            '--no-progress',
          ],
          sandbox?.env,
        );
        assert.equal(run.code, 0, run.stderr);
        const rows = await readJsonl(out);
        assert.equal(rows.length, PAGES + 1);
        for (const row of rows) assert.equal(row.status, 200, `${row.url}: ${row.error}`);
        // robots.txt and every page went through the good proxy; the bad one was dropped.
        assert.ok(good.requests - before >= PAGES + 1, `good proxy: ${good.requests - before}`);
        assert.ok(bad.destroyed >= 1, 'the failing proxy was tried');
      } finally {
        await sandbox?.cleanup();
      }
    });
  }

  test('--random-delay: gaps to a host are the delay plus the pause', async () => {
    const out = join(dir.path, 'delay.jsonl');
    const from = site.requests.length;
    const run = await runCli([
      'crawl',
      `${site.origin}/`,
      '--max-pages',
      '6',
      '--delay',
      '50',
      '--random-delay',
      '150-250',
      '--no-robots',
      '--data-dir',
      join(dir.path, 'delay-data'),
      '--out',
      out,
      '--no-progress',
    ]);
    assert.equal(run.code, 0, run.stderr);
    const at = site.requests.slice(from).map((r) => r.at);
    assert.equal(at.length, 6);
    for (let i = 1; i < at.length; i++) {
      const gap = at[i]! - at[i - 1]!;
      assert.ok(gap >= 195, `gap ${i}: ${gap} ms (delay 50 + pause ≥ 150)`);
    }
  });
});
