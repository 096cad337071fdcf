/**
 * The browser's SSRF guard: a forward proxy on 127.0.0.1 that every request of Chromium
 * goes through (`--proxy-server`, loopback included), so the HTTP engine's address guard
 * also holds for what page interception cannot see — redirect hops, subresources, XHR,
 * WebSockets — and Chromium never resolves a name itself.
 *
 * For each request (absolute-form GET/POST… for http:, CONNECT for https: and wss:) the
 * target is checked by name (`checkUrl`), then resolved by the guard's `lookup`, which
 * refuses a name if ANY of its addresses is refused; the connection is made to the
 * address that lookup returned (pinned: no second resolution a rebinding DNS could
 * answer differently). A refused target gets 403 with `x-trawl-refused: blocked_address`
 * and is remembered, so the fetcher reports the page as `blocked_address`.
 *
 * With `upstream` (an HTTP proxy URL: a session's proxy of the anti-blocking pool),
 * allowed requests go on through it: the name check still applies, the address check
 * cannot (the upstream resolves). A failure of the upstream itself (it cannot be reached,
 * refuses the CONNECT, asks for credentials) is answered 502 with `x-trawl-proxy-failed`
 * and remembered, so the fetcher reports `proxy_failed` (the proxy's fault, not the
 * site's). Without a guard (a crawl allowed to reach any address) the proxy only chains
 * to its upstream and reports its failures.
 *
 * Our own code: forward proxies on npm either do not take a custom lookup per connection
 * or bring a framework with them; this is one file over node:http and node:net.
 */
import http from 'node:http';
import type { AddressInfo, LookupFunction, Socket } from 'node:net';
import net from 'node:net';
import { isTrawlError } from '../../core/errors.js';
import type { AddressGuard } from '../http/address-guard.js';
import { isProxyGeneratedFailure, parseProxyUrl } from '../http/proxy-dispatchers.js';

export interface FilteringProxyOptions {
  /** The address guard; null: every target allowed (chaining only). */
  guard: AddressGuard | null;
  /** Chain allowed requests to this HTTP proxy (`http://[user:pass@]host:port`). */
  upstream?: string | null;
  /** Deadline of connecting to a target (or the upstream), ms. @default 10_000 */
  connectTimeoutMs?: number;
}

/** Targets refused lately, so a failed navigation can say why. */
const REMEMBERED = 256;

export class FilteringProxy {
  private readonly server: http.Server;
  private readonly sockets = new Set<Socket>();
  private readonly refused = new Map<string, string>();
  /** Targets whose requests the upstream failed lately: when, and why. */
  private readonly upstreamFailed = new Map<string, { at: number; why: string }>();
  private readonly upstream: URL | null;
  private readonly agent: http.Agent;
  private port = 0;

