/**
 * The browser's SSRF guard, against the system Chromium: with an address guard, every
 * request the browser makes goes through the filtering proxy, so what page interception
 * cannot see is refused too — a redirect hop, an XHR, an iframe, an https (CONNECT)
 * request, a name that is refused — and the private server never sees a request. The
 * allowed site loads normally, its scripts run. The same holds for a page loaded as an
 * anti-blocking session (a context of its own) and through a session's upstream proxy.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { isTrawlError } from '../../src/core/errors.js';
import { BrowserFetcher } from '../../src/fetch/browser/browser-fetcher.js';
import { findChromium } from '../../src/fetch/browser/browser-pool.js';
import type { FetchOptions } from '../../src/fetch/fetcher.js';
import { HttpFetcher } from '../../src/fetch/http/http-fetcher.js';
import { startForwardProxy, type ForwardProxy } from '../support/forward-proxy.js';
import { html, startTestServer, type TestServer } from '../support/http-server.js';

const chromium = findChromium(process.env.TRAWL_CHROMIUM_PATH);

describe(
  'browser SSRF guard',
  { skip: chromium === null ? 'no Chromium installed' : false, timeout: 120_000 },
  () => {
    let site: TestServer;
    /** The "private" service: 127.0.0.2 is loopback, which the guard refuses. */
    let secret: net.Server;
    let secretPort = 0;
    let secretConnections = 0;
    let fetcher: BrowserFetcher;
    let upstream: ForwardProxy;
    /** The User-Agent of each request the site saw. */
    const agents: string[] = [];

    before(async () => {
      secret = net.createServer((socket) => {
        secretConnections++;
        socket.end('HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: 6\r\n\r\nsecret');
      });
      await new Promise<void>((r) => secret.listen(0, '127.0.0.2', () => r()));
      secretPort = (secret.address() as net.AddressInfo).port;
      const inside = `http://127.0.0.2:${secretPort}`;
      upstream = await startForwardProxy();
      site = await startTestServer((req, res) => {
        agents.push(String(req.headers['user-agent']));
        const path = (req.url ?? '/').split('?')[0];
        if (path === '/') {
          html(
            res,
            `<title>Allowed</title><main id="m">static</main>
            <iframe src="${inside}/frame"></iframe>
            <script>
              document.getElementById('m').textContent = 'rendered';
              fetch('${inside}/xhr').catch(() => {});
              fetch('https://127.0.0.2:${secretPort}/tls').catch(() => {});
              fetch('http://localhost:${secretPort}/by-name').catch(() => {});
            </script>`,
          );
        } else if (path === '/to-secret') {
          res.writeHead(302, { location: `${inside}/redirected` }).end();
        } else if (path === '/to-secret-tls') {
          res.writeHead(302, { location: `https://127.0.0.2:${secretPort}/redirected` }).end();
        } else {
          html(res, '<title>not found</title>', 404);
        }
      });
      const guard = { allow: ['127.0.0.1'] };
      fetcher = new BrowserFetcher({
        http: new HttpFetcher({ userAgent: 'trawl-test', addressGuard: guard }),
        executablePath: chromium!,
        userAgent: 'trawl-test',
        maxPages: 2,
        totalTimeoutMs: 20_000,
        waitUntil: 'networkidle',
        maxBodyBytes: 1 << 20,
        addressGuard: guard,
      });
    });
    after(async () => {
      await fetcher?.close();
      await upstream?.close();
      await site?.close();
      await new Promise((r) => secret?.close(r));
    });

    test('an allowed page renders; its XHR, iframe, https and by-name requests to a private address are refused', async () => {
      const res = await fetcher.fetch(`${site.origin}/`);
      assert.equal(res.status, 200);
      assert.match(res.body.toString(), /<main id="m">rendered<\/main>/);
      assert.equal(secretConnections, 0, 'the private server was never reached');
    });

    test('a redirect hop to a private address fails the page with blocked_address', async () => {
      for (const path of ['/to-secret', '/to-secret-tls']) {
        await assert.rejects(fetcher.fetch(`${site.origin}${path}`), (err) => {
          assert.ok(isTrawlError(err), String(err));
          assert.equal(err.code, 'blocked_address', `${path}: ${err.message}`);
          return true;
        });
      }
      assert.equal(secretConnections, 0);
    });

    test('a private URL itself is refused before the browser is asked', async () => {
      await assert.rejects(fetcher.fetch(`http://127.0.0.2:${secretPort}/`), (err) => {
        assert.ok(isTrawlError(err));
        assert.equal(err.code, 'blocked_address');
        return true;
      });
      assert.equal(secretConnections, 0);
    });

    const session = {
      id: 's1',
      userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/150.0.0.0 Safari/537.36',
      headers: [['sec-ch-ua', '"Chromium";v="150"']] as const,
    };
    for (const [name, viaProxy] of [
      ['as a session', false],
      ['as a session through its upstream proxy', true],
    ] as const) {
      test(`${name}: the page renders as the session, private addresses stay refused`, async () => {
        const opts: FetchOptions = viaProxy ? { session, proxy: upstream.url } : { session };
        const before = upstream.targets.length;
        const from = agents.length;
        const res = await fetcher.fetch(`${site.origin}/`, opts);
        assert.match(res.body.toString(), /<main id="m">rendered<\/main>/);
        assert.ok(agents.length > from);
        for (const ua of agents.slice(from)) assert.equal(ua, session.userAgent);
        for (const path of ['/to-secret', '/to-secret-tls']) {
          await assert.rejects(fetcher.fetch(`${site.origin}${path}`, opts), (err) => {
            assert.ok(isTrawlError(err), String(err));
            assert.equal(err.code, 'blocked_address', `${path}: ${err.message}`);
            return true;
          });
        }
        assert.equal(secretConnections, 0, 'the private server was never reached');
        if (viaProxy) {
          assert.ok(upstream.targets.length > before, 'the page went through the upstream');
          assert.ok(
            upstream.targets.every((t) => !t.includes('127.0.0.2')),
            'nothing private was handed to the upstream',
          );
        }
      });
    }
  },
);
