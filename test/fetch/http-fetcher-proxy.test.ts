/**
 * The HTTP engine through real loopback proxies (test/support/forward-proxy.ts): http
 * targets as absolute-form requests, https targets (a self-signed loopback origin)
 * through CONNECT tunnels, credentials kept from the origin, and the proxy's own
 * failures reported as proxy_failed while the origin's stay as they are.
 */
import assert from 'node:assert/strict';
import { waitFor } from '../support/http-server.js';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import type http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { MemoryProxyPool } from '../../src/antiblock/proxy/memory-proxy-pool.js';
import { ProxyHealthChecker } from '../../src/antiblock/proxy/proxy-health.js';
import type { ProxyPool } from '../../src/antiblock/proxy/proxy-pool.js';
import { isTrawlError } from '../../src/core/errors.js';
import type { FetchResponse } from '../../src/core/types.js';
import { HttpFetcher } from '../../src/fetch/http/http-fetcher.js';
import { ProxyDispatchers } from '../../src/fetch/http/proxy-dispatchers.js';
import { failure } from '../support/expect-trawl-error.js';
import { startForwardProxy, type ForwardProxy } from '../support/forward-proxy.js';
import { freePort } from '../support/free-port.js';
import { listen, shut } from '../support/loopback-server.js';
import { tempDir } from '../support/temp-dir.js';

const USER = 'crawler';
const PASS = 's3cret-pa55';
const UA = 'trawl-test/1.0';

/** What the origins received, newest last. */
const received: { url: string; headers: http.IncomingHttpHeaders }[] = [];

function originHandler(req: http.IncomingMessage, res: http.ServerResponse): void {
  received.push({ url: req.url ?? '', headers: req.headers });
  if (req.url === '/redirect') {
    res.writeHead(302, { Location: '/plain' }).end();
    return;
  }
  if (req.url === '/broken') {
    res.writeHead(500, { 'Content-Type': 'text/plain' }).end('origin failure');
    return;
  }
  if (req.url === '/bad-gateway') {
    // An origin's own 502 (no Proxy-Status): the origin's, not the proxy's.
    res.writeHead(502, { 'Content-Type': 'text/plain' }).end('origin 502');
    return;
  }
  res.writeHead(200, { 'Content-Type': 'text/html' }).end(`<p>page ${req.url}</p>`);
}

let httpOrigin: http.Server;
let httpBase: string;
let httpsOrigin: https.Server;
let httpsBase: string;
let cert: string;
let cleanupCert: () => Promise<void>;
let open: ForwardProxy;
let authed: ForwardProxy;
let fetcher: HttpFetcher;

before(async () => {
  const dir = await tempDir('trawl-proxy-cert-');
  cleanupCert = dir.cleanup;
  const keyFile = join(dir.path, 'key.pem');
  const certFile = join(dir.path, 'cert.pem');
  await promisify(execFile)('openssl', [
    ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1'],
    ...['-addext', 'subjectAltName=IP:127.0.0.1', '-days', '1'],
    ...['-keyout', keyFile, '-out', certFile],
  ]);
  cert = await readFile(certFile, 'utf8');
  httpsOrigin = https.createServer({ key: await readFile(keyFile), cert }, originHandler);
  httpsOrigin.listen(0, '127.0.0.1');
  await once(httpsOrigin, 'listening');
  httpsBase = `https://127.0.0.1:${(httpsOrigin.address() as AddressInfo).port}`;
  ({ server: httpOrigin, base: httpBase } = await listen(originHandler));
  open = await startForwardProxy();
  authed = await startForwardProxy({ auth: { user: USER, pass: PASS } });
  fetcher = new HttpFetcher({ userAgent: UA, tls: { ca: cert } });
});

after(async () => {
  await fetcher.close();
  await Promise.all([open.close(), authed.close()]);
  await shut(httpOrigin);
  httpsOrigin.closeAllConnections();
  await new Promise((resolve) => httpsOrigin.close(resolve));
  await cleanupCert();
});

/** `http://user:pass@127.0.0.1:PORT` for a proxy. */
const withCreds = (proxy: ForwardProxy, user = USER, pass = PASS): string =>
  proxy.url.replace('http://', `http://${user}:${pass}@`);

function lastReceived(path: string): http.IncomingHttpHeaders {
  const hit = received.findLast((r) => r.url === path);
  assert.ok(hit !== undefined, `the origin received ${path}`);
  return hit.headers;
}