  constructor(private readonly options: FilteringProxyOptions) {
    this.upstream =
      options.upstream === undefined || options.upstream === null
        ? null
        : new URL(options.upstream);
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
    this.server = http.createServer((req, res) => this.forward(req, res));
    this.server.on('connect', (req: http.IncomingMessage, socket: Socket, head: Buffer) =>
      this.tunnel(req, socket, head),
    );
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  /** Listens on 127.0.0.1 (a free port); the URL to give Chromium as its proxy. */
  async start(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
    return `http://127.0.0.1:${this.port}`;
  }

  /** Why a request to this URL's host:port was refused lately, or null. */
  refusalFor(url: string): string | null {
    const parsed = URL.parse(url);
    if (parsed === null) return null;
    return this.refused.get(hostPort(parsed)) ?? null;
  }

  /**
   * Why the upstream failed a request to this URL's host:port at or after `since`
   * (Date.now() ms), or null.
   */
  upstreamFailureFor(url: string, since: number): string | null {
    const parsed = URL.parse(url);
    if (parsed === null) return null;
    const failed = this.upstreamFailed.get(hostPort(parsed));
    return failed === undefined || failed.at < since ? null : failed.why;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.agent.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** An absolute-form request for an http: URL. */
  private forward(req: http.IncomingMessage, res: http.ServerResponse): void {
    const target = URL.parse(req.url ?? '');
    if (target === null || target.protocol !== 'http:') {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('absolute http: URLs only');
      return;
    }
    const refusal = this.check(target);
    if (refusal !== null) return this.refuse(res, target, refusal);
    const headers = { ...req.headers };
    delete headers['proxy-connection'];
    delete headers['proxy-authorization'];
    const upstream = this.upstream;
    const outgoing = http.request({
      agent: this.agent,
      method: req.method,
      headers: upstream === null ? headers : { ...headers, ...proxyAuth(upstream) },
      timeout: this.options.connectTimeoutMs ?? 10_000,
      ...(upstream === null
        ? {
            host: target.hostname.replace(/^\[|\]$/g, ''),
            port: target.port === '' ? 80 : Number(target.port),
            path: `${target.pathname}${target.search}`,
            // The guard's lookup: every resolved address checked, the connection pinned.
            ...this.lookup(),
          }
        : {
            host: upstream.hostname,
            port: upstream.port === '' ? 80 : Number(upstream.port),
            path: target.href,
          }),
    });
    outgoing.on('response', (answer) => {
      const status = answer.statusCode ?? 502;
      if (upstream !== null && status === 407) {
        answer.resume();
        return this.upstreamFailure(res, target, 'the proxy asked for credentials (407)');
      }
      if (upstream !== null && isProxyGeneratedFailure(status, answer.headers)) {
        answer.resume();
        const why = `the proxy answered ${status} (${String(answer.headers['proxy-status'])})`;
        return this.upstreamFailure(res, target, why);
      }
      res.writeHead(status, answer.rawHeaders);
      answer.pipe(res);
    });
    outgoing.on('timeout', () => outgoing.destroy(new Error('connect timeout')));
    outgoing.on('error', (err) => {
      if (isTrawlError(err) && err.code === 'blocked_address') {
        return this.refuse(res, target, err.message);
      }
      // Before any answer the failure is the upstream's (the target is its to reach).
      if (upstream !== null && !res.headersSent) {
        return this.upstreamFailure(res, target, err.message);
      }
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`trawl proxy: ${err.message}`);
    });
    req.pipe(outgoing);
  }

  /** CONNECT host:port (https:, wss:): a tunnel to the pinned address. */
  private tunnel(req: http.IncomingMessage, client: Socket, head: Buffer): void {
    client.on('error', () => undefined);
    const target = URL.parse(`https://${req.url ?? ''}/`);
    if (target === null) {
      client.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      return;
    }
    const refusal = this.check(target);
    if (refusal !== null) {
      this.remember(target, refusal);
      client.end(refusedHead(refusal));
      return;
    }
    const port = target.port === '' ? 443 : Number(target.port);
    const upstream = this.upstream;
    const server =
      upstream === null
        ? net.connect({
            host: target.hostname.replace(/^\[|\]$/g, ''),
            port,
            ...this.lookup(),
          })
        : net.connect({
            host: upstream.hostname,
            port: upstream.port === '' ? 80 : Number(upstream.port),
          });
    server.setTimeout(this.options.connectTimeoutMs ?? 10_000, () =>
      server.destroy(new Error('connect timeout')),
    );
    let open = false;
    server.on('error', (err) => {
      if (open) return client.destroy();
      if (isTrawlError(err) && err.code === 'blocked_address') {
        this.remember(target, err.message);
        client.end(refusedHead(err.message));
      } else if (upstream !== null) {
        this.rememberUpstream(target, err.message);
        client.end(PROXY_FAILED_HEAD);
      } else {
        client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
      }
    });
    const splice = (): void => {
      open = true;
      server.setTimeout(0);
      if (head.length > 0) server.write(head);
      server.pipe(client);
      client.pipe(server);
      client.on('close', () => server.destroy());
      server.on('close', () => client.destroy());
    };
    if (upstream === null) {
      server.once('connect', () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        splice();
      });
      return;
    }
    // Through the upstream: our CONNECT first, its answer passed on.
    server.once('connect', () => {
      const auth = proxyAuth(upstream)['proxy-authorization'];
      server.write(
        `CONNECT ${hostPort(target)} HTTP/1.1\r\nHost: ${hostPort(target)}\r\n` +
          (auth === undefined ? '' : `Proxy-Authorization: ${auth}\r\n`) +
          '\r\n',
      );
      let answer = Buffer.alloc(0);
      const onData = (chunk: Buffer): void => {
        answer = Buffer.concat([answer, chunk]);
        const end = answer.indexOf('\r\n\r\n');
        if (end < 0) {
          if (answer.length > 16_384) server.destroy(new Error('upstream answer too long'));
          return;
        }
        server.off('data', onData);
        const status = /^HTTP\/1\.[01] (\d{3})/.exec(answer.toString('latin1', 0, 16))?.[1];
        if (status === undefined || status[0] !== '2') {
          this.rememberUpstream(target, `the proxy answered CONNECT with ${status ?? 'garbage'}`);
          client.end(PROXY_FAILED_HEAD);
          server.destroy();
          return;
        }
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        const rest = answer.subarray(end + 4);
        if (rest.length > 0) client.write(rest);
        splice();
      };
      server.on('data', onData);
    });
  }

