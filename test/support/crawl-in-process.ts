import { join } from 'node:path';
import type { CrawlSpecInput } from '../../src/config/crawl-spec.js';
import { parseCrawlSpec } from '../../src/config/parse-spec.js';
import { createLogger } from '../../src/log/logger.js';
import { runCrawl, type CrawlSummary } from '../../src/main/run-crawl.js';

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
