/** Ctrl-C (SIGINT) stops a crawl cleanly: in-flight requests finish, exit code 130, resumable. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { collect, runCli, spawnCli } from '../support/cli.js';
import { html, page, startTestServer, waitFor } from '../support/http-server.js';
import { readJsonl } from '../support/read-output.js';
import { tempDir } from '../support/temp-dir.js';

const PAGES = 400;

test('SIGINT finishes in-flight requests, exits 130, and the same command resumes', async () => {
  const site = await startTestServer((req, res) => {
    if (req.url === '/robots.txt') return html(res, '', 404);
    const n = Number(/^\/p\/(\d+)$/.exec(req.url ?? '')?.[1] ?? 0);
    const links = [n + 1, 2 * n + 1].filter((k) => k < PAGES).map((k) => `/p/${k}`);
    setTimeout(() => html(res, page(`Page ${n}`, links)), 10);
  });
  const dir = await tempDir();
  try {
    const out = join(dir.path, 'out.jsonl');
    const args = ['crawl', `${site.origin}/p/0`, '--delay', '0', '--concurrency', '4'];
    args.push('--data-dir', join(dir.path, 'data'), '--out', out);
    const child = spawnCli(args);
    const done = collect(child);
    await waitFor(() => site.requests.length > 50, 20_000, '50 requests');
    child.kill('SIGINT');
    const stopped = await done;
    assert.equal(stopped.code, 130, stopped.stderr);
    assert.match(stopped.stderr, /interrupted \(run the same command again to resume\)/);
    const partial = await readJsonl(out);
    assert.ok(partial.length > 0 && partial.length < PAGES, `${partial.length} pages so far`);
    // Drained, not dropped: every request the server answered was stored.
    const answered = new Set(
      site.requests.filter((r) => r.path.startsWith('/p/')).map((r) => r.path),
    );
    assert.equal(partial.length, answered.size);

    const resumed = await runCli(args);
    assert.equal(resumed.code, 0, resumed.stderr);
    const rows = await readJsonl(out);
    assert.equal(rows.length, PAGES);
    assert.equal(new Set(rows.map((r) => r.url)).size, PAGES);
    const pageHits = site.requests.filter((r) => r.path.startsWith('/p/')).length;
    assert.equal(pageHits, PAGES, 'nothing fetched twice across the interruption');
  } finally {
    await site.close();
    await dir.cleanup();
  }
});
