/**
 * The synthetic site on many loopback hosts at once, for the politeness benchmark: host k
 * (1-based) listens on 127.0.1.k, all on one port, each serving its own copy of a small
 * synthetic site (bench/site's model and renderer). It records when every request arrives
 * so the gap between two requests to one host is measured where politeness matters: at
 * the server.
 *
 *   node dist/bench/peers/politeness/multi-host-serve.js --hosts 200 --pages 50 --delay-ms 100
 *
 * Prints `{"urls": [...], "pid"}` once listening; `GET /__stats` on any host answers the
 * counters over all hosts. Stops on SIGTERM, or when stdin closes (its parent died).
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { createPageRenderer } from '../../site/page-renderer.js';
import { createSiteModel } from '../../site/site-model.js';
import { hostGapStats, recordArrival, newHostState } from './host-gaps.js';
import type { HostState } from './host-gaps.js';

const { values } = parseArgs({
  options: {
    hosts: { type: 'string', default: '200' },
    pages: { type: 'string', default: '50' },
    seed: { type: 'string', default: '1' },
    'delay-ms': { type: 'string', default: '100' },
  },
});
const hosts = Number(values.hosts);
const pages = Number(values.pages);
const delayMs = Number(values['delay-ms']);
if (!Number.isInteger(hosts) || hosts < 1 || hosts > 254) {
  console.error('multi-host-serve: --hosts must be 1..254 (127.0.1.1 to 127.0.1.254)');
  process.exit(2);
}
const model = createSiteModel({ pages, seed: Number(values.seed) });
const renderer = createPageRenderer(model);
const ROBOTS = Buffer.from('User-agent: *\nDisallow:\n');
const NOT_FOUND = Buffer.from('<!doctype html><title>404 Not Found</title><h1>Not found</h1>\n');
const state: HostState[] = Array.from({ length: hosts }, () => newHostState(pages));

function handler(h: number) {
  const host = state[h] as HostState;
  return (req: IncomingMessage, res: ServerResponse): void => {
    const raw = req.url ?? '/';
    const q = raw.search(/[?#]/);
    const path = q === -1 ? raw : raw.slice(0, q);
    if (path === '/__stats') {
      const body = Buffer.from(JSON.stringify(hostGapStats(state, delayMs)));
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
      res.end(body);
      return;
    }
    const page = path === '/robots.txt' ? null : model.pageAt(path);
    recordArrival(host, performance.now(), path === '/robots.txt' ? 'robots' : page);
    let status = 200;
    let body: Buffer;
    let type = 'text/html; charset=utf-8';
    if (path === '/robots.txt') {
      body = ROBOTS;
      type = 'text/plain';
    } else if (page === null) {
      status = 404;
      body = NOT_FOUND;
    } else {
      body = renderer.render(page);
    }
    host.bytes += body.length;
    res.writeHead(status, { 'content-type': type, 'content-length': body.length });
    res.end(body);
  };
}

/** All hosts on one port: a port free on 127.0.1.1 may be taken on another address. */
async function listenAll(): Promise<{ servers: Server[]; port: number }> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const servers: Server[] = [];
    let port = 0;
    try {
      for (let h = 0; h < hosts; h++) {
        const server = createServer(handler(h));
        server.keepAliveTimeout = 60_000;
        servers.push(server);
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(port, `127.0.1.${h + 1}`, () => {
            server.off('error', reject);
            resolve();
          });
        });
        port = (server.address() as AddressInfo).port;
      }
      return { servers, port };
    } catch {
      await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    }
  }
  throw new Error('no port free on every 127.0.1.x address');
}

const { servers, port } = await listenAll();
process.stdout.write(
  JSON.stringify({
    urls: servers.map((_, h) => `http://127.0.1.${h + 1}:${port}`),
    pid: process.pid,
  }) + '\n',
);
const stop = (): void => {
  for (const s of servers) {
    s.close();
    s.closeAllConnections();
  }
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop).on('close', stop).resume();
