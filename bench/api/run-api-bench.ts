/**
 * The service's speed (issue 14): requests/s and p50/p99 latency of job creation, status
 * reads and result pages (the autocannon CLI in its own process against `trawl serve` in
 * another, so the bench's own event loop is in neither), and the same crawl of the
 * synthetic site driven through the API and through the CLI (what the API costs).
 *
 * The load generator runs as the `autocannon` command, not through its programmatic API
 * with a `requests` list from this process: that path capped every scenario at ~9,000
 * requests/s here (it measured itself), where the command drives /health at ~35,000.
 *
 *   node dist/bench/api/run-api-bench.js [--seconds 10] [--connections 50] [--pages 5000]
 *     [--distributed] [--database postgres://postgres@127.0.0.1:5432/test]
 *     [--cli path/to/dist/src/cli/main.js]
 *
 * --distributed: `trawl serve` schedules on its own redis-server (no persistence, a temp
 * dir, a free port) and a fresh schema of --database, with one `trawl worker` to crawl the
 * job the reads use; the API-vs-CLI crawl is then left out (it compares the embedded
 * service with the CLI). --cli: another build's CLI (e.g. the commit before a change,
 * built in a git worktree), so before and after run on the same machine minutes apart.
 *
 * Every scenario also reports the CPU it cost per request, read from /proc over the
 * measured run: `trawl serve`, the redis-server (--distributed), PostgreSQL's server
 * processes (every process of the local server's user, `postgres`), the autocannon
 * process, and the whole machine (busy time from /proc/stat). On this 2-core VM, whose
 * speed moves between runs, CPU per request compares builds more steadily than requests/s.
 *
 * Writes bench/results/api-<time>.json and prints a Markdown table for BENCHMARKS.md.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'undici';
import pg from 'pg';
import { readProcStats, sampleProcess } from '../lib/proc-stats.js';
import { startSiteProcess, type SiteProcess } from '../lib/site-process.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const AUTOCANNON = createRequire(import.meta.url).resolve('autocannon/autocannon.js');
const RESULTS = fileURLToPath(new URL('../../../bench/results/', import.meta.url));

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    pages: { type: 'string', default: '5000' },
    distributed: { type: 'boolean', default: false },
    database: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/test' },
    cli: { type: 'string' },
  },
});
const trawlCli = args.cli ?? CLI;
const seconds = Number(args.seconds);
const connections = Number(args.connections);
const pages = Number(args.pages);

interface Row {
  scenario: string;
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  /** CPU µs per request over the measured run, by process (see the module comment). */
  cpuUsPerRequest: Record<'serve' | 'redis' | 'postgres' | 'autocannon' | 'machine', number>;
}

/** The processes whose CPU each scenario reports (set as they start). */
const measured: { serve?: number; redis?: number } = {};

/** CPU seconds of a process, 0 when it is gone or unknown. */
function cpuOf(pid: number | undefined): number {
  return pid === undefined ? 0 : (readProcStats(pid)?.cpuSeconds ?? 0);
}

/** CPU seconds of every process of the local PostgreSQL server (user postgres). */
function postgresCpu(): number {
  let pids: string[];
  try {
    pids = execFileSync('pgrep', ['-u', 'postgres'], { encoding: 'utf8' }).split('\n');
  } catch {
    return 0; // no local server, or no pgrep
  }
  return pids.filter((p) => p !== '').reduce((sum, p) => sum + cpuOf(Number(p)), 0);
}

/** Busy CPU seconds of the whole machine (user, nice, system, irq, softirq of /proc/stat). */
function machineCpu(): number {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
  const ticks = [1, 2, 3, 6, 7].reduce((sum, i) => sum + Number(fields[i] ?? 0), 0);
  return ticks / 100;
}

/** The environment of every Trawl process of the bench (the backends of --distributed). */
const serviceEnv: Record<string, string> = {
  TRAWL_ALLOW_TARGETS: '127.0.0.0/8',
  TRAWL_LOG_LEVEL: 'warn',
  TRAWL_MAX_RUNNING_JOBS: '1',
  TRAWL_RATE_LIMIT_PER_MINUTE: '0',
};

