/**
 * The frontier contract: every Frontier adapter (SQLite, Redis, Redis Cluster) must
 * pass these. Call `frontierContract(name, makeHarness)` from an adapter's test file.
 * Time is a ManualClock the adapter is opened with (the Redis adapter passes it to its
 * scripts instead of Redis TIME), so politeness and expiry are tested exactly.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Clock } from '../../src/core/clock.js';
import type { DiscoveredLink, PageRecord } from '../../src/core/types.js';
import type {
  Completion,
  Frontier,
  FrontierSettings,
  Lease,
  LeaseBatch,
} from '../../src/frontier/frontier.js';

export class ManualClock implements Clock {
  constructor(public t = 1_000_000) {}
  now(): number {
    return this.t;
  }
}

export interface FrontierHarness {
  /** Opens the frontier over the harness's storage (again, after close: a restart). */
  open(clock: Clock, settings: FrontierSettings): Promise<Frontier>;
  /** Every page record the frontier's commits stored so far (the write side), by url. */
  committedPages(): Promise<Map<string, PageRecord>>;
  cleanup(): Promise<void>;
}

export const DEFAULT_SETTINGS: FrontierSettings = {
  delayMs: 0,
  hostConcurrency: 100,
  concurrency: 1_000,
  maxPages: null,
  robots: false,
  robotsAgent: 'trawl',
  robotsMaxAgeMs: 86_400_000,
  robotsRetryMs: 600_000,
  robotsMaxRetries: 2,
  leaseMs: 30_000,
};

export const link = (url: string, depth = 1): DiscoveredLink => ({
  url,
  host: new URL(url).host,
  depth,
  priority: -depth,
});

export function record(url: string, title = 'T'): PageRecord {
  return {
    url,
    finalUrl: url,
    status: 200,
    title,
    depth: 1,
    contentType: 'text/html',
    fetchedAt: 1_700_000_000_000,
    error: null,
    errorMessage: null,
    attempts: 1,
    etag: null,
    lastModified: null,
    contentHash: 'abc',
    contentLength: 10,
    charset: 'utf-8',
    canonicalUrl: null,
    linkCount: 0,
    durationMs: 5,
    headers: { 'content-type': 'text/html' },
    body: null,
  };
}

/** A page commit of `lease` with its record and links. */
export function pageDone(
  lease: Lease,
  links: DiscoveredLink[] = [],
  contactAgoMs: number | null = 0,
): Completion {
  return {
    kind: 'page',
    token: lease.token,
    record: record(lease.url),
    ok: true,
    links,
    contactAgoMs,
    wireBytes: 100,
  };
}

const urls = (batch: LeaseBatch): string[] => batch.leases.map((l) => l.url);

