/**
 * Incremental recrawls as a client sees them, over real sockets in both modes: a job with
 * `baseline` sends the baseline's validators (If-None-Match, If-Modified-Since), stores a
 * 304 as the baseline's page, labels every page new / changed / unchanged / gone, still
 * visits pages reachable only through an unchanged page (the baseline's URLs are queued
 * again), counts the labels at /changes, filters results by label, fires `page.changed`
 * for changed pages only, and a schedule's second fire recrawls against its first job.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../support/http-server.js';
import { SERVICE_MODES, startTestService, type TestService } from '../support/service.js';
import { startReceiver, type Receiver } from '../support/webhook-receiver.js';
import { call, noInternals, until, type Res } from './api-call.js';

const LAST_MODIFIED = 'Wed, 21 Oct 2015 07:28:00 GMT';

interface SitePage {
  links: string[];
  text: string;
  /** Validators the page answers with (and honours in conditional requests). */
  etag?: string;
  lastModified?: string;
  /** Answers 404 instead. */
  gone?: boolean;
}

/** The site at version 1 and what version 2 changes. */
function siteAt(version: 1 | 2): Record<string, SitePage> {
  const pages: Record<string, SitePage> = {
    '/': { links: ['/a', '/b', '/c', '/d', '/old'], text: 'home', etag: '"home"' },
    // Reached only through /a, which answers 304 in version 2: no links to follow there.
    '/a': { links: ['/a/deep'], text: 'a', etag: '"a"' },
    '/a/deep': { links: [], text: 'deep', etag: '"deep"' },
    '/b': { links: [], text: 'b', lastModified: LAST_MODIFIED },
    // No validators: compared by content hash.
    '/c': { links: [], text: 'c' },
    '/d': { links: ['/x'], text: 'd version 1', etag: '"d1"' },
    '/x': { links: [], text: 'x', etag: '"x"' },
    '/old': { links: [], text: 'old', etag: '"old"' },
  };
  if (version === 2) {
    // /d changes and now links /e instead of /x (which still exists); /old is removed.
    pages['/d'] = { links: ['/e'], text: 'd version 2', etag: '"d2"' };
    pages['/e'] = { links: [], text: 'e', etag: '"e"' };
    pages['/old'] = { ...pages['/old']!, gone: true };
  }
  return pages;
}

interface VersionedSite {
  server: TestServer;
  seed: string;
  setVersion(v: 1 | 2): void;
  /** Conditional requests received, by path, and how many were answered 304. */
  conditional: Map<string, number>;
  notModified: Map<string, number>;
  close(): Promise<void>;
}

async function startVersionedSite(): Promise<VersionedSite> {
  let pages = siteAt(1);
  const conditional = new Map<string, number>();
  const notModified = new Map<string, number>();
  const bump = (m: Map<string, number>, k: string): void => void m.set(k, (m.get(k) ?? 0) + 1);
  const server = await startTestServer((req: IncomingMessage, res: ServerResponse) => {
    const path = req.url ?? '/';
    const page = pages[path];
    const inm = req.headers['if-none-match'];
    const ims = req.headers['if-modified-since'];
    if (inm !== undefined || ims !== undefined) bump(conditional, path);
    if (path === '/robots.txt' || page === undefined || page.gone === true) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    const validators: Record<string, string> = {};
    if (page.etag !== undefined) validators.etag = page.etag;
    if (page.lastModified !== undefined) validators['last-modified'] = page.lastModified;
    const fresh =
      (inm !== undefined && inm === page.etag) ||
      (inm === undefined && ims !== undefined && ims === page.lastModified);
    if (fresh) {
      bump(notModified, path);
      res.writeHead(304, validators).end();
      return;
    }
    const links = page.links.map((l) => `<a href="${l}">${l}</a>`).join(' ');
    res
      .writeHead(200, { 'content-type': 'text/html; charset=utf-8', ...validators })
      .end(`<!doctype html><title>${page.text}</title><body><p>${page.text}</p>${links}</body>`);
  });
  return {
    server,
    seed: `${server.origin}/`,
    setVersion: (v) => {
      pages = siteAt(v);
    },
    conditional,
    notModified,
    close: () => server.close(),
  };
}

