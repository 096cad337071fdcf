/** Job counts from a frontier's totals: the one mapping both job services use. */
import type { FrontierStats } from '../../frontier/frontier.js';
import type { JobCounts } from '../../jobs/job-service.js';

export const ZERO_COUNTS: JobCounts = {
  queued: 0,
  inFlight: 0,
  succeeded: 0,
  failed: 0,
  retried: 0,
  bytes: 0,
  stored: 0,
  pagesPerSec: 0,
};

/**
 * @param stored pages readable through the results (null: all finished ones are).
 * @param ranMs how long the job has run, for the rate.
 */
export function jobCounts(stats: FrontierStats, stored: number | null, ranMs: number): JobCounts {
  const finished = stats.succeeded + stats.failed;
  return {
    queued: stats.queued,
    inFlight: stats.inFlight,
    succeeded: stats.succeeded,
    failed: stats.failed,
    retried: stats.retries,
    bytes: stats.bytes,
    stored: stored ?? finished,
    pagesPerSec: ranMs > 0 ? Math.round((finished * 1000 * 100) / ranMs) / 100 : 0,
  };
}
