/**
 * Trawl's jobs API over a real socket, in both modes (one suite, run against the
 * embedded service and the distributed one with a worker): create, read, list, results
 * with cursors and filters, exports, errors, pause/resume/cancel, SSE progress, and the
 * errors a client sees for bad input.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { request } from 'undici';
import { SERVICE_MODES, startTestService, type TestService } from '../support/service.js';
import { startTreeSite, type TreeSite } from '../support/tree-site.js';

interface Json {
  status: number;
  body: Record<string, unknown> & { error?: { code: string; message: string; field?: string } };
  headers: Record<string, string | string[] | undefined>;
}

async function call(
  service: TestService,
  method: string,
  path: string,
  body?: unknown,
): Promise<Json> {
  const res = await request(service.url + path, {
    method: method as 'GET',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.body.text();
  return {
    status: res.statusCode,
    body: text === '' ? {} : JSON.parse(text),
    headers: res.headers,
  };
}

for (const mode of SERVICE_MODES) {
  describe(`jobs API (${mode})`, () => {
    let service: TestService;
    let site: TreeSite;
    before(async () => {
      service = await startTestService(mode);
      site = await startTreeSite(['127.0.0.1'], 25);
    });
    after(async () => {
      await service?.close();
      await site?.close();
    });

    test('a job crawls the site: every page stored once, exact counts, paginated results', async () => {
      const created = await call(service, 'POST', '/trawl/v1/jobs', {
        seeds: site.seeds,
        delayMs: 0,
        concurrency: 4,
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const id = created.body.id as string;
      assert.match(id, /^[0-9a-f-]{36}$/);
      assert.equal(created.headers.location, `/trawl/v1/jobs/${id}`);
      assert.ok(['queued', 'running'].includes(created.body.state as string));

      const done = await service.waitForJob(id, ['completed', 'failed']);
      assert.equal(done.state, 'completed', done.error ?? '');
      const got = await call(service, 'GET', `/trawl/v1/jobs/${id}`);
      assert.equal(got.status, 200);
      const counts = got.body.counts as Record<string, number>;
      assert.equal(counts.succeeded, 25);
      assert.equal(counts.failed, 0);
      assert.equal(counts.queued, 0);
      assert.equal(counts.inFlight, 0);
      assert.equal(counts.stored, 25);
      assert.ok(got.body.finishedAt !== null);

      // Three pages of 10: every page once, `next` absent on the last.
      const urls: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const q: string = cursor === null ? '' : `&cursor=${cursor}`;
        const res = await call(service, 'GET', `/trawl/v1/jobs/${id}/results?limit=10${q}`);
        assert.equal(res.status, 200, JSON.stringify(res.body));
        for (const r of res.body.data as { url: string; status: number }[]) {
          assert.equal(r.status, 200);
          urls.push(r.url);
        }
        cursor = res.body.next as string | null;
        pages++;
      } while (cursor !== null);
      assert.equal(pages, 3);
      assert.deepEqual([...urls].sort(), [...site.expected].sort());
      assert.equal(new Set(urls).size, urls.length, 'no page twice');

      const prefix = encodeURIComponent(`${site.servers[0]!.origin}/p/1`);
      const filtered = await call(
        service,
        'GET',
        `/trawl/v1/jobs/${id}/results?urlPrefix=${prefix}&fields=url,title`,
      );
      const filteredUrls = (filtered.body.data as { url: string }[]).map((r) => r.url);
      assert.ok(filteredUrls.length >= 1);
      assert.ok(filteredUrls.every((u) => u.startsWith(`${site.servers[0]!.origin}/p/1`)));
      assert.deepEqual(Object.keys((filtered.body.data as object[])[0]!), ['url', 'title']);

      const errors = await call(service, 'GET', `/trawl/v1/jobs/${id}/errors`);
      assert.deepEqual(errors.body, { data: [], failed: 0 });

      const list = await call(service, 'GET', '/trawl/v1/jobs?state=completed');
      assert.ok((list.body.data as { id: string }[]).some((j) => j.id === id));

      // Streamed exports: every record, as NDJSON and as CSV.
      const ndjson = await request(`${service.url}/trawl/v1/jobs/${id}/results/export`);
      assert.equal(ndjson.headers['content-type'], 'application/x-ndjson');
      const lines = (await ndjson.body.text())
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { url: string });
      assert.deepEqual(lines.map((l) => l.url).sort(), [...site.expected].sort());
      const csv = await request(
        `${service.url}/trawl/v1/jobs/${id}/results/export?format=csv&fields=url,status`,
      );
      const rows = (await csv.body.text()).trim().split('\r\n');
      assert.equal(rows[0], 'url,status');
      assert.equal(rows.length, 26);
    });

    test('failed pages are listed with their error codes', async () => {
      const created = await call(service, 'POST', '/trawl/v1/jobs', {
        seeds: [`${site.servers[0]!.origin}/p/999`, `${site.servers[0]!.origin}/p/998`],
        delayMs: 0,
      });
      const id = created.body.id as string;
      await service.waitForJob(id, ['completed']);
      const errors = await call(service, 'GET', `/trawl/v1/jobs/${id}/errors`);
      assert.deepEqual(errors.body, { data: [{ code: 'http_status', count: 2 }], failed: 2 });
      const failed = await call(
        service,
        'GET',
        `/trawl/v1/jobs/${id}/results?outcome=error&errorCode=http_status`,
      );
      assert.equal((failed.body.data as unknown[]).length, 2);
      const ok = await call(service, 'GET', `/trawl/v1/jobs/${id}/results?outcome=ok`);
      assert.equal((ok.body.data as unknown[]).length, 0);
    });

    test('pause stops fetching, resume finishes the job, cancel is final', async () => {
      const slow = await startTreeSite(['127.0.0.2'], 40, 30);
      try {
        const created = await call(service, 'POST', '/trawl/v1/jobs', {
          seeds: slow.seeds,
          delayMs: 0,
          concurrency: 2,
        });
        const id = created.body.id as string;
        await waitUntil(() => slow.servers[0]!.requests.length >= 3, 'first requests');
        const paused = await call(service, 'POST', `/trawl/v1/jobs/${id}/pause`);
        assert.equal(paused.status, 200, JSON.stringify(paused.body));
        await service.waitForJob(id, ['paused']);
        // Distributed workers notice within a discover round; then nothing new is fetched.
        await settle(() => slow.servers[0]!.requests.length);
        const frozen = slow.servers[0]!.requests.length;
        await new Promise((r) => setTimeout(r, 400));
        assert.equal(slow.servers[0]!.requests.length, frozen, 'no request while paused');
        const view = await call(service, 'GET', `/trawl/v1/jobs/${id}`);
        assert.equal(view.body.state, 'paused');

        const resumed = await call(service, 'POST', `/trawl/v1/jobs/${id}/resume`);
        assert.equal(resumed.status, 200);
        const done = await service.waitForJob(id, ['completed'], 60_000);
        assert.equal(done.counts.succeeded, 40);
        assert.equal(
          slow.servers[0]!.requests.filter((r) => r.path !== '/robots.txt').length,
          40,
          'no page fetched twice',
        );

        const again = await call(service, 'POST', `/trawl/v1/jobs/${id}/cancel`);
        assert.equal(again.status, 409);
        assert.equal(again.body.error?.code, 'job_state');

        const other = await startTreeSite(['127.0.0.3'], 40, 30);
        try {
          const second = await call(service, 'POST', '/trawl/v1/jobs', {
            seeds: other.seeds,
            delayMs: 0,
            concurrency: 1,
          });
          const id2 = second.body.id as string;
          await waitUntil(() => other.servers[0]!.requests.length >= 5, 'second job started');
          const cancelled = await call(service, 'POST', `/trawl/v1/jobs/${id2}/cancel`);
          assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
          const final = await service.waitForJob(id2, ['cancelled']);
          assert.ok(final.counts.succeeded < 40);
          await settle(() => other.servers[0]!.requests.length);
          const resume = await call(service, 'POST', `/trawl/v1/jobs/${id2}/resume`);
          assert.equal(resume.status, 409);
          // What was stored stays readable (the distributed writers may still be writing it).
          await waitUntilAsync(async () => {
            const results = await call(service, 'GET', `/trawl/v1/jobs/${id2}/results?limit=100`);
            return (results.body.data as unknown[]).length >= 1;
          }, 'cancelled job results');
        } finally {
          await other.close();
        }
      } finally {
        await slow.close();
      }
    });

    test('SSE progress ends with the final job', async () => {
      const created = await call(service, 'POST', '/trawl/v1/jobs', {
        seeds: site.seeds,
        delayMs: 0,
        maxPages: 5,
      });
      const id = created.body.id as string;
      const res = await request(`${service.url}/trawl/v1/jobs/${id}/events?intervalMs=100`);
      assert.equal(res.headers['content-type'], 'text/event-stream; charset=utf-8');
      const text = await res.body.text();
      const events = text
        .split('\n\n')
        .filter((e) => e.startsWith('event: '))
        .map((e) => ({
          event: e.split('\n')[0]!.slice(7),
          data: JSON.parse(e.split('\n')[1]!.slice(6)) as {
            state: string;
            counts: { succeeded: number };
          },
        }));
      const last = events.at(-1)!;
      assert.equal(last.event, 'end');
      assert.equal(last.data.state, 'completed');
      assert.equal(last.data.counts.succeeded, 5);
      assert.ok(events.slice(0, -1).every((e) => e.event === 'progress'));
    });

    test('bad input gets a 400 naming the field, never a stack trace', async () => {
      const cases: [unknown, string][] = [
        [{}, 'body.seeds'],
        [{ seeds: [] }, 'body.seeds'],
        [{ seeds: ['http://127.0.0.1/'], concurrency: 0 }, 'body.concurrency'],
        [{ seeds: ['http://127.0.0.1/'], delayMS: 5 }, 'body'],
        [{ seeds: ['http://127.0.0.1/'], include: ['('] }, 'body.include.0'],
        [{ seeds: ['file:///etc/passwd'] }, 'body.seeds.0'],
        [{ seeds: ['http://127.0.0.1/'], addressGuard: null }, 'body'],
        [
          {
            seeds: ['http://127.0.0.1/'],
            pipeline: { chain: 'standard', handlers: ['/tmp/x.js'] },
          },
          'body.pipeline.handlers',
        ],
        [
          {
            seeds: ['http://127.0.0.1/'],
            pipeline: { steps: [{ handler: 'export', options: { path: '/tmp/out.csv' } }] },
          },
          'body.pipeline.steps.0.options.path',
        ],
        [{ seeds: ['http://127.0.0.1/'], engine: 'curl' }, 'body.engine'],
        [{ seeds: ['http://127.0.0.1/'], proxies: ['http://127.0.0.1:6379'] }, 'body.proxies'],
        [{ seeds: ['http://127.0.0.1/'], randomDelayMs: [500, 100] }, 'body.randomDelayMs'],
      ];
      for (const [body, field] of cases) {
        const res = await call(service, 'POST', '/trawl/v1/jobs', body);
        assert.equal(res.status, 400, `${JSON.stringify(body)} → ${JSON.stringify(res.body)}`);
        assert.ok(
          res.body.error?.field?.startsWith(field),
          `${JSON.stringify(body)}: field ${res.body.error?.field} (want ${field})`,
        );
        assert.doesNotMatch(JSON.stringify(res.body), /\n\s+at |\/work\/|node_modules/);
      }
      const notJson = await call(service, 'POST', '/trawl/v1/jobs', '{"seeds": [');
      assert.equal(notJson.status, 400);
      assert.equal(notJson.body.error?.code, 'invalid_request');
      const missing = await call(
        service,
        'GET',
        '/trawl/v1/jobs/00000000-0000-0000-0000-000000000000',
      );
      assert.equal(missing.status, 404);
      assert.equal(missing.body.error?.code, 'job_not_found');
      const badCursor = await call(
        service,
        'GET',
        `/trawl/v1/jobs/${'x'.repeat(8)}/results?cursor=%%%`,
      );
      assert.ok([400, 404].includes(badCursor.status));
      const noRoute = await call(service, 'GET', '/trawl/v1/nothing');
      assert.equal(noRoute.status, 404);
      assert.equal(noRoute.body.error?.code, 'not_found');
    });

    test('health, readiness naming each dependency, metrics and the OpenAPI document', async () => {
      const health = await call(service, 'GET', '/health');
      assert.deepEqual(health.body, { status: 'ok', mode });
      const ready = await call(service, 'GET', '/health/ready');
      assert.equal(ready.status, 200);
      const names = (ready.body.checks as { name: string; ok: boolean }[]).map((c) => c.name);
      assert.deepEqual(names, mode === 'embedded' ? ['sqlite'] : ['redis', 'postgres']);
      const metrics = await request(`${service.url}/metrics`);
      assert.match(await metrics.body.text(), /crawler_system_info/);
      const doc = await call(service, 'GET', '/openapi.json');
      assert.equal(doc.body.openapi, '3.1.0');
      const paths = Object.keys(doc.body.paths as object);
      for (const p of [
        '/trawl/v1/jobs',
        '/trawl/v1/jobs/{id}',
        '/trawl/v1/jobs/{id}/results',
        '/health/ready',
      ]) {
        assert.ok(paths.includes(p), `${p} documented`);
      }
      const ui = await request(`${service.url}/docs/`);
      assert.equal(ui.statusCode, 200);
      await ui.body.text();
    });
  });
}

async function waitUntil(cond: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function waitUntilAsync(
  cond: () => Promise<boolean>,
  what: string,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Waits until `value()` has not changed for 300 ms (in-flight requests done). */
async function settle(value: () => number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = value();
  let since = Date.now();
  while (Date.now() - since < 300) {
    if (Date.now() > deadline) throw new Error('value never settled');
    await new Promise((r) => setTimeout(r, 20));
    const now = value();
    if (now !== last) {
      last = now;
      since = Date.now();
    }
  }
}
