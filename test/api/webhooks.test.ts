/**
 * Job webhooks over real sockets, in both modes: a loopback receiver gets `started`, one
 * `page` per stored page (each exactly once) and `completed`, every body signed; failures
 * are retried with backoff and logged per attempt; a receiver that never answers 2xx does
 * not hold up the job; private addresses are refused at creation and redirects are never
 * followed. (Restarts: webhooks-restart.test.ts.)
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { request } from 'undici';
import { parseCrawlSpec } from '../../src/config/parse-spec.js';
import { openApiKeys } from '../../src/main/service/api-keys.js';
import { verifySignature } from '../../src/webhooks/webhook-signature.js';
import { waitFor } from '../support/http-server.js';
import { SERVICE_MODES, startTestService, type TestService } from '../support/service.js';
import { startTreeSite, type TreeSite } from '../support/tree-site.js';
import { startReceiver } from '../support/webhook-receiver.js';

const SECRET = 'test-webhook-secret-0123456789';
const MAX_ATTEMPTS = 3;
const TUNING = { baseDelayMs: 20, maxDelayMs: 100, pollMs: 50 };

interface Json {
  status: number;
  body: Record<string, unknown> & { error?: { code: string; message: string; field?: string } };
}

async function call(
  base: string,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<Json> {
  const res = await request(base + path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.body.text();
  return { status: res.statusCode, body: text === '' ? {} : JSON.parse(text) };
}

interface Delivery {
  id: string;
  event: string;
  attempt: number;
  status: string;
  httpStatus: number | null;
  error: string | null;
}

/** Every row of the job's delivery log, newest first, following the cursor. */
async function deliveries(service: TestService, id: string, limit = 100): Promise<Delivery[]> {
  const rows: Delivery[] = [];
  let cursor: string | null = null;
  do {
    const q: string = cursor === null ? '' : `&cursor=${cursor}`;
    const res = await call(service.url, 'GET', `/trawl/v1/jobs/${id}/webhooks?limit=${limit}${q}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    rows.push(...(res.body.data as Delivery[]));
    cursor = res.body.next as string | null;
  } while (cursor !== null);
  return rows;
}

async function waitForLog(
  service: TestService,
  id: string,
  done: (rows: Delivery[]) => boolean,
  what: string,
): Promise<Delivery[]> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const rows = await deliveries(service, id);
    if (done(rows)) return rows;
    if (Date.now() > deadline) throw new Error(`${what}: ${JSON.stringify(rows)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

for (const mode of SERVICE_MODES) {
  describe(`job webhooks (${mode})`, () => {
    let service: TestService;
    let site: TreeSite;
    before(async () => {
      service = await startTestService(mode, {
        env: { TRAWL_WEBHOOK_SECRET: SECRET, TRAWL_WEBHOOK_MAX_ATTEMPTS: String(MAX_ATTEMPTS) },
        webhooks: TUNING,
      });
      site = await startTreeSite(['127.0.0.1'], 12);
    });
    after(async () => {
      await service?.close();
      await site?.close();
    });

    async function createJob(webhook: Record<string, unknown>): Promise<string> {
      const created = await call(service.url, 'POST', '/trawl/v1/jobs', {
        seeds: site.seeds,
        delayMs: 0,
        concurrency: 4,
        webhook,
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      return created.body.id as string;
    }

    test('started, one page event per stored page, completed: each once, each signed', async () => {
      const receiver = await startReceiver();
      try {
        const id = await createJob({
          url: receiver.url,
          headers: { 'X-Receiver-Token': 'abc' },
          metadata: { crawl: 'docs', n: 1 },
        });
        const job = await service.waitForJob(id, ['completed', 'failed']);
        assert.equal(job.state, 'completed', job.error ?? '');
        await waitFor(() => receiver.accepted('job.completed').length > 0, 20_000, 'completed');

        const events = receiver.got.map((g) => g.event);
        assert.equal(events[0], 'job.started');
        assert.equal(events.at(-1), 'job.completed');
        const pages = receiver.got.filter((g) => g.event === 'job.page');
        const urls = pages.map((p) => (p.body.data as { url: string }).url);
        assert.equal(pages.length, job.counts.stored, 'one page event per stored page');
        assert.deepEqual([...urls].sort(), [...site.expected].sort());
        assert.equal(new Set(urls).size, urls.length, 'no page twice');
        assert.equal(receiver.got.length, site.expected.length + 2, 'nothing else, nothing twice');
        for (const g of receiver.got) {
          assert.ok(verifySignature(SECRET, g.raw, g.headers['x-trawl-signature'] as string));
          assert.match(String(g.headers['x-trawl-signature']), /^sha256=[0-9a-f]{64}$/);
          assert.equal(g.headers['x-firecrawl-signature'], undefined, 'Trawl flavor');
          assert.equal(g.headers['x-receiver-token'], 'abc');
          assert.equal(g.body.jobId, id);
          assert.deepEqual(g.body.metadata, { crawl: 'docs', n: 1 });
          assert.equal(g.headers['x-trawl-delivery'], g.body.deliveryId);
        }
        assert.equal(new Set(receiver.got.map((g) => g.body.deliveryId)).size, receiver.got.length);
        const completed = receiver.accepted('job.completed')[0]!.body.data as {
          state: string;
          counts: { stored: number };
        };
        assert.equal(completed.state, 'completed');
        assert.equal(completed.counts.stored, site.expected.length);

        // The log: one delivered attempt per event, newest first, paginated. (An attempt is
        // logged once its answer is in: the receiver may see it first.)
        await waitForLog(service, id, (r) => r.length === receiver.got.length, 'log rows');
        const rows = await deliveries(service, id, 5);
        assert.equal(rows.length, receiver.got.length);
        assert.ok(rows.every((r) => r.status === 'delivered' && r.attempt === 1));
        assert.ok(rows.every((r, i) => i === 0 || BigInt(r.id) < BigInt(rows[i - 1]!.id)));
        assert.equal(rows[0]!.event, 'job.completed');
      } finally {
        await receiver.close();
      }
    });

    test("Firecrawl flavor: Firecrawl's v2 payloads and both signature headers", async () => {
      const receiver = await startReceiver();
      try {
        // As the Firecrawl routes store it: the same meta.webhook shape, flavor firecrawl.
        const job = await service.jobs.create({
          kind: 'batch',
          spec: parseCrawlSpec({
            seeds: site.seeds,
            maxDepth: 0,
            delayMs: 0,
            addressGuard: { allow: ['127.0.0.0/8'] },
          }),
          meta: {
            webhook: {
              url: receiver.url,
              headers: {},
              metadata: { m: true },
              events: ['started', 'page', 'completed', 'failed'],
              flavor: 'firecrawl',
              keyId: null,
            },
          },
        });
        await waitFor(
          () => receiver.accepted('batch_scrape.completed').length > 0,
          20_000,
          'completed',
        );
        assert.deepEqual(
          receiver.got.map((g) => g.event),
          ['batch_scrape.started', 'batch_scrape.page', 'batch_scrape.completed'],
        );
        for (const g of receiver.got) {
          assert.ok(verifySignature(SECRET, g.raw, g.headers['x-firecrawl-signature'] as string));
          assert.equal(g.headers['x-firecrawl-signature'], g.headers['x-trawl-signature']);
          assert.equal(g.body.id, job.id);
          assert.equal(g.body.success, true);
          assert.match(String(g.body.webhookId), /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab]/);
          assert.deepEqual(g.body.metadata, { m: true });
        }
        const page = receiver.got[1]!.body.data as { metadata: Record<string, unknown> }[];
        assert.equal(page.length, 1);
        assert.equal(page[0]!.metadata.sourceURL, site.seeds[0]);
        assert.equal(page[0]!.metadata.statusCode, 200);
        assert.deepEqual(receiver.got[0]!.body.data, []);
      } finally {
        await receiver.close();
      }
    });

    test('a 500 is retried: delivered on the 3rd attempt, 3 attempts logged', async () => {
      const receiver = await startReceiver((_event, n) => ({ status: n < 2 ? 500 : 200 }));
      try {
        const id = await createJob({ url: receiver.url, events: ['completed'] });
        const rows = await waitForLog(
          service,
          id,
          (r) => r.some((d) => d.status === 'delivered'),
          'no delivery',
        );
        assert.deepEqual(
          rows.map((r) => [r.event, r.attempt, r.status, r.httpStatus]),
          [
            ['job.completed', 3, 'delivered', 200],
            ['job.completed', 2, 'retrying', 500],
            ['job.completed', 1, 'retrying', 500],
          ],
        );
        assert.equal(receiver.got.length, 3);
        assert.equal(new Set(receiver.got.map((g) => g.raw)).size, 1, 'the same body each time');
      } finally {
        await receiver.close();
      }
    });

    test('a receiver that always fails: maxAttempts per event, then failed; the job completes', async () => {
      const receiver = await startReceiver(() => ({ status: 503 }));
      try {
        const id = await createJob({ url: receiver.url, events: ['started', 'completed'] });
        const job = await service.waitForJob(id, ['completed', 'failed']);
        assert.equal(job.state, 'completed');
        const rows = await waitForLog(
          service,
          id,
          (r) => r.filter((d) => d.status === 'failed').length === 2,
          'not given up',
        );
        for (const event of ['job.started', 'job.completed']) {
          const of = rows.filter((r) => r.event === event).reverse();
          assert.deepEqual(
            of.map((r) => [r.attempt, r.status, r.httpStatus]),
            [
              ...Array.from({ length: MAX_ATTEMPTS - 1 }, (_, i) => [i + 1, 'retrying', 503]),
              [MAX_ATTEMPTS, 'failed', 503],
            ],
          );
        }
        assert.equal(receiver.got.length, 2 * MAX_ATTEMPTS);
      } finally {
        await receiver.close();
      }
    });

    test('a redirect is not followed', async () => {
      const elsewhere = await startReceiver();
      const receiver = await startReceiver(() => ({
        status: 302,
        headers: { location: elsewhere.url },
      }));
      try {
        const id = await createJob({ url: receiver.url, events: ['completed'] });
        const rows = await waitForLog(service, id, (r) => r.length > 0, 'no attempt');
        assert.deepEqual(
          rows.map((r) => [r.attempt, r.status, r.httpStatus]),
          [[1, 'failed', 302]],
        );
        assert.match(rows[0]!.error ?? '', /redirects are not followed/);
        assert.equal(elsewhere.got.length, 0);
        assert.equal(receiver.got.length, 1);
      } finally {
        await receiver.close();
        await elsewhere.close();
      }
    });

    test("an API key's jobs are signed with the key's own webhook secret", async () => {
      const keyed = await startTestService(mode, {
        env: { TRAWL_API_KEY_CACHE_MS: '0' },
        webhooks: TUNING,
      });
      const keys = await openApiKeys(keyed.config);
      const receiver = await startReceiver();
      try {
        const created = await keys.keys.create({ name: 'hooks', scopes: ['write'] });
        const res = await request(`${keyed.url}/trawl/v1/jobs`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${created.key}` },
          body: JSON.stringify({
            seeds: site.seeds,
            maxDepth: 0,
            delayMs: 0,
            webhook: { url: receiver.url, events: ['completed'] },
          }),
        });
        const text = await res.body.text();
        assert.equal(res.statusCode, 201, text);
        await waitFor(() => receiver.accepted().length === 1, 20_000, 'completed');
        const [got] = receiver.got;
        const signature = got!.headers['x-trawl-signature'] as string;
        assert.ok(verifySignature(created.webhookSecret, got!.raw, signature));
        assert.ok(!verifySignature(SECRET, got!.raw, signature));
        const job = JSON.parse(text) as Record<string, unknown>;
        assert.equal(JSON.stringify(job).includes(created.webhookSecret), false);
      } finally {
        await receiver.close();
        await keys.close();
        await keyed.close();
      }
    });

    test('private addresses, reserved headers and unsigned webhooks are refused at creation', async () => {
      const strict = await startTestService(mode, {
        env: { TRAWL_ALLOW_TARGETS: '' },
        worker: false,
      });
      try {
        const create = (webhook: unknown) =>
          call(strict.url, 'POST', '/trawl/v1/jobs', { seeds: ['https://example.com/'], webhook });
        for (const url of [
          'http://127.0.0.1:8080/hook',
          'http://localhost/hook',
          'http://169.254.169.254/latest',
          'http://10.1.2.3/hook',
          'http://[::1]/hook',
          'file:///etc/passwd',
        ]) {
          const res = await create({ url });
          assert.equal(res.status, 400, url);
          assert.equal(res.body.error?.field, 'body.webhook.url', url);
          assert.equal(res.body.error?.code, 'target_refused', url);
        }
        const host = await create({ url: 'https://example.com/hook', headers: { Host: 'x' } });
        assert.equal(host.status, 400);
        assert.equal(host.body.error?.field, 'body.webhook.headers.Host');
        const event = await create({ url: 'https://example.com/hook', events: ['nope'] });
        assert.equal(event.body.error?.field, 'body.webhook.events.0');
        // No API key and no TRAWL_WEBHOOK_SECRET: nothing could sign it.
        const unsigned = await create({ url: 'https://example.com/hook' });
        assert.equal(unsigned.status, 400);
        assert.equal(unsigned.body.error?.field, 'body.webhook');
        assert.match(unsigned.body.error?.message ?? '', /TRAWL_WEBHOOK_SECRET/);
        const list = await call(strict.url, 'GET', '/trawl/v1/jobs');
        assert.deepEqual(list.body.data, [], 'no job was created');
      } finally {
        await strict.close();
      }
    });
  });
}
