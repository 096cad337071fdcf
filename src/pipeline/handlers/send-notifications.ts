/**
 * `notify`: tells people or systems about an item: email over SMTP (nodemailer), a
 * generic webhook (JSON POST, signed with HMAC-SHA256 in `X-Trawl-Signature: sha256=<hex>`
 * when `secret` is set), or a Slack-compatible webhook (`{text}`). Templates use
 * `{{field.path}}` (see notify/template.ts). Each target is retried with exponential
 * backoff and jitter; one still failing after its attempts fails the item with
 * `notify_failed`. Without targets the handler passes items through: `standard` runs
 * without configuration.
 */
import { randomUUID } from 'node:crypto';
import nodemailer, { type Transporter } from 'nodemailer';
import { z } from 'zod';
import { evaluate, expressionSchema } from '../fields/expression.js';
import { HandlerError, type Handler, type HandlerContext, type Item } from '../handler.js';
import { postJson, sendMail, signBody } from '../notify/deliver.js';
import { renderJson, renderTemplate, type TemplateScope } from '../notify/template.js';
import { withRetries } from '../notify/retry.js';

const httpUrl = z
  .string()
  .refine((s) => /^https?:\/\//i.test(s) && URL.canParse(s), 'expected an http(s) URL');

const smtp = z.strictObject({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65_535).default(587),
  /** TLS from the start (port 465); otherwise STARTTLS when the server offers it. */
  secure: z.boolean().default(false),
  user: z.string().optional(),
  pass: z.string().optional(),
  /** Never upgrade with STARTTLS (local test servers only). */
  ignoreTLS: z.boolean().default(false),
  requireTLS: z.boolean().default(false),
  rejectUnauthorized: z.boolean().default(true),
});

const emailTarget = z.strictObject({
  type: z.literal('email'),
  smtp,
  from: z.string().min(3),
  to: z.union([z.string().min(3), z.array(z.string().min(3)).min(1)]),
  subject: z.string().default('[trawl] {{url}}'),
  text: z.string().optional(),
  /** HTML body; substituted values are HTML-escaped. */
  html: z.string().optional(),
});

const webhookTarget = z.strictObject({
  type: z.literal('webhook'),
  url: httpUrl,
  /** Signs the body: `X-Trawl-Signature: sha256=<hex of HMAC-SHA256(secret, body)>`. */
  secret: z.string().min(1).optional(),
  headers: z.record(z.string(), z.string()).default({}),
  /** JSON template of the body. @default {event, jobId, errors, item} */
  body: z.unknown().optional(),
});

const slackTarget = z.strictObject({
  type: z.literal('slack'),
  url: httpUrl,
  text: z.string().default('Trawl: {{url}}'),
});

const target = z.discriminatedUnion('type', [emailTarget, webhookTarget, slackTarget]);
type Target = z.infer<typeof target>;

/** notify's options. */
export const notifyOptions = z.strictObject({
  targets: z.array(target).default([]),
  /** `always`, `on-error` (an earlier handler failed, or the page has an `error`), or a condition. */
  when: z.union([z.enum(['always', 'on-error']), expressionSchema]).default('always'),
  retry: z
    .strictObject({
      attempts: z.number().int().min(1).max(10).default(3),
      baseDelayMs: z.number().int().min(0).default(500),
      maxDelayMs: z.number().int().min(0).default(10_000),
    })
    .prefault({}),
  /** Deadline of one attempt, ms. */
  timeoutMs: z.number().int().min(1).default(10_000),
});
export type NotifyOptions = z.infer<typeof notifyOptions>;

interface State {
  transports: Map<number, Transporter>;
}

/** A name for logs and errors that leaks no secret (webhook paths often carry tokens). */
function label(t: Target): string {
  if (t.type === 'email') return `email to ${[t.to].flat().join(', ')}`;
  return `${t.type} ${new URL(t.url).origin}`;
}

function shouldSend(item: Item, ctx: HandlerContext<NotifyOptions>): boolean {
  const when = ctx.options.when;
  if (when === 'always') return true;
  if (when === 'on-error') {
    return (ctx.priorErrors?.length ?? 0) > 0 || (item.error !== undefined && item.error !== null);
  }
  return evaluate(when, item);
}