async function startServe(dir: string, port: number): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [trawlCli, 'serve', '--port', String(port), '--data-dir', dir],
    {
      env: { ...process.env, ...serviceEnv },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      const res = await request(`http://127.0.0.1:${port}/health`);
      await res.body.text();
      if (res.statusCode === 200) return child;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error('trawl serve did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function post(url: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return (await res.body.json()) as Record<string, unknown>;
}

async function get(url: string): Promise<Record<string, unknown>> {
  const res = await request(url);
  return (await res.body.json()) as Record<string, unknown>;
}

async function waitCompleted(base: string, id: string): Promise<void> {
  for (;;) {
    const job = await get(`${base}/trawl/v1/jobs/${id}`);
    if (job.state === 'completed') return;
    if (job.state === 'failed' || job.state === 'cancelled')
      throw new Error(`job ${id} ${String(job.state)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface RequestSpec {
  path: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
}

interface AutocannonResult {
  requests: { total: number };
  duration: number;
  latency: { p50: number; p99: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  /** The autocannon process's own CPU, seconds. */
  cpuSeconds: number;
}

/** One run of the autocannon command (its own process), its JSON summary parsed. */
async function autocannon(
  base: string,
  spec: RequestSpec,
  duration: number,
): Promise<AutocannonResult> {
  const argv = [AUTOCANNON, '--json', '-c', String(connections), '-d', String(duration)];
  if (spec.method !== undefined) argv.push('-m', spec.method);
  for (const [k, v] of Object.entries(spec.headers ?? {})) argv.push('-H', `${k}=${v}`);
  if (spec.body !== undefined) argv.push('-b', spec.body);
  argv.push(base + spec.path);
  const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'ignore'] });
  const sampler = sampleProcess(child.pid!, 50);
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  const [code] = (await once(child, 'exit')) as [number | null];
  sampler.stop();
  if (code !== 0) throw new Error(`autocannon exited with ${code}`);
  return {
    ...(JSON.parse(out) as AutocannonResult),
    // Its last reading, at most 50 ms before it exited (it then only prints its summary).
    cpuSeconds: sampler.last()?.cpuSeconds ?? 0,
  };
}

async function load(scenario: string, base: string, spec: RequestSpec): Promise<Row> {
  await autocannon(base, spec, 1); // warm-up
  const before = {
    serve: cpuOf(measured.serve),
    redis: cpuOf(measured.redis),
    postgres: postgresCpu(),
    machine: machineCpu(),
  };
  const r = await autocannon(base, spec, seconds);
  const perRequest = (cpuSeconds: number): number =>
    Math.round((cpuSeconds * 1e6) / Math.max(1, r.requests.total));
  return {
    scenario,
    requestsPerSec: Math.round(r.requests.total / r.duration),
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    errors: r.errors + r.timeouts + r.non2xx,
    cpuUsPerRequest: {
      serve: perRequest(cpuOf(measured.serve) - before.serve),
      redis: perRequest(cpuOf(measured.redis) - before.redis),
      postgres: perRequest(postgresCpu() - before.postgres),
      autocannon: perRequest(r.cpuSeconds),
      machine: perRequest(machineCpu() - before.machine),
    },
  };
}

async function cpuSecondsOf(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const stat = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  return (Number(stat[11]) + Number(stat[12])) / 100;
}

/** The distributed mode's backends: an own redis-server and a fresh schema, migrated. */
async function startBackends(
  dir: string,
): Promise<{ stopWorker(): Promise<void>; stop(): Promise<void> }> {
  const schema = `api_bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: args.database });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  const redisPort = 30_000 + Math.floor(Math.random() * 20_000);
  const redis = spawn(
    '/usr/bin/redis-server',
    ['--port', String(redisPort), '--dir', dir, '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  measured.redis = redis.pid;
  const sep = args.database.includes('?') ? '&' : '?';
  serviceEnv.TRAWL_REDIS_URL = `redis://127.0.0.1:${redisPort}`;
  serviceEnv.TRAWL_DATABASE_URL = `${args.database}${sep}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  for (let attempt = 0; ; attempt++) {
    const migrate = spawn(process.execPath, [trawlCli, 'migrate'], {
      env: { ...process.env, ...serviceEnv },
      stdio: 'ignore',
    });
    const [code] = (await once(migrate, 'exit')) as [number | null];
    if (code === 0) break;
    if (attempt > 20) throw new Error('trawl migrate failed');
    await new Promise((r) => setTimeout(r, 200));
  }
  const worker = spawn(process.execPath, [trawlCli, 'worker'], {
    env: { ...process.env, ...serviceEnv, TRAWL_HTTP_PORT: '0' },
    stdio: 'ignore',
  });
  const stopChild = async (child: ChildProcess): Promise<void> => {
    child.kill('SIGTERM');
    if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
  };
  return {
    stopWorker: () => stopChild(worker),
    async stop() {
      await stopChild(worker);
      await stopChild(redis);
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.end();
    },
  };
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'trawl-api-bench-'));
  const site = await startSiteProcess({ pages });
  const backends = args.distributed ? await startBackends(dir) : null;
  const port = 30_000 + Math.floor(Math.random() * 20_000);
  const base = `http://127.0.0.1:${port}`;
  const serve = await startServe(join(dir, 'serve'), port);
  measured.serve = serve.pid;
  const rows: Row[] = [];
  try {
    // A finished job to read: its status and its result pages.
    const done = await post(`${base}/trawl/v1/jobs`, {
      seeds: [site.url + '/'],
      delayMs: 0,
      maxPages: 1000,
    });
    await waitCompleted(base, String(done.id));
    const jobId = String(done.id);
    // The worker has crawled what the reads read; it would otherwise crawl (fail) the
    // thousands of jobs the creation scenarios submit, on the same two cores.
    await backends?.stopWorker();
    // Reads first: the creation scenarios leave thousands of jobs queued, which the
    // embedded service then runs (one at a time) and would load the reads.
    // The framework's own ceiling here: a route that does nothing.
    rows.push(await load('GET /health', base, { path: '/health' }));
    rows.push(await load('GET /trawl/v1/jobs/{id}', base, { path: `/trawl/v1/jobs/${jobId}` }));
    rows.push(
      await load('GET /trawl/v1/jobs/{id}/results (100)', base, {
        path: `/trawl/v1/jobs/${jobId}/results?limit=100`,
      }),
    );
    const dead = 'http://127.0.0.1:9/';
    rows.push(
      await load('POST /trawl/v1/jobs', base, {
        method: 'POST',
        path: '/trawl/v1/jobs',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ seeds: [dead], maxPages: 1 }),
      }),
    );
    const seed = await request(`${base}/api/submit-crawl`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: dead }),
    });
    const seedBody = (await seed.body.json()) as Record<string, unknown>;
    if (seed.statusCode < 300) {
      rows.push(
        await load('POST /api/submit-crawl', base, {
          method: 'POST',
          path: '/api/submit-crawl',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ url: dead }),
        }),
      );
      rows.push(
        await load('GET /api/crawl-status/{id}', base, {
          path: `/api/crawl-status/${String(seedBody.task_id)}`,
        }),
      );
    }
  } finally {
    serve.kill('SIGTERM');
    await once(serve, 'exit');
    await backends?.stop();
  }

  // The same crawl through the API and through the CLI, one after the other.
  const crawl: Record<string, { seconds: number; cpuSeconds: number; pages: number }> = {};
  if (!args.distributed) await compareCrawls(dir, site, port, crawl);
  await site.stop();
  await rm(dir, { recursive: true, force: true });

  const result = {
    at: new Date().toISOString(),
    mode: args.distributed ? 'distributed' : 'embedded',
    cli: trawlCli,
    seconds,
    connections,
    pages,
    rows,
    crawl,
  };
  await report(result);
}

