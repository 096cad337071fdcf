/** Bounded retries with exponential backoff and jitter, for notify's deliveries. */
import { setTimeout as sleep } from 'node:timers/promises';

/** How often and how patiently to retry. */
export interface RetryPolicy {
  /** Total attempts, the first included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/** A delivery failure; `retryable` false for answers that will not change (a 400, a 550). */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DeliveryError';
  }
}

/**
 * The wait before attempt `attempt + 1`: base·2^(attempt−1), capped, with "equal jitter"
 * (half fixed, half random) so many failing items do not retry in lock-step; a server's
 * Retry-After is honoured up to the cap.
 */
export function backoffMs(
  policy: RetryPolicy,
  attempt: number,
  retryAfterMs?: number,
  random = Math.random,
): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  const jittered = exp / 2 + random() * (exp / 2);
  return Math.min(policy.maxDelayMs, Math.max(jittered, retryAfterMs ?? 0));
}

/** Outcome of a retried delivery. */
export interface RetryOutcome {
  attempts: number;
  error?: Error;
}

/**
 * Calls `attempt` until it succeeds, fails for good (not retryable), attempts run out, or
 * `signal` aborts. Never throws: the outcome says what happened.
 */
export async function withRetries(
  policy: RetryPolicy,
  signal: AbortSignal,
  attempt: (n: number) => Promise<void>,
  onRetry?: (n: number, err: Error, waitMs: number) => void,
): Promise<RetryOutcome> {
  for (let n = 1; ; n++) {
    try {
      await attempt(n);
      return { attempts: n };
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      const retryable = !(e instanceof DeliveryError) || e.retryable;
      if (!retryable || n >= policy.attempts || signal.aborted) return { attempts: n, error: e };
      const wait = backoffMs(policy, n, e instanceof DeliveryError ? e.retryAfterMs : undefined);
      onRetry?.(n, e, wait);
      try {
        await sleep(wait, undefined, { signal });
      } catch {
        return { attempts: n, error: e };
      }
    }
  }
}
