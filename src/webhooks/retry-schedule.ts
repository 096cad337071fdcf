/**
 * What one delivery attempt's outcome means, and how long to wait before the next:
 * 2xx is delivered; a redirect or a 4xx other than 408 and 429 is the receiver's answer
 * and will not change (failed at once: redirects are never followed, since the target
 * was checked against the SSRF guard and a Location was not); 408, 429, 5xx, network
 * errors and timeouts are retried with exponential backoff and jitter, honouring
 * Retry-After up to a cap.
 */

export type AttemptVerdict = 'delivered' | 'retry' | 'failed';

/** The verdict on an HTTP status. */
export function verdictOf(status: number): AttemptVerdict {
  if (status >= 200 && status < 300) return 'delivered';
  if (status === 408 || status === 429 || status >= 500) return 'retry';
  return 'failed';
}

export interface BackoffOptions {
  /** Delay before the 2nd attempt, ms; doubles each attempt. */
  baseDelayMs: number;
  /** Longest delay between two attempts, ms (Retry-After included). */
  maxDelayMs: number;
  /** [0, 1); tests pass a fixed one. @default Math.random */
  random?: () => number;
}

/**
 * The wait after failed attempt `attempt` (1-based): base * 2^(attempt-1), capped, with
 * "equal jitter" (half fixed, half random) so receivers recovering from an outage are not
 * hit by every sender at the same instant; at least what Retry-After asked, up to the cap.
 */
export function retryDelayMs(
  attempt: number,
  options: BackoffOptions,
  retryAfterMs: number | null = null,
): number {
  const random = options.random ?? Math.random;
  const exp = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  const jittered = exp / 2 + (exp / 2) * random();
  return Math.round(Math.min(options.maxDelayMs, Math.max(jittered, retryAfterMs ?? 0)));
}

/** A Retry-After header (seconds or an HTTP date) in ms from `now`, or null. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | null {
  if (value === null || value === undefined) return null;
  const text = value.trim();
  if (/^\d{1,9}$/.test(text)) return Number(text) * 1_000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}
