/**
 * How fast the synthetic site can serve on this machine: the ceiling above which a crawl
 * benchmark would measure the server instead of the crawler.
 *
 *   npm run build && node dist/bench/site-ceiling.js [--pages 20000] [--duration 10]
 *     [--connections 64]
 *
 * The server runs in its own process; autocannon runs in this one, keep-alive, one request
 * per connection at a time, each for a random page. The server's own CPU use is read from
 * /proc: near 1.0 core means the server is the limit, lower means the load generator was
 * (on 2 cores, autocannon in one thread usually is); then the projected figure (requests
 * per second of server CPU) is the ceiling to quote.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import type { RequestSpec } from 'autocannon';
import { readProcStats } from './lib/proc-stats.js';
import { startSiteProcess } from './lib/site-process.js';

const { values } = parseArgs({
  options: {
    pages: { type: 'string', default: '20000' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '64' },
    'results-dir': { type: 'string', default: 'bench/results' },
  },
});
const pages = Number(values.pages);
const duration = Number(values.duration);
const connections = Number(values.connections);

const loadBefore = loadavg()[0] ?? 0;
const site = await startSiteProcess({ pages });
try {
  // A short warm-up so the JIT has compiled the render path before we measure it.
  await autocannon({ url: site.url, connections, duration: 1, requests: [randomPage()] });
  await site.resetStats();
  const before = readProcStats(site.pid);
  const result = await autocannon({
    url: site.url,
    connections,
    duration,
    requests: [randomPage()],
  });
  const after = readProcStats(site.pid);
  const server = await site.stats();

  const serverCpu =
    before && after ? (after.cpuSeconds - before.cpuSeconds) / result.duration : null;
  const summary = {
    kind: 'site-ceiling',
    date: new Date().toISOString(),
    node: process.version,
    // 1-minute load before the run: on a shared machine, numbers under load are lower bounds.
    loadAverage1m: round(loadBefore, 2),
    pages,
    connections,
    durationS: result.duration,
    requestsPerS: Math.round(result.requests.total / result.duration),
    mbPerS: round(result.throughput.total / result.duration / 1e6, 1),
    avgBodyKB: round(server.bytes / Math.max(1, server.requests) / 1000, 1),
    latencyMs: { p50: result.latency.p50, p99: result.latency.p99 },
    errors: result.errors + result.timeouts + result.non2xx,
    serverCpuCores: serverCpu === null ? null : round(serverCpu, 2),
    // What one fully busy server core would sustain at the measured cost per request.
    serverCpuUsPerRequest:
      serverCpu === null ? null : Math.round((serverCpu * result.duration * 1e6) / server.requests),
    projectedRequestsPerCore:
      serverCpu === null ? null : Math.round(server.requests / (serverCpu * result.duration)),
    serverPeakRssMB: after ? round(after.peakRssBytes / 1e6, 1) : null,
    serverRequests: server.requests,
  };
  console.table({
    'requests/s': summary.requestsPerS,
    'MB/s': summary.mbPerS,
    'avg body KB': summary.avgBodyKB,
    'latency p50/p99 ms': `${summary.latencyMs.p50} / ${summary.latencyMs.p99}`,
    errors: summary.errors,
    'server CPU (cores)': summary.serverCpuCores,
    'server CPU µs/request': summary.serverCpuUsPerRequest,
    'projected req/s, 1 server core': summary.projectedRequestsPerCore,
    'server peak RSS MB': summary.serverPeakRssMB,
  });
  mkdirSync(values['results-dir'], { recursive: true });
  const file = `${values['results-dir']}/site-ceiling-${stamp()}.json`;
  writeFileSync(file, JSON.stringify(summary, null, 2) + '\n');
  console.log(`wrote ${file}`);
} finally {
  await site.stop();
}

function randomPage(): RequestSpec {
  return {
    setupRequest: (req) => ({
      ...req,
      path: `/p/${1 + Math.floor(Math.random() * (pages - 1))}.html`,
    }),
  };
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

function stamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-');
}
