/**
 * The error catalogue. Every failure Trawl records or reports has a stable `code`:
 * the short machine-readable reason users see in the `error` field of a page and
 * that other processes branch on (never on `instanceof` across process boundaries).
 */
import type { PageArtifacts } from './types.js';

export const ERROR_CATALOGUE = {
  timeout: { retryable: true, summary: 'connect, headers, body or total deadline exceeded' },
  network: { retryable: true, summary: 'connection failed, reset or refused, or DNS failed' },
  http_status: { retryable: false, summary: 'the final response had a 4xx/5xx status' },
  too_large: { retryable: false, summary: 'the body exceeded maxBodyBytes' },
  decompression_bomb: {
    retryable: false,
    summary: 'the decoded body exceeded maxBodyBytes at an implausible compression ratio',
  },
  bad_encoding: { retryable: false, summary: 'the body could not be decoded (corrupt gzip/br)' },
  redirect_loop: { retryable: false, summary: 'a redirect led back to a URL already in the chain' },
  too_many_redirects: { retryable: false, summary: 'more redirects than maxRedirects' },
  redirect_out_of_scope: { retryable: false, summary: 'a redirect left the crawl scope' },
  redirect_known: {
    retryable: false,
    summary: 'a redirect led to a URL the crawl already knows; it is crawled under its own name',
  },
  robots_disallowed: { retryable: false, summary: 'robots.txt disallows the URL for our agent' },
  invalid_url: { retryable: false, summary: 'the URL could not be parsed' },
  unsupported_scheme: { retryable: false, summary: 'only http: and https: are fetched' },
  blocked_address: {
    retryable: false,
    summary:
      'the target resolves to a private, loopback, link-local or metadata address the service may not fetch',
  },
  parse_failed: { retryable: false, summary: 'the page could not be parsed' },
  aborted: { retryable: true, summary: 'the crawl was stopped while the request was in flight' },
  blocked: {
    retryable: true,
    summary:
      'the site blocked the request (401/403/429, a challenge or CAPTCHA page); retried with a fresh session',
  },
  proxy_failed: {
    retryable: true,
    summary: 'the proxy refused, dropped or failed the request; retried through another proxy',
  },
} as const;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export interface TrawlErrorOptions {
  cause?: unknown;
  /** Override the catalogue's default. */
  retryable?: boolean;
  /** For host-throttled failures (429/503 with Retry-After): wait this long before retrying. */
  retryAfterMs?: number;
  /** HTTP status, when the error came from a response. */
  status?: number;
  /** The last URL reached (e.g. the redirect target that stopped a chain). */
  finalUrl?: string;
  /** Artifacts stored of the failed page (the browser's error screenshot). */
  artifacts?: PageArtifacts;
}

/** A failure with a stable code. Wrap lower-level errors with `{ cause }`. */
export class TrawlError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly status: number | undefined;
  readonly finalUrl: string | undefined;
  readonly artifacts: PageArtifacts | undefined;

  constructor(code: ErrorCode, message: string, options: TrawlErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TrawlError';
    this.code = code;
    this.retryable = options.retryable ?? ERROR_CATALOGUE[code].retryable;
    this.retryAfterMs = options.retryAfterMs;
    this.status = options.status;
    this.finalUrl = options.finalUrl;
    this.artifacts = options.artifacts;
  }
}

export function isTrawlError(err: unknown): err is TrawlError {
  return (
    typeof err === 'object' &&
    err !== null &&
    typeof (err as { code?: unknown }).code === 'string' &&
    (err as { code: string }).code in ERROR_CATALOGUE
  );
}

/** Errors in the user's input (CLI flags, job specs): reported, never retried. */
export class UsageError extends Error {
  readonly code = 'usage';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UsageError';
  }
}
