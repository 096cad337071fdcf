/**
 * The frontier port: which URLs a job knows, which may be fetched now, and every
 * decision about when a host may be contacted (politeness, robots.txt, Retry-After).
 * One contract, two adapters: the embedded one (memory + SQLite, one process) and the
 * distributed one (Redis, any number of worker processes). The crawler loop cannot
 * tell them apart; test/frontier/frontier-contract.ts holds both to the same semantics.
 *
 * Every contact with a host — a page, each redirect hop, robots.txt, the sitemap walk —
 * is a lease: lease() hands it out only when the host's politeness allows, and the
 * holder commits what happened. A lease carries a token and a deadline; renew() extends
 * it; an expired lease goes back to the queue (a dead worker's URLs come back after the
 * lease time) and a late commit with its stale token is refused, so it never creates a
 * duplicate.
 *
 * commit() is the one atomic step per finished request: the page record, its new links
 * and the lease outcome land together or not at all (one SQLite transaction; one Redis
 * script that also appends the record to the results stream).
 *
 * Times in completions are durations measured by the caller (how long ago the contact
 * ended, how long to wait): the frontier turns them into instants with its own clock
 * (Redis TIME inside scripts in the distributed mode), so workers' clocks never matter.
 */
import type { DiscoveredLink, PageRecord } from '../core/types.js';

/** What a lease asks its holder to do. */
export type LeaseKind =
  /** Fetch a page (or the next hop of its redirect chain) and commit the result. */
  | 'page'
  /** Fetch `origin/robots.txt` and commit it: the host's URLs wait for it. */
  | 'robots'
  /** Walk the origin's sitemaps (`Sitemap:` lines, or /sitemap.xml) and commit the page URLs found. */
  | 'sitemaps';

/** robots.txt's verdict on a page lease's fetchUrl, decided by the frontier. */
export type RobotsVerdict =
  /** robots.txt allows it, or robots.txt is not obeyed by this job. */
  | 'allowed'
  /** robots.txt disallows it for our agent. */
  | 'disallowed'
  /** robots.txt stayed unreachable (5xx, network) through every retry window: RFC 9309 says disallow. */
  | 'unreachable';

export interface Lease {
  /** Proves the holder. A commit with a token the frontier no longer holds is refused. */
  token: string;
  kind: LeaseKind;
  /**
   * page: the canonical URL, the dedup key and the record's `url`; robots: the
   * robots.txt URL; sitemaps: the origin ("scheme://host[:port]").
   */
  url: string;
  /** The URL to request now: `url`, or the target of the last redirect hop. */
  fetchUrl: string;
  /** Redirect targets followed so far, in order (empty unless this lease is a hop). */
  redirects: string[];
  /** The status of the redirect that led to fetchUrl; null unless this lease is a hop. */
  redirectStatus: number | null;
  /** Host (URL.host) of fetchUrl: the politeness key. */
  host: string;
  /** Link hops from a seed (seeds are 0). */
  depth: number;
  /** Fetch attempts already made for this URL (0 on the first try). */
  attempts: number;
  /**
   * The host's current gap between requests, ms. The holder spaces any further request
   * it makes inside this lease by it (redirects of robots.txt and of sitemap files).
   */
  hostDelayMs: number;
  /** page leases: robots.txt's verdict on fetchUrl ('allowed' when robots are off). */
  robots: RobotsVerdict;
  /** sitemaps leases: the Sitemap URLs the origin's robots.txt lists (may be empty). */
  sitemaps: string[];
}

export interface LeaseBatch {
  leases: Lease[];
  /**
   * true when the job is over: nothing queued and nothing in flight on any worker (or
   * the page budget is spent and every page it started is finished).
   */
  done: boolean;
  /**
   * When fewer leases came back than asked: ms until something may become leasable by
   * time alone (a host's gap, a retry's not-before time, a robots.txt retry window).
   * Infinity when only a commit can make something leasable.
   */
  waitMs: number;
}

/**
 * How long ago (ms, ≥ 0) the lease's last contact with its host ended (its response
 * arrived or failed), or null when the host was not contacted. The host's next request
 * starts at least its delay after that moment, so the server sees the gap whatever the
 * latency.
 */
export type ContactAgo = number | null;

/** What a robots lease found (see frontier/robots/fetch-robots.ts). */
export interface RobotsFetch {
  /**
   * 'parsed': a 2xx body (`text`) whose rules apply; 'allow-all': 4xx or too many
   * redirects (RFC 9309 "unavailable"); 'disallow-all': 5xx, 429 or no response
   * ("unreachable": retried after the job's robots retry window).
   */
  kind: 'parsed' | 'allow-all' | 'disallow-all';
  status: number | null;
  /** Why no response arrived (an error code), or null. */
  error: string | null;
  /** The robots.txt text (BOM removed, cut at the size limit on a line boundary), for 'parsed'. */
  text: string | null;
}

