/**
 * A form submitted through the HTTP engine (FetchOptions method and body, what the
 * CAPTCHA clearance sends): the body and its type reach the server; a POST answered 303
 * (or 301/302) goes on as a GET without its body, as browsers do; a 307/308 repeats the
 * POST with its body.
 */
import assert from 'node:assert/strict';
import type http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { HttpFetcher } from '../../src/fetch/http/http-fetcher.js';
import { listen, shut } from '../support/loopback-server.js';

interface Seen {
  method: string;
  url: string;
  type: string | null;
  body: string;
}

describe('HTTP engine: POST', () => {
  let server: http.Server;
  let base: string;
  const seen: Seen[] = [];
  const fetcher = new HttpFetcher({ userAgent: 'TrawlTest/1.0' });
  before(async () => {
    ({ server, base } = await listen((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const url = req.url ?? '/';
        seen.push({
          method: req.method ?? '',
          url,
          type: req.headers['content-type'] ?? null,
          body: Buffer.concat(chunks).toString(),
        });
        const to = /^\/redirect\/(\d+)$/.exec(url);
        if (to) res.writeHead(Number(to[1]), { location: '/landed' }).end();
        else res.writeHead(200, { 'content-type': 'text/plain' }).end(`${req.method} ok`);
      });
    }));
  });
  after(async () => {
    await fetcher.close();
    await shut(server);
  });

  const form = {
    method: 'POST' as const,
    body: 'g-recaptcha-response=tok%2Ben&back=%2F',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  };

  test('the body and its type reach the server', async () => {
    seen.length = 0;
    const res = await fetcher.fetch(`${base}/verify`, form);
    assert.equal(res.status, 200);
    assert.equal(res.body.toString(), 'POST ok');
    assert.deepEqual(seen, [
      {
        method: 'POST',
        url: '/verify',
        type: 'application/x-www-form-urlencoded',
        body: form.body,
      },
    ]);
  });

  for (const status of [301, 302, 303]) {
    test(`a POST answered ${status} goes on as a GET, without its body`, async () => {
      seen.length = 0;
      const res = await fetcher.fetch(`${base}/redirect/${status}`, form);
      assert.equal(res.body.toString(), 'GET ok');
      assert.deepEqual(
        seen.map((s) => [s.method, s.url, s.type, s.body]),
        [
          ['POST', `/redirect/${status}`, form.headers['content-type'], form.body],
          ['GET', '/landed', null, ''],
        ],
      );
    });
  }

  for (const status of [307, 308]) {
    test(`a POST answered ${status} is repeated with its body`, async () => {
      seen.length = 0;
      const res = await fetcher.fetch(`${base}/redirect/${status}`, form);
      assert.equal(res.body.toString(), 'POST ok');
      assert.deepEqual(seen[1], {
        method: 'POST',
        url: '/landed',
        type: form.headers['content-type'],
        body: form.body,
      });
    });
  }
});
