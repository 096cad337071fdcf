/**
 * A client's webhook made safe to store with its job (`meta.webhook`): its URL checked by
 * the target policy (the SSRF guard; every delivery is checked again at connect time), and
 * the secret that will sign it named by the creating API key's id, never stored itself.
 * Shared by every API that creates jobs (Trawl's, the Firecrawl-compatible one).
 */
import type { FastifyRequest } from 'fastify';
import type { WebhookFlavor, WebhookInput, WebhookSpec } from '../webhooks/webhook-spec.js';
import { ApiError } from './api-error.js';
import type { AppDeps } from './app-deps.js';
import { checkTarget } from './client-spec.js';

export interface ClientWebhookOptions {
  flavor: WebhookFlavor;
  /** The request field holding the webhook, for errors (`body.webhook`). */
  field: string;
}

/** The webhook to store; throws ApiError naming the field at fault. */
export function clientWebhook(
  input: WebhookInput,
  request: FastifyRequest,
  deps: AppDeps,
  options: ClientWebhookOptions,
): WebhookSpec {
  checkTarget(deps.targets, input.url, `${options.field}.url`);
  const keyId = request.apiKey?.id ?? null;
  if (keyId === null && !deps.webhooks.serviceSecret) {
    throw new ApiError(
      'invalid_request',
      `${options.field}: webhooks of requests without an API key are signed with the service's secret, and none is set (TRAWL_WEBHOOK_SECRET); create an API key or set it`,
      { field: options.field },
    );
  }
  return {
    url: input.url,
    headers: input.headers,
    metadata: input.metadata,
    events: input.events,
    flavor: options.flavor,
    keyId,
  };
}