export type Completion =
  | {
      /** The page is done: store `record`, queue `links` (not seen before), finish the URL. */
      kind: 'page';
      token: string;
      record: PageRecord;
      /** true: fetched and stored without error; false: failed for good (the record says why). */
      ok: boolean;
      links: DiscoveredLink[];
      contactAgoMs: ContactAgo;
      /** Bytes received on the wire for this request, for the job's counters. */
      wireBytes: number;
    }
  | {
      /** Try the lease's fetchUrl again later (the redirect chain so far is kept). */
      kind: 'retry';
      token: string;
      /** Wait at least this long before the next attempt, ms. */
      retryInMs: number;
      /** Pause the whole host this long (429/503 with Retry-After), ms. */
      hostPauseMs?: number;
      contactAgoMs: ContactAgo;
    }
  | {
      /**
       * fetchUrl answered with a redirect to `target` (canonical, in scope). The frontier
       * claims the target for this URL: if it was free (or already claimed by this same
       * URL, as after a retry or a crash mid-hop) the next hop is queued on the target's
       * host, through its politeness like any request; if the job already knows the
       * target under its own name, the URL is finished with `knownRecord`
       * (redirect_known: the target is crawled once, under its own name).
       */
      kind: 'redirect';
      token: string;
      target: { url: string; host: string };
      /** The 3xx status. */
      status: number;
      knownRecord: PageRecord;
      contactAgoMs: ContactAgo;
    }
  | {
      kind: 'robots';
      token: string;
      fetched: RobotsFetch;
      contactAgoMs: ContactAgo;
    }
  | {
      /** The sitemap walk of an origin is done: queue the page URLs it found. */
      kind: 'sitemaps';
      token: string;
      links: DiscoveredLink[];
      contactAgoMs: ContactAgo;
    }
  | {
      /** Hand the lease back untouched (the worker is stopping): it is leased again first. */
      kind: 'release';
      token: string;
    };

export type CommitResult =
  /** Applied. For a redirect: 'hop' when the next hop was queued, 'known' when finished. */
  | { accepted: true; redirect?: 'hop' | 'known' }
  /** The token is no longer held (the lease expired and went back): nothing was written. */
  | { accepted: false };

export interface FrontierStats {
  /** Waiting to be leased (pages, redirect hops, retries waiting for their time, sitemap walks). */
  queued: number;
  /** Leased and not committed, on every worker (robots.txt fetches included). */
  inFlight: number;
  /** Pages fetched and stored (any status). */
  succeeded: number;
  /** Pages failed for good. */
  failed: number;
  /** Attempts that were scheduled again (retries), over the whole job. */
  retries: number;
  /** Every URL the job knows, including redirect targets it claimed. */
  known: number;
  /** Wire bytes of every committed page. */
  bytes: number;
}

export interface Frontier {
  /** How long a lease lasts without renew(), ms. */
  readonly leaseMs: number;
  /** Queues the links not seen before (seeds, or links from outside a lease); returns how many were new. */
  add(links: DiscoveredLink[]): Promise<number>;
  /** Queues sitemap walks of these origins ("scheme://host[:port]"), each once per job. */
  addSitemapSources(origins: string[]): Promise<number>;
  /** Up to `max` leases whose hosts may be contacted now, within the job's limits. */
  lease(max: number): Promise<LeaseBatch>;
  /** Applies each completion atomically, in order. */
  commit(completions: Completion[]): Promise<CommitResult[]>;
  /** Extends leases by leaseMs from now; false for a token no longer held. */
  renew(tokens: string[]): Promise<boolean[]>;
  stats(): Promise<FrontierStats>;
  close(): Promise<void>;
}

/** The job-wide settings every frontier adapter enforces, across all workers. */
export interface FrontierSettings {
  /** Minimum gap between two request starts to one host, ms (robots Crawl-delay may raise it). */
  delayMs: number;
  /** Requests in flight at once to one host (1 when a Crawl-delay applies). */
  hostConcurrency: number;
  /** Requests in flight at once for the whole job, over every worker. */
  concurrency: number;
  /** Distinct pages started over the whole job (across resumes); null: no limit. */
  maxPages: number | null;
  /** Obey robots.txt: gate every host on its robots.txt, decide each URL's verdict. */
  robots: boolean;
  /** The robots.txt product token our agent matches groups on (lower-case). */
  robotsAgent: string;
  /** How long a fetched robots.txt (or a 4xx verdict) is used before refetching, ms. */
  robotsMaxAgeMs: number;
  /** How long an unreachable robots.txt holds its host before a refetch, ms. */
  robotsRetryMs: number;
  /**
   * Refetches of an unreachable robots.txt a host waits for before its pages are
   * failed as robots_disallowed ("unreachable"); later refetches still happen.
   */
  robotsMaxRetries: number;
  /** Lease length without renewal, ms. */
  leaseMs: number;
}
