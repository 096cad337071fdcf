/**
 * The body of one webhook delivery, in the job's flavor: Trawl's own
 * (`{event: 'job.page', jobId, deliveryId, at, data, metadata}`) or Firecrawl's v2 shape
 * (`{success, type: 'crawl.page', id, webhookId, data: [documents], metadata, error?}`), so
 * receivers written for Firecrawl work unchanged on the Firecrawl routes. The body is
 * built once per event: every retry sends the same bytes with the same signature.
 */
import { createHash } from 'node:crypto';
import type { PageRecord } from '../core/types.js';
import type { WebhookEvent, WebhookFlavor } from './webhook-spec.js';

/** The name on the wire: `job.page` (Trawl), `crawl.page` / `batch_scrape.page` (Firecrawl). */
export function wireEvent(flavor: WebhookFlavor, kind: 'crawl' | 'batch', event: WebhookEvent) {
  if (flavor === 'trawl') return `job.${event}`;
  return `${kind === 'batch' ? 'batch_scrape' : 'crawl'}.${event}`;
}

/**
 * The id of one event of one job, the same on every retry and after a restart (it is
 * derived from the job, the event and the page's position), so a receiver can drop
 * repeats. UUID-shaped, as Firecrawl's `webhookId` is.
 */
export function deliveryId(jobId: string, event: string, position: string): string {
  const h = createHash('sha256').update(`${jobId}\n${event}\n${position}`).digest('hex');
  // Version 8 (custom) and the RFC 4122 variant bits.
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export interface PayloadInput {
  flavor: WebhookFlavor;
  kind: 'crawl' | 'batch';
  event: WebhookEvent;
  jobId: string;
  deliveryId: string;
  /** Epoch ms of the event. */
  at: number;
  metadata: Record<string, unknown>;
  /** Trawl flavor: the job's view (lifecycle events) or the page's record (page events). */
  data: unknown;
  /** Page events: the page, for Firecrawl's document. */
  page?: PageRecord;
  /** failed: why (the job's error, or "cancelled"). */
  error?: string | null;
}

/** The JSON body of a delivery, as the bytes that are signed and sent. */
export function buildPayload(input: PayloadInput): string {
  const type = wireEvent(input.flavor, input.kind, input.event);
  if (input.flavor === 'trawl') {
    return JSON.stringify({
      event: type,
      jobId: input.jobId,
      deliveryId: input.deliveryId,
      at: new Date(input.at).toISOString(),
      data: input.data,
      metadata: input.metadata,
    });
  }
  const page = input.page;
  const pageFailed = page !== undefined && page.error !== null;
  const success = input.event !== 'failed' && !pageFailed;
  const error =
    input.event === 'failed'
      ? (input.error ?? 'the job failed')
      : pageFailed
        ? (page.errorMessage ?? page.error)
        : undefined;
  return JSON.stringify({
    success,
    type,
    id: input.jobId,
    webhookId: input.deliveryId,
    data: page === undefined ? [] : [firecrawlDocument(page)],
    metadata: input.metadata,
    ...(error === undefined ? {} : { error }),
  });
}

/**
 * A stored page as a minimal Firecrawl document: the markdown the job extracted (when it
 * did) and the metadata every Firecrawl client reads. The Firecrawl routes have their
 * own fuller mapping; the two are meant to be unified.
 */
export function firecrawlDocument(page: PageRecord): Record<string, unknown> {
  const fields = page.fields ?? {};
  const markdown = typeof fields.markdown === 'string' ? fields.markdown : undefined;
  const title = typeof fields.title === 'string' ? fields.title : page.title;
  return {
    ...(markdown === undefined ? {} : { markdown }),
    metadata: {
      sourceURL: page.url,
      url: page.finalUrl ?? page.url,
      statusCode: page.status,
      ...(title === null ? {} : { title }),
      ...(page.contentType === null ? {} : { contentType: page.contentType }),
      ...(page.error === null ? {} : { error: page.errorMessage ?? page.error }),
    },
  };
}
