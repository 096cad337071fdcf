/**
 * Redis memory of a distributed job's frontier, per seen and per queued URL:
 *
 *   node dist/bench/distributed/frontier-memory.js [--urls 1000000] [--hosts 1000]
 *
 * Starts its own redis-server (no persistence), queues --urls realistic URLs spread over
 * --hosts hosts through the frontier's add script (what seeds and links go through),
 * and reports used_memory per URL, split into the seen-set (MEMORY USAGE of its keys)
 * and the queues (everything else the job holds: per-host lanes, priorities, host state).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { openRedisJob, redisFrontier } from '../../src/backends/redis/redis-frontier.js';
import type { DiscoveredLink } from '../../src/core/types.js';
import type { FrontierSettings } from '../../src/frontier/frontier.js';

const { values } = parseArgs({
  options: {
    urls: { type: 'string', default: '1000000' },
    hosts: { type: 'string', default: '1000' },
  },
});
const total = Number(values.urls);
const hosts = Number(values.hosts);
const settings: FrontierSettings = {
  delayMs: 250,
  hostConcurrency: 1,
  concurrency: 64,
  maxPages: null,
  robots: true,
  robotsAgent: 'trawl',
  robotsMaxAgeMs: 86_400_000,
  robotsRetryMs: 600_000,
  robotsMaxRetries: 3,
  leaseMs: 30_000,
};

const tmp = mkdtempSync(join(tmpdir(), 'trawl-frontier-memory-'));
const server = createServer();
server.listen(0, '127.0.0.1');
await once(server, 'listening');
const port = (server.address() as { port: number }).port;
server.close();
const redisProc = spawn(
  '/usr/bin/redis-server',
  ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', tmp],
  { stdio: 'ignore' },
);
const redis = new Redis(`redis://127.0.0.1:${port}`, { maxRetriesPerRequest: null });
redis.on('error', () => undefined);
try {
  for (let i = 0; ; i++) {
    try {
      await redis.ping();
      break;
    } catch (err) {
      if (i > 100) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const usedMemory = async (): Promise<number> =>
    Number(/^used_memory:(\d+)/m.exec(await redis.info('memory'))?.[1] ?? 0);
  await openRedisJob({ redis, jobId: 'mem', settings, spec: {} });
  const before = await usedMemory();
  const frontier = redisFrontier({ redis, jobId: 'mem', settings });
  const started = performance.now();
  for (let at = 0; at < total; at += 1000) {
    const links: DiscoveredLink[] = [];
    for (let i = at; i < Math.min(total, at + 1000); i++) {
      const host = `www.site${i % hosts}.example.org`;
      const depth = 1 + (i % 7);
      links.push({
        url: `https://${host}/section-${i % 97}/article/${i}/some-readable-slug.html`,
        host,
        depth,
        priority: -depth,
      });
    }
    await frontier.add(links);
  }
  const seconds = (performance.now() - started) / 1000;
  const after = await usedMemory();
  let seenBytes = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', 'trawl:{mem}:seen*', 'COUNT', 10_000);
    cursor = next;
    for (const key of keys) seenBytes += Number(await redis.memory('USAGE', key, 'SAMPLES', '0'));
  } while (cursor !== '0');
  const stats = await frontier.stats();
  const all = after - before;
  console.log(
    JSON.stringify(
      {
        urls: total,
        hosts,
        queued: stats.queued,
        usedMemoryBytes: all,
        bytesPerUrlAll: all / total,
        seenBytesPerUrl: seenBytes / total,
        queueBytesPerUrl: (all - seenBytes) / total,
        meanUrlLength: Math.round(
          `https://www.site1.example.org/section-1/article/${Math.floor(total / 2)}/some-readable-slug.html`
            .length,
        ),
        addsPerSecond: Math.round(total / seconds),
      },
      null,
      2,
    ),
  );
} finally {
  redis.disconnect();
  redisProc.kill('SIGKILL');
  await once(redisProc, 'exit');
  rmSync(tmp, { recursive: true, force: true });
}
