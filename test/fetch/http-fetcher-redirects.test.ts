import assert from 'node:assert/strict';
import type http from 'node:http';
import { after, before, describe, test } from 'node:test';
import type { RedirectDecision } from '../../src/fetch/fetcher.js';
import { HttpFetcher } from '../../src/fetch/http/http-fetcher.js';
import { failure } from '../support/expect-trawl-error.js';
import { listen, shut } from '../support/loopback-server.js';

let server: http.Server;
let base: string;
let connections = 0;

/** More than undici buffers on its own: the socket is only free once this is read. */
const BIG_REDIRECT_BODY = 'x'.repeat(100 * 1024);

/**
 * /hops/N redirects to /hops/N-1 (absolute Location) until /hops/0 answers 200.
 * /status/S redirects with status S; /loop/a <-> /loop/b; /rel/start uses relative
 * Locations; /to/ftp leaves http.
 */
function handle(req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = req.url ?? '/';
  const redirect = (status: number, location: string, body = `<a href="${location}">moved</a>`) => {
    res.writeHead(status, { Location: location, 'Content-Type': 'text/html' });
    res.end(body);
  };
  const hops = /^\/hops\/(\d+)$/.exec(url);
  if (hops) {
    const n = Number(hops[1]);
    if (n === 0) res.end('arrived');
    else redirect(302, `${base}/hops/${n - 1}`, BIG_REDIRECT_BODY);
    return;
  }
  const status = /^\/status\/(\d+)$/.exec(url);
  if (status) return redirect(Number(status[1]), '/hops/0');
  switch (url) {
    case '/loop/a':
      return redirect(301, `${base}/loop/b`);
    case '/loop/b':
      return redirect(301, '/loop/a');
    case '/rel/start':
      return redirect(302, 'deeper/page?b=2&a=1#section');
    case '/rel/deeper/page?a=1&b=2':
      return redirect(307, '../../hops/0');
    case '/to/ftp':
      return redirect(302, 'ftp://files.example.com/x');
    case '/out':
      return redirect(301, 'http://elsewhere.example/');
    default:
      res.writeHead(404).end();
  }
}

before(async () => {
  ({ server, base } = await listen(handle));
  server.on('connection', () => connections++);
});

after(() => shut(server));

describe('HttpFetcher: redirects', () => {
  const fetcher = new HttpFetcher({ userAgent: 'TrawlTest/1.0' });
  after(() => fetcher.close());

  test('follows a 3-hop chain, reusing the socket', { timeout: 10_000 }, async () => {
    const fresh = new HttpFetcher({ userAgent: 'TrawlTest/1.0' });
    const before = connections;
    try {
      const res = await fresh.fetch(`${base}/hops/3`);
      assert.equal(res.status, 200);
      assert.equal(res.body.toString(), 'arrived');
      assert.equal(res.url, `${base}/hops/3`);
      assert.equal(res.finalUrl, `${base}/hops/0`);
      assert.deepEqual(res.redirects, [`${base}/hops/2`, `${base}/hops/1`, `${base}/hops/0`]);
      // Drained 3xx bodies give their socket back: without that every hop needs a new
      // one (4). undici may open a second socket for an origin's second request, before
      // the first has been handed back to the pool.
      assert.ok(connections - before <= 2, `${connections - before} connections`);
    } finally {
      await fresh.close();
    }
  });

  test('follows 301, 302, 303, 307 and 308', async () => {
    for (const status of [301, 302, 303, 307, 308]) {
      const res = await fetcher.fetch(`${base}/status/${status}`);
      assert.equal(res.finalUrl, `${base}/hops/0`, `after a ${status}`);
      assert.equal(res.body.toString(), 'arrived');
    }
  });

  test('resolves relative Locations and canonicalises every target', async () => {
    const res = await fetcher.fetch(`${base}/rel/start`);
    assert.deepEqual(res.redirects, [`${base}/rel/deeper/page?a=1&b=2`, `${base}/hops/0`]);
    assert.equal(res.finalUrl, `${base}/hops/0`);
  });

  test('a loop fails with redirect_loop at the repeated URL', async () => {
    const err = await failure(() => fetcher.fetch(`${base}/loop/a`));
    assert.equal(err.code, 'redirect_loop');
    assert.equal(err.status, 301);
    assert.equal(err.finalUrl, `${base}/loop/a`);
  });

  test('more hops than maxRedirects: too_many_redirects', async () => {
    const err = await failure(() => fetcher.fetch(`${base}/hops/12`));
    assert.equal(err.code, 'too_many_redirects');
    assert.equal(err.status, 302);
    assert.equal(err.finalUrl, `${base}/hops/1`);

    const exactly = await fetcher.fetch(`${base}/hops/10`);
    assert.equal(exactly.redirects.length, 10);

    const capped = await failure(() => fetcher.fetch(`${base}/hops/3`, { maxRedirects: 2 }));
    assert.equal(capped.code, 'too_many_redirects');
  });

  test('onRedirect sees each hop and can stop the chain with its own code', async () => {
    const seen: Array<[string, string]> = [];
    const err = await failure(() =>
      fetcher.fetch(`${base}/hops/3`, {
        onRedirect: async (target, from): Promise<RedirectDecision> => {
          seen.push([target, from]);
          await new Promise((resolve) => setImmediate(resolve));
          return target.endsWith('/hops/1') ? 'redirect_out_of_scope' : 'follow';
        },
      }),
    );
    assert.equal(err.code, 'redirect_out_of_scope');
    assert.equal(err.status, 302);
    assert.equal(err.finalUrl, `${base}/hops/1`);
    assert.deepEqual(seen, [
      [`${base}/hops/2`, `${base}/hops/3`],
      [`${base}/hops/1`, `${base}/hops/2`],
    ]);

    const sync = await failure(() =>
      fetcher.fetch(`${base}/out`, { onRedirect: () => 'redirect_known' }),
    );
    assert.equal(sync.code, 'redirect_known');
    assert.equal(sync.finalUrl, 'http://elsewhere.example/');
  });

  test('a Location that is not http(s) fails with invalid_url', async () => {
    const err = await failure(() => fetcher.fetch(`${base}/to/ftp`));
    assert.equal(err.code, 'invalid_url');
    assert.equal(err.status, 302);
  });
});
