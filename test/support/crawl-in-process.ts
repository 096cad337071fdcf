import { join } from 'node:path';
import type { CrawlSpecInput } from '../../src/config/crawl-spec.js';
import { parseCrawlSpec } from '../../src/config/parse-spec.js';
import { createLogger } from '../../src/log/logger.js';
import { loadRuntimeConfig } from '../../src/config/runtime-config.js';
import { runDistributedCrawl } from '../../src/main/distributed-crawl.js';
import { runCrawl, type CrawlSummary } from '../../src/main/run-crawl.js';
import type { DistributedSandbox } from './distributed.js';

/**
 * Runs one embedded crawl in this process, the way `trawl crawl` does, with its data dir
 * under `dir` and the JSONL export at `out` (if any). Quiet, and no signal handlers.
 */
export function crawlInProcess(
  spec: CrawlSpecInput,
  dir: string,
  out: string | null = null,
): Promise<CrawlSummary> {
  return runCrawl({
    spec: parseCrawlSpec(spec),
    dataDir: join(dir, 'data'),
    out,
    format: 'jsonl',
    fresh: false,
    log: createLogger('silent'),
    handleSignals: false,
  });
}

/**
 * The same, in the distributed mode: `trawl crawl --redis --database` with one worker in
 * this process, against the sandbox's Redis prefix and PostgreSQL schema.
 */
export function crawlDistributedInProcess(sandbox: DistributedSandbox) {
  return (spec: CrawlSpecInput, _dir: string, out: string | null = null): Promise<CrawlSummary> =>
    runDistributedCrawl({
      spec: parseCrawlSpec(spec),
      jobId: null,
      redisUrl: sandbox.redisUrl,
      databaseUrl: sandbox.databaseUrl,
      config: loadRuntimeConfig({ env: sandbox.env }),
      workers: 1,
      out,
      format: 'jsonl',
      fresh: false,
      log: createLogger('silent'),
      handleSignals: false,
    });
}