describe('HttpFetcher through a proxy', () => {
  test('an http target goes as an absolute-form request with Proxy-Authorization', async () => {
    const before = authed.requests;
    const res = await fetcher.fetch(`${httpBase}/abs-1`, { proxy: withCreds(authed) });
    assert.equal(res.status, 200);
    assert.equal(res.body.toString(), '<p>page /abs-1</p>');
    assert.equal(authed.requests, before + 1);
    assert.equal(authed.targets.at(-1), `${httpBase}/abs-1`);
    const expected = `Basic ${Buffer.from(`${USER}:${PASS}`).toString('base64')}`;
    assert.equal(authed.authSeen.at(-1), expected);
    const headers = lastReceived('/abs-1');
    assert.equal(headers['proxy-authorization'], undefined);
    assert.equal(headers['user-agent'], UA);
    assert.equal(headers.host, new URL(httpBase).host);
  });

  test('an https target is tunnelled with CONNECT; the credentials never reach the origin', async () => {
    const proxy = await startForwardProxy({ auth: { user: USER, pass: PASS } });
    const local = new HttpFetcher({ userAgent: UA, tls: { ca: cert } });
    try {
      const paths = ['/tls-1', '/tls-2', '/tls-3', '/tls-4'];
      for (const path of paths) {
        const res = await local.fetch(`${httpsBase}${path}`, { proxy: withCreds(proxy) });
        assert.equal(res.status, 200);
        assert.equal(res.body.toString(), `<p>page ${path}</p>`);
        // undici frees a tunnelled socket a moment after the body ends: let it, so the
        // next fetch can reuse it instead of opening a second tunnel.
        await new Promise(setImmediate);
      }
      assert.ok(proxy.connects >= 1 && proxy.connects < paths.length, 'tunnels are reused');
      assert.equal(proxy.requests, 0);
      assert.equal(proxy.targets[0], new URL(httpsBase).host);
      assert.equal(proxy.authSeen.length, proxy.connects);
      for (const path of paths) {
        assert.equal(lastReceived(path)['proxy-authorization'], undefined);
        assert.equal(lastReceived(path)['proxy-connection'], undefined);
      }
    } finally {
      await local.close();
      await proxy.close();
    }
  });

  test('every redirect hop goes through the same proxy', async () => {
    const before = open.requests;
    const res = await fetcher.fetch(`${httpBase}/redirect`, { proxy: open.url });
    assert.equal(res.status, 200);
    assert.equal(res.finalUrl, `${httpBase}/plain`);
    assert.equal(open.requests, before + 2);
    assert.deepEqual(open.targets.slice(-2), [`${httpBase}/redirect`, `${httpBase}/plain`]);

    const tunnels = open.connects;
    const tls = await fetcher.fetch(`${httpsBase}/redirect`, { proxy: open.url });
    assert.equal(tls.finalUrl, `${httpsBase}/plain`);
    assert.ok(open.connects >= tunnels + 1 && open.connects <= tunnels + 2);
  });

  test('null or absent proxy is a direct connection', async () => {
    const before = open.requests + open.connects;
    const res = await fetcher.fetch(`${httpsBase}/direct`, { proxy: null });
    assert.equal(res.status, 200);
    assert.equal((await fetcher.fetch(`${httpBase}/direct`)).status, 200);
    assert.equal(open.requests + open.connects, before);
  });

  test('the origin’s own answers and errors stay the origin’s', async () => {
    const broken = await fetcher.fetch(`${httpBase}/broken`, { proxy: open.url });
    assert.equal(broken.status, 500);
    const gateway = await fetcher.fetch(`${httpBase}/bad-gateway`, { proxy: open.url });
    assert.equal(gateway.status, 502, 'a 502 without Proxy-Status is returned as a response');
    const tunnelled = await fetcher.fetch(`${httpsBase}/broken`, { proxy: open.url });
    assert.equal(tunnelled.status, 500);
    // An untrusted origin certificate inside the tunnel is the origin's TLS failure.
    const untrusting = new HttpFetcher({ userAgent: UA });
    try {
      const err = await failure(() => untrusting.fetch(`${httpsBase}/x`, { proxy: open.url }));
      assert.equal(err.code, 'network');
      assert.equal(err.retryable, false);
    } finally {
      await untrusting.close();
    }
  });
});

