/**
 * A real forward proxy on 127.0.0.1 for tests: absolute-form requests (`GET http://...`)
 * are forwarded with node:http, `CONNECT host:port` opens a raw TCP tunnel with
 * net.connect. It can require Basic auth, counts what it serves, and can be switched to
 * fail: destroy every client socket, or answer every request and CONNECT with a 502
 * (carrying an RFC 9209 `Proxy-Status` error, as a proxy's own 502 would).
 *
 * Hop-by-hop headers (Proxy-Authorization, Proxy-Connection, Connection, Keep-Alive)
 * are not forwarded on the absolute-form path, as a real proxy does; what the origin
 * then sees is for the origin's handler to record.
 */
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';

export type ProxyFailMode = 'none' | 'destroy' | 'status-502';

export interface ForwardProxyOptions {
  /** Require `Proxy-Authorization: Basic base64(user:pass)`; others get 407. */
  auth?: { user: string; pass: string };
  /** @default 'none' */
  fail?: ProxyFailMode;
  /** Names the proxy resolves itself (`origin.test` -> `127.0.0.1`), like a hosts file. */
  hosts?: Record<string, string>;
}

export interface ForwardProxy {
  /** `http://127.0.0.1:PORT` (no credentials). */
  readonly url: string;
  readonly port: number;
  /** Absolute-form requests forwarded (or refused) so far. */
  readonly requests: number;
  /** CONNECT requests seen so far (tunnels opened or refused). */
  readonly connects: number;
  /** Client sockets that were destroyed in 'destroy' mode. */
  readonly destroyed: number;
  /** The Proxy-Authorization values received, in order. */
  readonly authSeen: readonly string[];
  /** The targets requested: absolute URLs and CONNECT authorities. */
  readonly targets: readonly string[];
  /** Changes the failure mode from now on. */
  setFail(mode: ProxyFailMode): void;
  /** Stops listening and destroys every socket (clients and upstreams). */
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set([
  'proxy-authorization',
  'proxy-connection',
  'connection',
  'keep-alive',
  'te',
  'trailer',
  'upgrade',
]);

/** Starts a forward proxy on an ephemeral loopback port. */
export async function startForwardProxy(options: ForwardProxyOptions = {}): Promise<ForwardProxy> {
  let fail: ProxyFailMode = options.fail ?? 'none';
  const stats = { requests: 0, connects: 0, destroyed: 0 };
  const authSeen: string[] = [];
  const targets: string[] = [];
  const sockets = new Set<net.Socket>();
  const resolveName = (name: string): string => options.hosts?.[name] ?? name;
  const expected =
    options.auth === undefined
      ? undefined
      : `Basic ${Buffer.from(`${options.auth.user}:${options.auth.pass}`).toString('base64')}`;

  /** Records the credentials; false when they are required and wrong or missing. */
  const authorised = (req: http.IncomingMessage): boolean => {
    const given = req.headers['proxy-authorization'];
    if (given !== undefined) authSeen.push(given);
    return expected === undefined || given === expected;
  };

  const server = http.createServer((req, res) => {
    stats.requests++;
    targets.push(req.url ?? '');
    if (fail === 'destroy') {
      stats.destroyed++;
      req.socket.destroy();
      return;
    }
    if (!authorised(req)) {
      res.writeHead(407, { 'Proxy-Authenticate': 'Basic realm="test"' }).end();
      return;
    }
    if (fail === 'status-502') {
      res.writeHead(502, { 'Proxy-Status': 'trawl-test-proxy; error=proxy_internal_error' });
      res.end('proxy failure');
      return;
    }
    const target = URL.parse(req.url ?? '');
    if (target === null || target.protocol !== 'http:') {
      res.writeHead(400).end('absolute-form http URL expected');
      return;
    }
    const headers: http.OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (!HOP_BY_HOP.has(name)) headers[name] = value;
    }
    const upstream = http.request(
      {
        host: resolveName(target.hostname),
        port: target.port || 80,
        path: target.pathname + target.search,
        method: req.method,
        headers,
        agent: false,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) {
        res.writeHead(502, { 'Proxy-Status': 'trawl-test-proxy; error=connection_refused' });
        res.end();
      } else res.destroy();
    });
    req.pipe(upstream);
  });

  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    if (fail === 'destroy') {
      stats.destroyed++;
      socket.destroy();
    }
  });

  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    stats.connects++;
    targets.push(req.url ?? '');
    client.on('error', () => undefined);
    if (fail === 'destroy') {
      stats.destroyed++;
      client.destroy();
      return;
    }
    if (!authorised(req)) {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    if (fail === 'status-502') {
      client.end(
        'HTTP/1.1 502 Bad Gateway\r\nProxy-Status: trawl-test-proxy; error=proxy_internal_error\r\nContent-Length: 0\r\n\r\n',
      );
      return;
    }
    const [host, port] = splitAuthority(req.url ?? '');
    const upstream = net.connect({ host: resolveName(host), port });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => {
      if (client.writable && upstream.bytesRead === 0) {
        client.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n');
      } else client.destroy();
    });
    upstream.once('connect', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('end', () => client.end());
  });

  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get requests() {
      return stats.requests;
    },
    get connects() {
      return stats.connects;
    },
    get destroyed() {
      return stats.destroyed;
    },
    authSeen,
    targets,
    setFail(mode) {
      fail = mode;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function splitAuthority(authority: string): [string, number] {
  const at = authority.lastIndexOf(':');
  const host = authority.slice(0, at).replace(/^\[|\]$/g, '');
  return [host, Number(authority.slice(at + 1))];
}