  /** The guard's lookup (every resolved address checked, the connection pinned), if any. */
  private lookup(): { lookup?: LookupFunction } {
    const guard = this.options.guard;
    return guard === null ? {} : { lookup: guard.lookup };
  }

  /** The name check; the address check happens in the guard's lookup at connect time. */
  private check(target: URL): string | null {
    try {
      this.options.guard?.checkUrl(target.href);
      return null;
    } catch (err) {
      return (err as Error).message;
    }
  }

  private refuse(res: http.ServerResponse, target: URL, reason: string): void {
    this.remember(target, reason);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res
      .writeHead(403, { 'content-type': 'text/plain', 'x-trawl-refused': 'blocked_address' })
      .end(`trawl refused ${target.host}: ${reason}`);
  }

  private upstreamFailure(res: http.ServerResponse, target: URL, why: string): void {
    this.rememberUpstream(target, why);
    res
      .writeHead(502, { 'content-type': 'text/plain', 'x-trawl-proxy-failed': '1' })
      .end(`trawl proxy: the upstream proxy failed: ${why}`);
  }

  private remember(target: URL, reason: string): void {
    keep(this.refused, hostPort(target), reason);
  }

  private rememberUpstream(target: URL, why: string): void {
    keep(this.upstreamFailed, hostPort(target), { at: Date.now(), why });
  }
}

/** Sets `key` as the newest entry of `map`, dropping the oldest past REMEMBERED. */
function keep<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > REMEMBERED) {
    const oldest = map.keys().next().value;
    if (oldest !== undefined) map.delete(oldest);
  }
}

const PROXY_FAILED_HEAD =
  'HTTP/1.1 502 Bad Gateway\r\nx-trawl-proxy-failed: 1\r\ncontent-length: 0\r\n\r\n';

function hostPort(url: URL): string {
  const port = url.port !== '' ? url.port : url.protocol === 'http:' ? '80' : '443';
  return `${url.hostname}:${port}`;
}

function refusedHead(reason: string): string {
  const why = reason.replace(/[\r\n]+/g, ' ');
  return `HTTP/1.1 403 Forbidden\r\nx-trawl-refused: blocked_address\r\nx-trawl-reason: ${why}\r\ncontent-length: 0\r\n\r\n`;
}

function proxyAuth(upstream: URL): Record<string, string> {
  const { token } = parseProxyUrl(upstream.href);
  return token === undefined ? {} : { 'proxy-authorization': token };
}
