/**
 * Sessions: the cookie jar against a loopback site (host, path, scheme, expiry, public
 * suffixes, caps), and the pool's retirement rules (401/403/429, block pages, usage and
 * error budgets), proxies bound per session from the chooser.
 */
import assert from 'node:assert/strict';
import type http from 'node:http';
import type { LookupFunction } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Agent, request } from 'undici';
import { headerArray } from '../../src/antiblock/headers/header-sets.js';
import { CookieJar } from '../../src/antiblock/session/cookie-jar.js';
import { SessionPool } from '../../src/antiblock/session/session-pool.js';
import type { Session } from '../../src/antiblock/session/session-pool.js';
import { listen, shut } from '../support/loopback-server.js';

/** Every name resolves to the loopback server, so one server plays several sites. */
const toLoopback: LookupFunction = (_hostname, options, callback) => {
  if (options.all) callback(null, [{ address: '127.0.0.1', family: 4 }]);
  else callback(null, '127.0.0.1', 4);
};

let server: http.Server;
let port: number;
const agent = new Agent({ connect: { lookup: toLoopback } });
/** The Cookie header of the last request each path received. */
const cookieSeen = new Map<string, string | null>();

before(async () => {
  let base: string;
  ({ server, base } = await listen((req, res) => {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'x'}`);
    cookieSeen.set(url.pathname, req.headers.cookie ?? null);
    if (url.pathname === '/login') {
      res.setHeader('Set-Cookie', [
        'sid=abc; Path=/; HttpOnly; SameSite=Lax',
        'site=all; Domain=example.com; Path=/',
        'app=1; Path=/app',
        'old=1; Path=/; Expires=Thu, 01 Jan 1970 00:00:01 GMT',
        'gone=1; Path=/; Max-Age=0',
        'sec=1; Path=/; Secure',
        'suffix=1; Domain=com; Path=/',
      ]);
      res.end('welcome');
      return;
    }
    const status = /^\/status\/(\d{3})$/.exec(url.pathname)?.[1];
    res.statusCode = status === undefined ? 200 : Number(status);
    res.end('page');
  }));
  port = Number(new URL(base).port);
});

after(async () => {
  await agent.close();
  await shut(server);
});

/** One request made as the session would: its headers, its cookies, its jar updated. */
async function visit(session: Session, url: string): Promise<number> {
  const cookie = session.cookies.cookieHeader(url);
  const res = await request(url, {
    dispatcher: agent,
    headers: headerArray(session.headerSet, { cookie }),
  });
  await res.body.text();
  const setCookie = res.headers['set-cookie'];
  session.cookies.setCookies(url, setCookie === undefined ? [] : [setCookie].flat());
  return res.statusCode;
}

const site = (host: string, path = '/'): string => `http://${host}:${port}${path}`;

async function until(check: () => boolean, what: string, deadlineMs = 5000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > deadlineMs) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('cookie jar against a loopback site', () => {
  test('cookies come back only to the right host, path and scheme; expired ones never', async () => {
    const pool = new SessionPool();
    const session = await pool.acquire('www.example.com');
    assert.equal(await visit(session, site('www.example.com', '/login')), 200);

    await visit(session, site('www.example.com', '/page'));
    assert.equal(cookieSeen.get('/page'), 'sid=abc; site=all');
    await visit(session, site('www.example.com', '/app/x'));
    assert.equal(cookieSeen.get('/app/x'), 'app=1; sid=abc; site=all');
    // A sibling host gets the Domain cookie only; another site gets nothing.
    await visit(session, site('shop.example.com', '/app/y'));
    assert.equal(cookieSeen.get('/app/y'), 'site=all');
    await visit(session, site('example.org', '/other'));
    assert.equal(cookieSeen.get('/other'), null);
    // Secure was refused over http, Domain=com (a public suffix) refused, expired dropped.
    assert.equal(
      session.cookies.cookieHeader(site('www.example.com').replace('http:', 'https:')),
      'sid=abc; site=all',
    );
    assert.equal(session.cookies.size().cookies, 3);
  });

  test('host-only and Domain cookies, public suffixes, Secure, Path (no network)', () => {
    const jar = new CookieJar();
    assert.equal(
      jar.setCookies('https://a.shop.example.co.uk/cart/view', [
        'host=1',
        'dom=1; Domain=.example.co.uk; Path=/',
        'psl=1; Domain=co.uk',
        'private=1; Domain=github.io',
        'sec=1; Secure; Path=/',
        'deep=1; Path=/cart/view/more',
        'other=1; Domain=example.org',
      ]),
      4,
    );
    assert.equal(jar.cookieHeader('https://a.shop.example.co.uk/cart/x'), 'host=1; dom=1; sec=1');
    assert.equal(
      jar.cookieHeader('https://a.shop.example.co.uk/cart/view/more/z'),
      'deep=1; host=1; dom=1; sec=1',
    );
    assert.equal(jar.cookieHeader('http://a.shop.example.co.uk/cart/x'), 'host=1; dom=1');
    assert.equal(jar.cookieHeader('https://www.example.co.uk/'), 'dom=1');
    assert.equal(jar.cookieHeader('https://b.shop.example.co.uk/cart/'), 'dom=1');
    assert.equal(jar.cookieHeader('https://example.org/'), null);
    assert.equal(jar.cookieHeader('https://x.github.io/'), null);
    assert.equal(jar.cookieHeader('ftp://a.shop.example.co.uk/cart/'), null);
    // github.io is a public suffix too (private section): x.github.io keeps its own.
    jar.setCookies('https://x.github.io/', [
      'mine=1; Domain=x.github.io',
      'theirs=1; Domain=github.io',
    ]);
    assert.equal(jar.cookieHeader('https://x.github.io/'), 'mine=1');
    assert.equal(jar.cookieHeader('https://y.github.io/'), null);
  });

  test('cookies(): the live ones with their attributes, for a browser context', () => {
    const jar = new CookieJar();
    jar.setCookies('https://www.shop.example/a/b', [
      'host=1; Path=/a; Secure; HttpOnly; SameSite=Strict',
      'wide=2; Domain=shop.example; Max-Age=60',
      'gone=3; Max-Age=0',
      'bad=4; Domain=other.example',
    ]);
    const got = jar.cookies().sort((a, b) => a.name.localeCompare(b.name));
    assert.deepEqual(
      got.map((c) => [c.name, c.domain, c.hostOnly, c.path, c.secure, c.httpOnly, c.sameSite]),
      [
        ['host', 'www.shop.example', true, '/a', true, true, 'strict'],
        // No Path: the default path, the URL's directory (RFC 6265 5.1.4).
        ['wide', 'shop.example', false, '/a', false, false, null],
      ],
    );
    assert.equal(got[0]?.expiresMs, null, 'a session cookie');
    const expires = got[1]?.expiresMs ?? 0;
    assert.ok(Math.abs(expires - (Date.now() + 60_000)) < 5_000, 'Max-Age as an absolute time');
  });

  test('a Set-Cookie that expires deletes its namesake', () => {
    const jar = new CookieJar();
    jar.setCookies('https://example.com/', ['a=1', 'b=1']);
    assert.equal(
      jar.setCookies('https://example.com/', [
        'a=; Max-Age=0',
        'b=; Expires=Thu, 01 Jan 1970 00:00:01 GMT',
      ]),
      0,
    );
    assert.equal(jar.cookieHeader('https://example.com/'), null);
    assert.equal(jar.size().cookies, 0);
  });

  test('Max-Age counts from when the cookie was set, not from its last use', async () => {
    const jar = new CookieJar();
    jar.setCookies('https://example.com/', ['short=1; Max-Age=1']);
    assert.equal(jar.cookieHeader('https://example.com/'), 'short=1');
    // Reading it all along (tough-cookie alone would slide its expiry on every read).
    await until(
      () => jar.cookieHeader('https://example.com/') === null,
      'the cookie to expire',
      4000,
    );
  });

  test('per-site and total caps evict the oldest; oversized cookies are refused', () => {
    const jar = new CookieJar({ maxCookiesPerSite: 5, maxTotalBytes: 100 });
    jar.setCookies('https://a.example.com/', ['c0=0', 'c1=1', 'c2=2']);
    jar.setCookies('https://b.example.com/', ['c3=3', 'c4=4', 'c5=5', 'c6=6']);
    assert.equal(jar.size().cookies, 5);
    assert.equal(jar.cookieHeader('https://a.example.com/'), 'c2=2');
    assert.equal(jar.cookieHeader('https://b.example.com/'), 'c3=3; c4=4; c5=5; c6=6');
    // Another site has its own five, but the total bytes cap (100) bites: oldest go first.
    jar.setCookies('https://other.org/', [`big=${'x'.repeat(90)}`]);
    assert.deepEqual(jar.size(), { cookies: 3, bytes: 99 });
    assert.ok(jar.cookieHeader('https://other.org/')?.startsWith('big='));
    assert.equal(jar.cookieHeader('https://a.example.com/'), null);
    assert.equal(jar.cookieHeader('https://b.example.com/'), 'c5=5; c6=6');

    assert.equal(
      new CookieJar().setCookies('https://example.com/', [`huge=${'x'.repeat(5000)}`]),
      0,
    );
  });
});

describe('session pool', () => {
  for (const status of [401, 403, 429]) {
    test(`a ${status} retires the session whole; it is never handed out again`, async () => {
      const pool = new SessionPool({ maxSessions: 1 });
      const first = await pool.acquire('www.example.com');
      await visit(first, site('www.example.com', '/login'));
      assert.equal(await visit(first, site('www.example.com', `/status/${status}`)), status);
      pool.report(first, { status });
      assert.equal(first.retired, true);
      assert.equal(first.retiredReason, 'status');
      for (let i = 0; i < 5; i++) {
        const next = await pool.acquire('www.example.com');
        assert.notEqual(next.id, first.id);
        assert.equal(next.retired, false);
        // The fresh session starts with an empty jar: the old cookies went with the old one.
        assert.equal(next.cookies.cookieHeader(site('www.example.com')), null);
      }
      assert.deepEqual(
        { active: pool.stats().active, retired: pool.stats().retired },
        { active: 1, retired: 1 },
      );
    });
  }

  test('a block page (blocked: true) retires the session even on a 200', async () => {
    const pool = new SessionPool({ maxSessions: 2 });
    const a = await pool.acquire();
    const b = await pool.acquire();
    pool.report(a, { status: 200, blocked: true });
    assert.equal(a.retiredReason, 'blocked');
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) seen.add((await pool.acquire()).id);
    assert.ok(!seen.has(a.id));
    assert.ok(seen.has(b.id));
    assert.equal(pool.size(), 2);
    assert.equal(pool.stats().retiredBy.blocked, 1);
  });

  test('usage budget: a session is handed out maxUsage times, then a fresh one', async () => {
    const pool = new SessionPool({ maxSessions: 1, maxUsage: 3 });
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      const s = await pool.acquire();
      ids.push(s.id);
      if (i < 3) pool.report(s, { status: 200 });
    }
    // s1 retires on its third report; s2 is never reported and retires when spent.
    assert.deepEqual(ids, ['s1', 's1', 's1', 's2', 's2', 's2', 's3']);
    assert.equal(pool.stats().retiredBy.usage, 2);
  });

  test('error budget: errors add one, successes take half back, retire at 3', async () => {
    const pool = new SessionPool({ maxSessions: 1 });
    const s = await pool.acquire();
    const steps: Array<[Parameters<SessionPool['report']>[1], number]> = [
      [{ error: 'network' }, 1],
      [{ error: 'timeout' }, 2],
      [{ status: 200 }, 1.5],
      [{ status: 503 }, 2.5],
      [{ status: 404 }, 2],
      [{ error: 'proxy_failed' }, 3],
    ];
    for (const [outcome, score] of steps) {
      assert.equal(s.retired, false);
      pool.report(s, outcome);
      assert.equal(s.errorScore, score, JSON.stringify(outcome));
    }
    assert.equal(s.retired, true);
    assert.equal(s.retiredReason, 'errors');
    assert.notEqual((await pool.acquire()).id, s.id);
    // The score never goes below zero.
    const fresh = await pool.acquire();
    pool.report(fresh, { status: 200 });
    assert.equal(fresh.errorScore, 0);
  });

  test('each session is bound to the proxy the chooser gave it when it was made', async () => {
    const asked: string[] = [];
    const pool = new SessionPool({
      maxSessions: 3,
      acquireProxy: async (host) => {
        asked.push(host);
        return `http://proxy-${asked.length}.test:8080`;
      },
    });
    const sessions: Session[] = [];
    for (const host of ['a.test', 'b.test', 'c.test', 'd.test', 'e.test', 'f.test']) {
      sessions.push(await pool.acquire(host));
    }
    assert.deepEqual(asked, ['a.test', 'b.test', 'c.test']);
    assert.deepEqual(
      sessions.map((s) => [s.id, s.proxy]),
      [
        ['s1', 'http://proxy-1.test:8080'],
        ['s2', 'http://proxy-2.test:8080'],
        ['s3', 'http://proxy-3.test:8080'],
        ['s1', 'http://proxy-1.test:8080'],
        ['s2', 'http://proxy-2.test:8080'],
        ['s3', 'http://proxy-3.test:8080'],
      ],
    );
    const [first] = sessions;
    assert.ok(first);
    pool.report(first, { status: 403 });
    const replacement = await pool.acquire('g.test');
    assert.equal(replacement.proxy, 'http://proxy-4.test:8080');
    assert.deepEqual(asked.at(-1), 'g.test');
    // Without a chooser sessions go direct.
    assert.equal((await new SessionPool().acquire()).proxy, null);
  });

  test('a chooser that fails fails the acquire, and the pool goes on', async () => {
    let fail = true;
    const pool = new SessionPool({
      maxSessions: 1,
      acquireProxy: async () => {
        if (fail) throw new Error('no proxy left');
        return 'http://p.test:1';
      },
    });
    await assert.rejects(pool.acquire('x.test'), /no proxy left/);
    fail = false;
    assert.equal((await pool.acquire('x.test')).proxy, 'http://p.test:1');
    assert.equal(pool.stats().created, 1);
  });

  test('concurrent acquires never make more than maxSessions', async () => {
    const gates: Array<(proxy: string) => void> = [];
    const pool = new SessionPool({
      maxSessions: 2,
      acquireProxy: () => new Promise<string>((resolve) => gates.push(resolve)),
    });
    const acquiring = Array.from({ length: 5 }, () => pool.acquire('x.test'));
    await until(() => gates.length === 2, 'two sessions being made');
    gates.forEach((open, i) => open(`http://p${i}.test:1`));
    const got = await Promise.all(acquiring);
    assert.equal(gates.length, 2);
    assert.deepEqual([...new Set(got.map((s) => s.id))].sort(), ['s1', 's2']);
    assert.equal(pool.stats().created, 2);
  });

  test('headers: one set per session, --user-agent honoured in every one', async () => {
    const ua = 'TrawlBot/2.0 (+https://example.org/bot)';
    const pool = new SessionPool({ maxSessions: 3, headers: { userAgent: ua } });
    const a = await pool.acquire();
    const b = await pool.acquire();
    assert.equal(a.headerSet.userAgent, ua);
    assert.equal(b.headerSet.userAgent, ua);
    const drawn = new SessionPool({ maxSessions: 1 });
    const s = await drawn.acquire();
    assert.equal((await drawn.acquire()).headerSet, s.headerSet);
  });

  test('reports about sessions of another pool, or already retired, change nothing', async () => {
    const pool = new SessionPool();
    const other = await new SessionPool().acquire();
    pool.report(other, { status: 403 });
    assert.equal(other.retired, false);
    const s = await pool.acquire();
    pool.retire(s);
    pool.report(s, { status: 403 });
    assert.deepEqual(pool.stats().retiredBy, {
      status: 0,
      blocked: 0,
      usage: 0,
      errors: 0,
      manual: 1,
    });
    // Bad options fail when the pool is made, not at the first acquire.
    assert.throws(() => new SessionPool({ headers: { userAgent: 'a\nb' } }), RangeError);
    assert.throws(() => new SessionPool({ maxSessions: 0 }), RangeError);
  });
});
