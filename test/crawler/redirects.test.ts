/**
 * Redirects as the server sees them: every hop is a request to its host and waits for
 * that host's politeness; a hop that fails once is retried, not lost; and the redirect
 * target is deduplicated under the same URL policy as links (--keep-query-order).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { crawlInProcess } from '../support/crawl-in-process.js';
import { html, page, startTestServer, type TestServer } from '../support/http-server.js';
import { readJsonl, type OutputRow } from '../support/read-output.js';
import { tempDir } from '../support/temp-dir.js';
import type { CrawlSpecInput } from '../../src/config/crawl-spec.js';

async function crawl(server: TestServer, spec: Partial<CrawlSpecInput>): Promise<OutputRow[]> {
  const dir = await tempDir();
  try {
    const out = join(dir.path, 'out.jsonl');
    await crawlInProcess(
      { seeds: [`${server.origin}/`], parseWorkers: 0, concurrency: 8, ...spec },
      dir.path,
      out,
    );
    return await readJsonl(out);
  } finally {
    await dir.cleanup();
  }
}

function gaps(server: TestServer): number[] {
  const times = server.requests.map((r) => r.at).sort((a, b) => a - b);
  return times.slice(1).map((t, i) => t - times[i]!);
}

const byPath = (rows: OutputRow[]) => new Map(rows.map((r) => [new URL(r.url).pathname, r]));

describe('redirects', () => {
  test('every hop waits for its host: --delay holds between a 301 and its target, and in a loop', async () => {
    const server = await startTestServer((req, res) => {
      switch (req.url) {
        case '/robots.txt':
          return html(res, 'none', 404);
        case '/':
          return html(res, page('Home', ['/r', '/loop/a']));
        case '/r':
          res.writeHead(301, { location: '/t' });
          return res.end();
        case '/t':
          return html(res, page('Target', []));
        case '/loop/a':
          res.writeHead(302, { location: '/loop/b' });
          return res.end();
        case '/loop/b':
          res.writeHead(302, { location: '/loop/a' });
          return res.end();
      }
      html(res, 'no', 404);
    });
    try {
      const rows = byPath(await crawl(server, { delayMs: 150 }));
      assert.deepEqual(
        [rows.get('/r')?.status, rows.get('/r')?.finalUrl, rows.get('/r')?.error],
        [200, `${server.origin}/t`, null],
      );
      assert.equal(rows.get('/loop/a')?.error, 'redirect_loop');
      assert.deepEqual(server.requests.map((r) => r.path).sort(), [
        '/',
        '/loop/a',
        '/loop/b',
        '/r',
        '/robots.txt',
        '/t',
      ]);
      const min = Math.min(...gaps(server));
      // The server's clock and ours may differ by a fraction of a millisecond.
      assert.ok(min >= 149.5, `min gap between two requests to the host: ${min.toFixed(1)} ms`);
    } finally {
      await server.close();
    }
  });

  test('a redirect target that fails once is retried and stored under the redirecting URL', async () => {
    let targetHits = 0;
    const server = await startTestServer((req, res) => {
      switch (req.url) {
        case '/robots.txt':
          return html(res, 'none', 404);
        case '/':
          return html(res, page('Home', ['/r']));
        case '/r':
          res.writeHead(301, { location: '/t' });
          return res.end();
        case '/t':
          targetHits++;
          if (targetHits === 1) return html(res, 'busy', 503);
          return html(res, page('Target', []));
      }
      html(res, 'no', 404);
    });
    try {
      const rows = byPath(await crawl(server, { delayMs: 0, retryBaseMs: 50 }));
      const r = rows.get('/r');
      assert.deepEqual(
        [r?.status, r?.error, r?.title, r?.finalUrl],
        [200, null, 'Target', `${server.origin}/t`],
      );
      assert.equal(targetHits, 2, '/t was fetched again after its 503');
      assert.equal(rows.has('/t'), false, 'the target is stored once, under /r');
      assert.equal(server.hits('/r'), 1, 'the retry went to the hop, not back to /r');
    } finally {
      await server.close();
    }
  });

  test('--keep-query-order: a redirect target keeps its query order, so it is deduplicated like a link', async () => {
    const server = await startTestServer((req, res) => {
      switch (req.url) {
        case '/robots.txt':
          return html(res, 'none', 404);
        case '/':
          return html(res, page('Home', ['/t?b=2&a=1', '/r']));
        case '/r':
          res.writeHead(302, { location: '/t?b=2&a=1' });
          return res.end();
        case '/t?b=2&a=1':
          return html(res, page('Target', []));
      }
      html(res, 'no', 404);
    });
    try {
      const rows = await crawl(server, { delayMs: 0, sortQuery: false, concurrency: 1 });
      assert.equal(server.hits('/t?b=2&a=1'), 1, 'the target was fetched once');
      const r = rows.find((row) => row.url.endsWith('/r'));
      assert.equal(r?.error, 'redirect_known');
      assert.equal(r?.finalUrl, `${server.origin}/t?b=2&a=1`);
    } finally {
      await server.close();
    }
  });

  test('a redirect to another host waits for that host, and its robots.txt', async () => {
    const target = await startTestServer((req, res) => {
      if (req.url === '/robots.txt') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        return res.end('User-agent: *\nDisallow: /private\n');
      }
      html(res, page('There', []));
    }, '127.0.0.5');
    const server = await startTestServer((req, res) => {
      switch (req.url) {
        case '/robots.txt':
          return html(res, 'none', 404);
        case '/':
          return html(res, page('Home', ['/away', '/away-private']));
        case '/away':
          res.writeHead(301, { location: `${target.origin}/ok` });
          return res.end();
        case '/away-private':
          res.writeHead(301, { location: `${target.origin}/private` });
          return res.end();
      }
      html(res, 'no', 404);
    });
    try {
      const rows = byPath(
        await crawl(server, { delayMs: 100, scope: 'any', seeds: [`${server.origin}/`] }),
      );
      assert.deepEqual(
        [rows.get('/away')?.status, rows.get('/away')?.finalUrl],
        [200, `${target.origin}/ok`],
      );
      const blocked = rows.get('/away-private');
      assert.deepEqual(
        [blocked?.error, blocked?.status, blocked?.finalUrl],
        ['robots_disallowed', 301, `${target.origin}/private`],
      );
      assert.deepEqual(
        target.requests.map((r) => r.path),
        ['/robots.txt', '/ok'],
        'robots.txt first, and no request for the disallowed target',
      );
      const [robots, ok] = target.requests.map((r) => r.at);
      assert.ok(ok! - robots! >= 99.5, `gap on the target host: ${(ok! - robots!).toFixed(1)} ms`);
    } finally {
      await server.close();
      await target.close();
    }
  });
});
