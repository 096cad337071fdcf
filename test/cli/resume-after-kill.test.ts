/**
 * Crash-proofing, as a user would check it: kill -9 the real CLI mid-crawl, run the same
 * command again, and compare with what the server saw. Nothing lost, nothing stored
 * twice, and only the pages in flight at the kill are fetched again.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { collect, runCli, spawnCli } from '../support/cli.js';
import { html, page, startTestServer, waitFor, type TestServer } from '../support/http-server.js';
import { readJsonl } from '../support/read-output.js';
import { tempDir } from '../support/temp-dir.js';

const PAGES = 1500;
const CONCURRENCY = 8;

let site: TestServer;
let dir: { path: string; cleanup: () => Promise<void> };

before(async () => {
  site = await startTestServer((req, res) => {
    if (req.url === '/robots.txt') return html(res, '', 404);
    const n = Number(/^\/p\/(\d+)$/.exec(req.url ?? '')?.[1] ?? 0);
    const links = [n + 1, 2 * n, 2 * n + 1, (n * 7919) % PAGES]
      .filter((k) => k < PAGES)
      .map((k) => `/p/${k}`);
    // A little latency so the crawl is still running when the test kills it.
    setTimeout(() => html(res, page(`Page ${n}`, links)), 4);
  });
  dir = await tempDir();
});

after(async () => {
  await site.close();
  await dir.cleanup();
});

function pageHits(): Map<string, number> {
  const hits = new Map<string, number>();
  for (const r of site.requests) {
    if (r.path.startsWith('/p/')) hits.set(r.path, (hits.get(r.path) ?? 0) + 1);
  }
  return hits;
}

test('kill -9 mid-crawl, then resume: every page once, only in-flight pages refetched', async () => {
  const data = join(dir.path, 'data');
  const out = join(dir.path, 'out.jsonl');
  const args = [
    'crawl',
    `${site.origin}/p/0`,
    '--delay',
    '0',
    '--concurrency',
    String(CONCURRENCY),
    '--data-dir',
    data,
    '--out',
    out,
  ];

  for (const killAfter of [200, 700]) {
    const child = spawnCli(args);
    const exited = collect(child);
    await waitFor(() => pageHits().size >= killAfter, 30_000, `${killAfter} pages fetched`);
    child.kill('SIGKILL');
    const result = await exited;
    assert.equal(result.signal, 'SIGKILL', 'the crawl was killed, not finished');
  }
  const fetchedBeforeResume = pageHits().size;
  assert.ok(fetchedBeforeResume < PAGES, 'killed before the end');

  const resumed = await runCli(args);
  assert.equal(resumed.code, 0, resumed.stderr);

  const rows = await readJsonl(out);
  const urls = rows.map((r) => new URL(r.url).pathname);
  assert.equal(new Set(urls).size, urls.length, 'no page stored twice');
  assert.equal(urls.length, PAGES, 'no page lost');
  assert.ok(rows.every((r) => r.status === 200 && r.error === null));

  const hits = pageHits();
  assert.equal(hits.size, PAGES);
  const refetched = [...hits.values()].filter((n) => n > 1).length;
  assert.ok(Math.max(...hits.values()) <= 3, 'a page is refetched at most once per kill');
  // Two kills, each can catch at most CONCURRENCY requests in flight plus the results of
  // one event-loop turn not yet committed.
  assert.ok(refetched <= 2 * (CONCURRENCY + 8), `${refetched} pages fetched again`);

  // A finished crawl run again does nothing new.
  const before = site.requests.length;
  const rerun = await runCli(args);
  assert.equal(rerun.code, 0, rerun.stderr);
  assert.equal(site.requests.length, before);
  assert.equal((await readJsonl(out)).length, PAGES);
});

test('kill -9 mid-redirect: the resumed crawl follows the chain again and stores the target', async () => {
  let hang = true;
  const chain = await startTestServer((req, res) => {
    if (req.url === '/robots.txt') return html(res, '', 404);
    if (req.url === '/') return html(res, page('Home', ['/r']));
    if (req.url === '/r') {
      res.writeHead(301, { location: '/t' });
      return res.end();
    }
    if (req.url === '/t' && hang) return; // in flight when the crawler is killed
    html(res, page('Target', []));
  });
  const run = await tempDir();
  try {
    const args = ['crawl', `${chain.origin}/`, '--delay', '0', '--data-dir', join(run.path, 'd')];
    const out = join(run.path, 'out.jsonl');
    const child = spawnCli(args);
    const exited = collect(child);
    await waitFor(() => chain.hits('/t') === 1, 30_000, 'the hop to /t in flight');
    child.kill('SIGKILL');
    assert.equal((await exited).signal, 'SIGKILL');
    hang = false;
    const resumed = await runCli([...args, '--out', out]);
    assert.equal(resumed.code, 0, resumed.stderr);
    const r = (await readJsonl(out)).find((row) => row.url === `${chain.origin}/r`);
    assert.deepEqual(
      [r?.status, r?.error, r?.title, r?.finalUrl],
      [200, null, 'Target', `${chain.origin}/t`],
    );
    assert.equal(chain.hits('/t'), 2);
  } finally {
    await chain.close();
    await run.cleanup();
  }
});