/** The same crawl through the CLI and through the embedded API. */
async function compareCrawls(
  dir: string,
  site: SiteProcess,
  port: number,
  crawl: Record<string, { seconds: number; cpuSeconds: number; pages: number }>,
): Promise<void> {
  await site.resetStats();
  const cliStart = performance.now();
  const cli = spawn(
    process.execPath,
    [
      trawlCli,
      'crawl',
      site.url + '/',
      '--data-dir',
      join(dir, 'cli'),
      '--delay',
      '0',
      '--no-progress',
    ],
    {
      stdio: 'ignore',
    },
  );
  let cliCpu = 0;
  const cliPid = cli.pid!;
  const cliTimer = setInterval(
    () =>
      void cpuSecondsOf(cliPid).then(
        (c) => (cliCpu = c),
        () => undefined,
      ),
    50,
  );
  await once(cli, 'exit');
  clearInterval(cliTimer);
  crawl.cli = {
    seconds: (performance.now() - cliStart) / 1000,
    cpuSeconds: cliCpu,
    pages: (await site.stats()).uniquePages,
  };
  await site.resetStats();

  const serve2 = await startServe(join(dir, 'serve2'), port + 1);
  try {
    const base2 = `http://127.0.0.1:${port + 1}`;
    const cpuBefore = await cpuSecondsOf(serve2.pid!);
    const apiStart = performance.now();
    const job = await post(`${base2}/trawl/v1/jobs`, { seeds: [site.url + '/'], delayMs: 0 });
    await waitCompleted(base2, String(job.id));
    crawl.api = {
      seconds: (performance.now() - apiStart) / 1000,
      cpuSeconds: (await cpuSecondsOf(serve2.pid!)) - cpuBefore,
      pages: (await site.stats()).uniquePages,
    };
  } finally {
    serve2.kill('SIGTERM');
    await once(serve2, 'exit');
  }
}

async function report(result: {
  at: string;
  rows: Row[];
  crawl: Record<string, { seconds: number; cpuSeconds: number; pages: number }>;
}): Promise<void> {
  const { rows, crawl } = result;
  await mkdir(RESULTS, { recursive: true });
  const file = join(RESULTS, `api-${result.at.replace(/[:.]/g, '-')}.json`);
  await writeFile(file, JSON.stringify(result, null, 2));
  console.log(
    `| scenario | requests/s | p50 ms | p99 ms | errors | CPU µs per request: serve · redis · PostgreSQL · autocannon · machine |\n| --- | ---: | ---: | ---: | ---: | ---: |`,
  );
  for (const r of rows) {
    const c = r.cpuUsPerRequest;
    console.log(
      `| ${r.scenario} | ${r.requestsPerSec} | ${r.p50Ms} | ${r.p99Ms} | ${r.errors} | ${c.serve} · ${c.redis} · ${c.postgres} · ${c.autocannon} · ${c.machine} |`,
    );
  }
  console.log(
    `\n| crawl of ${pages} pages | wall s | CPU s | pages |\n| --- | ---: | ---: | ---: |`,
  );
  for (const [k, v] of Object.entries(crawl))
    console.log(`| ${k} | ${v.seconds.toFixed(2)} | ${v.cpuSeconds.toFixed(2)} | ${v.pages} |`);
  console.log(`\n${file}`);
}

await main();
