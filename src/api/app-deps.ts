/** What the API app is built from: services behind ports, settings already resolved. */
import type { Registry } from 'prom-client';
import type { Logger } from 'pino';
import type { CrawlSpec } from '../config/crawl-spec.js';
import type { JobService } from '../jobs/job-service.js';

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
}
