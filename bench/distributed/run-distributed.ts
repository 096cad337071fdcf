/**
 * One distributed crawl as the benchmarks measure it, in one command:
 *
 *   node dist/bench/distributed/run-distributed.js --workers 2 --out out.jsonl
 *     [--concurrency 64] [--delay 0] [--database URL] [--stats FILE] [--max-pages N] URL...
 *
 * Starts its own redis-server (no persistence, in a temp dir) and a fresh PostgreSQL schema,
 * N `trawl worker` processes (each with a result writer) and `trawl crawl --workers 0`,
 * which submits the job, waits for it and the writers, and exports. Measures every process
 * on its own (CPU and peak RSS from /proc, read just before it exits) and Redis itself:
 * memory per seen and per queued URL, commands per page, and how many rows/s the writers
 * stored. Exits with the crawl's exit code; --stats writes the measurements as JSON.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import pg from 'pg';
import { readProcStats, sampleProcess, type ProcSample } from '../lib/proc-stats.js';
import { nodeEntry } from '../peers/paths.js';
import type { DistributedProcess, DistributedStats } from './distributed-stats.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    workers: { type: 'string', default: '2' },
    out: { type: 'string' },
    concurrency: { type: 'string', default: '64' },
    delay: { type: 'string', default: '0' },
    database: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/test' },
    stats: { type: 'string' },
    'max-pages': { type: 'string' },
    'worker-concurrency': { type: 'string' },
    /** Extra `trawl crawl` flags (the job spec), e.g. "--parse-workers 0". */
    'crawl-args': { type: 'string', default: '' },
    /** Extra node flags for the workers, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof". */
    'worker-node-args': { type: 'string', default: '' },
  },
});
if (positionals.length === 0 || values.out === undefined) {
  console.error('usage: run-distributed --workers N --out FILE [options] URL...');
  process.exit(2);
}

