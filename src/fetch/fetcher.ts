/**
 * The fetcher port: one interface for the HTTP engine (fetch/http) and, later, the
 * browser engine (fetch/browser). Failures are thrown as TrawlError with a stable code.
 */
import type { ErrorCode } from '../core/errors.js';
import type { FetchResponse } from '../core/types.js';

/** Decide on a redirect hop: 'follow', or the error code that stops the chain there. */
export type RedirectDecision = 'follow' | ErrorCode;

export interface FetchOptions {
  /** Extra request headers (e.g. If-None-Match for recrawls, a rotated User-Agent). */
  headers?: Record<string, string>;
  /**
   * Called before each redirect hop with the canonical target URL (scope checks, dedup
   * claims). Returning an error code stops the chain with a TrawlError of that code
   * whose `finalUrl` is the target and `status` the 3xx status.
   */
  onRedirect?: (target: string, from: string) => RedirectDecision | Promise<RedirectDecision>;
  /** Overrides the fetcher's maxRedirects for this request. */
  maxRedirects?: number;
  /**
   * 'follow' (default): redirects are followed inside the fetch. 'manual': a redirect
   * response (301/302/303/307/308 with a Location) is returned as it is, with an empty
   * body, so the caller can schedule the next hop itself (through the host's politeness).
   */
  redirect?: 'follow' | 'manual';
  /** Canonicalisation of redirect targets: sort query parameters. @default true */
  sortQuery?: boolean;
  /** Overrides the fetcher's maxBodyBytes for this request. */
  maxBodyBytes?: number;
  /**
   * When true, a body over maxBodyBytes is cut there instead of failing with too_large
   * (robots.txt: parse at least the first 500 KiB).
   */
  truncateBody?: boolean;
  /** Aborts the request (the crawl is stopping); the error code is `aborted`. */
  signal?: AbortSignal;
  /**
   * 'file': a machine-read file (robots.txt, a sitemap) that no script renders; the
   * browser engine fetches it over HTTP. @default 'page'
   */
  resource?: 'page' | 'file';
  /**
   * Send this request through this proxy (`http://[user:pass@]host:port`; https targets
   * are tunnelled with CONNECT). A failure of the proxy itself throws `proxy_failed`.
   * null or absent: a direct connection.
   */
  proxy?: string | null;
}

export interface Fetcher {
  /** GET `url` (canonical, http/https). Resolves with any HTTP status; throws TrawlError. */
  fetch(url: string, options?: FetchOptions): Promise<FetchResponse>;
  /** Closes connection pools. */
  close(): Promise<void>;
}
