/**
 * The test site: every situation the crawler must get right, on loopback.
 * `expected` lists what a correct crawl of it (with maxDepth CALENDAR_DEPTH) stores.
 */
import { gzipSync } from 'node:zlib';
import { Readable } from 'node:stream';
import { html, page, startTestServer, type TestServer } from './http-server.js';

export const MAX_DEPTH = 8;
const CHAIN = 6;

export interface HostileSite {
  site: TestServer;
  /** A second host, out of the crawl's scope. */
  other: TestServer;
  /** Bytes the /huge handler managed to send before the client went away. */
  hugeBytesSent(): number;
  close(): Promise<void>;
}

/** Canonical URL path -> what the stored page must look like. */
export interface Expectation {
  status: number | null;
  error: string | null;
  title?: string;
  finalPath?: string;
}

export function expectedPages(): Map<string, Expectation> {
  const e = new Map<string, Expectation>();
  const ok = (title: string): Expectation => ({ status: 200, error: null, title });
  e.set('/', ok('Home'));
  e.set('/a', ok('Page A'));
  e.set('/q?a=1&b=2', ok('Query page'));
  e.set('/private/secret', { status: null, error: 'robots_disallowed' });
  for (let i = 1; i <= CHAIN; i++) e.set(`/chain/${i}`, ok(`Chain ${i}`));
  e.set('/redirect/1', {
    status: 200,
    error: null,
    title: 'Redirect target',
    finalPath: '/redirect-target',
  });
  e.set('/moved', { status: 301, error: 'redirect_known', finalPath: '/a' });
  e.set('/loop/a', { status: 302, error: 'redirect_loop' });
  e.set('/escape', { status: 302, error: 'redirect_out_of_scope' });
  // Headers arrived, the body never finished: the status is known, the page failed.
  e.set('/slow', { status: 200, error: 'timeout' });
  e.set('/huge', { status: 200, error: 'too_large' });
  e.set('/bomb', { status: 200, error: 'decompression_bomb' });
  e.set('/flaky', ok('Flaky but fine'));
  e.set('/throttled', ok('Throttled then fine'));
  e.set('/missing', { status: 404, error: 'http_status' });
  e.set('/latin1', ok('Café crème — déjà vu'));
  e.set('/gbk', ok('你好世界'));
  e.set('/base/index', ok('Base page'));
  e.set('/based/child', ok('Based child'));
  e.set('/file.pdf', { status: 200, error: null });
  // The calendar trap: month k sits at depth k; MAX_DEPTH bounds it.
  for (let k = 1; k <= MAX_DEPTH; k++) e.set(`/calendar/${k}`, ok(`Month ${k}`));
  return e;
}

