import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpFetcher } from '../../src/fetch/http/http-fetcher.js';
import { robotsAgentToken } from '../../src/frontier/robots/agent-token.js';
import { fetchRobots } from '../../src/frontier/robots/fetch-robots.js';
import { createRobotsPolicy, type RobotsPolicy } from '../../src/frontier/robots/robots-policy.js';
import {
  RobotsRulesCache,
  robotsTtlMs,
  robotsVerdict,
} from '../../src/frontier/robots/robots-rules.js';

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

const fetcher = new HttpFetcher({ userAgent: UA, totalTimeoutMs: 10_000 });
after(() => fetcher.close());

const NOW = 1_700_000_000_000;

/**
 * What a frontier makes of an origin's robots.txt: the worker's fetch, then the policy
 * the frontier derives from the stored answer (fetched at NOW).
 */
async function settle(
  origin: string,
  options: { agentToken?: string; retryMs?: number; maxAgeMs?: number } = {},
): Promise<RobotsPolicy> {
  const fetched = await fetchRobots((url, o) => fetcher.fetch(url, o), origin);
  const ttl = robotsTtlMs(fetched, {
    robotsMaxAgeMs: options.maxAgeMs ?? 86_400_000,
    robotsRetryMs: options.retryMs ?? 600_000,
  });
  return createRobotsPolicy({
    origin,
    kind: fetched.kind,
    status: fetched.status,
    error: fetched.error as RobotsPolicy['error'],
    fetchedAt: NOW,
    expiresAt: NOW + ttl,
    agentToken: (options.agentToken ?? robotsAgentToken(UA)).toLowerCase(),
    text: fetched.text ?? undefined,
  });
}

describe('robots.txt rules of a parsed file', () => {
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
    const policy = await settle(site.origin);
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
    const other = await settle(site.origin, { agentToken: 'OtherBot' });
    assert.equal(other.isAllowed(`${site.origin}/about`), false);
    assert.equal(
      other.isAllowed(`${site.origin}/robots.txt`),
      true,
      'robots.txt is always allowed',
    );
    assert.equal(other.crawlDelayMs, null);
    const ours = await settle(site.origin);
    assert.equal(ours.isAllowed(`${site.origin}/about`), true);
  });

  test('Crawl-delay in ms and absolute, deduplicated Sitemap URLs', async () => {
    const policy = await settle(site.origin);
    assert.equal(policy.origin, site.origin);
    assert.equal(policy.crawlDelayMs, 2500);
    assert.deepEqual(policy.sitemaps, [
      'https://cdn.example.org/sitemap-index.xml',
      `${site.origin}/relative-sitemap.xml`,
    ]);
  });
});

describe('robots.txt fetching (RFC 9309)', () => {
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
      const policy = await settle(site.origin);
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
      const policy = await settle(site.origin);
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
      const policy = await settle(site.origin);
      assert.equal(policy.kind, 'allow-all');
      assert.equal(policy.status, 404);
      assert.equal(policy.isAllowed(`${site.origin}/anything`), true);
      for (const status of [401, 403]) {
        site.routes.set('/robots.txt', text('User-agent: *\nDisallow: /', status));
        const p = await settle(site.origin);
        assert.deepEqual(
          [p.kind, p.status, p.isAllowed(`${site.origin}/x`)],
          ['allow-all', status, true],
        );
      }
    } finally {
      await site.close();
    }
  });

  test('503 means disallow all for the retry window (the frontier fetches it again after)', async () => {
    const site = await startSite({ '/robots.txt': text('busy', 503) });
    try {
      const first = await settle(site.origin, { retryMs: 600_000 });
      assert.deepEqual([first.kind, first.status], ['disallow-all', 503]);
      assert.equal(first.isAllowed(`${site.origin}/page`), false);
      assert.equal(robotsVerdict(first, `${site.origin}/page`), 'unreachable');
      assert.equal(first.isAllowed(`${site.origin}/robots.txt`), true);
      assert.equal(first.expiresAt, NOW + 600_000);
    } finally {
      await site.close();
    }
  });

  test('429 is treated like 5xx: disallow all for the retry window', async () => {
    const site = await startSite({ '/robots.txt': text('slow down', 429) });
    try {
      const policy = await settle(site.origin, { retryMs: 60_000 });
      assert.deepEqual([policy.kind, policy.status], ['disallow-all', 429]);
      assert.equal(policy.expiresAt, NOW + 60_000);
    } finally {
      await site.close();
    }
  });

  test('an unreachable server means disallow all', async () => {
    const site = await startSite({});
    const origin = site.origin;
    await site.close();
    const policy = await settle(origin);
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
      const policy = await settle(site.origin);
      assert.equal(policy.kind, 'parsed');
      assert.equal(policy.isAllowed(`${site.origin}/blocked`), false);
      assert.equal(policy.isAllowed(`${site.origin}/open`), true);

      for (let i = 0; i < 6; i++) site.routes.set(`/r${i}`, redirect(`/r${i + 1}`));
      site.routes.set('/r6', text('User-agent: *\nDisallow: /\n'));
      site.routes.set('/robots.txt', redirect('/r0'));
      const tooFar = await settle(site.origin);
      assert.deepEqual([tooFar.kind, tooFar.error], ['allow-all', 'too_many_redirects']);
    } finally {
      await site.close();
    }
  });

  test('a parsed file is kept for maxAge; parsed policies are cached per origin and version', () => {
    const fetched = {
      kind: 'parsed',
      status: 200,
      error: null,
      text: 'User-agent: *\nDisallow: /x\n',
    } as const;
    assert.equal(
      robotsTtlMs(fetched, { robotsMaxAgeMs: 86_400_000, robotsRetryMs: 1 }),
      86_400_000,
    );
    const cache = new RobotsRulesCache('trawl', 2);
    const v1 = { ...fetched, fetchedAt: 1, expiresAt: 2 };
    const a = cache.policy('http://a.test', v1);
    assert.equal(cache.policy('http://a.test', v1), a, 'same version: reused');
    assert.equal(a.isAllowed('http://a.test/x'), false);
    const v2 = { ...v1, text: 'User-agent: *\nDisallow: /y\n', fetchedAt: 3, expiresAt: 4 };
    const b = cache.policy('http://a.test', v2);
    assert.notEqual(b, a, 'a new version is parsed again');
    assert.deepEqual(
      [b.isAllowed('http://a.test/x'), b.isAllowed('http://a.test/y')],
      [true, false],
    );
    cache.policy('http://b.test', v1);
    cache.policy('http://c.test', v1);
    assert.notEqual(cache.policy('http://a.test', v2), b, 'least recently used forgotten first');
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
