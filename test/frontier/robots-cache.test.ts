import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpFetcher } from '../../src/fetch/http/http-fetcher.js';
import { RobotsCache } from '../../src/frontier/robots/robots-cache.js';
import { robotsAgentToken } from '../../src/frontier/robots/agent-token.js';

const UA = 'Mozilla/5.0 (compatible; trawl/0.1; +https://example.org/bot)';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

interface Site {
  origin: string;
  hits: Map<string, number>;
  routes: Map<string, Handler>;
  close(): Promise<void>;
}

async function startSite(routes: Record<string, Handler>): Promise<Site> {
  const table = new Map(Object.entries(routes));
  const hits = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '/';
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const handler = table.get(path);
    if (handler === undefined) res.writeHead(404).end('not found');
    else handler(req, res);
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    hits,
    routes: table,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

const text =
  (body: string | Buffer, status = 200): Handler =>
  (_req, res) =>
    res.writeHead(status, { 'content-type': 'text/plain' }).end(body);

const redirect =
  (location: string, status = 301): Handler =>
  (_req, res) =>
    res.writeHead(status, { location }).end();

/** A clock the test moves by hand. */
function manualClock(start = 1_700_000_000_000): { now(): number; advance(ms: number): void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

const fetcher = new HttpFetcher({ userAgent: UA, totalTimeoutMs: 10_000 });
after(() => fetcher.close());

function newCache(extra: Partial<ConstructorParameters<typeof RobotsCache>[0]> = {}): RobotsCache {
  return new RobotsCache({
    fetch: (url, options) => fetcher.fetch(url, options),
    userAgent: UA,
    ...extra,
  });
}

describe('RobotsCache: rules of a parsed robots.txt', () => {
  let site: Site;
  before(async () => {
    site = await startSite({
      '/robots.txt': text(
        [
          'User-agent: *',
          'Disallow: /',
          '',
          '# our group: more specific than *, so * does not apply to us at all',
          'User-agent: Trawl',
          'Disallow: /shop',
          'Allow: /shop/public',
          'Disallow: /shop/public/secret',
          'Allow: /same',
          'Disallow: /same',
          'Disallow: /*.pdf$',
          'Disallow: /private*/data',
          'Disallow: /search?',
          'Crawl-delay: 2.5',
          '',
          'Sitemap: https://cdn.example.org/sitemap-index.xml',
          'Sitemap: /relative-sitemap.xml',
          'Sitemap: https://cdn.example.org/sitemap-index.xml',
        ].join('\n'),
      ),
    });
  });
  after(() => site.close());

  test('longest match wins; Allow wins a tie; * and $ patterns', async () => {
    const policy = await newCache().get(site.origin);
    assert.equal(policy.kind, 'parsed');
    assert.equal(policy.status, 200);
    const verdicts = {
      '/': true,
      '/about': true,
      '/shop': false,
      '/shop/cart': false,
      '/shop/public': true,
      '/shop/public/item?id=1': true,
      '/shop/public/secret': false,
      '/shop/public/secret/x': false,
      '/same': true,
      '/docs/guide.pdf': false,
      '/docs/guide.pdf?download=1': true,
      '/docs/guide.pdf.html': true,
      '/private-area/data/1': false,
      '/private/data': false,
      '/private/other': true,
      '/search?q=x': false,
      '/search': true,
      '/robots.txt': true,
    };
    for (const [path, allowed] of Object.entries(verdicts)) {
      assert.equal(policy.isAllowed(site.origin + path), allowed, path);
      assert.equal(policy.isAllowed(path), allowed, `path form ${path}`);
    }
    assert.equal(policy.isAllowed(`${site.origin}/shop/public#frag`), true);
  });

  test('the agent group applies to us; other agents fall back to *', async () => {
    const other = await newCache({ agentToken: 'OtherBot' }).get(site.origin);
    assert.equal(other.isAllowed(`${site.origin}/about`), false);
    assert.equal(
      other.isAllowed(`${site.origin}/robots.txt`),
      true,
      'robots.txt is always allowed',
    );
    assert.equal(other.crawlDelayMs, null);
    const ours = await newCache().get(site.origin);
    assert.equal(ours.isAllowed(`${site.origin}/about`), true);
  });

  test('Crawl-delay in ms and absolute, deduplicated Sitemap URLs', async () => {
    const policy = await newCache().get(`${site.origin}/some/page?x=1`);
    assert.equal(policy.origin, site.origin);
    assert.equal(policy.crawlDelayMs, 2500);
    assert.deepEqual(policy.sitemaps, [
      'https://cdn.example.org/sitemap-index.xml',
      `${site.origin}/relative-sitemap.xml`,
    ]);
  });
});

describe('RobotsCache: fetching and caching', () => {
  test('a UTF-8 BOM does not hide the first group', async () => {
    const site = await startSite({
      '/robots.txt': text(
        Buffer.concat([
          Buffer.from([0xef, 0xbb, 0xbf]),
          Buffer.from('User-agent: *\nDisallow: /bom\n'),
        ]),
      ),
    });
    try {
      const policy = await newCache().get(site.origin);
      assert.equal(policy.isAllowed(`${site.origin}/bom/page`), false);
      assert.equal(policy.isAllowed(`${site.origin}/other`), true);
    } finally {
      await site.close();
    }
  });

  test('a 600 KiB file: rules in the first 512 KiB apply, a line cut at the limit is dropped', async () => {
    const maxBytes = 512 * 1024;
    const head = 'User-agent: *\nDisallow: /early\n';
    const cutLine = 'Disallow: /partial\n';
    // Pad with comments so the limit falls right after "Disallow: /p".
    const keptOfCut = 'Disallow: /p'.length;
    const padding = '#'.repeat(maxBytes - keptOfCut - head.length - 1) + '\n';
    const tail = `${'# filler\n'.repeat(12_000)}Disallow: /late\n`;
    const body = head + padding + cutLine + tail;
    assert.ok(body.length > 600 * 1024);
    const site = await startSite({ '/robots.txt': text(body) });
    try {
      const policy = await newCache().get(site.origin);
      assert.equal(policy.kind, 'parsed');
      assert.equal(policy.isAllowed(`${site.origin}/early/x`), false);
      assert.equal(
        policy.isAllowed(`${site.origin}/pizza`),
        true,
        'the cut "Disallow: /p" is not applied',
      );
      assert.equal(policy.isAllowed(`${site.origin}/late`), true, 'beyond maxBytes is ignored');
    } finally {
      await site.close();
    }
  });

  test('4xx means allow all (404, 401, 403)', async () => {
    const site = await startSite({});
    try {
      const policy = await newCache().get(site.origin);
      assert.equal(policy.kind, 'allow-all');
      assert.equal(policy.status, 404);
      assert.equal(policy.isAllowed(`${site.origin}/anything`), true);
      for (const status of [401, 403]) {
        site.routes.set('/robots.txt', text('User-agent: *\nDisallow: /', status));
        const p = await newCache().get(site.origin);
        assert.deepEqual(
          [p.kind, p.status, p.isAllowed(`${site.origin}/x`)],
          ['allow-all', status, true],
        );
      }
    } finally {
      await site.close();
    }
  });

  test('503 means disallow all until the retry window passes, then it is fetched again', async () => {
    const site = await startSite({ '/robots.txt': text('busy', 503) });
    const clock = manualClock();
    const cache = newCache({ clock, unreachableRetryMs: 600_000 });
    try {
      const first = await cache.get(site.origin);
      assert.deepEqual([first.kind, first.status], ['disallow-all', 503]);
      assert.equal(first.isAllowed(`${site.origin}/page`), false);
      assert.equal(first.isAllowed(`${site.origin}/robots.txt`), true);
      assert.equal(first.expiresAt, clock.now() + 600_000);

      site.routes.set('/robots.txt', text('User-agent: *\nDisallow: /private\n'));
      clock.advance(599_999);
      assert.equal((await cache.get(site.origin)).kind, 'disallow-all', 'still inside the window');
      assert.equal(site.hits.get('/robots.txt'), 1);

      clock.advance(1);
      assert.equal(cache.peek(site.origin), undefined, 'expired');
      const second = await cache.get(site.origin);
      assert.equal(site.hits.get('/robots.txt'), 2);
      assert.equal(second.kind, 'parsed');
      assert.equal(second.isAllowed(`${site.origin}/page`), true);
      assert.equal(second.isAllowed(`${site.origin}/private`), false);
    } finally {
      await site.close();
    }
  });

  test('429 is treated like 5xx: disallow all for the retry window', async () => {
    const site = await startSite({ '/robots.txt': text('slow down', 429) });
    const clock = manualClock();
    try {
      const policy = await newCache({ clock, unreachableRetryMs: 60_000 }).get(site.origin);
      assert.deepEqual([policy.kind, policy.status], ['disallow-all', 429]);
      assert.equal(policy.expiresAt, clock.now() + 60_000);
    } finally {
      await site.close();
    }
  });

  test('an unreachable server means disallow all', async () => {
    const site = await startSite({});
    const origin = site.origin;
    await site.close();
    const policy = await newCache().get(origin);
    assert.deepEqual([policy.kind, policy.status, policy.error], ['disallow-all', null, 'network']);
    assert.equal(policy.isAllowed(`${origin}/x`), false);
  });

  test('redirects are followed (up to 5); more than 5 means allow all', async () => {
    const site = await startSite({
      '/robots.txt': redirect('/moved/robots.txt'),
      '/moved/robots.txt': redirect('/final-robots.txt', 308),
      '/final-robots.txt': text('User-agent: *\nDisallow: /blocked\n'),
    });
    try {
      const policy = await newCache().get(site.origin);
      assert.equal(policy.kind, 'parsed');
      assert.equal(policy.isAllowed(`${site.origin}/blocked`), false);
      assert.equal(policy.isAllowed(`${site.origin}/open`), true);

      for (let i = 0; i < 6; i++) site.routes.set(`/r${i}`, redirect(`/r${i + 1}`));
      site.routes.set('/r6', text('User-agent: *\nDisallow: /\n'));
      site.routes.set('/robots.txt', redirect('/r0'));
      const tooFar = await newCache().get(site.origin);
      assert.deepEqual([tooFar.kind, tooFar.error], ['allow-all', 'too_many_redirects']);
    } finally {
      await site.close();
    }
  });

  test('concurrent get() calls share one fetch', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const site = await startSite({
      '/robots.txt': (_req, res) =>
        void gate.then(() => text('User-agent: *\nDisallow: /x\n')(_req, res)),
    });
    try {
      const cache = newCache();
      const calls = Array.from({ length: 10 }, (_, i) =>
        cache.get(i % 2 === 0 ? site.origin : `${site.origin}/p${i}`),
      );
      const deadline = Date.now() + 5000;
      while (site.hits.get('/robots.txt') === undefined && Date.now() < deadline) {
        await new Promise((resolve) => setImmediate(resolve));
      }
      release();
      const policies = await Promise.all(calls);
      assert.equal(site.hits.get('/robots.txt'), 1);
      assert.ok(policies.every((p) => p === policies[0]));
      assert.equal(cache.peek(`${site.origin}/any/page`), policies[0]);
    } finally {
      await site.close();
    }
  });

  test('a cached robots.txt is used for maxAgeMs, then fetched again', async () => {
    const site = await startSite({ '/robots.txt': text('User-agent: *\nDisallow: /old\n') });
    const clock = manualClock();
    const cache = newCache({ clock, maxAgeMs: 86_400_000 });
    try {
      assert.equal((await cache.get(site.origin)).isAllowed(`${site.origin}/old`), false);
      site.routes.set('/robots.txt', text('User-agent: *\nDisallow: /new\n'));
      clock.advance(86_399_999);
      assert.equal(cache.peek(site.origin)?.isAllowed(`${site.origin}/old`), false);
      assert.equal(site.hits.get('/robots.txt'), 1);
      clock.advance(1);
      assert.equal(cache.peek(site.origin), undefined);
      const fresh = await cache.get(site.origin);
      assert.equal(site.hits.get('/robots.txt'), 2);
      assert.equal(fresh.isAllowed(`${site.origin}/old`), true);
      assert.equal(fresh.isAllowed(`${site.origin}/new`), false);
    } finally {
      await site.close();
    }
  });

  test('at most maxOrigins origins are remembered, least recently used first out', async () => {
    const sites = await Promise.all([0, 1, 2].map(() => startSite({})));
    const [a, b, c] = sites.map((s) => s.origin) as [string, string, string];
    const cache = newCache({ maxOrigins: 2 });
    try {
      await cache.get(a);
      await cache.get(b);
      assert.ok(cache.peek(a) !== undefined);
      await cache.get(c);
      assert.equal(cache.peek(b), undefined);
      assert.ok(cache.peek(a) !== undefined && cache.peek(c) !== undefined);
    } finally {
      await Promise.all(sites.map((s) => s.close()));
    }
  });

  test('get() rejects URLs that are not http(s)', async () => {
    const cache = newCache();
    await assert.rejects(cache.get('mailto:a@b.c'), { code: 'unsupported_scheme' });
    await assert.rejects(cache.get('not a url'), { code: 'invalid_url' });
  });
});

describe('robotsAgentToken', () => {
  test('takes the bot name from the User-Agent header', () => {
    assert.equal(robotsAgentToken(UA), 'trawl');
    assert.equal(robotsAgentToken('Trawl/0.1 (+https://example.org)'), 'trawl');
    assert.equal(
      robotsAgentToken('Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)'),
      'googlebot',
    );
    assert.equal(robotsAgentToken('my_crawler-bot'), 'my_crawler-bot');
    assert.throws(() => robotsAgentToken('  /1.0 '), { code: 'usage' });
  });
});
