/**
 * The distributed mode with real processes: `trawl worker` processes and a `trawl crawl
 * --workers 0` that submits the job and waits for it. What the user checks: exactly the
 * site's pages in PostgreSQL and in the export, each once; politeness held across all
 * workers (server-side gaps); and the same with a worker killed, frozen past its lease,
 * or stopped gracefully mid-crawl.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { runCli } from '../support/cli.js';
import { distributedSandbox, type DistributedSandbox } from '../support/distributed.js';
import { waitFor } from '../support/http-server.js';
import { readJsonl } from '../support/read-output.js';
import { tempDir } from '../support/temp-dir.js';
import { minGapMs, startTreeSite, type TreeSite } from '../support/tree-site.js';
import { startWorker, type WorkerProcess } from '../support/worker-processes.js';

interface Run {
  sandbox: DistributedSandbox;
  site: TreeSite;
  dir: { path: string; cleanup: () => Promise<void> };
  workers: WorkerProcess[];
}

async function setUp(hosts: string[], pages: number, workers: number, latencyMs = 0): Promise<Run> {
  const sandbox = await distributedSandbox();
  const site = await startTreeSite(hosts, pages, latencyMs);
  const dir = await tempDir();
  const started: WorkerProcess[] = [];
  for (let i = 0; i < workers; i++)
    started.push(await startWorker(sandbox.env, ['--concurrency', '8']));
  return { sandbox, site, dir, workers: started };
}

async function tearDown(run: Run): Promise<void> {
  await Promise.all(run.workers.map((w) => (w.child.exitCode === null ? w.kill() : w.exited)));
  await run.site.close();
  await run.sandbox.cleanup();
  await run.dir.cleanup();
}

/** `trawl crawl --workers 0` as a user runs it: submits, waits, exports from PostgreSQL. */
function crawl(run: Run, extra: string[] = []) {
  const out = join(run.dir.path, 'out.jsonl');
  const result = runCli(
    ['crawl', ...run.site.seeds, '--workers', '0', '--out', out, '--no-progress', ...extra],
    run.sandbox.env,
  );
  return { out, result };
}

/** Every expected page stored once, and the export holds nothing else. */
async function assertExactlyOnce(run: Run, out: string): Promise<void> {
  const rows = await readJsonl(out);
  const urls = rows.map((r) => r.url);
  assert.equal(new Set(urls).size, urls.length, 'no page stored twice');
  assert.deepEqual([...urls].sort(), [...run.site.expected].sort(), 'exactly the site');
  assert.ok(
    rows.every((r) => r.status === 200 && r.error === null),
    'every page fetched fine',
  );
}

/**
 * Crawls with a lease of `leaseMs`, strikes the first worker with `fault` once the site
 * saw `afterRequests` requests, and checks the crawl still stores every page once.
 * Returns how many pages were fetched more than once.
 */
async function crawlThroughFault(
  run: Run,
  leaseMs: string,
  afterRequests: number,
  fault: (victim: WorkerProcess) => Promise<unknown>,
): Promise<number> {
  const { out, result } = crawl(run, ['--delay', '0', '--concurrency', '16', '--lease', leaseMs]);
  const requests = () => run.site.servers[0]!.requests.length;
  await waitFor(() => requests() >= afterRequests, 30_000, `${afterRequests} requests`);
  await fault(run.workers[0]!);
  const done = await result;
  assert.equal(done.code, 0, done.stderr);
  await assertExactlyOnce(run, out);
  return run.site.expected.filter((u) => run.site.hits(u) > 1).length;
}

/** Requests a worker made, from its /metrics. */
async function requestsServed(worker: WorkerProcess): Promise<number> {
  const text = await (await fetch(`${worker.opsUrl()}/metrics`)).text();
  let total = 0;
  for (const m of text.matchAll(/^crawler_requests_total\{[^}]*\} (\d+)/gm)) total += Number(m[1]);
  return total;
}

