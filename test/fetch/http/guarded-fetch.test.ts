import assert from 'node:assert/strict';
import type { LookupFunction } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { request } from 'undici';
import { createAddressGuard } from '../../../src/fetch/http/address-guard.js';
import { createGuardedAgent } from '../../../src/fetch/http/guarded-dispatcher.js';
import { HttpFetcher } from '../../../src/fetch/http/http-fetcher.js';
import { toTrawlError } from '../../../src/fetch/http/to-trawl-error.js';
import { crawlInProcess } from '../../support/crawl-in-process.js';
import { failure } from '../../support/expect-trawl-error.js';
import { html, page, startTestServer, type TestServer } from '../../support/http-server.js';
import { readJsonl } from '../../support/read-output.js';
import { tempDir } from '../../support/temp-dir.js';

/**
 * 127.0.0.2 stands in for the public internet (the only range allowed) and 127.0.0.3
 * for a private target, so nothing here leaves the machine.
 */
const ALLOWED = '127.0.0.2';
const PRIVATE = '127.0.0.3';

/** Answers each name with the next address of its list (the last one sticks): rebinding. */
function rebindingLookup(table: Record<string, string[]>): {
  lookup: LookupFunction;
  calls: Record<string, number>;
} {
  const calls: Record<string, number> = {};
  const lookup: LookupFunction = (hostname, options, callback) => {
    const answers = table[hostname] ?? [];
    const n = calls[hostname] ?? 0;
    calls[hostname] = n + 1;
    const address = answers[Math.min(n, answers.length - 1)] ?? '';
    const entry = { address, family: 4 };
    if (options.all === true) process.nextTick(callback, null, [entry]);
    else process.nextTick(callback, null, address, 4);
  };
  return { lookup, calls };
}

let a: TestServer;
let b: TestServer;
/** On 127.0.0.3 at A's port: what a rebound name of A would reach. */
let b2: TestServer;

before(async () => {
  b = await startTestServer((_req, res) => res.end('internal secret'), PRIVATE);
  a = await startTestServer((req, res) => {
    switch (req.url) {
      case '/to-private':
        res.writeHead(302, { location: `${b.origin}/secret` }).end();
        return;
      case '/to-private-name':
        res.writeHead(302, { location: `http://intranet.test:${b.port}/secret` }).end();
        return;
      case '/to-allowed':
        res.writeHead(302, { location: '/ok' }).end();
        return;
      case '/':
        html(res, page('home', ['/ok', `${b.origin}/secret`]));
        return;
      default:
        // Connection: close, so the next request needs a new connection (and lookup).
        res.writeHead(200, { connection: 'close' }).end('public page');
    }
  }, ALLOWED);
  b2 = await startTestServer((_req, res) => res.end('rebound secret'), PRIVATE, a.port);
});

after(async () => {
  await Promise.all([a.close(), b.close(), b2.close()]);
});

describe('HttpFetcher with an address guard', () => {
  test('a 302 from an allowed host to a private one fails, and is never requested', async () => {
    const { lookup } = rebindingLookup({ 'intranet.test': [PRIVATE] });
    const fetcher = new HttpFetcher({
      userAgent: 'TrawlTest/1.0',
      addressGuard: { allow: [`${ALLOWED}/32`] },
      addressLookup: lookup,
    });
    try {
      const ok = await fetcher.fetch(`${a.origin}/to-allowed`);
      assert.equal(ok.body.toString(), 'public page');
      // An IP-literal Location: refused by the pre-check of the hop.
      const literal = await failure(() => fetcher.fetch(`${a.origin}/to-private`));
      assert.equal(literal.code, 'blocked_address');
      assert.equal(literal.status, 302);
      assert.equal(literal.finalUrl, `${b.origin}/secret`);
      // A named Location: refused when its connection looks the name up.
      const named = await failure(() => fetcher.fetch(`${a.origin}/to-private-name`));
      assert.equal(named.code, 'blocked_address', named.message);
      assert.equal(named.retryable, false);
      assert.equal(named.finalUrl, `http://intranet.test:${b.port}/secret`);
      assert.equal(a.hits('/to-private'), 1);
      assert.equal(a.hits('/to-private-name'), 1);
      assert.equal(b.requests.length, 0);
    } finally {
      await fetcher.close();
    }
  });

  test('DNS rebinding: a name that later resolves to a private address is refused at connect', async () => {
    const { lookup, calls } = rebindingLookup({ 'rebind.test': [ALLOWED, PRIVATE] });
    const fetcher = new HttpFetcher({
      userAgent: 'TrawlTest/1.0',
      addressGuard: { allow: [`${ALLOWED}/32`] },
      addressLookup: lookup,
    });
    try {
      const url = `http://rebind.test:${a.port}/page`;
      const first = await fetcher.fetch(url);
      assert.equal(first.body.toString(), 'public page');
      const second = await failure(() => fetcher.fetch(url));
      assert.equal(second.code, 'blocked_address', second.message);
      assert.equal(calls['rebind.test'], 2);
      assert.equal(b2.requests.length, 0);
    } finally {
      await fetcher.close();
    }
  });

  test('an answer mixing public and private addresses is refused before any connection', async () => {
    const mixed: LookupFunction = (_hostname, _options, callback) => {
      const addresses = [
        { address: '8.8.8.8', family: 4 },
        { address: PRIVATE, family: 4 },
      ];
      process.nextTick(callback, null, addresses);
    };
    const fetcher = new HttpFetcher({
      userAgent: 'TrawlTest/1.0',
      addressGuard: { allow: [] },
      addressLookup: mixed,
    });
    try {
      const err = await failure(() => fetcher.fetch(`http://mixed.test:${b.port}/`));
      assert.equal(err.code, 'blocked_address');
      assert.match(err.message, /127\.0\.0\.3/);
      assert.equal(b.requests.length, 0);
    } finally {
      await fetcher.close();
    }
  });
});

