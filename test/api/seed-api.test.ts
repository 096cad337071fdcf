/**
 * The S1 seed endpoints over a real socket, in both modes: a submitted URL is dispatched,
 * crawled (that page only, unless the client asks for more) and reported completed with
 * its timestamps; bad and refused URLs, unknown tasks, and a dispatch Redis refuses
 * (submission_failed, HTTP 500, and the status call returns that record).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { request } from 'undici';
import { redisCommand, startRedisServer, type RedisServer } from '../support/redis-server.js';
import { SERVICE_MODES, startTestService, type TestService } from '../support/service.js';
import { startTreeSite, type TreeSite } from '../support/tree-site.js';

type Body = Record<string, unknown>;

async function call(
  service: TestService,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Body }> {
  const res = await request(service.url + path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.statusCode, body: (await res.body.json()) as Body };
}

/** Polls the status record until its status is one of `statuses`. */
async function waitForStatus(
  service: TestService,
  taskId: string,
  statuses: string[],
  timeoutMs = 30_000,
): Promise<Body> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await call(service, 'GET', `/api/crawl-status/${taskId}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    if (statuses.includes(res.body.status as string)) return res.body;
    if (Date.now() > deadline) {
      throw new Error(`task ${taskId} not ${statuses.join('|')}: ${JSON.stringify(res.body)}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

for (const mode of SERVICE_MODES) {
  describe(`S1 seed API (${mode})`, () => {
    let service: TestService;
    let site: TreeSite;
    before(async () => {
      service = await startTestService(mode);
      site = await startTreeSite(['127.0.0.1'], 15);
    });
    after(async () => {
      await service?.close();
      await site?.close();
    });

    test('a submitted URL is dispatched, crawled alone and reported completed', async () => {
      const url = site.seeds[0]!;
      const submitted = await call(service, 'POST', '/api/submit-crawl', { url });
      assert.equal(submitted.status, 200, JSON.stringify(submitted.body));
      const taskId = submitted.body.task_id as string;
      assert.match(taskId, /^[0-9a-f-]{36}$/);
      assert.equal(submitted.body.message, 'crawl task dispatched');
      assert.equal(submitted.body.status, 'dispatched');
      assert.equal(submitted.body.url, url);
      assert.match(submitted.body.dispatched_at as string, ISO);
      assert.equal(submitted.body.completed_at, null);

      const done = await waitForStatus(service, taskId, ['completed', 'failed']);
      assert.equal(done.status, 'completed', JSON.stringify(done));
      assert.equal(done.task_id, taskId);
      assert.equal(done.url, url);
      assert.equal(done.dispatched_at, submitted.body.dispatched_at);
      for (const field of ['started_at', 'completed_at']) {
        assert.match(done[field] as string, ISO, field);
      }
      assert.ok((done.dispatched_at as string) <= (done.completed_at as string));
      assert.ok((done.started_at as string) <= (done.completed_at as string));
      assert.equal(done.error, null);
      assert.equal(done.pages_crawled, 1);
      assert.equal(done.pages_failed, 0);
      assert.equal(done.pages_stored, 1);

      // The page is stored, with its body (as S1 stores content), and no link was followed.
      const results = await call(service, 'GET', `/trawl/v1/jobs/${taskId}/results?body=true`);
      const pages = results.body.data as { url: string; status: number; body: string | null }[];
      assert.deepEqual(
        pages.map((p) => [p.url, p.status]),
        [[url, 200]],
      );
      assert.match(Buffer.from(pages[0]!.body!, 'base64').toString(), /Page 0 of 127\.0\.0\.1/);
      assert.equal(site.hits(`${site.servers[0]!.origin}/p/1`), 0);
    });

    test('max_depth crawls further from the URL; store_body false keeps no body', async () => {
      const submitted = await call(service, 'POST', '/api/submit-crawl', {
        url: site.seeds[0],
        max_depth: 2,
        delay_ms: 0,
        store_body: false,
      });
      assert.equal(submitted.status, 200, JSON.stringify(submitted.body));
      const taskId = submitted.body.task_id as string;
      const done = await waitForStatus(service, taskId, ['completed', 'failed']);
      assert.equal(done.status, 'completed', JSON.stringify(done));
      // Depth 0: the home page; 1: pages 1-2; 2: pages 3-6.
      assert.equal(done.pages_crawled, 7);
      const results = await call(service, 'GET', `/trawl/v1/jobs/${taskId}/results?body=true`);
      const pages = results.body.data as { url: string; body: string | null }[];
      assert.equal(new Set(pages.map((p) => p.url)).size, 7);
      assert.ok(pages.every((p) => p.body === null));
    });

    test('a bad URL is a 400 {error, code} naming url', async () => {
      const cases: [unknown, RegExp][] = [
        [{ url: 'not a url' }, /^body\.url: expected an absolute http\(s\) URL/],
        [{ url: 'ftp://example.com/file' }, /^body\.url: expected an absolute http\(s\) URL/],
        [{}, /^body\.url: /],
        [{ url: 42 }, /^body\.url: /],
        [{ url: site.seeds[0], max_depth: -1 }, /^body\.max_depth: /],
        [{ url: site.seeds[0], maxDepth: 1 }, /maxDepth/],
      ];
      for (const [body, message] of cases) {
        const res = await call(service, 'POST', '/api/submit-crawl', body);
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.deepEqual(Object.keys(res.body).sort(), ['code', 'error']);
        assert.equal(res.body.code, 'invalid_request');
        assert.match(res.body.error as string, message);
      }
    });

    test('an unknown task is a 404 {error, code}', async () => {
      const res = await call(service, 'GET', '/api/crawl-status/no-such-task');
      assert.equal(res.status, 404);
      assert.deepEqual(res.body, { error: 'no task no-such-task', code: 'job_not_found' });
    });

    test('private targets are refused when TRAWL_ALLOW_TARGETS is empty', async () => {
      const strict = await startTestService(mode, {
        env: { TRAWL_ALLOW_TARGETS: '' },
        worker: false,
      });
      try {
        for (const url of [site.seeds[0], 'http://169.254.169.254/latest/meta-data/']) {
          const res = await call(strict, 'POST', '/api/submit-crawl', { url });
          assert.equal(res.status, 400, JSON.stringify(res.body));
          assert.equal(res.body.code, 'target_refused');
          assert.match(res.body.error as string, /^body\.url: /);
        }
        const jobs = await call(strict, 'GET', '/trawl/v1/jobs');
        assert.deepEqual(jobs.body.data, [], 'no task was created');
      } finally {
        await strict.close();
      }
    });
  });
}

describe('S1 seed API: a dispatch Redis refuses (distributed)', () => {
  let redis: RedisServer;
  let service: TestService;
  before(async () => {
    redis = await startRedisServer();
    service = await startTestService('distributed', {
      env: { TRAWL_REDIS_URL: redis.url },
      worker: false,
    });
  });
  after(async () => {
    await service?.close();
    await redis?.cleanup();
  });

  test('submission_failed with HTTP 500, and the status call returns that record', async () => {
    // Redis answers but refuses every write (OOM): the job row exists, its dispatch fails.
    await redisCommand(redis.port, ['CONFIG', 'SET', 'maxmemory', '1']);
    const url = 'http://127.0.0.1:9/';
    const res = await call(service, 'POST', '/api/submit-crawl', { url });
    assert.equal(res.status, 500, JSON.stringify(res.body));
    assert.equal(res.body.status, 'submission_failed');
    assert.equal(res.body.code, 'submission_failed');
    assert.equal(res.body.url, url);
    // What the client reads names the cause, not Redis's internals (scripts, hashes).
    assert.equal(res.body.error, 'could not submit the job: the job queue (Redis) is unavailable');
    assert.match(res.body.completed_at as string, ISO);
    const taskId = res.body.task_id as string;
    assert.match(taskId, /^[0-9a-f-]{36}$/);

    const status = await call(service, 'GET', `/api/crawl-status/${taskId}`);
    assert.equal(status.status, 200);
    const { message: _message, code: _code, ...record } = res.body;
    assert.deepEqual(status.body, record);
  });

  test('Redis gone: submissions fail at once (no hang), status reads still answer', async () => {
    await redis.kill();
    const started = Date.now();
    const res = await call(service, 'POST', '/api/submit-crawl', { url: 'http://127.0.0.1:9/' });
    assert.equal(res.status, 500, JSON.stringify(res.body));
    assert.equal(res.body.status, 'submission_failed');
    assert.ok(Date.now() - started < 5_000, 'answered without waiting for Redis');
    const status = await call(service, 'GET', `/api/crawl-status/${res.body.task_id as string}`);
    assert.equal(status.status, 200);
    assert.equal(status.body.status, 'submission_failed');
    const jobs = await request(`${service.url}/trawl/v1/jobs/${res.body.task_id as string}/pause`, {
      method: 'POST',
    });
    await jobs.body.text();
    assert.ok([409, 503].includes(jobs.statusCode), `pause → ${jobs.statusCode}`);
  });
});