export async function startHostileSite(): Promise<HostileSite> {
  const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024));
  let hugeSent = 0;
  const flakyHits = { n: 0 };
  const throttledHits = { n: 0 };
  const other = await startTestServer((_req, res) => html(res, page('Elsewhere', [])), '127.0.0.2');
  const site = await startTestServer((req, res, self) => {
    const path = req.url ?? '/';
    const o = self.origin;
    switch (path) {
      case '/robots.txt':
        res.writeHead(200, { 'content-type': 'text/plain' });
        return res.end('User-agent: *\nDisallow: /private/\n');
      case '/':
        return html(
          res,
          page('Home', [
            '/a',
            '/./a',
            '/x/../a',
            '/a#top',
            `${o}/a`,
            `${o.toUpperCase().replace('HTTP://', 'HTTP://')}/a`,
            '/q?b=2&a=1',
            '/q?a=1&b=2',
            '/private/secret',
            '/chain/1',
            '/redirect/1',
            '/moved',
            '/loop/a',
            '/escape',
            '/slow',
            '/huge',
            '/bomb',
            '/flaky',
            '/throttled',
            '/missing',
            '/latin1',
            '/gbk',
            '/base/index',
            '/file.pdf',
            '/calendar/1',
            'mailto:someone@example.com',
            'javascript:void(0)',
          ]),
        );
      case '/a':
        return html(res, page('Page A', ['/', '/a']));
      case '/q?a=1&b=2':
      case '/q?b=2&a=1':
        return html(res, page('Query page', []));
      case '/private/secret':
        return html(res, page('Secret', []));
      case '/redirect/1':
        res.writeHead(302, { location: '/redirect/2' });
        return res.end();
      case '/redirect/2':
        res.writeHead(301, { location: `${o}/redirect/3` });
        return res.end();
      case '/redirect/3':
        res.writeHead(307, { location: '../redirect-target' });
        return res.end();
      case '/redirect-target':
        return html(res, page('Redirect target', []));
      case '/moved':
        res.writeHead(301, { location: '/a' });
        return res.end();
      case '/loop/a':
        res.writeHead(302, { location: '/loop/b' });
        return res.end();
      case '/loop/b':
        res.writeHead(302, { location: '/loop/a' });
        return res.end();
      case '/escape':
        res.writeHead(302, { location: `${other.origin}/` });
        return res.end();
      case '/slow':
        // Headers, then silence: only the crawler's deadline ends this.
        res.writeHead(200, { 'content-type': 'text/html' });
        res.write('<html><head><title>Slow');
        return;
      case '/huge': {
        res.writeHead(200, { 'content-type': 'text/html' });
        const chunk = Buffer.alloc(64 * 1024, 'a');
        let left = 200 * 1024 * 1024;
        const body = new Readable({
          read() {
            if (left <= 0) return this.push(null);
            left -= chunk.length;
            hugeSent += chunk.length;
            this.push(chunk);
          },
        });
        res.on('close', () => body.destroy());
        body.pipe(res);
        return;
      }
      case '/bomb':
        res.writeHead(200, {
          'content-type': 'text/html',
          'content-encoding': 'gzip',
          'content-length': bomb.length,
        });
        return res.end(bomb);
      case '/flaky':
        flakyHits.n++;
        if (flakyHits.n === 1) return html(res, page('Busy', []), 503);
        return html(res, page('Flaky but fine', []));
      case '/throttled':
        throttledHits.n++;
        if (throttledHits.n === 1)
          return html(res, page('Slow down', []), 429, { 'retry-after': '1' });
        return html(res, page('Throttled then fine', []));
      case '/missing':
        return html(res, page('Not found', []), 404);
      case '/latin1': {
        const body = Buffer.from(
          '<html><head><meta charset="iso-8859-1"><title>Caf\u00e9 cr\u00e8me &#8212; d\u00e9j\u00e0 vu</title></head><body>ok</body></html>',
          'latin1',
        );
        res.writeHead(200, { 'content-type': 'text/html', 'content-length': body.length });
        return res.end(body);
      }
      case '/gbk': {
        // 你好世界 in GBK.
        const title = Buffer.from([0xc4, 0xe3, 0xba, 0xc3, 0xca, 0xc0, 0xbd, 0xe7]);
        const body = Buffer.concat([
          Buffer.from('<html><head><title>'),
          title,
          Buffer.from('</title></head><body>x</body></html>'),
        ]);
        res.writeHead(200, {
          'content-type': 'text/html; charset=GBK',
          'content-length': body.length,
        });
        return res.end(body);
      }
      case '/base/index':
        return html(res, page('Base page', ['child'], '<base href="/based/">'));
      case '/based/child':
        return html(res, page('Based child', []));
      case '/file.pdf': {
        const pdf = Buffer.from('%PDF-1.4\n<a href="/never-parsed">\n%%EOF\n');
        res.writeHead(200, { 'content-type': 'application/pdf', 'content-length': pdf.length });
        return res.end(pdf);
      }
    }
    const chain = /^\/chain\/(\d+)$/.exec(path);
    if (chain) {
      const i = Number(chain[1]);
      return html(res, page(`Chain ${i}`, i < CHAIN ? [`/chain/${i + 1}`] : []));
    }
    const month = /^\/calendar\/(\d+)$/.exec(path);
    if (month) {
      const k = Number(month[1]);
      return html(res, page(`Month ${k}`, [`/calendar/${k + 1}`, `/calendar/${k}`]));
    }
    html(res, page('Not found', []), 404);
  });
  return {
    site,
    other,
    hugeBytesSent: () => hugeSent,
    close: async () => {
      await site.close();
      await other.close();
    },
  };
}