describe('proxy failures are proxy_failed', () => {
  const assertProxyFailed = (
    err: { code: string; message: string },
    proxyHost: string,
    what: string,
  ): void => {
    assert.equal(err.code, 'proxy_failed', `${what}: ${err.message}`);
    assert.ok(
      err.message.includes(proxyHost),
      `${what}: message names ${proxyHost}: ${err.message}`,
    );
    assert.ok(!err.message.includes(PASS), `${what}: no password in ${err.message}`);
  };

  test('connection to the proxy refused (http and https targets)', async () => {
    const port = await freePort();
    const dead = `http://${USER}:${PASS}@127.0.0.1:${port}`;
    for (const base of [httpBase, httpsBase]) {
      const err = await failure(() => fetcher.fetch(`${base}/refused`, { proxy: dead }));
      assertProxyFailed(err, `127.0.0.1:${port}`, base);
      assert.equal(err.retryable, true);
    }
  });

  test('a proxy that destroys its sockets', async () => {
    const proxy = await startForwardProxy({ fail: 'destroy' });
    try {
      for (const base of [httpBase, httpsBase]) {
        const err = await failure(() => fetcher.fetch(`${base}/destroyed`, { proxy: proxy.url }));
        assertProxyFailed(err, `127.0.0.1:${proxy.port}`, base);
      }
      assert.ok(proxy.destroyed >= 2);
    } finally {
      await proxy.close();
    }
  });

  test('CONNECT answered 502, and an absolute-form 502 with Proxy-Status', async () => {
    const proxy = await startForwardProxy({ fail: 'status-502' });
    try {
      const tunnel = await failure(() => fetcher.fetch(`${httpsBase}/x`, { proxy: proxy.url }));
      assertProxyFailed(tunnel, `127.0.0.1:${proxy.port}`, 'CONNECT');
      assert.match(tunnel.message, /502/);
      const abs = await failure(() => fetcher.fetch(`${httpBase}/x`, { proxy: proxy.url }));
      assertProxyFailed(abs, `127.0.0.1:${proxy.port}`, 'absolute-form');
      assert.equal(abs.status, 502);
    } finally {
      await proxy.close();
    }
  });

  test('wrong or missing credentials: 407 from the proxy', async () => {
    for (const proxy of [withCreds(authed, USER, 'wrong'), authed.url]) {
      for (const base of [httpBase, httpsBase]) {
        const err = await failure(() => fetcher.fetch(`${base}/auth`, { proxy }));
        assertProxyFailed(err, `127.0.0.1:${authed.port}`, `${base} via ${proxy}`);
        assert.match(err.message, /407/);
        assert.ok(!err.message.includes('wrong'));
      }
    }
  });

  test('a malformed proxy URL fails without a request', async () => {
    const err = await failure(() => fetcher.fetch(`${httpBase}/x`, { proxy: 'ftp://proxy:21' }));
    assert.equal(err.code, 'proxy_failed');
    assert.equal(err.retryable, false);
  });
});

describe('SSRF guard through a proxy', () => {
  test('the URL check still applies; the connect-time DNS check is the proxy’s', async () => {
    const port = new URL(httpBase).port;
    const proxy = await startForwardProxy({ hosts: { 'origin.test': '127.0.0.1' } });
    const guarded = new HttpFetcher({
      userAgent: UA,
      addressGuard: { allow: [] },
      addressLookup: (_host, _options, callback) => {
        // Everything resolves to loopback here: the guard refuses it on direct connects.
        (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [
          { address: '127.0.0.1', family: 4 },
        ]);
      },
    });
    try {
      const literal = await failure(() =>
        guarded.fetch(`http://127.0.0.1:${port}/guarded`, { proxy: proxy.url }),
      );
      assert.equal(literal.code, 'blocked_address');
      assert.equal(proxy.requests, 0, 'a refused URL is never sent to the proxy');
      const direct = await failure(() => guarded.fetch(`http://origin.test:${port}/guarded`));
      assert.equal(direct.code, 'blocked_address');
      const proxied = await guarded.fetch(`http://origin.test:${port}/guarded`, {
        proxy: proxy.url,
      });
      assert.equal(proxied.status, 200);
      assert.equal(proxy.requests, 1);
    } finally {
      await guarded.close();
      await proxy.close();
    }
  });
});

