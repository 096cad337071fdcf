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
   * The HTTP engine: the request method, for a form submission (a solved CAPTCHA's).
   * A 301/302/303 answer to a POST is followed as a GET without the body, as browsers
   * do; a 307/308 repeats the POST. The browser engine loads pages with GET only.
   * @default 'GET'
   */
  method?: 'GET' | 'POST';
  /** The body of a POST (its content-type goes in `headers`); ignored for a GET. */
  body?: string | Buffer;
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
  /**
   * The anti-blocking session the request is made as (its header set and cookies are
   * also in `headers` for the HTTP engine). The browser engine gives each session a
   * context of its own: the set's User-Agent and client hints, the cookies the context
   * keeps, the session's `proxy`.
   */
  session?: FetchSession;
  /**
   * The browser engine: what to capture of this page besides its document (overrides the
   * engine's own setting). The HTTP engine ignores it.
   */
  capture?: PageCapture;
  /** The browser engine: wait this long after the page loaded, ms (overrides the engine's). */
  waitMs?: number;
}

/** A session as an engine sees it (see FetchOptions.session). */
export interface FetchSession {
  /** Unique while the crawl runs. */
  id: string;
  userAgent: string;
  /** The session's header set, in its browser's order (User-Agent included). */
  headers: ReadonlyArray<readonly [name: string, value: string]>;
}

/** What the browser engine keeps of a page besides its document. */
export interface PageCapture {
  /** A PNG of the viewport or of the whole page. @default 'none' */
  screenshot?: 'none' | 'viewport' | 'fullPage';
  /** A PDF of the page (print layout). */
  pdf?: boolean;
  /** A PNG of the page when it failed (a timeout, a navigation error, a 4xx/5xx answer). */
  errorScreenshot?: boolean;
}

/**
 * Stores one artifact of a page and returns its location (file://, s3://, a data: URL),
 * which the record names. A failure to store is logged by the engine, never the page's.
 */
export type ArtifactSaver = (
  kind: 'screenshot' | 'pdf' | 'errorScreenshot',
  url: string,
  body: Buffer,
  contentType: string,
) => Promise<string>;

export interface Fetcher {
  /**
   * GET (or `options.method`) `url` (canonical, http/https). Resolves with any HTTP
   * status; throws TrawlError.
   */
  fetch(url: string, options?: FetchOptions): Promise<FetchResponse>;
  /** Closes connection pools. */
  close(): Promise<void>;
}
