/**
 * `trawl serve` (embedded) killed with SIGKILL mid-job: at the next start the job resumes
 * from its database and completes with every page stored once, and the pages committed
 * before the kill are not fetched again (at most the requests in flight are).
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, test } from 'node:test';
import type { ChildProcess } from 'node:child_process';
import { request } from 'undici';
import { spawnCli } from '../support/cli.js';
import { freePort } from '../support/free-port.js';
import { tempDir } from '../support/temp-dir.js';
import { startTreeSite, type TreeSite } from '../support/tree-site.js';

let site: TreeSite;
let dir: { path: string; cleanup: () => Promise<void> };
before(async () => {
  site = await startTreeSite(['127.0.0.4'], 60, 20);
  dir = await tempDir('trawl-serve-kill-');
});
after(async () => {
  await site?.close();
  await dir?.cleanup();
});

async function serve(port: number): Promise<{ child: ChildProcess; url: string }> {
  const child = spawnCli(['serve', '--port', String(port), '--data-dir', dir.path], {
    TRAWL_ALLOW_TARGETS: '127.0.0.0/8',
    TRAWL_LOG_LEVEL: 'silent',
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const deadline = Date.now() + 20_000;
  while (!/listening on (\S+)/.test(stderr)) {
    if (Date.now() > deadline || child.exitCode !== null)
      throw new Error(`serve did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.match(stderr, /loopback only/, 'says it serves loopback only without keys');
  return { child, url: `http://127.0.0.1:${port}` };
}

async function json(
  url: string,
  init?: { method: 'POST'; body: string },
): Promise<Record<string, unknown>> {
  const res = await request(
    url,
    init === undefined ? {} : { ...init, headers: { 'content-type': 'application/json' } },
  );
  return (await res.body.json()) as Record<string, unknown>;
}

test('a job survives kill -9 of the service and completes after the restart', async () => {
  const port = await freePort();
  const first = await serve(port);
  const job = await json(`${first.url}/trawl/v1/jobs`, {
    method: 'POST',
    body: JSON.stringify({ seeds: site.seeds, delayMs: 0, concurrency: 2 }),
  });
  const id = String(job.id);
  const deadline = Date.now() + 30_000;
  while (site.servers[0]!.requests.length < 20) {
    if (Date.now() > deadline) throw new Error('crawl did not start');
    await new Promise((r) => setTimeout(r, 10));
  }
  first.child.kill('SIGKILL');
  await once(first.child, 'exit');
  const beforeRestart = site.servers[0]!.requests.filter((r) => r.path !== '/robots.txt').length;

  const second = await serve(port);
  try {
    let state = '';
    let view: Record<string, unknown> = {};
    const end = Date.now() + 60_000;
    while (state !== 'completed') {
      if (Date.now() > end)
        throw new Error(`job not completed after restart: ${JSON.stringify(view)}`);
      await new Promise((r) => setTimeout(r, 50));
      view = await json(`${second.url}/trawl/v1/jobs/${id}`);
      state = String(view.state);
    }
    assert.equal((view.counts as { succeeded: number }).succeeded, 60);
    const results = await json(`${second.url}/trawl/v1/jobs/${id}/results?limit=1000`);
    const urls = (results.data as { url: string }[]).map((r) => r.url);
    assert.deepEqual([...urls].sort(), [...site.expected].sort());
    const pageRequests = site.servers[0]!.requests.filter((r) => r.path !== '/robots.txt');
    const refetched = pageRequests.length - 60;
    // Only what was in flight at the kill (concurrency 2) may be fetched twice.
    assert.ok(
      refetched <= 2,
      `${refetched} pages fetched again (${beforeRestart} before the kill)`,
    );
  } finally {
    second.child.kill('SIGTERM');
    await once(second.child, 'exit');
  }
});
