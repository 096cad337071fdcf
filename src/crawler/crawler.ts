/**
 * The crawl loop: lease due URLs from the frontier, fetch, parse, store, complete.
 * It talks to ports only (Frontier, PageStore, Fetcher, PageParser, RobotsSource), so
 * the same loop runs embedded (SQLite) and distributed (Redis + PostgreSQL).
 */
import { setMaxListeners } from 'node:events';
import type { Logger } from 'pino';
import type { Clock } from '../core/clock.js';
import { sleep } from '../core/clock.js';
import { isTrawlError, TrawlError, type ErrorCode } from '../core/errors.js';
import type {
  CrawlRequest,
  DiscoveredLink,
  FetchResponse,
  PageRecord,
  ParsedPage,
} from '../core/types.js';
import { canonicalize } from '../core/url/canonicalize.js';
import type { LinkFilter } from '../core/url/link-filter.js';
import type { Fetcher, RedirectDecision } from '../fetch/fetcher.js';
import type { Frontier, Outcome } from '../frontier/frontier.js';
import type { PageParser } from '../parse/page-parser.js';
import type { PageStore } from '../storage/page-store.js';
import { failureRecord, isHtml, successRecord } from './page-record.js';
import {
  decideRetry,
  isRetryableStatus,
  parseRetryAfter,
  type RetryOptions,
} from './retry-policy.js';
import type { RobotsSource } from './robots-source.js';

export interface CrawlerOptions extends RetryOptions {
  concurrency: number;
  maxPages: number | null;
  maxDepth: number | null;
  /** The crawl's politeness gap, ms; robots Crawl-delay may raise it per host. */
  delayMs: number;
  storeBody: boolean;
}

export interface CrawlerDeps {
  frontier: Frontier;
  store: PageStore;
  fetcher: Fetcher;
  parser: PageParser;
  /** null when robots.txt is ignored. */
  robots: RobotsSource | null;
  /** Scope and include/exclude, applied to redirect targets (links are filtered by the parser). */
  linkFilter: LinkFilter;
  clock: Clock;
  log: Logger;
}

/** Counters of this run (not of earlier runs of a resumed crawl). */
export interface CrawlCounters {
  /** Pages stored with a 2xx status. */
  succeeded: number;
  /** Pages stored with an error. */
  failed: number;
  retries: number;
  bytes: number;
}

export type StopMode = 'drain' | 'abort';

export class Crawler {
  readonly counters: CrawlCounters = { succeeded: 0, failed: 0, retries: 0, bytes: 0 };
  private readonly abort = new AbortController();
  private stopping = false;
  private wakeUp: (() => void) | null = null;
  /** A wake() that came while the loop was not waiting (e.g. during a lease). */
  private wokenEarly = false;
  private started = 0;
  private readonly counted = new Set<string>();
  /** Hosts whose robots.txt this process has already waited on (politeness after it). */
  private readonly robotsSeen = new Set<string>();
  private fatal: unknown = null;

  constructor(
    private readonly options: CrawlerOptions,
    private readonly deps: CrawlerDeps,
  ) {
    // Every in-flight request listens on the one stop signal.
    setMaxListeners(0, this.abort.signal);
  }

  /**
   * Stop leasing. 'drain' lets in-flight requests finish; 'abort' cancels them and
   * hands their URLs back to the frontier, to be fetched on the next run.
   */
  stop(mode: StopMode): void {
    this.stopping = true;
    if (mode === 'abort') this.abort.abort();
    this.wake();
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  /** Runs until nothing is left to fetch, maxPages is reached, or stop() is called. */
  async run(): Promise<void> {
    const { frontier, clock } = this.deps;
    const before = await frontier.stats();
    this.started = before.succeeded + before.failed;
    const tasks = new Set<Promise<void>>();
    for (;;) {
      if (this.fatal !== null) break;
      const budget = this.budget();
      let free = Math.min(this.options.concurrency - tasks.size, budget);
      if (!this.stopping && free > 0) {
        const leases = await frontier.lease(free);
        for (const req of leases) {
          this.countStart(req);
          const task = this.process(req).then(
            () => {
              tasks.delete(task);
              this.wake();
            },
            (err: unknown) => {
              // process() records every request failure itself; reaching here means
              // the store or frontier failed, which ends the crawl.
              this.fatal ??= err;
              tasks.delete(task);
              this.wake();
            },
          );
          tasks.add(task);
        }
        free -= leases.length;
      }
      if (tasks.size === 0 && (this.stopping || this.budget() <= 0)) break;
      // Default: sleep until a task completes.
      let waitMs = Infinity;
      if (!this.stopping && free > 0 && this.budget() > 0) {
        const due = await frontier.nextDueAt();
        if (due === null) {
          if (tasks.size === 0) break;
        } else if (due > clock.now()) {
          waitMs = due - clock.now();
        } else if (tasks.size === 0) {
          // Due but not leasable with nothing in flight should not happen; poll rather
          // than spin if an adapter ever reports it.
          waitMs = 5;
        }
      }
      await this.waitForWake(waitMs);
    }
    await Promise.allSettled(tasks);
    if (this.fatal !== null) throw this.fatal;
  }

  private budget(): number {
    return this.options.maxPages === null ? Infinity : this.options.maxPages - this.started;
  }

  private countStart(req: CrawlRequest): void {
    if (this.options.maxPages === null) return;
    if (this.counted.has(req.url)) return;
    this.counted.add(req.url);
    this.started++;
  }

  private wake(): void {
    const w = this.wakeUp;
    this.wakeUp = null;
    if (w === null) this.wokenEarly = true;
    else w();
  }

  private waitForWake(ms: number): Promise<void> {
    if (this.wokenEarly) {
      this.wokenEarly = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      this.wakeUp = () => {
        if (timer !== undefined) clearTimeout(timer);
        resolve();
      };
      if (ms !== Infinity) timer = setTimeout(() => this.wake(), ms);
    });
  }

