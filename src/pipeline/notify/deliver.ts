/** One delivery attempt per channel: an HTTP POST (webhook, Slack) or an SMTP message. */
import { createHmac } from 'node:crypto';
import type { Transporter } from 'nodemailer';
import { fetch } from 'undici';
import { DeliveryError } from './retry.js';

/** Statuses worth retrying: the server may answer differently later. */
const RETRY_STATUSES = new Set([408, 425, 429, 500, 502, 503, 504]);

function retryAfterMs(header: string | null): number | undefined {
  if (header === null) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** `sha256=<hex>` of HMAC-SHA256(secret, body): what X-Trawl-Signature carries. */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** POSTs `body` (JSON text). @throws DeliveryError */
export async function postJson(
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<void> {
  let res;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'trawl-notify', ...headers },
      body,
      signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
    });
  } catch (err) {
    const e = err as Error;
    const timedOut =
      e.name === 'TimeoutError' || (e.cause as Error | undefined)?.name === 'TimeoutError';
    throw new DeliveryError(
      timedOut ? `no answer within ${timeoutMs} ms` : `request failed: ${e.message}`,
      !signal.aborted,
      undefined,
      { cause: err },
    );
  }
  // Read the (small) answer so the connection can be reused.
  await res.text().catch(() => '');
  if (res.status >= 200 && res.status < 300) return;
  throw new DeliveryError(
    `HTTP ${res.status}`,
    RETRY_STATUSES.has(res.status),
    retryAfterMs(res.headers.get('retry-after')),
  );
}

/** A message for sendMail. */
export interface MailMessage {
  from: string;
  to: string[];
  subject: string;
  text?: string;
  html?: string;
}

/** Sends one message; SMTP 5xx answers are permanent, the rest retryable. @throws DeliveryError */
export async function sendMail(
  transport: Transporter,
  message: MailMessage,
  signal: AbortSignal,
): Promise<void> {
  const aborted = new Promise<never>((_, reject) => {
    const onAbort = (): void => reject(new DeliveryError('aborted', false));
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => undefined);
  try {
    await Promise.race([transport.sendMail(message), aborted]);
  } catch (err) {
    if (err instanceof DeliveryError) throw err;
    const code = (err as { responseCode?: unknown }).responseCode;
    const permanent = typeof code === 'number' && code >= 500 && code < 600;
    throw new DeliveryError(`SMTP: ${(err as Error).message}`, !permanent, undefined, {
      cause: err,
    });
  }
}
