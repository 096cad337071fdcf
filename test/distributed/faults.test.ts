/**
 * Fault injection in the distributed mode, with real processes: a `trawl crawl --workers 0`
 * submitter and separately started `trawl worker` processes, while PostgreSQL becomes
 * unreachable, Redis is killed and restarted (from its AOF, from an AOF missing its last
 * second as after a power cut, and without persistence), and a process that writes
 * results is killed or stopped. What the user checks: the crawl command's exit
 * code and message, every page in the export and in PostgreSQL exactly once with status
 * 200, nothing dead-lettered, and no result left pending on a writer that is gone.
 */
import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import pg from 'pg';
import { jobKeys } from '../../src/backends/redis/keys.js';
import { defaultJobId } from '../../src/main/distributed-crawl.js';
import { collect, spawnCli, type CliResult } from '../support/cli.js';
import { distributedSandbox, type DistributedSandbox } from '../support/distributed.js';
import { pgUrlThrough } from '../support/postgres.js';
import { readJsonl } from '../support/read-output.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { tempDir } from '../support/temp-dir.js';
import { startTreeSite, type TreeSite } from '../support/tree-site.js';
import { startWorker, type WorkerProcess } from '../support/worker-processes.js';

/** The consumer group of the result writers (redis-jobs.ts WRITERS_GROUP). */
const WRITERS = 'writers';

// ---------------------------------------------------------------------------------------
// Waiting, with deadlines
// ---------------------------------------------------------------------------------------

