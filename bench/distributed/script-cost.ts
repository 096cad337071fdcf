/**
 * Redis-side cost of the frontier's scripts, µs per call (INFO commandstats), on a job of
 * its own on the Redis at --redis (default 127.0.0.1:6379, key prefix of its own, deleted
 * after):
 *
 *   node dist/bench/distributed/script-cost.js [--pages 20000] [--links 3]
 *
 * Seeds --pages URLs on 50 hosts, then leases them 64 at a time and commits each with
 * --links new links, as a crawl does (the commits of a batch travel in one call, as a
 * worker's do); prints µs per lease call, per commit and per page.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { jobKeys } from '../../src/backends/redis/keys.js';
import { openRedisJob, redisFrontier } from '../../src/backends/redis/redis-frontier.js';
import type { DiscoveredLink } from '../../src/core/types.js';
import type { FrontierSettings } from '../../src/frontier/frontier.js';

const { values } = parseArgs({
  options: {
    redis: { type: 'string', default: 'redis://127.0.0.1:6379' },
    pages: { type: 'string', default: '20000' },
    links: { type: 'string', default: '3' },
  },
});
const pages = Number(values.pages);
const linksPerPage = Number(values.links);
const redis = new Redis(values.redis, { enableAutoPipelining: true });
const prefix = `bench${randomBytes(4).toString('hex')}`;
const settings: FrontierSettings = {
  delayMs: 0,
  hostConcurrency: 64,
  concurrency: 64,
  maxPages: null,
  robots: false,
  robotsAgent: 'trawl',
  robotsMaxAgeMs: 86_400_000,
  robotsRetryMs: 600_000,
  robotsMaxRetries: 3,
  leaseMs: 30_000,
};
const link = (i: number): DiscoveredLink => {
  const host = `h${i % 50}.example`;
  return { url: `https://${host}/p/${i}.html`, host, depth: 1, priority: -1 };
};
const record = (url: string) => ({
  url,
  finalUrl: url,
  status: 200,
  title: 'A page title of a typical length',
  depth: 1,
  contentType: 'text/html; charset=utf-8',
  fetchedAt: Date.now(),
  error: null,
  errorMessage: null,
  attempts: 1,
  etag: null,
  lastModified: null,
  contentHash: 'da39a3ee5e6b4b0d3255bfef95601890afd80709',
  contentLength: 20_000,
  charset: 'utf-8',
  canonicalUrl: null,
  linkCount: 30,
  durationMs: 3,
  headers: { 'content-type': 'text/html; charset=utf-8', 'content-length': '20000' },
  body: null,
});

async function evalshaStats(): Promise<{ calls: number; usec: number }> {
  const info = await redis.info('commandstats');
  const m = /^cmdstat_evalsha:calls=(\d+),usec=(\d+)/m.exec(info);
  return { calls: Number(m?.[1] ?? 0), usec: Number(m?.[2] ?? 0) };
}

try {
  await openRedisJob({ redis, jobId: 'bench', prefix, settings, spec: {} });
  const frontier = redisFrontier({ redis, jobId: 'bench', prefix, settings });
  await frontier.add(Array.from({ length: Math.ceil(pages / 10) }, (_, i) => link(i)));
  let next = Math.ceil(pages / 10);
  let leaseUsec = 0;
  let leaseCalls = 0;
  let commitUsec = 0;
  let commits = 0;
  while (commits < pages) {
    const a = await evalshaStats();
    const batch = await frontier.lease(64);
    const b = await evalshaStats();
    leaseUsec += b.usec - a.usec;
    leaseCalls += b.calls - a.calls;
    if (batch.leases.length === 0) break;
    await Promise.all(
      batch.leases.map((l) => {
        const links = Array.from({ length: linksPerPage }, () => link(next++));
        return frontier.commit([
          {
            kind: 'page',
            token: l.token,
            record: record(l.url),
            ok: true,
            links,
            contactAgoMs: 0,
            wireBytes: 20_000,
          },
        ]);
      }),
    );
    const c = await evalshaStats();
    commitUsec += c.usec - b.usec;
    // Commits of one turn share a script call: count completions, not calls.
    commits += batch.leases.length;
  }
  console.log(
    JSON.stringify({
      pages: commits,
      linksPerPage,
      usecPerLeaseCall: leaseUsec / leaseCalls,
      usecPerCommit: commitUsec / commits,
      usecPerPage: (leaseUsec + commitUsec) / commits,
    }),
  );
} finally {
  const keys = jobKeys('bench', prefix);
  let cursor = '0';
  do {
    const [nextCursor, found] = await redis.scan(cursor, 'MATCH', `${keys.base}*`, 'COUNT', 1000);
    cursor = nextCursor;
    if (found.length > 0) await redis.unlink(...found);
  } while (cursor !== '0');
  redis.disconnect();
}
