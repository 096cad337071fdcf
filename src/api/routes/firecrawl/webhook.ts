/**
 * A Firecrawl `webhook` (a URL, or `{url, headers, metadata, events}`) as the job's
 * `meta.webhook`, the one shape every API stores and the dispatcher reads
 * (src/webhooks/webhook-spec.ts), with flavor `firecrawl` (Firecrawl's payloads).
 * Firecrawl's event names (`crawl.page`, `batch_scrape.completed`…) name the same four
 * events. The checks every API shares (the SSRF guard on the URL, the signing key) are
 * clientWebhook's.
 */
import type { FastifyRequest } from 'fastify';
import {
  headerProblem,
  MAX_METADATA_BYTES,
  DEFAULT_WEBHOOK_EVENTS,
  type WebhookEvent,
  type WebhookSpec,
} from '../../../webhooks/webhook-spec.js';
import { ApiError } from '../../api-error.js';
import type { AppDeps } from '../../app-deps.js';
import { clientWebhook } from '../../webhook-meta.js';

type FirecrawlWebhook =
  | string
  | {
      url: string;
      headers?: Record<string, string> | null | undefined;
      metadata?: Record<string, unknown> | null | undefined;
      events?: string[] | null | undefined;
    };

/** null when the request has none. @throws ApiError naming the field at fault */
export function firecrawlWebhook(
  input: FirecrawlWebhook | null | undefined,
  request: FastifyRequest,
  deps: AppDeps,
  field = 'body.webhook',
): WebhookSpec | null {
  if (input === null || input === undefined) return null;
  const o = typeof input === 'string' ? { url: input } : input;
  const url = URL.parse(o.url);
  if (url === null || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    const at = typeof input === 'string' ? field : `${field}.url`;
    throw new ApiError('invalid_request', `${at}: expected an http(s) URL`, { field: at });
  }
  const events: WebhookEvent[] = [];
  (o.events ?? DEFAULT_WEBHOOK_EVENTS).forEach((raw, i) => {
    const name = raw.replace(/^(crawl|batch_scrape)\./, '');
    if (!(DEFAULT_WEBHOOK_EVENTS as readonly string[]).includes(name)) {
      const at = `${field}.events.${i}`;
      throw new ApiError(
        'invalid_request',
        `${at}: unknown event ${JSON.stringify(raw)} (expected ${DEFAULT_WEBHOOK_EVENTS.join(', ')})`,
        { field: at },
      );
    }
    if (!events.includes(name as WebhookEvent)) events.push(name as WebhookEvent);
  });
  const headers = o.headers ?? {};
  for (const [name, value] of Object.entries(headers)) {
    const problem = headerProblem(name, value);
    if (problem !== null) {
      const at = `${field}.headers.${name}`;
      throw new ApiError('invalid_request', `${at}: ${problem}`, { field: at });
    }
  }
  const metadata = o.metadata ?? {};
  if (Buffer.byteLength(JSON.stringify(metadata)) > MAX_METADATA_BYTES) {
    const at = `${field}.metadata`;
    throw new ApiError('invalid_request', `${at}: at most ${MAX_METADATA_BYTES} bytes as JSON`, {
      field: at,
    });
  }
  return clientWebhook({ url: url.href, headers, metadata, events }, request, deps, {
    flavor: 'firecrawl',
    field,
  });
}
