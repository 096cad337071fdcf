/**
 * A job's webhook as the creating API stores it in the job's meta (`meta.webhook`): where
 * to POST, which events, the client's own headers and metadata, which payload shape
 * (Trawl's or Firecrawl's), and which secret signs it (the creating API key's, by id: the
 * secret itself never goes into job meta, which APIs return). Every API that creates jobs
 * (Trawl's, the Firecrawl-compatible one) stores this one shape; the dispatcher reads it.
 */
import { z } from 'zod';

/**
 * The events a job's webhook sends unless told otherwise, and the events of the
 * Firecrawl-compatible routes (Firecrawl's own four).
 */
export const DEFAULT_WEBHOOK_EVENTS = ['started', 'page', 'completed', 'failed'] as const;

/**
 * The events a client can subscribe to. Lifecycle events fire once per job; page events
 * fire once per stored page that matches the event (see PAGE_EVENTS): `page` for every
 * page, `page.changed` for the pages an incremental recrawl found changed.
 */
export const WEBHOOK_EVENTS = [...DEFAULT_WEBHOOK_EVENTS, 'page.changed'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** Events that fire per stored page. */
export const PAGE_EVENTS: readonly WebhookEvent[] = ['page', 'page.changed'];

/** Whether page event `event` fires for `change` (the page's `fields.change`). */
export function pageEventMatches(event: WebhookEvent, change: unknown): boolean {
  return event !== 'page.changed' || change === 'changed';
}

/** Which payload shape and signature headers: Trawl's own, or Firecrawl's v2 shape. */
export type WebhookFlavor = 'trawl' | 'firecrawl';

export interface WebhookSpec {
  url: string;
  /** Sent with every delivery (authentication for the receiver, routing). */
  headers: Record<string, string>;
  /** Echoed in every payload, as given. */
  metadata: Record<string, unknown>;
  events: WebhookEvent[];
  flavor: WebhookFlavor;
  /** The API key whose webhook secret signs the deliveries; null: the service's secret. */
  keyId: string | null;
}

/**
 * Headers a client may not set: hop-by-hop and framing headers (the HTTP client owns
 * them; a forged Content-Length or Transfer-Encoding could smuggle a second request), Host
 * (would point the request elsewhere than the checked URL) and the signature headers.
 */
const RESERVED_HEADERS = new Set([
  'host',
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'proxy-authenticate',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'expect',
  'content-length',
  'content-type',
  'content-encoding',
  'x-trawl-signature',
  'x-firecrawl-signature',
  'x-trawl-event',
  'x-trawl-delivery',
]);

/** RFC 9110 token characters. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/;
/** Visible characters, spaces and tabs: no CR, LF or NUL. */
// eslint-disable-next-line no-control-regex -- refusing control characters is the point
const HEADER_VALUE = /^[^\u0000-\u0008\u000a-\u001f\u007f]{0,4096}$/;

const MAX_HEADERS = 32;
/** Metadata is echoed in every delivery: a large one multiplies by the page count. */
export const MAX_METADATA_BYTES = 16_384;

/** Why a client's header cannot be sent, or null. */
export function headerProblem(name: string, value: string): string | null {
  if (!HEADER_NAME.test(name)) return 'not a valid header name';
  if (RESERVED_HEADERS.has(name.toLowerCase())) {
    return 'set by the service (hop-by-hop, framing, Host and signature headers cannot be set)';
  }
  if (!HEADER_VALUE.test(value)) return 'control characters or longer than 4096 characters';
  return null;
}

/** A client's headers, checked: each problem names the header. */
export const webhookHeaders = z
  .record(z.string(), z.string())
  .superRefine((headers, ctx) => {
    const names = Object.keys(headers);
    if (names.length > MAX_HEADERS) {
      ctx.addIssue({ code: 'custom', message: `at most ${MAX_HEADERS} headers` });
    }
    for (const name of names) {
      const problem = headerProblem(name, headers[name]!);
      if (problem !== null) ctx.addIssue({ code: 'custom', message: problem, path: [name] });
    }
  })
  .describe('Headers sent with every delivery (not Host, hop-by-hop or signature headers)');

export const webhookMetadata = z
  .record(z.string(), z.unknown())
  .refine(
    (m) => Buffer.byteLength(JSON.stringify(m)) <= MAX_METADATA_BYTES,
    `at most ${MAX_METADATA_BYTES} bytes as JSON`,
  )
  .describe('Echoed in every payload');

/** The webhook of Trawl's job API request (`POST /trawl/v1/jobs` `webhook`). */
export const webhookInput = z
  .object({
    url: z.string().min(1).max(2_048).describe('http(s) URL the events are POSTed to'),
    headers: webhookHeaders.default({}),
    metadata: webhookMetadata.default({}),
    events: z
      .array(z.enum(WEBHOOK_EVENTS))
      .min(1)
      .default([...DEFAULT_WEBHOOK_EVENTS])
      .describe(
        'Events to send (default: started, page, completed, failed; page.changed: only the pages an incremental recrawl found changed)',
      ),
  })
  .strict()
  .describe('Signed POSTs of job events (docs/webhooks.md)');

export type WebhookInput = z.output<typeof webhookInput>;

const storedSpec = z.object({
  url: z.string().min(1),
  headers: z.record(z.string(), z.string()).default({}),
  metadata: z.record(z.string(), z.unknown()).default({}),
  events: z.array(z.string()).default([...DEFAULT_WEBHOOK_EVENTS]),
  flavor: z.enum(['trawl', 'firecrawl']).default('trawl'),
  keyId: z.string().nullable().default(null),
});

/**
 * The webhook a job's meta holds, or null when it has none (or a malformed one: the
 * creating API validated it, so that is data from elsewhere, not a client's mistake).
 * Unknown events are dropped, so an event a newer version added is ignored, not fatal.
 */
export function readWebhookSpec(meta: Record<string, unknown>): WebhookSpec | null {
  if (meta.webhook === undefined || meta.webhook === null) return null;
  const parsed = storedSpec.safeParse(meta.webhook);
  if (!parsed.success) return null;
  const known = new Set<string>(WEBHOOK_EVENTS);
  const events = [...new Set(parsed.data.events)].filter((e): e is WebhookEvent => known.has(e));
  return { ...parsed.data, events };
}
