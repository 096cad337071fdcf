/** What every lease task (page, robots.txt, sitemaps) works with: ports, options, this run's counters. */
import type { Logger } from 'pino';
import type { Clock } from '../core/clock.js';
import { sleep } from '../core/clock.js';
import type { LinkFilter } from '../core/url/link-filter.js';
import type { Fetcher } from '../fetch/fetcher.js';
import type { CommitResult, Completion, Frontier } from '../frontier/frontier.js';
import type { TrawlMetrics } from '../metrics/metrics.js';
import type { PageParser } from '../parse/page-parser.js';
import type { RecordPipeline } from '../pipeline/page-pipeline.js';
import type { Baseline } from './baseline.js';
import type { RetryOptions } from './retry-policy.js';

export interface CrawlerOptions extends RetryOptions {
  /** Leases this loop keeps in flight (the job-wide limit is the frontier's). */
  concurrency: number;
  maxDepth: number | null;
  storeBody: boolean;
  /** Canonicalisation of redirect targets and sitemap entries. */
  sortQuery: boolean;
  /** Redirect hops a page may take. */
  maxRedirects: number;
  /**
   * Longest wait between two lease() calls when nothing could be leased: other workers'
   * commits can make work leasable, and only the frontier knows. ms.
   */
  idlePollMs: number;
  /** The job's engine, for the request metrics of fetches that failed (auto: HTTP first). */
  engine?: 'http' | 'browser' | 'auto';
}

export interface CrawlerDeps {
  frontier: Frontier;
  fetcher: Fetcher;
  parser: PageParser;
  /** Scope and include/exclude, applied to redirect targets and sitemap entries (links are filtered by the parser). */
  linkFilter: LinkFilter;
  clock: Clock;
  log: Logger;
  /** Requests by status, their durations, refused commits; none when absent. */
  metrics?: TrawlMetrics;
  /** The job's chain of handlers, run on every page record before its commit; none when absent. */
  pipeline?: RecordPipeline;
  /** An incremental recrawl's baseline job (spec `baseline`); none when absent. */
  baseline?: Baseline;
}

/** Counters of this run (not of earlier runs of a resumed crawl, nor of other workers). */
export interface CrawlCounters {
  /** Pages committed as fetched (any status; redirect_known included). */
  succeeded: number;
  /** Pages committed as failed for good. */
  failed: number;
  retries: number;
  bytes: number;
  /** Commits the frontier refused: the lease had expired and gone back (a stall or a slow worker). */
  refused: number;
}

export interface TaskContext extends CrawlerDeps {
  options: CrawlerOptions;
  counters: CrawlCounters;
  /** Aborted when the crawl stops at once: in-flight fetches end with `aborted`. */
  signal: AbortSignal;
}

/** Commits one completion and counts what the frontier accepted. */
export async function commitOne(ctx: TaskContext, completion: Completion): Promise<CommitResult> {
  const [result] = await ctx.frontier.commit([completion]);
  if (result === undefined || !result.accepted) {
    ctx.counters.refused++;
    ctx.metrics?.commitsRefusedTotal.inc();
    ctx.log.debug(
      { token: completion.token, kind: completion.kind },
      'commit refused: lease expired',
    );
    return { accepted: false };
  }
  return result;
}

/**
 * Spaces the requests a lease holder makes inside one lease (redirects of robots.txt,
 * the files of a sitemap walk): each starts at least the host's delay after the
 * previous one ended. The lease's own first request needs no wait: the frontier
 * handed it out on time.
 */
export class ContactSpacer {
  private lastEnd: number | null = null;

  constructor(
    private readonly ctx: TaskContext,
    private readonly delayMs: number,
  ) {}

  /** Call when a request to the host ended (its response arrived or failed). */
  ended(): void {
    this.lastEnd = this.ctx.clock.now();
  }

  /** Waits until the next request may start. */
  async beforeNext(): Promise<void> {
    if (this.lastEnd === null || this.delayMs <= 0) return;
    await sleep(this.lastEnd + this.delayMs + 1 - this.ctx.clock.now(), this.ctx.signal);
  }

  /** ms since the last request ended, for the commit; null when none was made. */
  contactAgoMs(): number | null {
    return this.lastEnd === null ? null : Math.max(0, this.ctx.clock.now() - this.lastEnd);
  }
}
