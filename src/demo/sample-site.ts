/**
 * The site `trawl demo` crawls: about 300 deterministic pages served from memory by
 * node:http, with the things a real crawl meets (robots.txt with a Disallow and a Sitemap
 * line, sitemap.xml, gzip, ETags, a redirect, broken links, a PDF, a Latin-1 page).
 */
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { buildSampleSite } from './sample-pages.js';
import type { SampleResource, SampleSiteFacts } from './sample-pages.js';

export type { SampleSiteFacts } from './sample-pages.js';

export interface SampleSiteOptions {
  /** @default '127.0.0.1' */
  host?: string;
  /** 0 picks a free port. @default 0 */
  port?: number;
}

export interface SampleSite {
  /** Origin without a trailing slash, e.g. `http://127.0.0.1:40123`; the home page is `/`. */
  url: string;
  /** What a crawl of the site should find. */
  facts: SampleSiteFacts;
  close(): Promise<void>;
}

/** Every resource claims the same modification time, so runs are byte-identical. */
const LAST_MODIFIED = 'Sat, 01 Jun 2024 12:00:00 GMT';
/** Compressing tiny bodies costs more than it saves; real servers skip them too. */
const GZIP_MIN_BYTES = 1024;

interface Served extends SampleResource {
  etag: string;
  gzipped: Buffer | null;
}

export async function startSampleSite(options: SampleSiteOptions = {}): Promise<SampleSite> {
  const { resources, facts } = buildSampleSite();
  const served = new Map<string, Served>();
  for (const [path, r] of resources) served.set(path, prepare(r));
  const notFound = prepare({
    status: 404,
    contentType: 'text/html; charset=utf-8',
    body: Buffer.from(
      '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Page not found</title></head>' +
        '<body><h1>404</h1><p><a href="/">Back home</a></p></body></html>\n',
    ),
  });
  let origin = '';
  const byOrigin = new Map<string, Served>();

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-length': 0 });
      res.end();
      return;
    }
    const path = (req.url ?? '/').replace(/[?#].*$/s, '');
    // robots.txt and the sitemap name absolute URLs: use the name the client used for us.
    const host = req.headers.host;
    const base = host && /^[\w.:[\]-]+$/.test(host) ? `http://${host}` : origin;
    if (path === '/robots.txt' || path === '/sitemap.xml') {
      const key = `${base}${path}`;
      let r = byOrigin.get(key);
      if (r === undefined) {
        r = prepare(
          path === '/robots.txt'
            ? text('text/plain; charset=utf-8', robotsTxt(base))
            : text('application/xml; charset=utf-8', sitemapXml(base, facts.htmlPaths)),
        );
        // Bounded: only loopback names reach a demo server, but Host is client-chosen.
        if (byOrigin.size > 100) byOrigin.clear();
        byOrigin.set(key, r);
      }
      send(req, res, r);
    } else {
      send(req, res, served.get(path) ?? notFound);
    }
  };

  const server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  origin = `http://${host}:${address.port}`;

  return {
    url: origin,
    facts,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function send(req: IncomingMessage, res: ServerResponse, r: Served): void {
  const headers: Record<string, string | number> = {
    'last-modified': LAST_MODIFIED,
    etag: r.etag,
    vary: 'Accept-Encoding',
  };
  if (r.location !== undefined) headers.location = r.location;
  if (r.contentType !== null) headers['content-type'] = r.contentType;
  if (r.status === 200 && req.headers['if-none-match'] === r.etag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  const gzip = r.gzipped !== null && /\bgzip\b/.test(req.headers['accept-encoding'] ?? '');
  const body = gzip ? (r.gzipped as Buffer) : r.body;
  if (gzip) headers['content-encoding'] = 'gzip';
  headers['content-length'] = body.length;
  res.writeHead(r.status, headers);
  res.end(req.method === 'HEAD' ? undefined : body);
}

function prepare(r: SampleResource): Served {
  const textual = r.contentType !== null && /^(text\/|application\/xml)/.test(r.contentType);
  return {
    ...r,
    etag: `"${createHash('sha1').update(r.body).digest('hex').slice(0, 16)}"`,
    gzipped: textual && r.body.length >= GZIP_MIN_BYTES ? gzipSync(r.body) : null,
  };
}

function text(contentType: string, body: string): SampleResource {
  return { status: 200, contentType, body: Buffer.from(body) };
}

function robotsTxt(base: string): string {
  return (
    '# Trawl sample site\nUser-agent: *\nDisallow: /private/\n\n' + `Sitemap: ${base}/sitemap.xml\n`
  );
}

function sitemapXml(base: string, paths: string[]): string {
  const urls = paths
    .map((p) => `  <url><loc>${base}${p}</loc><lastmod>2024-06-01</lastmod></url>\n`)
    .join('');
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' +
    urls +
    '</urlset>\n'
  );
}
