/**
 * Whether and when a failed attempt is tried again: exponential backoff with jitter for
 * network errors, timeouts, 5xx, 408 and 429; Retry-After honoured (and applied to the
 * whole host for 429/503); other 4xx never retried.
 */
export interface RetryOptions {
  maxRetries: number;
  retryBaseMs: number;
  retryMaxMs: number;
  maxRetryAfterMs: number;
}

export type RetryDecision =
  { retry: false; reason?: string } | { retry: true; delayMs: number; pauseHost: boolean };

export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/**
 * @param attempts attempts made so far, including the one that just failed
 * @param retryAfterMs parsed Retry-After of the response, if any
 * @param random [0, 1) source, injectable for tests
 */
export function decideRetry(
  options: RetryOptions,
  attempts: number,
  status: number | null,
  retryAfterMs: number | null,
  random: () => number = Math.random,
): RetryDecision {
  if (attempts > options.maxRetries) return { retry: false, reason: 'retries exhausted' };
  // Equal jitter: half fixed, half random, so retries of many URLs spread out.
  const exp = Math.min(options.retryMaxMs, options.retryBaseMs * 2 ** (attempts - 1));
  const backoff = Math.round(exp / 2 + random() * (exp / 2));
  const throttled = status === 429 || status === 503;
  if (retryAfterMs !== null && (throttled || status === 408)) {
    if (retryAfterMs > options.maxRetryAfterMs) {
      return { retry: false, reason: `Retry-After of ${retryAfterMs} ms exceeds maxRetryAfterMs` };
    }
    return { retry: true, delayMs: retryAfterMs, pauseHost: throttled };
  }
  return { retry: true, delayMs: backoff, pauseHost: status === 429 };
}

/** Retry-After as delay-seconds or an HTTP-date; null when absent or unparsable. */
export function parseRetryAfter(value: string | undefined, now: number): number | null {
  if (value === undefined) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return null;
  return Math.max(0, date - now);
}
