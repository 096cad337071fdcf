import { isTrawlError, TrawlError } from '../../core/errors.js';
import type { ErrorCode } from '../../core/errors.js';

const TIMEOUT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
]);

/** The fetcher was closed under the request: the crawl is shutting down. */
const CLOSED_CODES = new Set(['UND_ERR_CLOSED', 'UND_ERR_DESTROYED', 'UND_ERR_ABORTED']);

/**
 * Certificate and TLS failures, malformed HTTP and oversized headers repeat identically
 * on retry, unlike resets and refusals, so they stay `network` but are not retryable.
 */
const PERMANENT_NETWORK =
  /^(?:ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HPE_|UND_ERR_HEADERS_OVERFLOW)/;

/**
 * Maps whatever a request threw (undici, node:net/tls/dns, our own TrawlErrors) to a
 * TrawlError carrying the response status and the URL of the hop, when known. The
 * original error is kept as `cause`.
 */
export function toTrawlError(err: unknown, status?: number, url?: string): TrawlError {
  if (isTrawlError(err)) {
    const complete =
      (err.finalUrl !== undefined || url === undefined) &&
      (err.status !== undefined || status === undefined);
    if (complete) return err;
    return new TrawlError(err.code, err.message, {
      cause: err.cause,
      retryable: err.retryable,
      retryAfterMs: err.retryAfterMs,
      status: err.status ?? status,
      finalUrl: err.finalUrl ?? url,
    });
  }
  // The SSRF guard's lookup error: undici 7 passes it through as is, but a wrapper
  // (a cause, happy eyeballs' AggregateError) must not turn it into a retried `network`.
  const blocked = blockedCause(err, 0);
  if (blocked !== undefined) {
    return new TrawlError('blocked_address', blocked.message, {
      cause: err,
      status,
      finalUrl: url,
    });
  }
  const code = errorCode(err);
  const message = err instanceof Error ? err.message : String(err);
  let trawlCode: ErrorCode = 'network';
  let retryable: boolean | undefined;
  if (TIMEOUT_CODES.has(code)) trawlCode = 'timeout';
  else if (CLOSED_CODES.has(code)) trawlCode = 'aborted';
  else if (code === 'UND_ERR_INVALID_ARG' || code === 'ERR_INVALID_URL') trawlCode = 'invalid_url';
  else if (PERMANENT_NETWORK.test(code)) retryable = false;
  return new TrawlError(trawlCode, `${code || 'error'}: ${message}`, {
    cause: err,
    retryable,
    status,
    finalUrl: url,
  });
}

/** The `code` of an error; for AggregateErrors (happy eyeballs) that of the first inner one. */
function errorCode(err: unknown): string {
  if (typeof err !== 'object' || err === null) return '';
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  if (err instanceof AggregateError) return errorCode(err.errors[0]);
  return '';
}

/** The address guard's TrawlError inside `err` (its causes, an AggregateError's errors). */
function blockedCause(err: unknown, depth: number): TrawlError | undefined {
  if (typeof err !== 'object' || err === null || depth > 8) return undefined;
  if (isTrawlError(err) && err.code === 'blocked_address') return err;
  if (err instanceof AggregateError) {
    for (const inner of err.errors) {
      const found = blockedCause(inner, depth + 1);
      if (found !== undefined) return found;
    }
  }
  return blockedCause((err as { cause?: unknown }).cause, depth + 1);
}
