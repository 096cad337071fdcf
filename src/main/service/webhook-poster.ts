/**
 * The HTTP client of webhook deliveries: undici through the SSRF guard. The URL is
 * checked before each request (the only check an IP-literal host gets) and every
 * connection's addresses at connect time, so a name that resolves, or rebinds, to a
 * private, loopback or metadata address is refused; redirects are never followed (undici's
 * `request` follows none), so a receiver cannot bounce a delivery to an internal address.
 */
import { request, type Agent } from 'undici';
import { TrawlError } from '../../core/errors.js';
import { createAddressGuard, type AddressGuardSpec } from '../../fetch/http/address-guard.js';
import { createGuardedAgent } from '../../fetch/http/guarded-dispatcher.js';
import { toTrawlError } from '../../fetch/http/to-trawl-error.js';
import type { PostFn } from '../../webhooks/deliver-event.js';

export interface WebhookPosterOptions {
  /** What deliveries may reach although private (the service's TRAWL_ALLOW_TARGETS). */
  guard: AddressGuardSpec;
  /** Deadline of one attempt, connect to response headers and body, ms. */
  timeoutMs: number;
}

export interface WebhookPoster {
  post: PostFn;
  classifyError(err: unknown): { retryable: boolean; message: string };
  close(): Promise<void>;
}

/** Most of a receiver's response body read (and dropped) before the connection is reused. */
const MAX_RESPONSE_BYTES = 64 * 1024;

export function createWebhookPoster(options: WebhookPosterOptions): WebhookPoster {
  const guard = createAddressGuard(options.guard);
  const agent: Agent = createGuardedAgent(guard, {
    connectTimeout: options.timeoutMs,
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
    connections: 8,
  });
  return {
    async post(url, headers, body) {
      guard.checkUrl(url);
      const res = await request(url, {
        method: 'POST',
        headers,
        body,
        dispatcher: agent,
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      await res.body.dump({ limit: MAX_RESPONSE_BYTES }).catch(() => undefined);
      const retryAfter = res.headers['retry-after'];
      return {
        status: res.statusCode,
        retryAfter: typeof retryAfter === 'string' ? retryAfter : null,
      };
    },
    classifyError(err) {
      if ((err as { name?: string }).name === 'TimeoutError') {
        return { retryable: true, message: `timeout: no answer within ${options.timeoutMs} ms` };
      }
      const e = err instanceof TrawlError ? err : toTrawlError(err);
      const permanent =
        e.code === 'blocked_address' ||
        e.code === 'invalid_url' ||
        e.code === 'unsupported_scheme' ||
        e.retryable === false;
      return {
        retryable: !permanent,
        message: `${e.code}: ${e.message}`.split('\n')[0]!.slice(0, 500),
      };
    },
    close: () => agent.close(),
  };
}
