/** What the API app is built from: services behind ports, settings already resolved. */
import type { Registry } from 'prom-client';
import type { Logger } from 'pino';
import type { Cluster, Redis } from 'ioredis';
import type { ApiKeyStore } from '../auth/api-key-store.js';
import type { CrawlSpec } from '../config/crawl-spec.js';
import type { JobService } from '../jobs/job-service.js';
import type { ScrapeService } from '../jobs/scrape-service.js';
import type { ScheduleService } from '../jobs/scheduler.js';
import type { DeliveryLog } from '../webhooks/delivery-log.js';
import type { ArtifactStore } from '../storage/artifacts/artifact-store.js';

/** Which URLs clients may have the service fetch (the SSRF guard, see docs/security.md). */
export interface TargetPolicy {
  /** Throws (a TrawlError with code blocked_address, unsupported_scheme or invalid_url) when refused. */
  check(url: string): void;
  /** Set on every job the service accepts from a client: the fetcher checks every hop at connect time. */
  readonly guard: { allow: string[] } | null;
}

export interface ApiSettings {
  /** Absolute base for links in responses (Firecrawl's `next`), without a trailing slash. */
  publicUrl: string;
  /** Most URLs one request may carry. */
  maxUrls: number;
  /** Largest request body, bytes. */
  bodyLimitBytes: number;
  /** Default deadline of a single-URL scrape, ms. */
  scrapeTimeoutMs: number;
  /** Requests per minute per API key (per client address without keys); 0: no limit. */
  rateLimitPerMinute: number;
  /** How often, at most, the service asks the key store whether keys exist while none do, ms. */
  apiKeyCacheMs: number;
  /** Documents per page of a Firecrawl status response (`next` links to the rest). */
  firecrawlPageSize: number;
  /**
   * Where the jobs' screenshots and PDFs go (a directory or s3://bucket/prefix): set on
   * every client job that captures pages; clients cannot choose it.
   */
  artifactsTarget: string;
}

export interface AppDeps {
  jobs: JobService;
  targets: TargetPolicy;
  settings: ApiSettings;
  /** Served at /metrics. */
  registry: Registry;
  /** Checks what the schema cannot (extraction settings, the pipeline's handlers); throws UsageError. */
  checkSpec(spec: CrawlSpec): Promise<void>;
  /** false: no request logging (tests, benchmarks). */
  log: Logger | false;
  /**
   * Job webhooks (docs/webhooks.md): the delivery log the API reads, and whether a
   * service secret (TRAWL_WEBHOOK_SECRET) signs the webhooks of requests without an API key.
   */
  webhooks: { log: DeliveryLog; serviceSecret: boolean };
  /** API keys (src/auth): once one exists, every non-public route needs one. */
  apiKeys: ApiKeyStore;
  /**
   * Distributed mode: rate-limit counters in the service's Redis, under keyPrefix, so every
   * service instance counts against the same limit. Absent: counted in this process.
   */
  rateLimitRedis?: { client: Redis | Cluster; keyPrefix: string };
  /** Single-URL scrapes and site maps, now, within a deadline (/trawl/v1/scrape, Firecrawl's /scrape and /map). */
  scraper: ScrapeService;
  /** The jobs' screenshots and PDFs, read back for /trawl/v1/jobs/{id}/artifacts/{file}. */
  artifacts: ArtifactStore;
  /** Recurring crawls (/trawl/v1/schedules): a job spec plus a cron expression. */
  schedules: ScheduleService;
}