async function deliver(
  t: Target,
  index: number,
  scope: TemplateScope,
  ctx: HandlerContext<NotifyOptions>,
  attemptSignal: AbortSignal,
): Promise<void> {
  const o = ctx.options;
  if (t.type === 'email') {
    const transport = (ctx.state as State).transports.get(index)!;
    const text = t.text === undefined && t.html === undefined ? '{{_item}}' : t.text;
    await sendMail(
      transport,
      {
        from: t.from,
        to: [t.to].flat(),
        subject: renderTemplate(t.subject, scope),
        ...(text === undefined ? {} : { text: renderTemplate(text, scope) }),
        ...(t.html === undefined ? {} : { html: renderTemplate(t.html, scope, true) }),
      },
      attemptSignal,
    );
    return;
  }
  const headers: Record<string, string> = t.type === 'webhook' ? { ...t.headers } : {};
  let body: string;
  if (t.type === 'slack') body = JSON.stringify({ text: renderTemplate(t.text, scope) });
  else {
    const payload =
      t.body === undefined
        ? {
            event: 'trawl.item',
            jobId: ctx.jobId,
            errors: ctx.priorErrors ?? [],
            item: scope._item,
          }
        : renderJson(t.body, scope);
    body = JSON.stringify(payload);
    if (t.secret !== undefined) headers['x-trawl-signature'] = signBody(t.secret, body);
  }
  headers['x-trawl-delivery'] = String(scope._delivery);
  await postJson(t.url, body, headers, o.timeoutMs, attemptSignal);
}

/** The `notify` handler. */
export const notifyHandler: Handler<NotifyOptions> = {
  name: 'notify',
  description:
    'sends email (SMTP), webhook (HMAC-signed JSON) or Slack messages, with templates and retries',
  options: notifyOptions,
  // Retries outlast the chain's 30 s default: 3 attempts × 10 s plus backoff.
  defaultTimeoutMs: 120_000,
  setup(options): State {
    const transports = new Map<number, Transporter>();
    options.targets.forEach((t, i) => {
      if (t.type !== 'email') return;
      transports.set(
        i,
        nodemailer.createTransport({
          host: t.smtp.host,
          port: t.smtp.port,
          secure: t.smtp.secure,
          ignoreTLS: t.smtp.ignoreTLS,
          requireTLS: t.smtp.requireTLS,
          tls: { rejectUnauthorized: t.smtp.rejectUnauthorized },
          ...(t.smtp.user === undefined
            ? {}
            : { auth: { user: t.smtp.user, pass: t.smtp.pass ?? '' } }),
          connectionTimeout: options.timeoutMs,
          greetingTimeout: options.timeoutMs,
          socketTimeout: options.timeoutMs,
        }),
      );
    });
    return { transports };
  },
  async run(item, ctx) {
    if (ctx.options.targets.length === 0 || !shouldSend(item, ctx)) return item;
    const scope: TemplateScope = {
      ...item,
      _item: item,
      _jobId: ctx.jobId,
      _errors: (ctx.priorErrors ?? [])
        .map((e) => `${e.handler}: ${e.code}: ${e.message}`)
        .join('; '),
      // One id per item (shared by its targets), the same on every retry: receivers can deduplicate.
      _delivery: randomUUID(),
    };
    const outcomes = await Promise.all(
      ctx.options.targets.map(async (t, i) => {
        const outcome = await withRetries(
          ctx.options.retry,
          ctx.signal,
          () => deliver(t, i, scope, ctx, ctx.signal),
          (n, err, waitMs) =>
            ctx.log(
              'info',
              `${label(t)}: attempt ${n} failed (${err.message}); retrying in ${Math.round(waitMs)} ms`,
            ),
        );
        if (outcome.error === undefined)
          ctx.log('info', `${label(t)}: sent (attempt ${outcome.attempts})`);
        return { target: label(t), attempts: outcome.attempts, error: outcome.error?.message };
      }),
    );
    const failures = outcomes.filter((o) => o.error !== undefined);
    if (failures.length > 0) {
      throw new HandlerError(
        'notify_failed',
        failures
          .map(
            (f) =>
              `${f.target}: ${f.error} after ${f.attempts} attempt${f.attempts === 1 ? '' : 's'}`,
          )
          .join('; '),
        { failures, sent: outcomes.filter((o) => o.error === undefined).map((o) => o.target) },
      );
    }
    return item;
  },
  close(state) {
    for (const t of (state as State).transports.values()) t.close();
  },
};
