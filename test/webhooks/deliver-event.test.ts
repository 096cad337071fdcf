/**
 * The port-free webhook logic: which answers are retried, the backoff (capped, jittered,
 * at least Retry-After), signatures, the stored spec read defensively, and one event's
 * attempts as the log records them.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deliverEvent, type PostFn } from '../../src/webhooks/deliver-event.js';
import type { DeliveryAttempt, DeliveryLog } from '../../src/webhooks/delivery-log.js';
import { parseRetryAfter, retryDelayMs, verdictOf } from '../../src/webhooks/retry-schedule.js';
import { signBody, verifySignature } from '../../src/webhooks/webhook-signature.js';
import { readWebhookSpec } from '../../src/webhooks/webhook-spec.js';

test('2xx delivered; redirects and 4xx failed at once; 408, 429 and 5xx retried', () => {
  assert.equal(verdictOf(200), 'delivered');
  assert.equal(verdictOf(204), 'delivered');
  for (const s of [301, 302, 307, 400, 401, 404, 410]) assert.equal(verdictOf(s), 'failed', `${s}`);
  for (const s of [408, 429, 500, 502, 503]) assert.equal(verdictOf(s), 'retry', `${s}`);
});

test('backoff doubles, is jittered within [half, full], capped; Retry-After raises it up to the cap', () => {
  const o = { baseDelayMs: 1_000, maxDelayMs: 10_000 };
  assert.equal(retryDelayMs(1, { ...o, random: () => 0 }), 500);
  assert.equal(retryDelayMs(1, { ...o, random: () => 0.999999 }), 1_000);
  assert.equal(retryDelayMs(3, { ...o, random: () => 0 }), 2_000);
  assert.equal(retryDelayMs(20, { ...o, random: () => 0.999999 }), 10_000);
  assert.equal(retryDelayMs(1, { ...o, random: () => 0 }, 4_000), 4_000);
  assert.equal(retryDelayMs(1, { ...o, random: () => 0 }, 3_600_000), 10_000);
  assert.equal(parseRetryAfter('7'), 7_000);
  assert.equal(parseRetryAfter(new Date(61_000).toUTCString(), 1_000), 60_000);
  assert.equal(parseRetryAfter('soon'), null);
  assert.equal(parseRetryAfter(null), null);
});

test('signatures verify over the exact bytes only', () => {
  const body = '{"a":1}';
  const sig = signBody('s3cret-s3cret-s3cret', body);
  assert.match(sig, /^sha256=[0-9a-f]{64}$/);
  assert.ok(verifySignature('s3cret-s3cret-s3cret', body, sig));
  assert.ok(!verifySignature('s3cret-s3cret-s3cret', '{"a": 1}', sig));
  assert.ok(!verifySignature('other-other-other', body, sig));
  assert.ok(!verifySignature('s3cret-s3cret-s3cret', body, undefined));
});

test('a stored webhook is read defensively: unknown events dropped, malformed ones ignored', () => {
  assert.equal(readWebhookSpec({}), null);
  assert.equal(readWebhookSpec({ webhook: { headers: {} } }), null);
  const spec = readWebhookSpec({
    webhook: { url: 'https://example.com/h', events: ['page', 'page.deleted', 'completed'] },
  });
  assert.deepEqual(spec, {
    url: 'https://example.com/h',
    headers: {},
    metadata: {},
    events: ['page', 'completed'],
    flavor: 'trawl',
    keyId: null,
  });
  const changed = readWebhookSpec({
    webhook: { url: 'https://example.com/h', events: ['page.changed'] },
  });
  assert.deepEqual(changed?.events, ['page.changed']);
  // No events stored: the default four, not page.changed.
  const defaults = readWebhookSpec({ webhook: { url: 'https://example.com/h' } });
  assert.deepEqual(defaults?.events, ['started', 'page', 'completed', 'failed']);
});

function memoryLog(): DeliveryLog & { rows: DeliveryAttempt[] } {
  const rows: DeliveryAttempt[] = [];
  return { rows, append: async (a) => void rows.push(a), list: async () => [] };
}

const event = {
  jobId: 'j',
  event: 'job.page',
  url: 'https://example.com/h',
  headers: {},
  body: '{}',
};
const backoff = { baseDelayMs: 1, maxDelayMs: 5 };

test('an event is retried through network errors and 503s, each attempt logged', async () => {
  const answers: (number | Error)[] = [new Error('ECONNRESET'), 503, 200];
  const post: PostFn = async () => {
    const a = answers.shift()!;
    if (a instanceof Error) throw a;
    return { status: a, retryAfter: null };
  };
  const log = memoryLog();
  const outcome = await deliverEvent(event, {
    post,
    classifyError: (err) => ({ retryable: true, message: (err as Error).message }),
    log,
    maxAttempts: 5,
    backoff,
    signal: new AbortController().signal,
  });
  assert.equal(outcome, 'delivered');
  assert.deepEqual(
    log.rows.map((r) => [r.attempt, r.status, r.httpStatus, r.error]),
    [
      [1, 'retrying', null, 'ECONNRESET'],
      [2, 'retrying', 503, 'HTTP 503'],
      [3, 'delivered', 200, null],
    ],
  );
});

test('a refused address is not retried; a stop ends the wait between attempts', async () => {
  const log = memoryLog();
  const blocked = await deliverEvent(event, {
    post: async () => {
      throw new Error('blocked');
    },
    classifyError: () => ({ retryable: false, message: 'blocked_address: 10.0.0.1 is private' }),
    log,
    maxAttempts: 5,
    backoff,
    signal: new AbortController().signal,
  });
  assert.equal(blocked, 'failed');
  assert.equal(log.rows.length, 1);

  const stop = new AbortController();
  const started = Date.now();
  const stopped = deliverEvent(event, {
    post: async () => ({ status: 500, retryAfter: '3600' }),
    classifyError: () => ({ retryable: true, message: '' }),
    log: memoryLog(),
    maxAttempts: 5,
    backoff: { baseDelayMs: 60_000, maxDelayMs: 60_000 },
    signal: stop.signal,
  });
  setTimeout(() => stop.abort(), 20);
  assert.equal(await stopped, 'stopped');
  assert.ok(Date.now() - started < 5_000);
});