export function frontierContract(name: string, makeHarness: () => Promise<FrontierHarness>): void {
  describe(`Frontier contract: ${name}`, () => {
    /** Opens a fresh frontier; `run` gets it and the clock; everything is closed after. */
    const withFrontier = async (
      settings: Partial<FrontierSettings>,
      run: (f: Frontier, clock: ManualClock, harness: FrontierHarness) => Promise<void>,
    ): Promise<void> => {
      const harness = await makeHarness();
      const clock = new ManualClock();
      const frontier = await harness.open(clock, { ...DEFAULT_SETTINGS, ...settings });
      try {
        await run(frontier, clock, harness);
      } finally {
        await frontier.close();
        await harness.cleanup();
      }
    };

    test('add() deduplicates; lease() hands each URL out once, shallowest first', () =>
      withFrontier({}, async (f) => {
        assert.equal(await f.add([link('http://a.test/2', 2), link('http://a.test/1', 1)]), 2);
        assert.equal(await f.add([link('http://a.test/1', 1), link('http://a.test/3', 1)]), 1);
        const batch = await f.lease(10);
        assert.deepEqual(urls(batch), ['http://a.test/1', 'http://a.test/3', 'http://a.test/2']);
        assert.equal(new Set(batch.leases.map((l) => l.token)).size, 3, 'distinct tokens');
        const first = batch.leases[0]!;
        assert.deepEqual(
          [first.kind, first.fetchUrl, first.host, first.depth, first.attempts, first.robots],
          ['page', 'http://a.test/1', 'a.test', 1, 0, 'allowed'],
        );
        const again = await f.lease(10);
        assert.deepEqual(again.leases, []);
        assert.equal(again.done, false, 'leases are in flight');
        const stats = await f.stats();
        assert.deepEqual([stats.inFlight, stats.queued, stats.known], [3, 0, 3]);
      }));

    test('a page commit stores its record and queues its new links, atomically', () =>
      withFrontier({}, async (f, _clock, harness) => {
        await f.add([link('http://a.test/', 0)]);
        const [home] = (await f.lease(10)).leases;
        const result = await f.commit([
          pageDone(home!, [
            link('http://a.test/x'),
            link('http://a.test/'),
            link('http://b.test/y'),
          ]),
        ]);
        assert.deepEqual(result, [{ accepted: true }]);
        assert.deepEqual((await harness.committedPages()).get('http://a.test/')?.title, 'T');
        assert.deepEqual(urls(await f.lease(10)).sort(), ['http://a.test/x', 'http://b.test/y']);
        const stats = await f.stats();
        assert.deepEqual([stats.succeeded, stats.known, stats.bytes], [1, 3, 100]);
      }));

    test('finished, failed, retried after retryInMs, released and leased again first', () =>
      withFrontier({}, async (f, clock) => {
        await f.add(['ok', 'bad', 'again', 'back', 'later'].map((p) => link(`http://a.test/${p}`)));
        const leases = (await f.lease(4)).leases;
        const by = (p: string) => leases.find((l) => l.url.endsWith(p))!;
        const failed = { ...pageDone(by('bad')), ok: false } as Completion;
        await f.commit([
          pageDone(by('ok')),
          failed,
          { kind: 'retry', token: by('again').token, retryInMs: 5_000, contactAgoMs: 0 },
          { kind: 'release', token: by('back').token },
        ]);
        const next = await f.lease(1);
        assert.deepEqual(urls(next), ['http://a.test/back'], 'a released lease comes back first');
        assert.deepEqual(urls(await f.lease(10)), ['http://a.test/later']);
        const idle = await f.lease(10);
        assert.deepEqual(idle.leases, []);
        assert.equal(idle.waitMs, 5_000, 'the retry is due in 5 s');
        clock.t += 5_000;
        const [retry] = (await f.lease(10)).leases;
        assert.equal(retry?.url, 'http://a.test/again');
        assert.equal(retry?.attempts, 1);
        const stats = await f.stats();
        assert.deepEqual(
          [stats.succeeded, stats.failed, stats.retries, stats.queued, stats.inFlight],
          [1, 1, 1, 0, 3],
        );
      }));

    test('politeness: one request at a time per host, delayMs after the last contact ended', () =>
      withFrontier({ delayMs: 1_000, hostConcurrency: 1 }, async (f, clock) => {
        await f.add([link('http://a.test/1'), link('http://a.test/2'), link('http://b.test/1')]);
        const first = (await f.lease(10)).leases;
        assert.deepEqual(first.map((l) => l.host).sort(), ['a.test', 'b.test']);
        assert.equal(first[0]?.hostDelayMs, 1_000);
        assert.deepEqual((await f.lease(10)).leases, [], 'a.test is busy');
        const a = first.find((l) => l.host === 'a.test')!;
        clock.t += 1_200;
        // The response arrived 100 ms before the commit (parsing took that long).
        await f.commit([pageDone(a, [], 100)]);
        const waiting = await f.lease(10);
        assert.deepEqual(waiting.leases, [], 'the gap after the contact is not over');
        // One millisecond of margin: the clock counts whole milliseconds.
        assert.equal(waiting.waitMs, 1_000 - 100 + 1);
        clock.t += 900;
        assert.deepEqual((await f.lease(10)).leases, []);
        clock.t += 1;
        assert.deepEqual(urls(await f.lease(10)), ['http://a.test/2']);
      }));

    test('without a delay a host takes hostConcurrency requests at once', () =>
      withFrontier({ delayMs: 0, hostConcurrency: 2 }, async (f) => {
        await f.add([1, 2, 3].map((i) => link(`http://a.test/${i}`)));
        assert.equal((await f.lease(10)).leases.length, 2);
        assert.deepEqual((await f.lease(10)).leases, []);
      }));

    test('a host pause (429 Retry-After) holds every URL of that host', () =>
      withFrontier({ delayMs: 0, hostConcurrency: 10 }, async (f, clock) => {
        await f.add([link('http://a.test/1'), link('http://a.test/2'), link('http://b.test/1')]);
        const leases = (await f.lease(1)).leases;
        const one = leases[0]!;
        await f.commit([
          {
            kind: 'retry',
            token: one.token,
            retryInMs: 2_000,
            hostPauseMs: 2_000,
            contactAgoMs: 0,
          },
        ]);
        const during = (await f.lease(10)).leases;
        assert.deepEqual(
          during.map((l) => l.host),
          [one.host === 'a.test' ? 'b.test' : 'a.test'].filter((h) => h === 'b.test'),
        );
        clock.t += 2_000;
        const after = (await f.lease(10)).leases.filter((l) => l.host === one.host);
        assert.equal(after.length, one.host === 'a.test' ? 2 : 1);
      }));

    test('the job-wide concurrency caps leases in flight', () =>
      withFrontier({ concurrency: 3 }, async (f) => {
        await f.add([1, 2, 3, 4, 5].map((i) => link(`http://h${i}.test/`)));
        const first = (await f.lease(10)).leases;
        assert.equal(first.length, 3);
        assert.deepEqual((await f.lease(10)).leases, []);
        await f.commit([pageDone(first[0]!)]);
        assert.equal((await f.lease(10)).leases.length, 1);
      }));

    test('renew() extends a lease; an expired one goes back and its late commit is refused', () =>
      withFrontier({ leaseMs: 10_000 }, async (f, clock, harness) => {
        await f.add([link('http://a.test/slow'), link('http://a.test/kept')]);
        const [slow, kept] = (await f.lease(10)).leases;
        clock.t += 6_000;
        assert.deepEqual(await f.renew([kept!.token, 'no-such-token']), [true, false]);
        clock.t += 5_000; // slow's deadline (10 s) passed; kept's renewed one (16 s) did not
        const back = await f.lease(10);
        assert.deepEqual(urls(back), [slow!.url], 'the expired lease went back');
        assert.equal(back.leases[0]?.attempts, 1, 'an expired lease counts as an attempt');
        assert.notEqual(back.leases[0]?.token, slow!.token);
        assert.deepEqual(await f.renew([slow!.token]), [false]);
        const late = await f.commit([pageDone(slow!, [link('http://a.test/from-late')])]);
        assert.deepEqual(late, [{ accepted: false }]);
        assert.equal((await harness.committedPages()).has(slow!.url), false, 'nothing written');
        assert.equal((await f.stats()).known, 2, 'its links were not added');
        assert.deepEqual(await f.commit([pageDone(back.leases[0]!)]), [{ accepted: true }]);
        assert.deepEqual(await f.commit([pageDone(kept!)]), [{ accepted: true }]);
        const stats = await f.stats();
        assert.deepEqual([stats.succeeded, stats.inFlight, stats.queued], [2, 0, 0]);
        assert.equal((await f.lease(10)).done, true);
      }));

    test('done: only when nothing is queued and nothing is in flight', () =>
      withFrontier({}, async (f) => {
        assert.equal((await f.lease(10)).done, true, 'an empty job is done');
        await f.add([link('http://a.test/')]);
        const batch = await f.lease(10);
        assert.equal(batch.done, false);
        assert.equal((await f.lease(10)).done, false, 'one in flight');
        await f.commit([pageDone(batch.leases[0]!)]);
        assert.equal((await f.lease(10)).done, true);
      }));

    test('redirects: the hop is queued on the target host; a known target finishes the URL', () =>
      withFrontier({ delayMs: 500, hostConcurrency: 1 }, async (f, clock, harness) => {
        await f.add([link('http://a.test/r'), link('http://a.test/known')]);
        const [r] = (await f.lease(10)).leases;
        assert.equal(r?.url, 'http://a.test/r');
        const res = await f.commit([
          {
            kind: 'redirect',
            token: r!.token,
            target: { url: 'http://a.test/t', host: 'a.test' },
            status: 301,
            knownRecord: record(r!.url, 'known'),
            contactAgoMs: 0,
          },
        ]);
        assert.deepEqual(res, [{ accepted: true, redirect: 'hop' }]);
        assert.deepEqual((await f.lease(10)).leases, [], 'the hop waits for the host gap');
        clock.t += 501;
        const [hop] = (await f.lease(10)).leases;
        assert.deepEqual(
          [hop?.url, hop?.fetchUrl, hop?.redirects, hop?.redirectStatus, hop?.attempts],
          ['http://a.test/r', 'http://a.test/t', ['http://a.test/t'], 301, 0],
          'the hop goes before the queued page and keeps the chain',
        );
        assert.equal(await f.add([link('http://a.test/t')]), 0, 'a claimed target is known');
        // A 503 on the hop: retried like any request, still under the first URL's name.
        await f.commit([{ kind: 'retry', token: hop!.token, retryInMs: 1_000, contactAgoMs: 0 }]);
        clock.t += 1_000;
        const [again] = (await f.lease(10)).leases;
        assert.deepEqual(
          [again?.url, again?.fetchUrl, again?.attempts],
          [r!.url, 'http://a.test/t', 1],
        );
        await f.commit([pageDone(again!)]);
        clock.t += 501;
        const [known] = (await f.lease(10)).leases;
        assert.equal(known?.url, 'http://a.test/known');
        const res2 = await f.commit([
          {
            kind: 'redirect',
            token: known!.token,
            target: { url: 'http://a.test/t', host: 'a.test' },
            status: 302,
            knownRecord: record(known!.url, 'redirect_known'),
            contactAgoMs: 0,
          },
        ]);
        assert.deepEqual(res2, [{ accepted: true, redirect: 'known' }]);
        const pages = await harness.committedPages();
        assert.equal(pages.get('http://a.test/known')?.title, 'redirect_known');
        assert.deepEqual([...pages.keys()].sort(), ['http://a.test/known', 'http://a.test/r']);
        const stats = await f.stats();
        assert.deepEqual([stats.succeeded, stats.queued, stats.inFlight], [2, 0, 0]);
      }));

    test('a redirect replayed by the URL that claimed the target is followed again', () =>
      withFrontier({}, async (f, clock) => {
        await f.add([link('http://a.test/r')]);
        const [r] = (await f.lease(1)).leases;
        const redirect = (token: string): Completion => ({
          kind: 'redirect',
          token,
          target: { url: 'http://b.test/t', host: 'b.test' },
          status: 301,
          knownRecord: record('http://a.test/r'),
          contactAgoMs: 0,
        });
        await f.commit([redirect(r!.token)]);
        const [hop] = (await f.lease(1)).leases;
        assert.equal(hop?.host, 'b.test', 'politeness of the target host');
        // The hop's worker died: its lease expires, and the chain is replayed from its start.
        clock.t += DEFAULT_SETTINGS.leaseMs;
        const [replayed] = (await f.lease(1)).leases;
        assert.equal(replayed?.url, 'http://a.test/r');
        const res = await f.commit([
          {
            ...redirect(replayed!.token),
            target: { url: 'http://b.test/t', host: 'b.test' },
          } as Completion,
        ]);
        assert.deepEqual(res, [{ accepted: true, redirect: 'hop' }]);
      }));

    test('robots.txt gates its host: fetched once, first; Crawl-delay holds from the first page', () =>
      withFrontier({ robots: true, delayMs: 100, hostConcurrency: 1 }, async (f, clock) => {
        await f.add([
          link('http://a.test/p1'),
          link('http://a.test/private/x'),
          link('http://a.test/p2'),
        ]);
        const first = await f.lease(10);
        assert.equal(first.leases.length, 1, 'only robots.txt until it is known');
        const robots = first.leases[0]!;
        assert.deepEqual(
          [robots.kind, robots.url, robots.host],
          ['robots', 'http://a.test/robots.txt', 'a.test'],
        );
        clock.t += 10_000;
        assert.deepEqual((await f.lease(10)).leases, [], 'nothing while robots.txt is fetched');
        await f.commit([
          {
            kind: 'robots',
            token: robots.token,
            fetched: {
              kind: 'parsed',
              status: 200,
              error: null,
              text: 'User-agent: *\nDisallow: /private/\nCrawl-delay: 2\nSitemap: http://a.test/sm.xml\n',
            },
            contactAgoMs: 0,
          },
        ]);
        const waiting = await f.lease(10);
        assert.deepEqual(waiting.leases, []);
        assert.equal(waiting.waitMs, 2_001, 'the Crawl-delay counts from the robots.txt request');
        clock.t += 2_001;
        const [p1] = (await f.lease(10)).leases;
        assert.deepEqual(
          [p1?.url, p1?.robots, p1?.hostDelayMs],
          ['http://a.test/p1', 'allowed', 2_000],
        );
        await f.commit([pageDone(p1!)]);
        clock.t += 2_001;
        const [priv] = (await f.lease(10)).leases;
        assert.deepEqual([priv?.url, priv?.robots], ['http://a.test/private/x', 'disallowed']);
        await f.commit([{ ...pageDone(priv!, [], null), ok: false } as Completion]);
        const [p2] = (await f.lease(10)).leases;
        assert.equal(p2?.url, 'http://a.test/p2', 'a disallowed URL took no turn of the gap');
      }));

    test('an unreachable robots.txt holds the host for the retry window, then is fetched again', () =>
      withFrontier(
        { robots: true, robotsRetryMs: 60_000, robotsMaxRetries: 1 },
        async (f, clock) => {
          await f.add([link('http://a.test/1'), link('http://a.test/2')]);
          const down = { kind: 'disallow-all', status: 503, error: null, text: null } as const;
          const robotsCommit = (token: string): Completion => ({
            kind: 'robots',
            token,
            fetched: down,
            contactAgoMs: 0,
          });
          const [r1] = (await f.lease(10)).leases;
          await f.commit([robotsCommit(r1!.token)]);
          const held = await f.lease(10);
          assert.deepEqual(held.leases, []);
          assert.equal(held.waitMs, 60_000);
          clock.t += 60_000;
          const [r2] = (await f.lease(10)).leases;
          assert.equal(r2?.kind, 'robots', 'fetched again after the window');
          await f.commit([robotsCommit(r2!.token)]);
          clock.t += 60_000;
          const [r3] = (await f.lease(10)).leases;
          assert.equal(r3?.kind, 'robots');
          await f.commit([robotsCommit(r3!.token)]);
          // Unreachable more than robotsMaxRetries times: the pages fail instead of waiting.
          const pages = (await f.lease(10)).leases;
          assert.deepEqual(
            pages.map((l) => [l.kind, l.robots]),
            [
              ['page', 'unreachable'],
              ['page', 'unreachable'],
            ],
          );
        },
      ));

    test('robots.txt is fetched again once robotsMaxAgeMs has passed', () =>
      withFrontier({ robots: true, robotsMaxAgeMs: 100_000 }, async (f, clock) => {
        await f.add([link('http://a.test/1'), link('http://a.test/2')]);
        const allowAll = { kind: 'allow-all', status: 404, error: null, text: null } as const;
        const [r1] = (await f.lease(1)).leases;
        await f.commit([{ kind: 'robots', token: r1!.token, fetched: allowAll, contactAgoMs: 0 }]);
        const [p1] = (await f.lease(1)).leases;
        assert.equal(p1?.kind, 'page');
        clock.t += 100_000;
        const [r2] = (await f.lease(1)).leases;
        assert.deepEqual([r2?.kind, r2?.url], ['robots', 'http://a.test/robots.txt']);
      }));

    test('a robots lease that expires is handed out again', () =>
      withFrontier({ robots: true, leaseMs: 5_000 }, async (f, clock) => {
        await f.add([link('http://a.test/1')]);
        const [r1] = (await f.lease(10)).leases;
        assert.equal(r1?.kind, 'robots');
        clock.t += 5_000;
        const [r2] = (await f.lease(10)).leases;
        assert.equal(r2?.kind, 'robots');
        assert.notEqual(r2?.token, r1?.token);
        await f.commit([
          {
            kind: 'robots',
            token: r2!.token,
            fetched: { kind: 'allow-all', status: 404, error: null, text: null },
            contactAgoMs: 0,
          },
        ]);
        assert.deepEqual(urls(await f.lease(10)), ['http://a.test/1']);
      }));

    test('maxPages: that many distinct pages are started; started ones still finish', () =>
      withFrontier({ maxPages: 2 }, async (f, clock) => {
        await f.add([1, 2, 3, 4].map((i) => link(`http://a.test/${i}`)));
        const leases = (await f.lease(10)).leases;
        assert.equal(leases.length, 2);
        await f.commit([
          pageDone(leases[0]!, [link('http://a.test/new')]),
          { kind: 'retry', token: leases[1]!.token, retryInMs: 1_000, contactAgoMs: 0 },
        ]);
        const none = await f.lease(10);
        assert.deepEqual(none.leases, []);
        assert.equal(none.done, false, 'a started page waits for its retry');
        clock.t += 1_000;
        const [retry] = (await f.lease(10)).leases;
        assert.equal(
          retry?.url,
          leases[1]!.url,
          'the retry is leased although the budget is spent',
        );
        await f.commit([pageDone(retry!)]);
        const end = await f.lease(10);
        assert.deepEqual([end.leases, end.done], [[], true]);
        assert.equal((await f.stats()).queued, 3, 'the rest stays queued for a larger budget');
      }));

    test('sitemap walks: queued once per origin, gated by robots.txt, given its Sitemap lines', () =>
      withFrontier({ robots: true }, async (f) => {
        assert.equal(await f.addSitemapSources(['http://a.test', 'http://a.test']), 1);
        assert.equal(await f.addSitemapSources(['http://a.test']), 0);
        const [robots] = (await f.lease(10)).leases;
        assert.equal(robots?.kind, 'robots');
        await f.commit([
          {
            kind: 'robots',
            token: robots!.token,
            fetched: {
              kind: 'parsed',
              status: 200,
              error: null,
              text: 'Sitemap: http://a.test/sitemap-index.xml\n',
            },
            contactAgoMs: 0,
          },
        ]);
        const [walk] = (await f.lease(10)).leases;
        assert.deepEqual(
          [walk?.kind, walk?.url, walk?.sitemaps],
          ['sitemaps', 'http://a.test', ['http://a.test/sitemap-index.xml']],
        );
        await f.commit([
          {
            kind: 'sitemaps',
            token: walk!.token,
            links: [link('http://a.test/from-sitemap')],
            contactAgoMs: 0,
          },
        ]);
        assert.deepEqual(urls(await f.lease(10)), ['http://a.test/from-sitemap']);
        const stats = await f.stats();
        assert.equal(stats.succeeded, 0, 'a sitemap walk is not a page');
      }));

    test('a restart loses nothing: unfinished URLs come back, finished ones do not', async () => {
      const harness = await makeHarness();
      const clock = new ManualClock();
      try {
        let f = await harness.open(clock, DEFAULT_SETTINGS);
        await f.add([1, 2, 3].map((i) => link(`http://a.test/${i}`)));
        const leased = (await f.lease(2)).leases;
        await f.commit([pageDone(leased[0]!)]);
        await f.close();
        f = await harness.open(clock, DEFAULT_SETTINGS);
        // Embedded: in-flight URLs are queued again at once; distributed: when their lease expires.
        clock.t += DEFAULT_SETTINGS.leaseMs;
        const again = urls(await f.lease(10)).sort();
        assert.deepEqual(
          again,
          ['http://a.test/1', 'http://a.test/2', 'http://a.test/3'].filter(
            (u) => u !== leased[0]!.url,
          ),
        );
        assert.equal(await f.add([link(leased[0]!.url)]), 0, 'finished URLs stay known');
        assert.equal((await f.stats()).succeeded, 1);
        await f.close();
      } finally {
        await harness.cleanup();
      }
    });
  });
}
