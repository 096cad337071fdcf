/**
 * Serves the synthetic benchmark site from memory over node:http with keep-alive, and
 * counts what it served so a benchmark can tell pages fetched from pages fetched twice.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPageRenderer } from './page-renderer.js';
import { createSiteModel } from './site-model.js';

export interface SiteServerOptions {
  /** Number of HTML pages, `/` included. */
  pages: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** 0 picks a free port. @default 0 */
  port?: number;
  /** @default 1 */
  seed?: number;
  /** Delay before each response, ms, to imitate a distant server. @default 0 */
  latencyMs?: number;
}

/** Requests by kind of path. */
export interface SiteRequestCounts {
  root: number;
  page: number;
  robots: number;
  notFound: number;
  /** Requests to the `/__stats` endpoints themselves (not in `requests`). */
  stats: number;
}

export interface SiteServerStats {
  /** Requests served, `/__stats` excluded. */
  requests: number;
  /** Body bytes served, `/__stats` excluded. */
  bytes: number;
  byClass: SiteRequestCounts;
  /** Distinct HTML pages (`/` included) requested at least once. */
  uniquePages: number;
  /** Requests for an HTML page that had already been served: a crawler's dedup misses. */
  repeatPageHits: number;
  pages: number;
  seed: number;
}

export interface SiteServer {
  /** Origin without a trailing slash, e.g. `http://127.0.0.1:40123`. */
  url: string;
  stats(): SiteServerStats;
  /** Zero every counter (between benchmark rounds). */
  resetStats(): void;
  close(): Promise<void>;
}

const ROBOTS = Buffer.from(
  '# Synthetic benchmark site: everything is allowed.\nUser-agent: *\nDisallow:\n',
);
const NOT_FOUND = Buffer.from('<!doctype html><title>404 Not Found</title><h1>Not found</h1>\n');
const HTML = 'text/html; charset=utf-8';

export async function startSiteServer(options: SiteServerOptions): Promise<SiteServer> {
  const model = createSiteModel({ pages: options.pages, seed: options.seed });
  const renderer = createPageRenderer(model);
  const latencyMs = options.latencyMs ?? 0;

  let hits = new Uint32Array(model.pages);
  let requests = 0;
  let bytes = 0;
  let uniquePages = 0;
  let repeatPageHits = 0;
  let byClass = zeroCounts();

  const send = (res: ServerResponse, status: number, type: string, body: Buffer): void => {
    requests++;
    bytes += body.length;
    const head = res.req.method === 'HEAD';
    res.writeHead(status, { 'content-type': type, 'content-length': body.length });
    res.end(head ? undefined : body);
  };

  const statsOf = (): SiteServerStats => ({
    requests,
    bytes,
    byClass: { ...byClass },
    uniquePages,
    repeatPageHits,
    pages: model.pages,
    seed: model.seed,
  });

  const resetStats = (): void => {
    hits = new Uint32Array(model.pages);
    requests = bytes = uniquePages = repeatPageHits = 0;
    byClass = zeroCounts();
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const raw = req.url ?? '/';
    const q = raw.search(/[?#]/);
    const path = q === -1 ? raw : raw.slice(0, q);

    if (path === '/__stats' || path === '/__stats/reset') {
      byClass.stats++;
      if (path === '/__stats/reset') resetStats();
      const body = Buffer.from(JSON.stringify(statsOf()));
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
      res.end(body);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-length': 0 });
      res.end();
      return;
    }
    if (path === '/robots.txt') {
      byClass.robots++;
      send(res, 200, 'text/plain; charset=utf-8', ROBOTS);
      return;
    }
    const i = model.pageAt(path);
    if (i === null) {
      byClass.notFound++;
      send(res, 404, HTML, NOT_FOUND);
      return;
    }
    if (i === 0) byClass.root++;
    else byClass.page++;
    const seen = hits[i] ?? 0;
    if (seen === 0) uniquePages++;
    else repeatPageHits++;
    hits[i] = seen + 1;
    send(res, 200, HTML, renderer.render(i));
  };

  const server = createServer(
    latencyMs > 0 ? (req, res) => void setTimeout(handle, latencyMs, req, res) : handle,
  );
  // A crawler holds its pooled sockets open between bursts; the 5 s default would make
  // it reconnect mid-benchmark and measure connection setup instead of steady state.
  server.keepAliveTimeout = 60_000;
  server.maxRequestsPerSocket = 0;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `http://${host}:${address.port}`,
    stats: statsOf,
    resetStats,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function zeroCounts(): SiteRequestCounts {
  return { root: 0, page: 0, robots: 0, notFound: 0, stats: 0 };
}
