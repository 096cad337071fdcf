import assert from 'node:assert/strict';
import type http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { HttpFetcher } from '../../src/fetch/http/http-fetcher.js';
import { failure } from '../support/expect-trawl-error.js';
import { listen, shut } from '../support/loopback-server.js';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

const PAGE = Buffer.from('<!doctype html><title>Hello</title><p>' + 'x'.repeat(5000));

/** Requests the /hang route has received and not answered (resolved per request). */
let hangArrived: (() => void) | null = null;

const routes: Record<string, Handler> = {
  '/plain': (_req, res) => {
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.setHeader('X-Multi', ['one', 'two']);
    res.setHeader('ETag', '"abc"');
    res.end(PAGE);
  },
  '/echo': (req, res) => {
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify(req.headers));
  },
  '/missing': (_req, res) => {
    res.statusCode = 404;
    res.end('no such page');
  },
  '/found-no-location': (_req, res) => {
    res.statusCode = 302;
    res.end('moved, but where?');
  },
  '/hang': () => {
    // Never answers; the test server closes the socket in after().
    hangArrived?.();
  },
  '/trickle': (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.write('a');
    const timer = setInterval(() => res.write('a'), 200);
    res.on('close', () => clearInterval(timer));
  },
};

let server: http.Server;
let base: string;

before(async () => {
  ({ server, base } = await listen((req, res) => {
    const route = routes[(req.url ?? '').split('?')[0] ?? ''];
    if (route) route(req, res);
    else res.writeHead(500).end('no route');
  }));
});

after(async () => {
  await shut(server);
});

describe('HttpFetcher: responses', () => {
  const fetcher = new HttpFetcher({ userAgent: 'TrawlTest/1.0' });
  after(() => fetcher.close());

  test('returns status, lower-cased and joined headers, body and timings of a 200', async () => {
    const before = Date.now();
    const res = await fetcher.fetch(`${base}/plain`);
    assert.equal(res.status, 200);
    assert.equal(res.url, `${base}/plain`);
    assert.equal(res.finalUrl, `${base}/plain`);
    assert.deepEqual(res.redirects, []);
    assert.deepEqual(res.body, PAGE);
    assert.equal(res.wireBytes, PAGE.length);
    assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(res.headers['x-multi'], 'one, two');
    assert.equal(res.headers['etag'], '"abc"');
    assert.ok(res.startedAt >= before && res.startedAt <= Date.now());
    assert.ok(res.ttfbMs >= 0 && res.ttfbMs <= res.durationMs);
  });

  test('sends User-Agent, Accept and Accept-Encoding; per-request headers override them', async () => {
    const plain = await fetcher.fetch(`${base}/echo`);
    const sent = JSON.parse(plain.body.toString()) as Record<string, string>;
    assert.equal(sent['user-agent'], 'TrawlTest/1.0');
    assert.match(sent['accept'] ?? '', /^text\/html,application\/xhtml\+xml,.*\*\/\*;q=0\.8$/);
    assert.equal(sent['accept-encoding'], 'gzip, deflate, br');

    const custom = await fetcher.fetch(`${base}/echo`, {
      headers: { 'User-Agent': 'Other/2.0', 'If-None-Match': '"abc"' },
    });
    const sent2 = JSON.parse(custom.body.toString()) as Record<string, string>;
    assert.equal(sent2['user-agent'], 'Other/2.0');
    assert.equal(sent2['if-none-match'], '"abc"');
  });

  test('resolves with 4xx responses and their body; the crawler decides', async () => {
    const res = await fetcher.fetch(`${base}/missing`);
    assert.equal(res.status, 404);
    assert.equal(res.body.toString(), 'no such page');
  });

  test('returns a 3xx without Location as a normal response', async () => {
    const res = await fetcher.fetch(`${base}/found-no-location`);
    assert.equal(res.status, 302);
    assert.equal(res.body.toString(), 'moved, but where?');
    assert.deepEqual(res.redirects, []);
  });

  test('rejects schemes other than http and https', async () => {
    const err = await failure(() => fetcher.fetch('ftp://example.com/file'));
    assert.equal(err.code, 'unsupported_scheme');
    const bad = await failure(() => fetcher.fetch('not a url'));
    assert.equal(bad.code, 'invalid_url');
  });
});

