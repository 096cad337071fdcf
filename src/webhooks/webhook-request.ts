/**
 * One event as the request that delivers it: the payload in the job's flavor, the
 * client's headers, and the signature headers over the exact body bytes.
 */
import type { PageRecord } from '../core/types.js';
import { buildPayload, deliveryId, wireEvent } from './webhook-payload.js';
import { signBody } from './webhook-signature.js';
import type { WebhookEvent, WebhookSpec } from './webhook-spec.js';

const USER_AGENT = 'trawl-webhooks/0.1.0';

export interface WebhookRequestInput {
  spec: WebhookSpec;
  jobId: string;
  kind: 'crawl' | 'batch';
  event: WebhookEvent;
  /** Page events: the page. */
  page?: PageRecord;
  /** Trawl flavor's `data`: the job's view, or the page's record. */
  data: unknown;
  /** failed: why. */
  error: string | null;
  secret: string;
}

export interface WebhookRequest {
  /** The event's wire name. */
  event: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

export function webhookRequest(input: WebhookRequestInput): WebhookRequest {
  const { spec, page } = input;
  const event = wireEvent(spec.flavor, input.kind, input.event);
  const id = deliveryId(input.jobId, input.event, page?.url ?? '');
  const body = buildPayload({
    flavor: spec.flavor,
    kind: input.kind,
    event: input.event,
    jobId: input.jobId,
    deliveryId: id,
    at: Date.now(),
    metadata: spec.metadata,
    data: input.data,
    ...(page === undefined ? {} : { page }),
    error: input.error,
  });
  const signature = signBody(input.secret, body);
  // The service's headers last: a client's cannot replace them (validation refuses them too).
  const headers: Record<string, string> = {
    ...spec.headers,
    'content-type': 'application/json',
    'user-agent': USER_AGENT,
    'x-trawl-event': event,
    'x-trawl-delivery': id,
    'x-trawl-signature': signature,
    ...(spec.flavor === 'firecrawl' ? { 'x-firecrawl-signature': signature } : {}),
  };
  return { event, url: spec.url, headers, body };
}