describe('ProxyDispatchers', () => {
  test('caches one agent per proxy URL, evicting and closing the least recently used', async () => {
    const dispatchers = new ProxyDispatchers(
      {
        connectionsPerOrigin: 4,
        connectTimeoutMs: 1000,
        headersTimeoutMs: 1000,
        bodyTimeoutMs: 1000,
        keepAliveTimeoutMs: 1000,
        tls: null,
      },
      2,
    );
    const a = dispatchers.get('http://127.0.0.1:1001');
    const b = dispatchers.get('http://127.0.0.1:1002');
    assert.equal(dispatchers.get('http://127.0.0.1:1001'), a, 'a hit returns the same agent');
    const c = dispatchers.get('http://u:p@127.0.0.1:1003');
    assert.equal(c.label, '127.0.0.1:1003');
    // b was the least recently used: evicted and closed.
    assert.equal((b.agent as unknown as { closed: boolean }).closed, true);
    assert.equal((a.agent as unknown as { closed: boolean }).closed, false);
    assert.notEqual(dispatchers.get('http://127.0.0.1:1002'), b);
    await dispatchers.close();
    assert.equal((a.agent as unknown as { closed: boolean }).closed, true);
  });

  test('a closed fetcher refuses proxied fetches with aborted', async () => {
    const local = new HttpFetcher({ userAgent: UA });
    assert.equal((await local.fetch(`${httpBase}/before`, { proxy: open.url })).status, 200);
    await local.close();
    const err = await failure(() => local.fetch(`${httpBase}/after`, { proxy: open.url }));
    assert.equal(err.code, 'aborted');
  });
});

/** What a crawler does with a pool: acquire, fetch through the lease, report, retry. */
async function fetchViaPool(pool: ProxyPool, url: string, attempts = 5): Promise<FetchResponse> {
  const host = new URL(url).hostname;
  for (let attempt = 1; ; attempt++) {
    const lease = await pool.acquire(host);
    try {
      const res = await fetcher.fetch(url, { proxy: lease?.url ?? null });
      if (lease !== null) await pool.report(lease, 'ok');
      return res;
    } catch (err) {
      const proxyFailed = isTrawlError(err) && err.code === 'proxy_failed';
      if (lease !== null && proxyFailed) await pool.report(lease, 'proxy_failed');
      if (!proxyFailed || attempt >= attempts) throw err;
    }
  }
}

describe('a proxy pool over real proxies', () => {
  test('of two proxies one fails: every page arrives, the bad one is benched', async () => {
    const good = await startForwardProxy();
    const bad = await startForwardProxy({ fail: 'destroy' });
    const pool = new MemoryProxyPool({ benchAfterFailures: 1, benchBaseMs: 60_000 });
    await pool.setProxies([{ url: good.url }, { url: bad.url }]);
    try {
      const pages = Array.from({ length: 12 }, (_, i) =>
        i % 2 === 0 ? `${httpBase}/pool-${i}` : `${httpsBase}/pool-${i}`,
      );
      for (const page of pages) {
        const res = await fetchViaPool(pool, page);
        assert.equal(res.status, 200);
        assert.equal(res.body.toString(), `<p>page ${new URL(page).pathname}</p>`);
      }
      const states = await pool.snapshot();
      assert.equal(states.find((s) => s.url === bad.url)!.status, 'benched');
      assert.equal(states.find((s) => s.url === good.url)!.status, 'active');
      assert.deepEqual(await pool.size(), { active: 1, benched: 1, dead: 0 });
      assert.equal(bad.destroyed, 1, 'the bad proxy failed once, was benched, then left alone');
      assert.equal(good.requests + good.connects >= 7, true, 'the good one carried the rest');
    } finally {
      await Promise.all([good.close(), bad.close()]);
    }
  });

  test('health checks through the proxies remove a dead one', async () => {
    const good = await startForwardProxy();
    const deadPort = await freePort();
    const dead = `http://${USER}:${PASS}@127.0.0.1:${deadPort}`;
    const pool = new MemoryProxyPool({ deadAfterChecks: 2, benchBaseMs: 20 });
    await pool.setProxies([{ url: good.url }, { url: dead }]);
    const failures: string[] = [];
    const checker = new ProxyHealthChecker({
      pool,
      fetcher,
      checkUrl: `${httpBase}/health`,
      timeoutMs: 2000,
      intervalMs: 10,
      onCheck: (_target, healthy, error) => {
        if (!healthy) failures.push(error instanceof Error ? error.message : String(error));
      },
    });
    try {
      checker.start();
      await waitFor(async () => (await pool.size()).dead === 1, 10_000, 'the dead proxy');
      await checker.stop();
      assert.deepEqual(await pool.size(), { active: 1, benched: 0, dead: 1 });
      const states = await pool.snapshot();
      assert.equal(states.find((s) => s.url === dead)!.status, 'dead');
      assert.ok(states.find((s) => s.url === good.url)!.checkedAt > 0);
      assert.ok(good.requests >= 1);
      assert.equal(failures.length, 2);
      assert.ok(
        failures.every((m) => /proxy_failed|proxy 127\.0\.0\.1/.test(m) && !m.includes(PASS)),
      );
      for (let i = 0; i < 4; i++) {
        assert.equal((await pool.acquire('site.test'))!.url, good.url);
      }
    } finally {
      await checker.stop();
      await good.close();
    }
  });
});