  /**
   * One leased URL, start to finish. Request failures are recorded, never thrown; what
   * does throw (the store or frontier failing) ends the crawl.
   */
  private async process(req: CrawlRequest): Promise<void> {
    const { fetcher, clock } = this.deps;
    const signal = this.abort.signal;
    if (this.deps.robots !== null) {
      const blocked = await this.checkRobots(req);
      if (blocked === 'later') return;
      if (blocked) return this.finish(req, blocked, null, null);
    }
    const startedAt = clock.now();
    let res: FetchResponse;
    try {
      res = await fetcher.fetch(req.url, {
        signal,
        onRedirect: (target) => this.onRedirect(target),
      });
    } catch (err) {
      return this.fetchFailed(req, err, startedAt);
    }
    this.counters.bytes += res.wireBytes;
    await this.handleResponse(req, res, clock.now());
  }

  private async fetchFailed(req: CrawlRequest, err: unknown, startedAt: number): Promise<void> {
    if (this.abort.signal.aborted) {
      return this.deps.frontier.complete([{ kind: 'release', url: req.url }]);
    }
    const contactedAt = this.deps.clock.now();
    const e = isTrawlError(err)
      ? err
      : new TrawlError('network', `unexpected fetch failure: ${(err as Error).message}`, {
          cause: err,
        });
    if (e.retryable && (await this.retryLater(req, contactedAt, e.status ?? null, null))) return;
    const record = failureRecord(req, startedAt, e.code, e.message, {
      status: e.status,
      finalUrl: e.finalUrl,
    });
    // Stopped at a redirect to a URL crawled under its own name: not a failure.
    await this.finish(req, record, null, contactedAt, e.code === 'redirect_known');
  }

  private async handleResponse(
    req: CrawlRequest,
    res: FetchResponse,
    contactedAt: number,
  ): Promise<void> {
    const status = res.status;
    if (isRetryableStatus(status)) {
      const retryAfter = parseRetryAfter(res.headers['retry-after'], this.deps.clock.now());
      if (await this.retryLater(req, contactedAt, status, retryAfter)) return;
    }
    if (status < 200 || status >= 300) {
      const error = { code: 'http_status' as ErrorCode, message: `HTTP ${status}` };
      return this.finish(req, successRecord(req, res, null, error, false), null, contactedAt);
    }
    if (!isHtml(res)) {
      const record = successRecord(req, res, null, null, this.options.storeBody);
      return this.finish(req, record, null, contactedAt, true);
    }
    let parsed: ParsedPage;
    try {
      // The parser may take the body's memory (worker transfer): hand it a copy when we keep it.
      const body = this.options.storeBody ? Buffer.from(res.body) : res.body;
      const maxDepth = this.options.maxDepth;
      parsed = await this.deps.parser.parse({
        url: res.finalUrl,
        body,
        contentType: res.headers['content-type'] ?? null,
        // The parser may drop links it returned before: ask only for links we will add.
        extractLinks: maxDepth === null || req.depth < maxDepth,
      });
    } catch (err) {
      const message = `could not parse: ${(err as Error).message}`;
      const record = successRecord(req, res, null, { code: 'parse_failed', message }, false);
      return this.finish(req, record, null, contactedAt);
    }
    const record = successRecord(req, res, parsed, null, this.options.storeBody);
    return this.finish(req, record, parsed.links, contactedAt, true);
  }

