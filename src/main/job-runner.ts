/**
 * One job served by one worker process: the job's crawl loop over the Redis frontier,
 * with the fetcher and parser pool its spec asks for. The same Crawler as the embedded
 * mode; only the frontier adapter differs.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { parseCrawlSpec } from '../config/parse-spec.js';
import type { CrawlSpec, CrawlSpecInput } from '../config/crawl-spec.js';
import { systemClock } from '../core/clock.js';
import { createLinkFilter, type LinkFilterSpec } from '../core/url/link-filter.js';
import { Crawler, type StopMode } from '../crawler/crawler.js';
import type { Frontier } from '../frontier/frontier.js';
import type { TrawlMetrics } from '../metrics/metrics.js';
import { RedisProxyPool } from '../backends/redis/proxy-pool/redis-proxy-pool.js';
import type { RedisClient } from '../backends/redis/redis-connection.js';
import { redisFrontier } from '../backends/redis/redis-frontier.js';
import type { RedisJobInfo } from '../backends/redis/redis-jobs.js';
import { redisDedupIndex } from '../backends/redis/redis-dedup-index.js';
import type pg from 'pg';
import { storeBaseline } from '../crawler/baseline.js';
import { createPostgresPageStore } from '../backends/postgres/postgres-page-store.js';
import { DEFAULT_ARTIFACTS_TARGET, jobArtifacts } from './job-artifacts.js';
import { createJobPipeline } from './job-pipeline.js';
import {
  canonicalSeeds,
  crawlerOptions,
  createFetcher,
  createParser,
  frontierSettings,
  jobLinkFilter,
} from './job-parts.js';

/**
 * How often an idle worker asks a job's frontier again: other workers' commits add work
 * only Redis sees. Short enough that a new host's first page waits little, long enough
 * that idle workers cost Redis nothing noticeable (a lease call each).
 */
export const DISTRIBUTED_IDLE_POLL_MS = 100;

export interface JobRunnerOptions {
  jobId: string;
  info: RedisJobInfo;
  redis: RedisClient;
  prefix: string;
  /** Leases this process keeps in flight for the job (its share of the worker). */
  concurrency: number;
  log: Logger;
  metrics?: TrawlMetrics;
  /** Where the job's baseline (spec `baseline`) is read from: the results database. */
  pool: pg.Pool;
  /** Where screenshots and PDFs go when the spec names no `artifacts`. @default ./trawl-data/artifacts */
  artifactsTarget?: string;
}

export class JobRunner {
  readonly jobId: string;
  readonly version: number;
  readonly spec: CrawlSpec;
  readonly frontier: Frontier;
  private readonly crawler: Crawler;
  private readonly closers: (() => Promise<void>)[] = [];
  private running: Promise<void> | null = null;

  /** Builds the parts (no I/O: pools connect on first use). Throws UsageError for a bad spec. */
  constructor(private readonly options: JobRunnerOptions) {
    this.jobId = options.jobId;
    this.version = options.info.version;
    const spec = parseCrawlSpec(options.info.spec as CrawlSpecInput);
    this.spec = spec;
    const seeds = canonicalSeeds(spec.seeds, spec.sortQuery);
    const filterSpec: LinkFilterSpec = jobLinkFilter(spec, seeds);
    this.frontier = redisFrontier({
      redis: options.redis,
      jobId: options.jobId,
      prefix: options.prefix,
      settings: frontierSettings(spec),
    });
    const jobLog = options.log.child({ job: options.jobId });
    let stopProxyMetrics: (() => void) | null = null;
    const artifacts = jobArtifacts(
      spec,
      options.jobId,
      options.artifactsTarget ?? DEFAULT_ARTIFACTS_TARGET,
    );
    const fetcher = createFetcher(spec, (message) => jobLog.info(message), {
      ...(artifacts === null ? {} : { saveArtifact: artifacts.save }),
      // One pool per job, shared by every worker serving it.
      makeProxyPool: (settings) =>
        new RedisProxyPool({
          ...settings,
          redis: options.redis,
          prefix: options.prefix,
          pool: `job.${createHash('sha1').update(options.jobId).digest('hex').slice(0, 20)}`,
        }),
      log: jobLog,
      onProxyPool: (pool) => {
        const metrics = options.metrics;
        stopProxyMetrics =
          metrics?.onCollect(async () => {
            const size = await pool.size();
            for (const status of ['active', 'benched', 'dead'] as const) {
              metrics.proxyPoolSize.set({ status }, size[status]);
            }
          }) ?? null;
      },
    });
    const parser = createParser(spec, filterSpec);
    // After a reconnect Redis may have restarted from a persistence file that missed its
    // last writes, links of lost commits among them: the parser must return them again.
    const forget = (): void => parser.forgetLinks('all');
    options.redis.on('ready', forget);
    // crawler_active_engines: the engines this job's fetcher drives, while it runs.
    const engines = spec.engine === 'auto' ? ['http', 'browser'] : [spec.engine];
    for (const engine_type of engines) options.metrics?.activeEngines.inc({ engine_type });
    this.closers.push(
      async () => {
        options.redis.off('ready', forget);
        stopProxyMetrics?.();
        for (const engine_type of engines) options.metrics?.activeEngines.dec({ engine_type });
      },
      () => parser.close(),
      () => fetcher.close(),
      async () => artifacts?.store.close(),
    );
    // The dedup index is shared through Redis: two workers never both keep a duplicate.
    const pipeline = createJobPipeline(
      spec,
      options.jobId,
      { dedupIndex: redisDedupIndex({ redis: options.redis, prefix: options.prefix }) },
      options.metrics,
    );
    if (pipeline !== undefined) this.closers.unshift(() => pipeline.close());
    const log = options.log.child({ job: options.jobId });
    this.crawler = new Crawler(
      crawlerOptions(spec, options.concurrency, DISTRIBUTED_IDLE_POLL_MS),
      {
        frontier: this.frontier,
        fetcher,
        parser,
        linkFilter: createLinkFilter(filterSpec),
        clock: systemClock,
        log,
        metrics: options.metrics,
        ...(pipeline === undefined ? {} : { pipeline }),
        ...(spec.baseline === null
          ? {}
          : {
              baseline: storeBaseline(
                createPostgresPageStore(options.pool, spec.baseline.jobId),
                spec.storeBody,
                log,
              ),
            }),
      },
    );
  }

  get counters(): Crawler['counters'] {
    return this.crawler.counters;
  }

  /** True once the job's frontier reported it done (not merely stopped). */
  get isDone(): boolean {
    return this.crawler.isDone;
  }

  /** Runs the job until it is done or stopped; the parts are closed after. */
  run(): Promise<void> {
    this.running ??= this.crawler.run().finally(async () => {
      for (const close of this.closers) {
        await close().catch((err: unknown) => this.options.log.warn({ err }, 'close failed'));
      }
    });
    return this.running;
  }

  setConcurrency(n: number): void {
    this.crawler.setConcurrency(n);
  }

  stop(mode: StopMode): void {
    this.crawler.stop(mode);
  }
}