describe('HttpFetcher: failures', () => {
  test('headers that never come: timeout', async () => {
    const fetcher = new HttpFetcher({ userAgent: 'TrawlTest/1.0', headersTimeoutMs: 300 });
    try {
      const err = await failure(() => fetcher.fetch(`${base}/hang`));
      assert.equal(err.code, 'timeout');
      assert.equal((err.cause as { code?: string }).code, 'UND_ERR_HEADERS_TIMEOUT');
      assert.equal(err.retryable, true);
    } finally {
      await fetcher.close();
    }
  });

  test('a body trickled forever is cut by the total deadline', async () => {
    const fetcher = new HttpFetcher({
      userAgent: 'TrawlTest/1.0',
      bodyTimeoutMs: 1000,
      totalTimeoutMs: 1500,
    });
    try {
      const started = performance.now();
      const err = await failure(() => fetcher.fetch(`${base}/trickle`));
      const elapsed = performance.now() - started;
      assert.equal(err.code, 'timeout');
      assert.equal(err.status, 200);
      assert.ok(elapsed >= 1400 && elapsed < 2500, `took ${elapsed} ms`);
    } finally {
      await fetcher.close();
    }
  });

  test('connection refused: network', async () => {
    const { server: gone, base: goneBase } = await listen(() => undefined);
    await shut(gone);
    const fetcher = new HttpFetcher({ userAgent: 'TrawlTest/1.0' });
    try {
      const err = await failure(() => fetcher.fetch(`${goneBase}/`));
      assert.equal(err.code, 'network');
      assert.equal(err.retryable, true);
      assert.ok(err.cause instanceof Error);
    } finally {
      await fetcher.close();
    }
  });

  test('the caller aborting: aborted, before or during the body', async () => {
    const fetcher = new HttpFetcher({ userAgent: 'TrawlTest/1.0' });
    try {
      const waiting = new Promise<void>((resolve) => (hangArrived = resolve));
      const controller = new AbortController();
      const pending = failure(() => fetcher.fetch(`${base}/hang`, { signal: controller.signal }));
      await waiting;
      controller.abort(new Error('crawl stopping'));
      const err = await pending;
      assert.equal(err.code, 'aborted');
      assert.equal((err.cause as Error).message, 'crawl stopping');

      const during = new AbortController();
      const pending2 = failure(() => fetcher.fetch(`${base}/trickle`, { signal: during.signal }));
      setTimeout(() => during.abort(), 300);
      const err2 = await pending2;
      assert.equal(err2.code, 'aborted');
      assert.equal(err2.status, 200);

      const err3 = await failure(() =>
        fetcher.fetch(`${base}/plain`, { signal: AbortSignal.abort() }),
      );
      assert.equal(err3.code, 'aborted');
    } finally {
      hangArrived = null;
      await fetcher.close();
    }
  });
});

describe('HttpFetcher: lifecycle', () => {
  test('a closed fetcher refuses new fetches with aborted', async () => {
    const fetcher = new HttpFetcher({ userAgent: 'TrawlTest/1.0' });
    assert.equal((await fetcher.fetch(`${base}/plain`)).status, 200);
    await fetcher.close();
    const err = await failure(() => fetcher.fetch(`${base}/plain`));
    assert.equal(err.code, 'aborted');
  });

  test('rejects options that would disable a limit', () => {
    assert.throws(() => new HttpFetcher({ userAgent: '' }), /userAgent/);
    assert.throws(() => new HttpFetcher({ userAgent: 'a\r\nX-Evil: 1' }), /userAgent/);
    assert.throws(() => new HttpFetcher({ userAgent: 'a', maxBodyBytes: 0 }), /maxBodyBytes/);
    assert.throws(() => new HttpFetcher({ userAgent: 'a', totalTimeoutMs: NaN }), /totalTimeoutMs/);
    assert.throws(() => new HttpFetcher({ userAgent: 'a', maxRedirects: -1 }), /maxRedirects/);
  });
});

describe('HttpFetcher: connection reuse', () => {
  test('50 sequential fetches reuse a keep-alive socket', async () => {
    let connections = 0;
    const { server: counted, base: countedBase } = await listen((_req, res) => res.end(PAGE));
    counted.on('connection', () => connections++);
    const fetcher = new HttpFetcher({ userAgent: 'TrawlTest/1.0' });
    try {
      for (let i = 0; i < 50; i++) {
        const res = await fetcher.fetch(`${countedBase}/page/${i}`);
        assert.equal(res.body.length, PAGE.length);
      }
      assert.ok(connections >= 1 && connections <= 2, `${connections} connections`);
    } finally {
      await fetcher.close();
      await shut(counted);
    }
  });
});