  /** Stores the page, queues its links, then completes the lease — in that order. */
  private async finish(
    req: CrawlRequest,
    record: PageRecord,
    links: string[] | null,
    contactedAt: number | null,
    ok = record.error === null,
  ): Promise<void> {
    const { frontier, store } = this.deps;
    const depth = req.depth + 1;
    const writes: Promise<unknown>[] = [store.putPages([record])];
    if (links !== null && links.length > 0) {
      const batch: DiscoveredLink[] = [];
      for (const url of links) {
        batch.push({ url, host: hostOf(url), depth, priority: -depth });
      }
      writes.push(frontier.add(batch));
    }
    // Page and links are durable before the lease completes: a crash in between
    // refetches the page (an upsert) but never loses it or its links.
    await Promise.all(writes);
    await frontier.complete([{ kind: 'finished', url: req.url, ok, contactedAt }]);
    if (ok) this.counters.succeeded++;
    else this.counters.failed++;
  }

  /** Schedules another attempt if the policy allows; false when retries are exhausted. */
  private async retryLater(
    req: CrawlRequest,
    contactedAt: number,
    status: number | null,
    retryAfterMs: number | null,
  ): Promise<boolean> {
    const decision = decideRetry(this.options, req.attempts + 1, status, retryAfterMs);
    if (!decision.retry) return false;
    const notBefore = this.deps.clock.now() + decision.delayMs;
    const outcome: Outcome = { kind: 'retry', url: req.url, notBefore, contactedAt };
    if (decision.pauseHost) outcome.hostPausedUntil = notBefore;
    await this.deps.frontier.complete([outcome]);
    this.counters.retries++;
    this.deps.log.debug({ url: req.url, status, delayMs: decision.delayMs }, 'retry scheduled');
    return true;
  }

  /**
   * Returns a failure record when robots.txt forbids the URL, or 'later' when robots.txt
   * is unreachable and the URL was rescheduled for when it is fetched again.
   */
  private async checkRobots(req: CrawlRequest): Promise<PageRecord | null | 'later'> {
    const robots = this.deps.robots!;
    let rules = robots.peek(req.url);
    if (rules === undefined) {
      rules = await robots.get(req.url);
      const contactedAt = this.deps.clock.now();
      if (!this.robotsSeen.has(req.host)) {
        this.robotsSeen.add(req.host);
        const delayMs = Math.max(this.options.delayMs, rules.crawlDelayMs ?? 0);
        if (delayMs > this.options.delayMs) {
          await this.deps.frontier.setHostPolicy(req.host, { delayMs, maxInFlight: 1 });
        }
        // The robots.txt request is a contact with the host too: keep the gap after it.
        if (delayMs > 0)
          await sleep(contactedAt + delayMs + 1 - this.deps.clock.now(), this.abort.signal);
      }
    }
    if (rules.isAllowed(req.url)) return null;
    if (rules.kind === 'disallow-all' && req.attempts < this.options.maxRetries) {
      // RFC 9309: an unreachable robots.txt forbids crawling for now, not for good.
      const until = Math.max(rules.expiresAt, this.deps.clock.now() + 1);
      await this.deps.frontier.complete([
        {
          kind: 'retry',
          url: req.url,
          notBefore: until,
          contactedAt: null,
          hostPausedUntil: until,
        },
      ]);
      this.counters.retries++;
      return 'later';
    }
    const why =
      rules.kind === 'disallow-all' ? 'robots.txt unreachable' : 'disallowed by robots.txt';
    return failureRecord(req, this.deps.clock.now(), 'robots_disallowed', why);
  }

  private async onRedirect(target: string): Promise<RedirectDecision> {
    const parts = canonicalize(target);
    if (parts === null) return 'invalid_url';
    if (!this.deps.linkFilter(parts)) return 'redirect_out_of_scope';
    if (this.deps.robots !== null) {
      const rules = this.deps.robots.peek(parts.href) ?? (await this.deps.robots.get(parts.href));
      if (!rules.isAllowed(parts.href)) return 'robots_disallowed';
    }
    const [fresh] = await this.deps.frontier.claim([{ url: parts.href, host: parts.host }]);
    return fresh ? 'follow' : 'redirect_known';
  }
}

/** Host (URL.host) of a canonical URL string, without re-parsing it. */
export function hostOf(url: string): string {
  const start = url.indexOf('//') + 2;
  let end = url.indexOf('/', start);
  if (end === -1) end = url.length;
  const at = url.lastIndexOf('@', end);
  return url.slice(at >= start ? at + 1 : start, end);
}
