/**
 * How fast the site's server answers on this machine, so the report can show it is not
 * what limits the crawlers: autocannon (keep-alive, one request per connection at a time,
 * each for a random page of the site) against a fresh server, and the server's own CPU.
 * On 2 cores autocannon's single thread is often the limit; the server's CPU per request
 * then gives what one fully busy server core would sustain.
 */
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { cpuOfProcesses } from './run-system.js';
import type { SiteUnderTest } from './site-under-test.js';

export interface ServerCeiling {
  seconds: number;
  connections: number;
  requestsPerSecond: number;
  errors: number;
  /** Server CPU while loaded, in cores (1.0 = one core busy). */
  serverCpuCores: number | null;
  /** Requests per second one fully busy server core would answer at the measured cost. */
  projectedRequestsPerCore: number | null;
}

export async function measureServerCeiling(
  site: SiteUnderTest,
  dir: string,
  options: { seconds: number; connections: number },
): Promise<ServerCeiling | null> {
  if (site.pathsFile === null) return null;
  const paths = readFileSync(site.pathsFile, 'utf8').split('\n').filter(Boolean);
  const running = await site.start(dir);
  try {
    const randomPage = {
      setupRequest: (req: object) => ({
        ...req,
        path: paths[Math.floor(Math.random() * paths.length)] as string,
      }),
    };
    const { connections } = options;
    // Warm-up: the JIT (node) or the open-file cache (nginx) settles first.
    await autocannon({ url: running.origin, connections, duration: 1, requests: [randomPage] });
    const before = cpuOfProcesses(running.serverPids());
    const result = await autocannon({
      url: running.origin,
      connections,
      duration: options.seconds,
      requests: [randomPage],
    });
    const after = cpuOfProcesses(running.serverPids());
    const cpu = before !== null && after !== null ? after - before : null;
    const requests = result.requests.total;
    return {
      seconds: result.duration,
      connections,
      requestsPerSecond: requests / result.duration,
      errors: result.errors + result.timeouts + result.non2xx,
      serverCpuCores: cpu === null ? null : cpu / result.duration,
      projectedRequestsPerCore: cpu === null || cpu === 0 ? null : requests / cpu,
    };
  } finally {
    await running.stop();
  }
}
