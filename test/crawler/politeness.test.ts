/**
 * Politeness as the server sees it: with --delay (or a larger robots Crawl-delay), two
 * requests to one host never start closer together than the delay, whatever the concurrency.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { crawlInProcess } from '../support/crawl-in-process.js';
import { html, page, startTestServer, type TestServer } from '../support/http-server.js';
import { tempDir } from '../support/temp-dir.js';

const PAGES = 8;

async function politeSite(host: string, robots: string): Promise<TestServer> {
  return startTestServer((req, res) => {
    if (req.url === '/robots.txt') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      return res.end(robots);
    }
    const n = Number(/^\/p\/(\d+)$/.exec(req.url ?? '')?.[1] ?? 0);
    // Every page links to every page: plenty of work queued for the one host.
    const links = Array.from({ length: PAGES }, (_, i) => `/p/${i}`);
    html(res, page(`P${n}`, links));
  }, host);
}

function minGap(server: TestServer): number {
  const times = server.requests.map((r) => r.at).sort((a, b) => a - b);
  let min = Infinity;
  for (let i = 1; i < times.length; i++) min = Math.min(min, times[i]! - times[i - 1]!);
  return min;
}

async function crawl(server: TestServer, delayMs: number): Promise<number> {
  const dir = await tempDir();
  try {
    const summary = await crawlInProcess(
      {
        seeds: [`${server.origin}/p/0`],
        delayMs,
        concurrency: 16,
        parseWorkers: 0,
      },
      dir.path,
    );
    return summary.pagesStored;
  } finally {
    await dir.cleanup();
  }
}

describe('politeness', () => {
  let plain: TestServer;
  let slowed: TestServer;
  before(async () => {
    plain = await politeSite('127.0.0.3', 'User-agent: *\nAllow: /\n');
    slowed = await politeSite('127.0.0.4', 'User-agent: trawl\nCrawl-delay: 0.3\n');
  });
  after(async () => {
    await plain.close();
    await slowed.close();
  });

  test('--delay spaces every request to a host, robots.txt included', async () => {
    assert.equal(await crawl(plain, 120), PAGES);
    assert.equal(plain.requests.length, PAGES + 1);
    // The server's clock and ours may differ by a fraction of a millisecond.
    assert.ok(minGap(plain) >= 119.5, `min gap ${minGap(plain).toFixed(1)} ms`);
  });

  test('robots.txt Crawl-delay raises the gap above --delay', async () => {
    assert.equal(await crawl(slowed, 50), PAGES);
    assert.ok(minGap(slowed) >= 299.5, `min gap ${minGap(slowed).toFixed(1)} ms`);
  });
});
