/**
 * The frontier port: which URLs are known, which are due, and per-host politeness.
 * Batch-shaped and async so the embedded (SQLite) and distributed (Redis) adapters share
 * one contract and one crawler loop.
 *
 * Lifecycle of a URL: add() -> queued -> lease() -> in flight -> complete() -> finished,
 * or back to queued with a not-before time (retry). An adapter never loses a leased URL:
 * if the process dies, it is queued again when the frontier is next opened (embedded) or
 * when its lease expires (distributed).
 */
import type { CrawlRequest, DiscoveredLink } from '../core/types.js';

export type Outcome =
  | {
      kind: 'finished';
      url: string;
      /** true: fetched and stored; false: failed for good (the store has the reason). */
      ok: boolean;
      /**
       * Epoch ms when this request's last contact with the host ended (its response
       * arrived or failed); null when the host was not contacted. The host's next request
       * starts at least delayMs after it, so the server sees the gap whatever the latency.
       */
      contactedAt: number | null;
    }
  | {
      kind: 'retry';
      url: string;
      /** Epoch ms before which the URL must not be leased again. */
      notBefore: number;
      contactedAt: number | null;
      /** Host-wide pause (429/503 Retry-After): no request to the host before this epoch ms. */
      hostPausedUntil?: number;
    }
  | {
      /** Hand the lease back untouched (the crawl is stopping). */
      kind: 'release';
      url: string;
    };

export interface HostPolicy {
  /** Minimum gap between request starts, ms. */
  delayMs: number;
  /** Requests in flight at once to the host. */
  maxInFlight: number;
}

export interface FrontierStats {
  /** Waiting to be leased (including retries waiting for their time). */
  queued: number;
  inFlight: number;
  /** Fetched and stored. */
  succeeded: number;
  /** Failed for good. */
  failed: number;
  /** Every URL the frontier knows, including redirect targets it claimed. */
  known: number;
}

export interface Frontier {
  /** Queues the links not seen before; returns how many were new. */
  add(links: DiscoveredLink[]): Promise<number>;
  /**
   * Marks URLs as known without queuing them (a redirect target, crawled under the
   * name that redirected to it). Returns, per URL, whether it was new.
   */
  claim(urls: { url: string; host: string }[]): Promise<boolean[]>;
  /** Up to `max` URLs that are due now and whose host may be contacted now. */
  lease(max: number): Promise<CrawlRequest[]>;
  /** Finishes, reschedules or releases leased URLs. */
  complete(outcomes: Outcome[]): Promise<void>;
  /** Overrides the default policy for one host (robots.txt Crawl-delay). */
  setHostPolicy(host: string, policy: Partial<HostPolicy>): Promise<void>;
  /**
   * When lease() returned nothing: the epoch ms when something may become due, `now`-ish
   * if something is due but its host is busy, or null when nothing is queued at all.
   */
  nextDueAt(): Promise<number | null>;
  stats(): Promise<FrontierStats>;
  close(): Promise<void>;
}
