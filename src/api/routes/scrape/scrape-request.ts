/**
 * What both scrape APIs (Trawl's and Firecrawl's) check before a scrape and how they
 * report its failures: request headers a client may set, CSS selectors that compile, and
 * the scrape service's TrawlErrors as API errors (a refused hop is the client's 400, the
 * deadline a 408, an unreachable or broken site a 502).
 */
import { isTrawlError } from '../../../core/errors.js';
import { validateExtractOptions } from '../../../extract/extract-fields.js';
import { ApiError } from '../../api-error.js';

/**
 * Headers a client may not set: the fetcher owns the connection (hop-by-hop headers,
 * framing) and the target (Host: a different Host than the URL's would reach another
 * virtual host than the one the SSRF guard checked).
 */
const FORBIDDEN_HEADERS = new Set([
  'host',
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'content-length',
  'expect',
  'http2-settings',
]);

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const MAX_HEADERS = 50;

/** The headers, checked; undefined when none. @throws ApiError naming the header */
export function requestHeaders(
  headers: Record<string, string> | null | undefined,
  field: string,
): Record<string, string> | undefined {
  if (headers === null || headers === undefined) return undefined;
  const entries = Object.entries(headers);
  if (entries.length > MAX_HEADERS) {
    throw new ApiError('invalid_request', `${field}: at most ${MAX_HEADERS} headers`, { field });
  }
  const out: Record<string, string> = {};
  for (const [name, value] of entries) {
    const at = `${field}.${name}`;
    if (!TOKEN.test(name)) {
      throw new ApiError('invalid_request', `${at}: not a valid header name`, { field: at });
    }
    if (FORBIDDEN_HEADERS.has(name.toLowerCase())) {
      throw new ApiError(
        'unsupported_option',
        `${at}: ${name} cannot be set (the fetcher owns the connection and the Host)`,
        { field: at },
      );
    }
    if (/[\r\n\0]/.test(value)) {
      throw new ApiError('invalid_request', `${at}: a header value cannot hold CR, LF or NUL`, {
        field: at,
      });
    }
    out[name] = value;
  }
  return entries.length === 0 ? undefined : out;
}

/** Every selector compiles. @throws ApiError naming the first that does not */
export function checkSelectors(
  selectors: readonly string[] | null | undefined,
  field: string,
): void {
  (selectors ?? []).forEach((selector, i) => {
    try {
      validateExtractOptions({ formats: [], includeSelectors: [selector] });
    } catch {
      const at = `${field}.${i}`;
      throw new ApiError(
        'invalid_request',
        `${at}: invalid CSS selector ${JSON.stringify(selector)}`,
        {
          field: at,
        },
      );
    }
  });
}

/**
 * A scrape's failure as the client sees it; anything that is not a TrawlError goes on
 * to the error handler (UsageError: 400; the rest: internal).
 */
export function scrapeFailure(err: unknown, url: string, field: string): unknown {
  if (!isTrawlError(err)) return err;
  const details = {
    reason: err.code,
    url,
    ...(err.status === undefined ? {} : { status: err.status }),
  };
  switch (err.code) {
    case 'timeout':
      return new ApiError('timeout', `${url}: ${err.message}`, { details });
    case 'blocked_address':
    case 'unsupported_scheme':
      return new ApiError('target_refused', `${field}: ${err.message}`, { field, details });
    case 'invalid_url':
      return new ApiError('invalid_request', `${field}: ${err.message}`, { field, details });
    default:
      return new ApiError('scrape_failed', `could not scrape ${url}: ${err.message}`, { details });
  }
}