describe('distributed crawl with worker processes', { timeout: 180_000 }, () => {
  for (const n of [2, 3]) {
    test(`${n} workers: every page once, and the delay holds between all of them`, async () => {
      const run = await setUp(['127.0.0.11', '127.0.0.12'], 40, n);
      try {
        const { out, result } = crawl(run, ['--delay', '60', '--concurrency', '16']);
        const done = await result;
        assert.equal(done.code, 0, done.stderr);
        await assertExactlyOnce(run, out);
        for (const url of run.site.expected) assert.equal(run.site.hits(url), 1, url);
        for (const server of run.site.servers) {
          const gap = minGapMs(server);
          assert.ok(gap >= 59.5, `min gap on ${server.host}: ${gap.toFixed(1)} ms`);
        }
        // Every worker took part: politeness was shared, not one worker doing it all.
        for (const worker of run.workers) {
          assert.ok((await requestsServed(worker)) > 0, 'a worker fetched nothing');
        }
        const exits = await Promise.all(run.workers.map((w) => w.stop()));
        for (const exit of exits) assert.equal(exit.code, 0, exit.stderr);
      } finally {
        await tearDown(run);
      }
    });
  }

  test('kill -9 a worker mid-crawl: its URLs come back after the lease, every page once', async () => {
    const run = await setUp(['127.0.0.13'], 300, 2, 10);
    try {
      const refetched = await crawlThroughFault(run, '2000', 80, async (victim) => {
        await victim.kill();
      });
      // At most what the killed worker had in flight (its concurrency, 8).
      assert.ok(refetched <= 8, `${refetched} pages fetched twice`);
    } finally {
      await tearDown(run);
    }
  });

  test('a worker frozen longer than its lease: its late commits are refused, nothing stored twice', async () => {
    const run = await setUp(['127.0.0.14'], 300, 2, 10);
    try {
      const refetched = await crawlThroughFault(run, '1500', 60, async (victim) => {
        victim.child.kill('SIGSTOP');
        // Longer than the lease: the other worker takes its URLs over.
        const before = run.site.servers[0]!.requests.length;
        await waitFor(
          () => run.site.servers[0]!.requests.length >= before + 120,
          30_000,
          'the other worker to go on',
        );
        victim.child.kill('SIGCONT');
      });
      assert.ok(refetched <= 8, `${refetched} pages fetched twice`);
    } finally {
      await tearDown(run);
    }
  });

  test('SIGTERM: a worker finishes or hands back its requests and exits 0; the crawl completes', async () => {
    const run = await setUp(['127.0.0.15'], 200, 2, 20);
    try {
      const { out, result } = crawl(run, ['--delay', '0', '--concurrency', '16']);
      await waitFor(() => run.site.servers[0]!.requests.length >= 40, 30_000, '40 requests');
      const exit = await run.workers[0]!.stop();
      assert.equal(exit.code, 0, exit.stderr);
      const done = await result;
      assert.equal(done.code, 0, done.stderr);
      await assertExactlyOnce(run, out);
      // A graceful stop loses no work and redoes none.
      for (const url of run.site.expected) assert.equal(run.site.hits(url), 1, url);
    } finally {
      await tearDown(run);
    }
  });
});

describe('worker health and metrics', () => {
  let sandbox: DistributedSandbox;
  let worker: WorkerProcess;
  before(async () => {
    sandbox = await distributedSandbox();
    worker = await startWorker(sandbox.env);
  });
  after(async () => {
    await worker.stop();
    await sandbox.cleanup();
  });

  test('/health, /health/ready (Redis and PostgreSQL named) and /metrics', async () => {
    const base = worker.opsUrl()!;
    const health = await fetch(`${base}/health`);
    assert.equal(health.status, 200);
    const ready = await fetch(`${base}/health/ready`);
    assert.equal(ready.status, 200);
    const body = (await ready.json()) as { checks: { name: string; ok: boolean }[] };
    assert.deepEqual(
      body.checks.map((c) => [c.name, c.ok]),
      [
        ['redis', true],
        ['postgres', true],
      ],
    );
    const metrics = await (await fetch(`${base}/metrics`)).text();
    for (const name of [
      'crawler_requests_total',
      'crawler_request_duration_seconds',
      'trawl_frontier_queued',
      'trawl_results_stream_length',
      'trawl_writer_batch_rows',
      'crawler_errors_total',
    ]) {
      assert.match(metrics, new RegExp(`# TYPE ${name} `), name);
    }
  });
});