describe('createGuardedAgent (webhooks and other outbound requests)', () => {
  test("undici.request through it fails with the guard's own error", async () => {
    const { lookup } = rebindingLookup({ 'hook.test': [PRIVATE] });
    const agent = createGuardedAgent({ allow: [] }, { lookup });
    try {
      // undici passes the lookup error through unwrapped: no cause chain to unpick.
      await assert.rejects(request(`http://hook.test:${b.port}/hook`, { dispatcher: agent }), {
        name: 'TrawlError',
        code: 'blocked_address',
      });
      assert.equal(b.requests.length, 0);
    } finally {
      await agent.close();
    }
  });

  test('a wrapped guard error still maps to blocked_address, not a retried network error', () => {
    const guard = createAddressGuard({ allow: [] });
    const inner = ((): unknown => {
      try {
        guard.checkUrl('http://127.0.0.1/');
      } catch (err) {
        return err;
      }
      return null;
    })();
    for (const wrapped of [
      new Error('connect failed', { cause: inner }),
      new AggregateError([new Error('ECONNREFUSED'), inner]),
    ]) {
      const err = toTrawlError(wrapped, undefined, 'http://evil.test/');
      assert.equal(err.code, 'blocked_address');
      assert.equal(err.retryable, false);
      assert.equal(err.finalUrl, 'http://evil.test/');
    }
  });

  test('a shared guard checks the URL and the connection', async () => {
    const guard = createAddressGuard({ allow: [`${ALLOWED}/32`] });
    const agent = createGuardedAgent(guard);
    try {
      assert.throws(() => guard.checkUrl(`${b.origin}/hook`), { code: 'blocked_address' });
      const url = `${a.origin}/hook`;
      guard.checkUrl(url);
      const res = await request(url, { dispatcher: agent });
      assert.equal(await res.body.text(), 'public page');
    } finally {
      await agent.close();
    }
  });
});

describe('a crawl with an address guard', () => {
  test("records a refused link's page as error blocked_address", { timeout: 30_000 }, async () => {
    const dir = await tempDir();
    try {
      const out = join(dir.path, 'pages.jsonl');
      const summary = await crawlInProcess(
        {
          seeds: [`${a.origin}/`],
          scope: 'any',
          delayMs: 0,
          // robots.txt of a refused host would be "unreachable" and hold its pages back.
          robots: false,
          parseWorkers: 0,
          addressGuard: { allow: [`${ALLOWED}/32`] },
        },
        dir.path,
        out,
      );
      assert.ok(summary !== undefined);
      const rows = await readJsonl(out);
      const byUrl = new Map(rows.map((r) => [r.url, r]));
      assert.equal(byUrl.get(`${a.origin}/ok`)?.status, 200);
      const refused = byUrl.get(`${b.origin}/secret`);
      assert.equal(refused?.error, 'blocked_address');
      assert.equal(refused?.attempts, 1);
      assert.equal(b.requests.length, 0);
    } finally {
      await dir.cleanup();
    }
  });
});
