/**
 * Schedules as a client sees them, over a real socket in both modes: validation (bad cron,
 * sub-minute cron, bad time zone), fires on time driven by the scheduler's injected clock
 * (exactly one job per due time, the next run computed, one catch-up fire after missed
 * slots, previousJobId the last completed job), overlap skip, run now, PATCH enabled:false,
 * DELETE, the schedule's jobs; in the distributed mode two service instances over one
 * PostgreSQL schema fire each due schedule exactly once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SERVICE_MODES, startTestService, type TestService } from '../support/service.js';
import { startTreeSite, type TreeSite } from '../support/tree-site.js';
import { call, noInternals, until, type Res } from './api-call.js';

const T0 = Date.parse('2030-01-01T00:00:30Z');
const at = (iso: string): number => Date.parse(`2030-01-01T${iso}Z`);

interface ScheduleBody {
  id: string;
  nextRunAt: string | null;
  lastJobId: string | null;
  runs: number;
  skipped: number;
  enabled: boolean;
}

for (const mode of SERVICE_MODES) {
  describe(`schedules (${mode})`, () => {
    let clock = T0;
    const schedules = { tickMs: 20, now: () => clock };
    let service: TestService;
    let site: TreeSite;
    let slowSite: TreeSite;
    before(async () => {
      service = await startTestService(mode, { schedules });
      site = await startTreeSite(['127.0.0.1'], 5);
      slowSite = await startTreeSite(['127.0.0.1'], 20, 300);
    });
    after(async () => {
      await service?.close();
      await site?.close();
      await slowSite?.close();
    });

    const post = (path: string, body: unknown): Promise<Res> =>
      call(service.url, 'POST', `/trawl/v1${path}`, { body });
    const get = (path: string): Promise<Res> => call(service.url, 'GET', `/trawl/v1${path}`);
    const schedule = async (id: string): Promise<ScheduleBody> =>
      (await get(`/schedules/${id}`)).body as unknown as ScheduleBody;
    const runsReach = (id: string, field: 'runs' | 'skipped', n: number): Promise<ScheduleBody> =>
      until(`schedule ${id} ${field} ${n}`, async () => {
        const s = await schedule(id);
        assert.ok(s[field] <= n, `${field} ${s[field]} past ${n}`);
        return s[field] === n ? s : null;
      });
    const scheduleMeta = async (jobId: string): Promise<unknown> =>
      (await service.jobs.get(jobId))?.meta.schedule;
    const spec = (s: TreeSite) => ({ seeds: s.seeds, delayMs: 0, concurrency: 1 });

    test('bad input: 400 naming body.cron, body.timezone, body.spec', async () => {
      const cases: [unknown, string, RegExp][] = [
        [{ cron: 'every minute', spec: spec(site) }, 'body.cron', /not a cron expression/],
        [{ cron: '61 * * * *', spec: spec(site) }, 'body.cron', /minute/],
        [{ cron: '*/10 * * * * *', spec: spec(site) }, 'body.cron', /sub-minute/],
        [{ cron: '* * * * * *', spec: spec(site) }, 'body.cron', /sub-minute/],
        [{ cron: '0 0 30 2 *', spec: spec(site) }, 'body.cron', /never fires/],
        [
          { cron: '* * * * *', timezone: 'Mars/Olympus', spec: spec(site) },
          'body.timezone',
          /time zone/,
        ],
        [{ cron: '* * * * *', spec: { seeds: site.seeds, nope: 1 } }, 'body.spec', /./],
        [{ cron: '* * * * *', spec: { seeds: ['http://10.1.2.3/'] } }, 'body.spec.seeds.0', /./],
      ];
      for (const [body, field, message] of cases) {
        const res = await post('/schedules', body);
        assert.equal(res.status, 400, `${JSON.stringify(body)}: ${res.text}`);
        const error = res.body.error as { code: string; field: string; message: string };
        assert.equal(error.field, field, res.text);
        assert.match(error.message, message);
        noInternals(res);
      }
      // A single seconds value is minute precision, not sub-minute.
      const ok = await post('/schedules', {
        cron: '30 */5 * * * *',
        spec: spec(site),
        enabled: false,
      });
      assert.equal(ok.status, 201, ok.text);
      const doc = await call(service.url, 'GET', '/openapi.json');
      const paths = doc.body.paths as Record<string, Record<string, unknown>>;
      assert.deepEqual(Object.keys(paths['/trawl/v1/schedules/{id}']!).sort(), [
        'delete',
        'get',
        'patch',
      ]);
      assert.equal((await get('/schedules/nope')).status, 404);
      assert.equal((await post('/schedules/nope/run', {})).status, 404);
      assert.equal((await get('/schedules/nope/jobs')).status, 404);
      assert.equal((await call(service.url, 'DELETE', '/trawl/v1/schedules/nope')).status, 404);
    });

    test('fires on time: one job per due time, next run computed, catch-up once, previousJobId', async () => {
      clock = T0;
      const created = await post('/schedules', {
        cron: '*/5 * * * *',
        timezone: 'Europe/Paris',
        spec: spec(site),
      });
      assert.equal(created.status, 201, created.text);
      const id = created.body.id as string;
      assert.equal(created.headers.location, `/trawl/v1/schedules/${id}`);
      assert.deepEqual(
        { ...created.body, id: undefined, createdAt: undefined, spec: undefined },
        {
          id: undefined,
          cron: '*/5 * * * *',
          timezone: 'Europe/Paris',
          enabled: true,
          overlap: 'skip',
          nextRunAt: '2030-01-01T00:05:00.000Z',
          lastRunAt: null,
          lastJobId: null,
          createdAt: undefined,
          runs: 0,
          skipped: 0,
          spec: undefined,
        },
      );
      assert.deepEqual((created.body.spec as { seeds: string[] }).seeds, site.seeds);
      assert.equal((created.body.spec as Record<string, unknown>).addressGuard, undefined);

      clock = at('00:05:00.200');
      const first = await runsReach(id, 'runs', 1);
      assert.equal(first.nextRunAt, '2030-01-01T00:10:00.000Z');
      const j1 = first.lastJobId!;
      const done1 = await service.waitForJob(j1, ['completed', 'failed']);
      assert.equal(done1.state, 'completed', done1.error ?? '');
      assert.equal(done1.counts.stored, 5);
      assert.deepEqual(await scheduleMeta(j1), { id, previousJobId: null });

      clock = at('00:10:00');
      const second = await runsReach(id, 'runs', 2);
      const j2 = second.lastJobId!;
      assert.notEqual(j2, j1);
      assert.deepEqual(await scheduleMeta(j2), { id, previousJobId: j1 });
      assert.equal((await service.waitForJob(j2, ['completed', 'failed'])).state, 'completed');

      // Ten slots missed (the service "down"): one fire, the next run after now.
      clock = at('00:57:30');
      const caught = await runsReach(id, 'runs', 3);
      assert.equal(caught.nextRunAt, '2030-01-01T01:00:00.000Z');
      assert.equal(caught.skipped, 0);
      const j3 = caught.lastJobId!;
      assert.deepEqual(await scheduleMeta(j3), { id, previousJobId: j2 });
      await service.waitForJob(j3, ['completed']);
      clock = at('01:00:00');
      const fourth = await runsReach(id, 'runs', 4);

      const jobs = await get(`/schedules/${id}/jobs`);
      assert.equal(jobs.status, 200);
      const ids = (jobs.body.data as { id: string }[]).map((j) => j.id);
      assert.deepEqual(ids, [fourth.lastJobId, j3, j2, j1]);
      const paged = await get(`/schedules/${id}/jobs?limit=3`);
      assert.equal((paged.body.data as unknown[]).length, 3);
      const rest = await get(`/schedules/${id}/jobs?limit=3&cursor=${paged.body.next as string}`);
      assert.deepEqual(
        (rest.body.data as { id: string }[]).map((j) => j.id),
        [j1],
      );
      assert.equal(rest.body.next, null);
      await service.waitForJob(fourth.lastJobId!, ['completed']);
      assert.equal((await call(service.url, 'DELETE', `/trawl/v1/schedules/${id}`)).status, 204);
    });

    test('overlap skip, run now, PATCH enabled:false, DELETE (its jobs stay)', async () => {
      clock = T0;
      const a = (await post('/schedules', { cron: '0 * * * *', spec: spec(slowSite) })).body;
      // Fires every hour whatever its jobs' states: proof that ticks went by.
      const witness = (
        await post('/schedules', { cron: '0 * * * *', spec: spec(site), overlap: 'queue' })
      ).body;
      const aId = a.id as string;

      const run = await post(`/schedules/${aId}/run`, {});
      assert.equal(run.status, 201, run.text);
      const j1 = run.body.id as string;
      assert.equal(run.headers.location, `/trawl/v1/jobs/${j1}`);
      assert.equal((await schedule(aId)).lastJobId, j1);
      assert.deepEqual(await scheduleMeta(j1), { id: aId, previousJobId: null });

      // j1 is still crawling the slow site when the hour fires: skipped and counted.
      clock = at('01:00:00');
      const skipped = await runsReach(aId, 'skipped', 1);
      assert.equal(skipped.runs, 1);
      assert.equal(skipped.nextRunAt, '2030-01-01T02:00:00.000Z');
      await runsReach(witness.id as string, 'runs', 1);
      assert.equal((await post(`/jobs/${j1}/cancel`, {})).status, 200);
      await service.waitForJob(j1, ['cancelled']);

      clock = at('02:00:00');
      const fired = await runsReach(aId, 'runs', 2);
      // A cancelled job is no baseline.
      assert.deepEqual(await scheduleMeta(fired.lastJobId!), { id: aId, previousJobId: null });
      assert.equal((await post(`/jobs/${fired.lastJobId!}/cancel`, {})).status, 200);
      await runsReach(witness.id as string, 'runs', 2);

      const off = await call(service.url, 'PATCH', `/trawl/v1/schedules/${aId}`, {
        body: { enabled: false },
      });
      assert.equal(off.status, 200, off.text);
      assert.equal(off.body.enabled, false);
      clock = at('03:00:00');
      await runsReach(witness.id as string, 'runs', 3);
      assert.equal((await schedule(aId)).runs, 2);

      const badCron = await call(service.url, 'PATCH', `/trawl/v1/schedules/${aId}`, {
        body: { cron: '*/5 * * * * *' },
      });
      assert.equal(badCron.status, 400);
      assert.equal((badCron.body.error as { field: string }).field, 'body.cron');
      const on = await call(service.url, 'PATCH', `/trawl/v1/schedules/${aId}`, {
        body: { enabled: true, cron: '30 3 * * *' },
      });
      assert.equal(on.status, 200, on.text);
      // Counted from now: no catch-up for the disabled time.
      assert.equal(on.body.nextRunAt, '2030-01-01T03:30:00.000Z');

      const list = await get('/schedules?limit=1');
      assert.equal((list.body.data as { id: string }[])[0]!.id, witness.id);
      const listRest = await get(`/schedules?limit=100&cursor=${list.body.next as string}`);
      assert.ok((listRest.body.data as { id: string }[]).some((s) => s.id === aId));

      const del = await call(service.url, 'DELETE', `/trawl/v1/schedules/${aId}`);
      assert.equal(del.status, 204);
      assert.equal((await get(`/schedules/${aId}`)).status, 404);
      assert.equal((await get(`/jobs/${j1}`)).status, 200);
      await call(service.url, 'DELETE', `/trawl/v1/schedules/${witness.id as string}`);
    });

    if (mode === 'distributed') {
      test('two service instances over one PostgreSQL schema fire each due time exactly once', async () => {
        clock = T0;
        const shared = ['TRAWL_REDIS_URL', 'TRAWL_DATABASE_URL', 'TRAWL_REDIS_PREFIX'];
        const second = await startTestService('distributed', {
          env: Object.fromEntries(shared.map((name) => [name, service.env[name]!])),
          worker: false,
          schedules: { tickMs: 5, now: () => clock },
        });
        try {
          const ids: string[] = [];
          for (let i = 0; i < 6; i++) {
            const res = await post('/schedules', { cron: '0 * * * *', spec: spec(site) });
            ids.push(res.body.id as string);
          }
          for (const [slot, hour] of [
            [1, '01:00:00'],
            [2, '02:00:00'],
          ] as const) {
            clock = at(hour);
            for (const id of ids) {
              const s = await runsReach(id, 'runs', slot);
              await service.waitForJob(s.lastJobId!, ['completed']);
            }
          }
          for (const id of ids) {
            const jobs = await call(second.url, 'GET', `/trawl/v1/schedules/${id}/jobs`);
            assert.equal((jobs.body.data as unknown[]).length, 2, jobs.text);
            assert.equal((await schedule(id)).skipped, 0);
          }
          const all = await get('/jobs?limit=1000');
          const scheduled = [];
          for (const j of all.body.data as { id: string }[]) {
            const meta = (await scheduleMeta(j.id)) as { id: string } | undefined;
            if (meta !== undefined && ids.includes(meta.id)) scheduled.push(j.id);
          }
          assert.equal(scheduled.length, 12);
        } finally {
          await second.close();
        }
      });
    }
  });
}
