/**
 * Delivering one event: POST the signed body, retry what may succeed later (see
 * retry-schedule.ts) up to the attempt limit, and log every attempt. The HTTP client is a
 * port (`post`), so this logic runs the same against any transport and in tests.
 */
import type { DeliveryLog } from './delivery-log.js';
import { parseRetryAfter, retryDelayMs, verdictOf, type BackoffOptions } from './retry-schedule.js';

export interface PostResult {
  status: number;
  /** The Retry-After header, when the receiver sent one. */
  retryAfter: string | null;
}

/**
 * Sends one request within its own deadline; rejects on network errors and timeouts. Not
 * aborted by a stop: an attempt under way finishes (or times out) and is logged, so a
 * clean restart does not send an event the receiver already took.
 */
export type PostFn = (
  url: string,
  headers: Record<string, string>,
  body: string,
) => Promise<PostResult>;

export interface DeliverOptions {
  post: PostFn;
  /** What a rejected post means: retried or not, and a one-line reason for the log. */
  classifyError(err: unknown): { retryable: boolean; message: string };
  log: DeliveryLog;
  /** Attempts per event, the first included. */
  maxAttempts: number;
  backoff: BackoffOptions;
  /** Stops the delivery before its next attempt (a stopping service); the event stays undelivered. */
  signal: AbortSignal;
}

export interface EventDelivery {
  jobId: string;
  /** The wire name, as logged. */
  event: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** delivered: a 2xx; failed: given up (logged); stopped: the signal fired before a final answer. */
export type DeliveryOutcome = 'delivered' | 'failed' | 'stopped';

export async function deliverEvent(d: EventDelivery, o: DeliverOptions): Promise<DeliveryOutcome> {
  for (let attempt = 1; attempt <= o.maxAttempts; attempt++) {
    if (o.signal.aborted) return 'stopped';
    const started = performance.now();
    let httpStatus: number | null = null;
    let retryAfterMs: number | null = null;
    let retry: boolean;
    let error: string | null = null;
    try {
      const res = await o.post(d.url, d.headers, d.body);
      httpStatus = res.status;
      const verdict = verdictOf(res.status);
      retry = verdict === 'retry';
      if (verdict !== 'delivered') {
        error =
          res.status >= 300 && res.status < 400
            ? `HTTP ${res.status}: redirects are not followed`
            : `HTTP ${res.status}`;
        retryAfterMs = parseRetryAfter(res.retryAfter);
      }
    } catch (err) {
      const classified = o.classifyError(err);
      retry = classified.retryable;
      error = classified.message;
    }
    const durationMs = Math.round(performance.now() - started);
    const last = attempt === o.maxAttempts || (error !== null && !retry);
    const status = error === null ? 'delivered' : last ? 'failed' : 'retrying';
    await o.log.append({
      jobId: d.jobId,
      event: d.event,
      url: d.url,
      attempt,
      status,
      httpStatus,
      error,
      durationMs,
      createdAt: Date.now(),
    });
    if (status === 'delivered') return 'delivered';
    if (status === 'failed') return 'failed';
    const wait = retryDelayMs(attempt, o.backoff, retryAfterMs);
    if (!(await sleep(wait, o.signal))) return 'stopped';
  }
  return 'failed';
}

/** Resolves true after `ms`, or false as soon as `signal` fires. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