const tmp = mkdtempSync(join(tmpdir(), 'trawl-dist-bench-'));
const schema = `bench_${process.pid}_${Date.now().toString(36)}`;
const admin = new pg.Client({ connectionString: values.database });
const children: ChildProcess[] = [];
let exitCode = 1;
// Killed by the harness (timeout, Ctrl-C): stop the children and drop the schema first.
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    void admin
      .query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
      .catch(() => undefined)
      .finally(() => {
        rmSync(tmp, { recursive: true, force: true });
        process.exit(130);
      });
  });
}
try {
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  const redisPort = await freePort();
  const redisProc = spawn(
    '/usr/bin/redis-server',
    [
      '--port',
      String(redisPort),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      tmp,
    ],
    { stdio: 'ignore' },
  );
  children.push(redisProc);
  const redis = new Redis(`redis://127.0.0.1:${redisPort}`, { maxRetriesPerRequest: null });
  redis.on('error', () => undefined);
  await retry(() => redis.ping());
  const baseline = await redisInfo(redis);

  const env = {
    ...process.env,
    TRAWL_REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    TRAWL_DATABASE_URL: `${values.database}${values.database.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`,
    TRAWL_HTTP_PORT: '0',
    TRAWL_LOG_LEVEL: 'warn',
  };
  const cli = nodeEntry('../../src/cli/main');
  await run(spawn(cli[0]!, [...cli.slice(1), 'migrate'], { env, stdio: 'ignore' }));

  const workers: { proc: ChildProcess; sampler: ReturnType<typeof sampleProcess> }[] = [];
  for (let i = 0; i < Number(values.workers); i++) {
    const args = ['worker'];
    if (values['worker-concurrency']) args.push('--concurrency', values['worker-concurrency']);
    const nodeArgs = values['worker-node-args'].split(' ').filter((a) => a !== '');
    const proc = spawn(cli[0]!, [...nodeArgs, ...cli.slice(1), ...args], {
      env,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(proc);
    workers.push({ proc, sampler: sampleProcess(proc.pid!, 100) });
  }

  // Sample Redis while the crawl runs: the most URLs queued at once, and memory then.
  let peakQueued = { queued: 0, usedMemory: 0, known: 0 };
  const redisSampler = setInterval(() => {
    void Promise.all([redis.info('memory'), queuedAndKnown(redis)]).then(([mem, qk]) => {
      if (qk.queued > peakQueued.queued) {
        peakQueued = { ...qk, usedMemory: field(mem, 'used_memory') };
      }
    });
  }, 200);

  const started = performance.now();
  const submitter = spawn(
    cli[0]!,
    [
      ...cli.slice(1),
      'crawl',
      ...positionals,
      '--workers',
      '0',
      '--concurrency',
      values.concurrency,
      '--delay',
      values.delay,
      '--out',
      values.out,
      '--no-progress',
      ...(values['max-pages'] ? ['--max-pages', values['max-pages']] : []),
      ...values['crawl-args'].split(' ').filter((a) => a !== ''),
    ],
    { env, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  children.push(submitter);
  const submitterSampler = sampleProcess(submitter.pid!, 100);
  exitCode = await run(submitter);
  const wallSeconds = (performance.now() - started) / 1000;
  clearInterval(redisSampler);
  submitterSampler.stop();

  const after = await redisInfo(redis);
  const { known } = await queuedAndKnown(redis);
  const stats = await jobCounters(redis);
  const processes: DistributedProcess[] = [
    report('submitter (trawl crawl --workers 0)', submitterSampler.last()),
  ];
  // Read each worker just before it exits: SIGTERM, then the last sample.
  for (const [i, w] of workers.entries()) {
    const last = readProcStats(w.proc.pid!) ?? w.sampler.last();
    w.proc.kill('SIGTERM');
    await once(w.proc, 'exit');
    w.sampler.stop();
    processes.push(report(`worker ${i + 1}`, last));
  }
  processes.push(report('redis-server', readProcStats(redisProc.pid!)));
  const pages = stats.ok + stats.failed;
  const seenBytes = await seenSetBytes(redis);
  const measurements: DistributedStats = {
    workers: Number(values.workers),
    wallSeconds,
    pages,
    pagesPerSecond: pages / wallSeconds,
    processes,
    redis: {
      usedMemoryBytes: after.usedMemory - baseline.usedMemory,
      seenUrls: known,
      seenSetBytes: seenBytes,
      bytesPerSeenUrl: known > 0 ? seenBytes / known : null,
      peakQueued: peakQueued.queued,
      bytesPerQueuedUrlAtPeak:
        peakQueued.queued > 0
          ? (peakQueued.usedMemory -
              baseline.usedMemory -
              (seenBytes * peakQueued.known) / Math.max(known, 1)) /
            peakQueued.queued
          : null,
      clientCommands: after.clientCommands - baseline.clientCommands,
      commandsPerPage: pages > 0 ? (after.clientCommands - baseline.clientCommands) / pages : null,
      allCommandsPerPage: pages > 0 ? (after.allCommands - baseline.allCommands) / pages : null,
      cpuSecondsPerPage: pages > 0 ? (processes.at(-1)!.cpuSeconds ?? 0) / pages : null,
    },
    writer: { rowsWritten: stats.written, rowsPerSecond: stats.written / wallSeconds },
  };
  if (values.stats) writeFileSync(values.stats, JSON.stringify(measurements, null, 2));
  else console.log(JSON.stringify(measurements, null, 2));
  redis.disconnect();
} finally {
  await killAndReap(children);
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
  await admin.end().catch(() => undefined);
  rmSync(tmp, { recursive: true, force: true });
}
process.exit(exitCode);

function report(role: string, sample: ProcSample | null): DistributedProcess {
  return {
    role,
    cpuSeconds: sample?.cpuSeconds ?? null,
    peakRssBytes: sample?.peakRssBytes ?? null,
  };
}

/**
 * SIGKILLs the children still running (redis-server, or everything after a failure) and
 * waits until each is reaped: only a child reaped before we exit counts in our rusage,
 * which is what GNU time reports for this command; one left behind for init to reap
 * would drop its CPU (redis-server's, every run) from that figure.
 */
async function killAndReap(all: ChildProcess[]): Promise<void> {
  const running = all.filter((c) => c.exitCode === null && c.signalCode === null);
  const reaped = running.map((c) => once(c, 'exit').catch(() => undefined));
  for (const child of running) child.kill('SIGKILL');
  // A child that never spawned emits no 'exit': do not wait on it forever.
  const grace = new Promise((resolve) => setTimeout(resolve, 2_000).unref());
  await Promise.race([Promise.all(reaped), grace]);
}

async function run(child: ChildProcess): Promise<number> {
  const [code] = (await once(child, 'exit')) as [number | null];
  return code ?? 1;
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  server.close();
  return port;
}

async function retry(fn: () => Promise<unknown>): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await fn();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

function field(info: string, name: string): number {
  return Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? 0);
}

/** Memory, commands sent by clients (EVALSHA counts once), and every command run (script internals too). */
async function redisInfo(
  redis: Redis,
): Promise<{ usedMemory: number; clientCommands: number; allCommands: number }> {
  const [memory, stats] = await Promise.all([redis.info('memory'), redis.info('commandstats')]);
  let all = 0;
  let client = 0;
  for (const m of stats.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    all += Number(m[2]);
  }
  // Commands a client sends: scripts and the plain commands workers, writers and the
  // submitter issue themselves (everything but what scripts call inside).
  const scriptCalls = [...stats.matchAll(/^cmdstat_(evalsha|eval):calls=(\d+)/gm)].reduce(
    (n, m) => n + Number(m[2]),
    0,
  );
  client = scriptCalls;
  for (const name of [
    'xreadgroup',
    'xautoclaim',
    'xpending',
    'xlen',
    'smembers',
    'hmget',
    'xrange',
    'ping',
    'info',
  ]) {
    const m = new RegExp(`^cmdstat_${name}:calls=(\\d+)`, 'm').exec(stats);
    if (m) client += Number(m[1]);
  }
  return { usedMemory: field(memory, 'used_memory'), clientCommands: client, allCommands: all };
}

async function jobKey(redis: Redis): Promise<string> {
  const [, keys] = await redis.scan('0', 'MATCH', 'trawl:{*}:c', 'COUNT', 10_000);
  return keys[0] ?? '';
}

async function queuedAndKnown(redis: Redis): Promise<{ queued: number; known: number }> {
  const key = await jobKey(redis);
  if (key === '') return { queued: 0, known: 0 };
  const [qn, qu, known] = await redis.hmget(key, 'qn', 'qu', 'known');
  return { queued: Number(qn ?? 0) + Number(qu ?? 0), known: Number(known ?? 0) };
}

async function jobCounters(redis: Redis): Promise<{ ok: number; failed: number; written: number }> {
  const key = await jobKey(redis);
  const [ok, failed, written] = await redis.hmget(key, 'ok', 'failed', 'written');
  return { ok: Number(ok ?? 0), failed: Number(failed ?? 0), written: Number(written ?? 0) };
}

/** MEMORY USAGE of every seen-set key (buckets and their meta). */
async function seenSetBytes(redis: Redis): Promise<number> {
  let total = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', 'trawl:{*}:seen*', 'COUNT', 10_000);
    cursor = next;
    for (const key of keys)
      total += Number((await redis.memory('USAGE', key, 'SAMPLES', '0')) ?? 0);
  } while (cursor !== '0');
  return total;
}