interface Row {
  url: string;
  status: number | null;
  title: string | null;
  error: string | null;
  change?: string;
}

for (const mode of SERVICE_MODES) {
  describe(`incremental recrawl (${mode})`, () => {
    let service: TestService;
    let site: VersionedSite;
    let hooks: Receiver;
    before(async () => {
      service = await startTestService(mode, {
        env: { TRAWL_WEBHOOK_SECRET: 'recrawl-test-secret-0123456789' },
        webhooks: { baseDelayMs: 20, maxDelayMs: 100, pollMs: 50 },
        schedules: { tickMs: 0 },
      });
      site = await startVersionedSite();
      hooks = await startReceiver();
    });
    after(async () => {
      await service?.close();
      await site?.close();
      await hooks?.close();
    });

    const post = (path: string, body: unknown): Promise<Res> =>
      call(service.url, 'POST', `/trawl/v1${path}`, { body });
    const get = (path: string): Promise<Res> => call(service.url, 'GET', `/trawl/v1${path}`);
    const spec = { delayMs: 0, concurrency: 4 };
    const rows = async (id: string, query = ''): Promise<Map<string, Row>> => {
      const res = await get(`/jobs/${id}/results?limit=1000${query}`);
      assert.equal(res.status, 200, res.text);
      const data = res.body.data as Row[];
      return new Map(data.map((r) => [new URL(r.url).pathname, r]));
    };
    const crawl = async (body: Record<string, unknown>): Promise<string> => {
      const res = await post('/jobs', { seeds: [site.seed], ...spec, ...body });
      assert.equal(res.status, 201, res.text);
      const id = res.body.id as string;
      const done = await service.waitForJob(id, ['completed', 'failed'], 30_000);
      assert.equal(done.state, 'completed', done.error ?? '');
      return id;
    };

    test('conditional requests, 304s stored as the baseline page, every page labelled', async () => {
      site.setVersion(1);
      const first = await crawl({});
      const v1 = await rows(first);
      assert.equal(v1.size, 8);
      // A plain crawl labels nothing.
      for (const r of v1.values()) assert.equal(r.change, undefined, r.url);
      assert.equal(site.conditional.size, 0);

      // A client's baseline must be a finished crawl job of this service.
      for (const [baseline, message] of [
        ['no-such-job', /no crawl job no-such-job/],
        ['../../etc', /job id/],
      ] as const) {
        const bad = await post('/jobs', { seeds: [site.seed], baseline: { jobId: baseline } });
        assert.equal(bad.status, 400, bad.text);
        const error = bad.body.error as { field: string; message: string };
        assert.match(error.field, /^body\.baseline/);
        assert.match(error.message, message);
        noInternals(bad);
      }

      site.setVersion(2);
      const second = await crawl({
        baseline: { jobId: first },
        webhook: { url: hooks.url, events: ['page.changed', 'completed'] },
      });
      const v2 = await rows(second);
      const labels = Object.fromEntries([...v2].map(([path, r]) => [path, r.change ?? null]));
      assert.deepEqual(labels, {
        '/': 'unchanged',
        '/a': 'unchanged',
        // Only /a links it and /a answered 304: reached because the baseline had it.
        '/a/deep': 'unchanged',
        '/b': 'unchanged',
        '/c': 'unchanged',
        '/d': 'changed',
        '/e': 'new',
        // No longer linked, still there.
        '/x': 'unchanged',
        '/old': 'gone',
      });
      // Every page with validators was asked conditionally, and those unchanged said 304.
      for (const path of ['/', '/a', '/a/deep', '/b', '/d', '/x', '/old']) {
        assert.equal(site.conditional.get(path), 1, path);
      }
      assert.equal(site.conditional.get('/c'), undefined);
      assert.equal(site.conditional.get('/e'), undefined);
      assert.deepEqual(
        [...site.notModified.keys()].sort(),
        ['/', '/a', '/a/deep', '/b', '/x'].sort(),
      );
      // A 304 is stored as the page the baseline fetched, with this fetch's status.
      const a = v2.get('/a')!;
      assert.equal(a.status, 304);
      assert.equal(a.title, 'a');
      assert.equal(a.error, null);
      assert.equal(v2.get('/old')!.status, 404);
      assert.equal(v2.get('/d')!.title, 'd version 2');

      const changes = await get(`/jobs/${second}/changes`);
      assert.equal(changes.status, 200, changes.text);
      assert.deepEqual(changes.body, {
        baseline: first,
        data: { new: 1, changed: 1, unchanged: 6, gone: 1 },
      });
      const plain = await get(`/jobs/${first}/changes`);
      assert.deepEqual(plain.body, {
        baseline: null,
        data: { new: 0, changed: 0, unchanged: 0, gone: 0 },
      });
      assert.equal((await get('/jobs/nope/changes')).status, 404);
      assert.deepEqual([...(await rows(second, '&change=changed')).keys()], ['/d']);
      assert.deepEqual([...(await rows(second, '&change=gone')).keys()], ['/old']);
      assert.deepEqual(
        [...(await rows(second, '&status=304')).keys()].sort(),
        ['/', '/a', '/a/deep', '/b', '/x'].sort(),
      );
      const bad = await get(`/jobs/${second}/results?change=different`);
      assert.equal(bad.status, 400);
      assert.match((bad.body.error as { field: string }).field, /change/);
      const csv = await call(
        service.url,
        'GET',
        `/trawl/v1/jobs/${second}/results/export?format=csv&fields=url,change&change=new`,
      );
      assert.equal(csv.text, `url,change\r\n${site.server.origin}/e,new\r\n`);

      // page.changed fired for the changed page only.
      await until('the completed webhook', async () =>
        hooks.accepted('job.completed').length === 1 ? true : null,
      );
      const changed = hooks.accepted('job.page.changed');
      assert.equal(changed.length, 1);
      assert.equal((changed[0]!.body.data as Row).url, `${site.server.origin}/d`);
      assert.equal((changed[0]!.body.data as Row).change, 'changed');
      assert.equal(hooks.accepted('job.page').length, 0);
    });

    test("a schedule's next fire recrawls against its last completed job", async () => {
      site.setVersion(1);
      const created = await post('/schedules', {
        cron: '0 0 1 1 *',
        spec: { seeds: [site.seed], ...spec },
      });
      assert.equal(created.status, 201, created.text);
      const id = created.body.id as string;
      const run = async (): Promise<string> => {
        const res = await post(`/schedules/${id}/run`, {});
        assert.equal(res.status, 201, res.text);
        const jobId = res.body.id as string;
        const done = await service.waitForJob(jobId, ['completed', 'failed'], 30_000);
        assert.equal(done.state, 'completed', done.error ?? '');
        return jobId;
      };
      const j1 = await run();
      assert.equal((await service.jobs.get(j1))!.spec.baseline, null);
      site.setVersion(2);
      const j2 = await run();
      assert.deepEqual((await service.jobs.get(j2))!.spec.baseline, { jobId: j1 });
      const changes = await get(`/jobs/${j2}/changes`);
      assert.deepEqual(changes.body, {
        baseline: j1,
        data: { new: 1, changed: 1, unchanged: 6, gone: 1 },
      });
      // Nothing changed since: every page unchanged; the removed page was already a 404
      // in this baseline, so it has nothing to report.
      const j3 = await run();
      const v3 = await rows(j3);
      assert.deepEqual(Object.fromEntries([...v3].map(([path, r]) => [path, r.change ?? null])), {
        '/': 'unchanged',
        '/a': 'unchanged',
        '/a/deep': 'unchanged',
        '/b': 'unchanged',
        '/c': 'unchanged',
        '/d': 'unchanged',
        '/e': 'unchanged',
        '/x': 'unchanged',
        '/old': null,
      });
    });
  });
}
