/**
 * Submits a crawl job to the cluster: its frontier, settings, seeds and place in the
 * Redis registry, from its spec. One function for `trawl crawl --redis` and the service.
 */
import type { CrawlSpec } from '../config/crawl-spec.js';
import type { RedisClient } from '../backends/redis/redis-connection.js';
import { submitRedisJob, type SubmittedRedisJob } from '../backends/redis/redis-jobs.js';
import type { DiscoveredLink } from '../core/types.js';
import { createLinkFilter } from '../core/url/link-filter.js';
import type { PageStore } from '../storage/page-store.js';
import { queueBaselinePages } from './job-baseline.js';
import { canonicalSeeds, frontierSettings, jobLinkFilter, seedOrigins } from './job-parts.js';

export interface SubmitCrawlJobOptions {
  redis: RedisClient;
  jobId: string;
  prefix: string;
  spec: CrawlSpec;
  maxStreamLength: number;
  /** The pages of the spec's baseline job (an incremental recrawl), queued with the seeds. */
  baseline?: PageStore;
}

export function submitCrawlJob(options: SubmitCrawlJobOptions): Promise<SubmittedRedisJob> {
  const { spec, baseline } = options;
  const seeds = canonicalSeeds(spec.seeds, spec.sortQuery);
  return submitRedisJob({
    redis: options.redis,
    jobId: options.jobId,
    prefix: options.prefix,
    settings: frontierSettings(spec),
    spec,
    seeds: seeds.map((s) => ({ url: s.href, host: s.host, depth: 0, priority: 0 })),
    sitemapOrigins: spec.sitemaps ? seedOrigins(seeds) : [],
    maxStreamLength: options.maxStreamLength,
    ...(baseline === undefined
      ? {}
      : {
          queueMore: (add: (links: DiscoveredLink[]) => Promise<number>) =>
            queueBaselinePages(spec, baseline, createLinkFilter(jobLinkFilter(spec, seeds)), add),
        }),
    dedup:
      spec.dedup === 'bloom'
        ? { mode: 'bloom', capacity: spec.bloomCapacity, fpr: spec.bloomFpr }
        : { mode: 'buckets' },
  });
}