/** Polls `cond` (sync or async) until true; throws naming `what` after `timeoutMs`. */
async function until(
  cond: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
  everyMs = 25,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** The deliberate length of an outage: returns once `ms` have passed since `since`. */
async function holdUntil(since: number, ms: number): Promise<void> {
  const left = since + ms - Date.now();
  if (left > 0) await sleep(left);
}

/**
 * Records the size of a redis-server's append-only file (the incremental part of Redis 7's
 * multi-part AOF) every 50 ms, so a test can cut the file back to what it was a second
 * earlier: what `appendfsync everysec` may lose in a power cut or kernel crash (a kill -9
 * of the process loses nothing: the file is written before each reply, only fsynced later).
 */
function aofHistory(redis: RedisServer): {
  sizeAt(at: number): number;
  stop(): void;
  file: string;
} {
  const aofDir = join(redis.dir, 'appendonlydir');
  const incr = readdirSync(aofDir).find((f) => f.endsWith('.incr.aof'));
  if (incr === undefined) throw new Error(`no incremental AOF in ${aofDir}`);
  const file = join(aofDir, incr);
  const samples: [number, number][] = [];
  const sample = (): void => {
    try {
      samples.push([Date.now(), statSync(file).size]);
    } catch {
      // The server's dir is being removed: nothing more to record.
    }
  };
  sample();
  const timer = setInterval(sample, 50);
  return {
    file,
    sizeAt: (at) => samples.filter(([t]) => t <= at).pop()?.[1] ?? 0,
    stop: () => clearInterval(timer),
  };
}

// ---------------------------------------------------------------------------------------
// One test's world: everything it starts is registered for cleanup, run even on failure
// ---------------------------------------------------------------------------------------

interface Worker extends WorkerProcess {
  name: string;
  /** Its stderr so far (pino JSON lines). */
  log(): string;
}

interface Submitter {
  child: ChildProcess;
  out: string;
  result: Promise<CliResult>;
  /** Set once it exited. */
  exited(): boolean;
}

class World {
  readonly workers: Worker[] = [];
  private readonly cleanups: (() => Promise<unknown>)[] = [];

  constructor(
    readonly sandbox: DistributedSandbox,
    readonly site: TreeSite,
    readonly dir: string,
  ) {}

  static async create(
    t: TestContext,
    options: { hosts: string[]; pages: number; latencyMs: number; redis?: RedisServer },
  ): Promise<World> {
    const cleanups: (() => Promise<unknown>)[] = [];
    try {
      const own = options.redis;
      if (own !== undefined) cleanups.push(() => own.cleanup());
      const sandbox = await distributedSandbox(own?.url);
      // A Redis of the test's own goes away whole (even if the test left it down); only
      // the shared one needs the sandbox's keys deleted.
      cleanups.push(() => (own === undefined ? sandbox.cleanup() : sandbox.schema.cleanup()));
      const site = await startTreeSite(options.hosts, options.pages, options.latencyMs);
      cleanups.push(() => site.close());
      const dir = await tempDir('trawl-faults-');
      cleanups.push(() => dir.cleanup());
      const world = new World(sandbox, site, dir.path);
      world.cleanups.push(...cleanups);
      t.after(() => world.cleanup());
      return world;
    } catch (err) {
      for (const c of cleanups.reverse()) await c().catch(() => undefined);
      throw err;
    }
  }

  defer(fn: () => Promise<unknown>): void {
    this.cleanups.push(fn);
  }

  async cleanup(): Promise<void> {
    const steps = this.cleanups.splice(0).reverse();
    for (const step of steps) {
      await step().catch((err: unknown) => console.error('cleanup step failed:', err));
    }
  }

  get jobId(): string {
    return defaultJobId(this.site.seeds);
  }

  get keys(): ReturnType<typeof jobKeys> {
    return jobKeys(this.jobId, this.sandbox.prefix);
  }

  /** Requests the site has answered (robots.txt included). */
  requests(): number {
    return this.site.servers.reduce((n, s) => n + s.requests.length, 0);
  }

  async startWorker(
    name: string,
    args: string[] = [],
    env: Record<string, string> = {},
  ): Promise<Worker> {
    const proc = await startWorker({ ...this.sandbox.env, ...env }, args);
    let log = '';
    proc.child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
    const worker: Worker = { ...proc, name, log: () => log };
    this.workers.push(worker);
    this.defer(() => (proc.child.exitCode === null ? proc.kill() : proc.exited));
    return worker;
  }

  /** `trawl crawl <seeds> --workers 0 --out FILE --no-progress`, with the direct URLs. */
  submit(extra: string[]): Submitter {
    const out = join(this.dir, 'out.jsonl');
    const child = spawnCli(
      ['crawl', ...this.site.seeds, '--workers', '0', '--out', out, '--no-progress', ...extra],
      this.sandbox.env,
    );
    let done = false;
    const result = collect(child).then((r) => {
      done = true;
      return r;
    });
    this.defer(async () => {
      if (!done) child.kill('SIGKILL');
      await result;
    });
    return { child, out, result, exited: () => done };
  }

  /** A short-lived client of the sandbox's Redis (fails fast instead of waiting through outages). */
  async redis<T>(fn: (r: Redis) => Promise<T>): Promise<T> {
    const r = new Redis(this.sandbox.redisUrl, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      retryStrategy: () => null,
    });
    r.on('error', () => undefined);
    try {
      await r.connect();
      return await fn(r);
    } finally {
      r.disconnect();
    }
  }

  async sql<T extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> {
    const client = new pg.Client({ connectionString: this.sandbox.databaseUrl });
    await client.connect();
    try {
      return (await client.query<T>(text, values)).rows;
    } finally {
      await client.end();
    }
  }

  /** Rows of the job in crawled_data (0 before its table exists). */
  async storedRows(): Promise<number> {
    const rows = await this.sql<{ n: string }>(
      'SELECT count(*) AS n FROM crawled_data WHERE task_id = $1',
      [this.jobId],
    ).catch(() => [{ n: '0' }]);
    return Number(rows[0]?.n ?? 0);
  }

  /** Entries of the job's results stream pending per writer consumer (XPENDING summary). */
  async pendingByConsumer(): Promise<Map<string, number>> {
    const reply = (await this.redis((r) => r.xpending(this.keys.results, WRITERS))) as [
      number,
      string | null,
      string | null,
      [string, string][] | null,
    ];
    return new Map((reply[3] ?? []).map(([consumer, n]) => [consumer, Number(n)]));
  }

  /** Pending entries of one worker process's writer (its consumer name holds its pid). */
  async pendingOn(worker: Worker): Promise<number> {
    let n = 0;
    for (const [consumer, count] of await this.pendingByConsumer()) {
      if (consumer.includes(`-${worker.child.pid}-`)) n += count;
    }
    return n;
  }

  async streamLengths(): Promise<{ unwritten: number; deadLetters: number }> {
    return this.redis(async (r) => ({
      unwritten: await r.xlen(this.keys.results),
      deadLetters: await r.xlen(this.keys.deadLetters),
    }));
  }

  /** Pages the site served more than once. */
  refetched(): string[] {
    return this.site.expected.filter((url) => this.site.hits(url) > 1);
  }

  // -------------------------------------------------------------------------------------
  // What the user checks
  // -------------------------------------------------------------------------------------

  /** `urls` are exactly the site's pages: says which are missing and which are extra. */
  assertSamePages(urls: string[], where: string): void {
    const got = new Set(urls);
    const expected = new Set(this.site.expected);
    const missing = this.site.expected.filter((u) => !got.has(u));
    const extra = [...got].filter((u) => !expected.has(u));
    assert.deepEqual(
      { missing: missing.length, extra: extra.length },
      { missing: 0, extra: 0 },
      `${where}: ${urls.length} of ${expected.size} pages; missing e.g. ${missing.slice(0, 5).join(' ')}; extra e.g. ${extra.slice(0, 5).join(' ')}`,
    );
  }

  /** The export holds exactly the site's pages, once each, all fetched fine. */
  /**
   * What every fault test ends with: the crawl says it completed, every page is in the
   * export and in PostgreSQL exactly once, and nothing of the job is left waiting in Redis.
   */
  async assertCompletedExactlyOnce(done: CliResult, out: string): Promise<void> {
    assertCrawlComplete(done);
    await this.assertExportExactlyOnce(out);
    await this.assertStoredExactlyOnce();
    await this.assertNothingLeftInRedis();
  }

  async assertExportExactlyOnce(out: string): Promise<void> {
    const rows = await readJsonl(out);
    const urls = rows.map((r) => r.url);
    assert.equal(new Set(urls).size, urls.length, 'no page exported twice');
    this.assertSamePages(urls, 'the export');
    const bad = rows.filter((r) => r.status !== 200 || r.error !== null);
    assert.deepEqual(
      bad.map((r) => [r.url, r.status, r.error]),
      [],
      'every page fetched with status 200 and no error',
    );
  }

  /** PostgreSQL holds every page once (no duplicate url), with status 200 and no error. */
  async assertStoredExactlyOnce(): Promise<void> {
    const dups = await this.sql<{ url: string; n: string }>(
      `SELECT url, count(*) AS n FROM crawled_data WHERE task_id = $1
       GROUP BY url HAVING count(*) > 1`,
      [this.jobId],
    );
    assert.deepEqual(dups, [], 'no url stored twice in crawled_data');
    const rows = await this.sql<{ url: string; status: number | null; error: string | null }>(
      'SELECT url, status, error FROM crawled_data WHERE task_id = $1',
      [this.jobId],
    );
    this.assertSamePages(
      rows.map((r) => r.url),
      'crawled_data',
    );
    assert.equal(rows.length, this.site.expected.length, 'row count = pages of the site');
    assert.deepEqual(
      rows.filter((r) => r.status !== 200 || r.error !== null),
      [],
      'every stored page has status 200 and no error',
    );
  }

  /** Nothing dead-lettered, nothing left unwritten or pending on any writer. */
  async assertNothingLeftInRedis(): Promise<void> {
    const { unwritten, deadLetters } = await this.streamLengths();
    assert.equal(deadLetters, 0, 'nothing dead-lettered');
    assert.equal(unwritten, 0, 'every result written');
    assert.deepEqual([...(await this.pendingByConsumer())], [], 'nothing pending on a writer');
  }

  /** A summary of the warnings and errors the workers logged, for the test's diagnostics. */
  logNoise(): string {
    const counts = new Map<string, number>();
    for (const w of this.workers) {
      for (const line of w.log().split('\n')) {
        const m = /"level":(\d+).*"msg":"([^"]*)"/.exec(line);
        if (m === null || Number(m[1]) < 40) continue;
        const key = `${Number(m[1]) >= 50 ? 'error' : 'warn'}: ${m[2]}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
    }
    return [...counts].map(([msg, n]) => `${n}× ${msg}`).join('; ') || 'none';
  }
}

/** GET /health/ready of a worker: its status and its checks by name. */
async function readiness(
  worker: Worker,
): Promise<{ status: number; checks: Map<string, { ok: boolean; error?: string }> }> {
  const res = await fetch(`${worker.opsUrl()!}/health/ready`, {
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await res.json()) as { checks: { name: string; ok: boolean; error?: string }[] };
  return { status: res.status, checks: new Map(body.checks.map((c) => [c.name, c])) };
}

function assertExitedCleanly(result: CliResult, what: string): void {
  assert.equal(result.code, 0, `${what} exit code (stderr:\n${result.stderr.slice(-3000)})`);
}

/** The submitter exited 0 and its summary says the crawl is complete. */
function assertCrawlComplete(result: CliResult): void {
  assertExitedCleanly(result, 'trawl crawl');
  assert.match(result.stderr, /Crawl complete/, 'the summary says complete');
}

// ---------------------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------------------

/** Per-test deadlines: each test takes 5-40 s (the kill -9 of a writer waits out the 30 s claim). */
const UP_TO_60_S = { timeout: 60_000 };
const UP_TO_90_S = { timeout: 90_000 };

describe('distributed mode under faults', { timeout: 240_000 }, () => {
  test(
    'PostgreSQL unreachable for 20 s mid-crawl: results wait in Redis, then every page once',
    UP_TO_90_S,
    async (t) => {
      const world = await World.create(t, { hosts: ['127.0.0.41'], pages: 400, latencyMs: 20 });
      const direct = new URL(world.sandbox.databaseUrl);
      const proxy: TcpProxy = await startTcpProxy({
        targetHost: direct.hostname,
        targetPort: Number(direct.port || 5432),
      });
      world.defer(() => proxy.close());
      const viaProxy = pgUrlThrough(world.sandbox.databaseUrl, proxy.host, proxy.port);
      const workers = [
        await world.startWorker('w1', ['--concurrency', '8'], { TRAWL_DATABASE_URL: viaProxy }),
        await world.startWorker('w2', ['--concurrency', '8'], { TRAWL_DATABASE_URL: viaProxy }),
      ];
      const crawl = world.submit(['--delay', '0', '--concurrency', '16']);

      await until(() => world.requests() >= 40, 30_000, '40 pages fetched');
      proxy.cut();
      const cutAt = Date.now();
      t.diagnostic(`cut after ${world.requests()} requests`);

      // While cut: the workers say PostgreSQL is not ok; nothing reaches it; results pile up.
      const ready = await readiness(workers[0]!);
      assert.equal(ready.status, 503, 'not ready while PostgreSQL is unreachable');
      assert.equal(ready.checks.get('postgres')?.ok, false, 'postgres named as not ok');
      assert.equal(ready.checks.get('redis')?.ok, true, 'redis still ok');
      const rowsAtCut = await world.storedRows();
      await until(
        async () => (await world.streamLengths()).unwritten > 0,
        15_000,
        'results to wait in the Redis stream',
      );
      await holdUntil(cutAt, 20_000);
      const { unwritten } = await world.streamLengths();
      assert.ok(unwritten > 0, 'results wait in Redis while PostgreSQL is cut');
      assert.equal(await world.storedRows(), rowsAtCut, 'nothing written while cut');
      assert.equal(crawl.exited(), false, 'the crawl does not end while results are unwritten');
      t.diagnostic(
        `after 20 s cut: ${world.requests()} requests, ${rowsAtCut} rows stored, ${unwritten} results waiting in Redis`,
      );
      proxy.restore();
      const restoredAt = Date.now();

      const done = await crawl.result;
      t.diagnostic(`crawl exited ${Date.now() - restoredAt} ms after the restore`);
      await world.assertCompletedExactlyOnce(done, crawl.out);
      assert.deepEqual(world.refetched(), [], 'a PostgreSQL outage costs no refetch');
      const after = await readiness(workers[0]!);
      assert.equal(after.status, 200, 'ready again after the restore');
      for (const w of workers) assertExitedCleanly(await w.stop(), `worker ${w.name}`);
      t.diagnostic(`worker log noise: ${world.logNoise()}`);
    },
  );

  test(
    'Redis killed (kill -9) and restarted from its AOF mid-crawl: every page once',
    UP_TO_90_S,
    async (t) => {
      const redis = await startRedisServer({ appendonly: true, appendfsync: 'everysec' });
      const pages = 600;
      const world = await World.create(t, {
        hosts: ['127.0.0.42'],
        pages,
        latencyMs: 20,
        redis,
      });
      const workers = [
        await world.startWorker('w1', ['--concurrency', '8']),
        await world.startWorker('w2', ['--concurrency', '8']),
      ];
      const crawl = world.submit(['--delay', '0', '--concurrency', '16']);

      await until(() => world.requests() >= 0.3 * pages, 30_000, '30% of the pages fetched');
      await redis.kill('SIGKILL');
      const downAt = Date.now();
      const requestsAtKill = world.requests();
      // While down: /health/ready answers 503 naming redis (its probe times out).
      const ready = await readiness(workers[0]!);
      assert.equal(ready.status, 503, 'not ready while Redis is down');
      assert.equal(ready.checks.get('redis')?.ok, false, `redis named as not ok`);
      assert.equal(ready.checks.get('postgres')?.ok, true, 'postgres still ok');
      await holdUntil(downAt, 1_500);
      await redis.restart();
      const upAt = Date.now();
      t.diagnostic(
        `Redis down ${upAt - downAt} ms, killed after ${requestsAtKill} requests (redis says ${ready.checks.get('redis')?.error})`,
      );

      const done = await crawl.result;
      t.diagnostic(`crawl exited ${Date.now() - upAt} ms after the restart`);
      await world.assertCompletedExactlyOnce(done, crawl.out);
      t.diagnostic(
        `pages fetched twice after the restart: ${world.refetched().length} of ${pages}`,
      );
      for (const w of workers) assertExitedCleanly(await w.stop(), `worker ${w.name}`);
      t.diagnostic(`worker log noise: ${world.logNoise()}`);
    },
  );

  test(
    'Redis loses its last second of writes (AOF tail gone, as after a power cut): every page once',
    UP_TO_90_S,
    async (t) => {
      const redis = await startRedisServer({ appendonly: true, appendfsync: 'everysec' });
      const pages = 1000;
      // Slow enough that the lost second is the tail of a crawl well under way.
      const world = await World.create(t, { hosts: ['127.0.0.46'], pages, latencyMs: 60, redis });
      const aof = aofHistory(redis);
      world.defer(async () => aof.stop());
      await world.startWorker('w1', ['--concurrency', '4']);
      await world.startWorker('w2', ['--concurrency', '4']);
      const submittedAt = Date.now();
      // A short lease: leases whose commits were lost come back in 3 s, not 30.
      const crawl = world.submit(['--delay', '0', '--concurrency', '8', '--lease', '3000']);

      await until(
        () => world.requests() >= 0.4 * pages && Date.now() - submittedAt >= 4_000,
        30_000,
        '40% of the pages fetched, 4 s into the crawl',
      );
      await redis.kill('SIGKILL');
      const downAt = Date.now();
      const killedAtPerf = performance.now();
      aof.stop();
      const full = statSync(aof.file).size;
      const kept = aof.sizeAt(downAt - 1_000);
      truncateSync(aof.file, kept);
      const requestsAtKill = world.requests();
      const inLostSecond = world.site.servers[0]!.requests.filter(
        (r) => r.at >= killedAtPerf - 1_000,
      ).length;
      const rowsAtKill = await world.storedRows();
      await holdUntil(downAt, 1_500);
      await redis.restart();
      const upAt = Date.now();
      t.diagnostic(
        `killed after ${requestsAtKill} requests (${inLostSecond} in the last second), ${rowsAtKill} rows stored; AOF cut from ${full} to ${kept} bytes`,
      );
      assert.ok(kept < full, 'some acknowledged writes are lost');

      const done = await crawl.result;
      t.diagnostic(`crawl exited ${Date.now() - upAt} ms after the restart`);
      await world.assertCompletedExactlyOnce(done, crawl.out);
      t.diagnostic(`pages fetched twice: ${world.refetched().length} of ${pages}`);
      for (const w of world.workers) assertExitedCleanly(await w.stop(), `worker ${w.name}`);
      t.diagnostic(`worker log noise: ${world.logNoise()}`);
    },
  );

  test(
    'Redis restarted without persistence: the job is gone, `trawl crawl` says so and fails',
    UP_TO_60_S,
    async (t) => {
      const redis = await startRedisServer({ appendonly: false, save: '' });
      const world = await World.create(t, {
        hosts: ['127.0.0.43'],
        pages: 600,
        latencyMs: 20,
        redis,
      });
      const workers = [
        await world.startWorker('w1', ['--concurrency', '8']),
        await world.startWorker('w2', ['--concurrency', '8']),
      ];
      const crawl = world.submit(['--delay', '0', '--concurrency', '16']);

      await until(() => world.requests() >= 100, 30_000, '100 pages fetched');
      await redis.kill('SIGKILL');
      const downAt = Date.now();
      await holdUntil(downAt, 1_500);
      await redis.restart();
      const upAt = Date.now();

      const done = await crawl.result;
      t.diagnostic(`trawl crawl exited ${Date.now() - upAt} ms after the restart`);
      assert.notEqual(done.code, 0, 'the crawl must not report success');
      assert.equal(done.signal, null, 'it exits by itself');
      assert.match(done.stderr, /no longer in Redis/, 'the message says the job is gone');
      assert.doesNotMatch(done.stderr, /\n\s+at /, 'no stack trace');
      assert.doesNotMatch(done.stderr, /fatal/i, 'reported as a condition, not a crash');
      assert.doesNotMatch(done.stderr, /Crawl complete|whole crawl/, 'no summary of a crawl');
      assert.equal(existsSync(crawl.out), false, 'no partial export written');
      t.diagnostic(`trawl crawl exited ${done.code}: ${done.stderr.trim().split('\n').pop()}`);

      // The workers survive the loss of the job and stop cleanly.
      for (const w of workers) assert.equal(w.child.exitCode, null, `worker ${w.name} still runs`);
      const ready = await readiness(workers[0]!);
      assert.equal(ready.status, 200, 'workers ready again once Redis is back');
      for (const w of workers) assertExitedCleanly(await w.stop(), `worker ${w.name}`);
      // What the workers left in the empty Redis for a job nobody will finish (a leak).
      const leftovers = await world.redis(async (r) => {
        const keys = await r.keys(`${world.sandbox.prefix}:*`);
        const described: string[] = [];
        for (const key of keys) {
          const type = await r.type(key);
          if (type !== 'stream') described.push(`${key} (${type})`);
          else {
            const groups = (await r.xinfo('GROUPS', key)) as unknown[];
            described.push(`${key} (stream of ${await r.xlen(key)}, ${groups.length} group)`);
          }
        }
        return described;
      });
      t.diagnostic(`keys recreated in the empty Redis: ${leftovers.join(', ') || 'none'}`);
      t.diagnostic(`worker log noise: ${world.logNoise()}`);
    },
  );

  test(
    'kill -9 of the worker writing results: another writer takes its pending results over',
    UP_TO_90_S,
    async (t) => {
      const world = await World.create(t, { hosts: ['127.0.0.44'], pages: 400, latencyMs: 20 });
      // The writer reaches PostgreSQL through a proxy: cutting it holds a batch in its hands
      // (read from the stream, not yet written), so the kill certainly lands mid-write.
      const direct = new URL(world.sandbox.databaseUrl);
      const proxy = await startTcpProxy({
        targetHost: direct.hostname,
        targetPort: Number(direct.port || 5432),
      });
      world.defer(() => proxy.close());
      const writer = await world.startWorker('writer', ['--concurrency', '4'], {
        TRAWL_DATABASE_URL: pgUrlThrough(world.sandbox.databaseUrl, proxy.host, proxy.port),
      });
      await world.startWorker('crawler1', ['--concurrency', '6', '--no-writer']);
      await world.startWorker('crawler2', ['--concurrency', '6', '--no-writer']);
      const crawl = world.submit(['--delay', '0', '--concurrency', '16', '--lease', '2000']);

      await until(() => world.requests() >= 40, 30_000, '40 pages fetched');
      await until(async () => (await world.storedRows()) > 0, 15_000, 'the writer to write');
      proxy.cut();
      await until(
        async () => (await world.pendingOn(writer)) > 0,
        15_000,
        'the writer to hold results it cannot write yet',
      );
      const killedAt = Date.now();
      await writer.kill();
      const stranded = await world.pendingOn(writer);
      assert.ok(stranded > 0, 'the killed writer left results pending');
      t.diagnostic(
        `killed writer left ${stranded} results pending, after ${world.requests()} requests`,
      );

      // Takes the dead writer's results over once they are 3 s old (30 s by default).
      const second = await world.startWorker('writer2', ['--concurrency', '4'], {
        TRAWL_WRITER_CLAIM_IDLE_MS: '3000',
      });
      const done = await crawl.result;
      t.diagnostic(`crawl exited ${Date.now() - killedAt} ms after the kill`);
      await world.assertCompletedExactlyOnce(done, crawl.out);
      assert.equal(await world.pendingOn(writer), 0, 'its pending results were taken over');
      assert.match(second.log(), /took over results pending on another writer/);
      t.diagnostic(`pages fetched twice: ${world.refetched().length}`);
      t.diagnostic(`worker log noise: ${world.logNoise()}`);
    },
  );

  test(
    'SIGTERM of a worker with a writer: exits 0, its writer flushes, nothing stays pending on it',
    UP_TO_60_S,
    async (t) => {
      const world = await World.create(t, { hosts: ['127.0.0.45'], pages: 400, latencyMs: 20 });
      const writer = await world.startWorker('writer', ['--concurrency', '8']);
      await world.startWorker('crawler', ['--concurrency', '8', '--no-writer']);
      const crawl = world.submit(['--delay', '0', '--concurrency', '16']);

      await until(() => world.requests() >= 60, 30_000, '60 pages fetched');
      await until(async () => (await world.storedRows()) > 0, 15_000, 'the writer to write');
      const exit = await writer.stop();
      assertExitedCleanly(exit, 'the SIGTERMed worker');
      const stoppedAt = Date.now();
      assert.equal(await world.pendingOn(writer), 0, 'nothing left pending on the stopped writer');
      t.diagnostic(
        `stopped after ${world.requests()} requests, ${await world.storedRows()} rows stored`,
      );

      // The results the stopped writer did not take wait for the next writer, not for a claim.
      await world.startWorker('writer2', ['--concurrency', '8']);
      const done = await crawl.result;
      const tookMs = Date.now() - stoppedAt;
      t.diagnostic(`crawl exited ${tookMs} ms after the stop`);
      await world.assertCompletedExactlyOnce(done, crawl.out);
      assert.ok(tookMs < 20_000, `no result waited for the 30 s claim (${tookMs} ms)`);
      assert.deepEqual(world.refetched(), [], 'a graceful stop redoes no request');
      t.diagnostic(`worker log noise: ${world.logNoise()}`);
    },
  );
});
