/**
 * The HTTP engine's proxy connections: one undici ProxyAgent per proxy URL, created on
 * first use with the fetcher's timeouts and connection limits, kept in an LRU cache
 * (the least recently used agent is closed when the cache is full) and closed with the
 * fetcher.
 *
 * - http targets go to the proxy as absolute-form requests (`GET http://host/path`), over
 *   keep-alive connections to the proxy; https targets are tunnelled with CONNECT and
 *   TLS runs end to end with the origin inside the tunnel.
 * - Credentials in the proxy URL's userinfo become `Proxy-Authorization: Basic ...`,
 *   sent to the proxy only: on the CONNECT request, or on absolute-form requests (which
 *   a proxy consumes and does not forward). The agent's URL carries no userinfo, so no
 *   error message or log line built from it can show the password.
 * - Failures that are the proxy's are thrown as TrawlError `proxy_failed` naming the
 *   proxy as host:port: no connection to the proxy (refused, reset, timed out), the
 *   proxy closing the connection or answering CONNECT with anything but 200 (407
 *   included). For absolute-form requests the fetcher classifies the rest (proxyFailure
 *   below), since there the proxy's socket is the only one.
 * - The SSRF guard's connect-time lookup does not apply here: the proxy is operator
 *   configuration (often on a private address) and it, not us, resolves the target.
 */
import { Pool, ProxyAgent } from 'undici';
import type { Dispatcher, buildConnector } from 'undici';
import { TrawlError, isTrawlError } from '../../core/errors.js';
import type { HttpFetcherTlsOptions } from './http-fetcher-options.js';

/** The fetcher's limits that apply to proxied connections too. */
export interface ProxyDispatcherLimits {
  connectionsPerOrigin: number;
  connectTimeoutMs: number;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  keepAliveTimeoutMs: number;
  tls: HttpFetcherTlsOptions | null;
}

/** One proxy's agent and what the fetcher needs to classify its errors. */
export interface ProxyRoute {
  readonly agent: ProxyAgent;
  /** `host:port` of the proxy, for messages (never the credentials). */
  readonly label: string;
  /** An http: proxy: http targets go to it as absolute-form requests (an https: proxy tunnels all). */
  readonly absoluteForm: boolean;
}

/** Agents kept at most; more distinct proxies than this close the least recently used. */
export const DEFAULT_MAX_PROXY_AGENTS = 256;

/** Per proxy URL, a cached ProxyAgent (see the module header). */
export class ProxyDispatchers {
  /** Insertion order = recency: a hit moves its entry to the end. */
  private readonly routes = new Map<string, ProxyRoute>();
  private closed = false;

  constructor(
    private readonly limits: ProxyDispatcherLimits,
    private readonly maxAgents = DEFAULT_MAX_PROXY_AGENTS,
  ) {}

  /** The route for `proxyUrl`, created on first use; throws proxy_failed for a malformed URL. */
  get(proxyUrl: string): ProxyRoute {
    const hit = this.routes.get(proxyUrl);
    if (hit !== undefined) {
      if (this.routes.size > 1) {
        this.routes.delete(proxyUrl);
        this.routes.set(proxyUrl, hit);
      }
      return hit;
    }
    if (this.closed) throw new TrawlError('aborted', 'the fetcher is closed');
    const route = this.create(proxyUrl);
    this.routes.set(proxyUrl, route);
    if (this.routes.size > this.maxAgents) {
      const [oldestUrl, oldest] = this.routes.entries().next().value as [string, ProxyRoute];
      this.routes.delete(oldestUrl);
      // Requests in flight on it are let finish.
      void oldest.agent.close().catch(() => undefined);
    }
    return route;
  }

  /** Closes every agent (requests in flight finish first); later get()s fail with aborted. */
  async close(): Promise<void> {
    this.closed = true;
    const agents = [...this.routes.values()].map((r) => r.agent);
    this.routes.clear();
    await Promise.all(agents.map((a) => a.close()));
  }

  private create(proxyUrl: string): ProxyRoute {
    const parsed = parseProxyUrl(proxyUrl);
    const { origin, label, token } = parsed;
    const limits = this.limits;
    const tls = limits.tls ?? {};
    const connectTls = { ...tls, timeout: limits.connectTimeoutMs };
    const poolOptions = {
      connections: limits.connectionsPerOrigin,
      headersTimeout: limits.headersTimeoutMs,
      bodyTimeout: limits.bodyTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      keepAliveMaxTimeout: limits.keepAliveTimeoutMs,
      pipelining: 1,
    };
    // ProxyAgent hands its factory the proxy's URL (href: with a trailing slash) for the
    // absolute-form path's connection to the proxy, and origins (no slash) otherwise.
    const proxyHref = new URL(origin).href;
    const agent = new ProxyAgent({
      uri: origin,
      ...(token === undefined ? {} : { token }),
      proxyTunnel: false,
      ...poolOptions,
      proxyTls: connectTls,
      requestTls: connectTls,
      // The CONNECT client: everything that fails on it is the proxy's.
      clientFactory: (url: URL, opts: object) => {
        const { connect } = opts as { connect: buildConnector.connector };
        return tunnelClient(url, { ...poolOptions, connect: blameProxy(connect, label) }, label);
      },
      factory: (target: string | URL, opts: object): Dispatcher => {
        const options = opts as Pool.Options & { connect?: buildConnector.connector };
        if (String(target) === proxyHref && typeof options.connect === 'function') {
          // The absolute-form path's pool to the proxy; ProxyAgent gives it no limits.
          return new Pool(target, {
            ...poolOptions,
            connect: blameProxy(options.connect, label),
          });
        }
        return new Pool(target, options);
      },
    });
    return { agent, label, absoluteForm: origin.startsWith('http:') };
  }
}

interface ParsedProxy {
  /** `http://host:port`, without userinfo. */
  origin: string;
  label: string;
  /** `Basic base64(user:pass)` when the URL has userinfo. */
  token: string | undefined;
}

/** Validates a proxy URL (http: or https:, a host, no path) and splits off its credentials. */
export function parseProxyUrl(proxyUrl: string): ParsedProxy {
  const url = URL.parse(proxyUrl);
  if (url === null || (url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname) {
    throw new TrawlError(
      'proxy_failed',
      'invalid proxy URL: expected http://[user:pass@]host:port',
      {
        retryable: false,
      },
    );
  }
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  const label = `${url.hostname}:${port}`;
  let token: string | undefined;
  if (url.username !== '' || url.password !== '') {
    const user = decodeURIComponent(url.username);
    const pass = decodeURIComponent(url.password);
    token = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
  }
  return { origin: `${url.protocol}//${url.host}`, label, token };
}

/** The proxy's own failure, as thrown to the fetcher's caller. */
export function proxyError(label: string, what: string, cause?: unknown): TrawlError {
  const detail =
    cause === undefined
      ? ''
      : `: ${errorCode(cause) || 'error'}${cause instanceof Error ? ` ${cause.message}` : ''}`;
  return new TrawlError('proxy_failed', `proxy ${label}: ${what}${detail}`, { cause });
}

/** A connector whose failures (refused, reset, timed out, TLS to an https proxy) are proxy_failed. */
function blameProxy(connect: buildConnector.connector, label: string): buildConnector.connector {
  return (options, callback) => {
    connect(options, (...args) => {
      if (args[0] === null) callback(...args);
      else callback(proxyError(label, 'connection to the proxy failed', args[0]), null);
    });
  };
}

/**
 * The pool ProxyAgent sends CONNECT requests through. Its connect() throws proxy_failed
 * for a failed exchange or any status but 200 (ProxyAgent would report one as a plain
 * abort): a TrawlError, whose code is not UND_ERR_SOCKET, so undici fails the request
 * rather than reconnecting in a loop.
 */
function tunnelClient(url: URL, options: Pool.Options, label: string): Dispatcher {
  const pool = new Pool(url, options);
  const connect = pool.connect.bind(pool) as (
    opts: Dispatcher.ConnectOptions,
  ) => Promise<Dispatcher.ConnectData>;
  const tunnel = async (opts: Dispatcher.ConnectOptions): Promise<Dispatcher.ConnectData> => {
    let data: Dispatcher.ConnectData;
    try {
      data = await connect(opts);
    } catch (err) {
      if (isTrawlError(err) && err.code === 'proxy_failed') throw err;
      throw proxyError(label, 'CONNECT failed', err);
    }
    if (data.statusCode !== 200) {
      data.socket.on('error', () => undefined).destroy();
      const what =
        data.statusCode === 407
          ? 'CONNECT answered 407 (proxy authentication required)'
          : `CONNECT answered ${data.statusCode}`;
      throw new TrawlError('proxy_failed', `proxy ${label}: ${what}`, { status: data.statusCode });
    }
    return data;
  };
  // ProxyAgent calls connect(opts) without a callback; the overloads cannot be
  // re-declared on an instance, hence the cast.
  pool.connect = tunnel as unknown as Pool['connect'];
  return pool;
}

/** The `code` of an error, or ''. */
function errorCode(err: unknown): string {
  if (typeof err !== 'object' || err === null) return '';
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : '';
}

/** Connection-level failures: on the absolute-form path the only socket is the proxy's. */
const PROXY_SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * Whether an error thrown by a request through a proxy is the proxy's, for the
 * absolute-form path (`absoluteForm`: an http target through an http proxy), where
 * ProxyAgent reports a 407 as an invalid argument and a dropped connection to the proxy
 * as a plain socket error. On the CONNECT path such errors come from the origin inside
 * the tunnel and stay its own. Errors while reading the body are already TrawlErrors
 * (`network`) and stay so: a reset mid-body may be the origin's, relayed.
 */
export function isProxySocketFailure(
  err: unknown,
  absoluteForm: boolean,
): 'auth' | 'socket' | null {
  const code = errorCode(err);
  if (code === 'UND_ERR_INVALID_ARG' && err instanceof Error && /\(407\)/.test(err.message)) {
    return 'auth';
  }
  if (absoluteForm && PROXY_SOCKET_CODES.has(code)) return 'socket';
  return null;
}

/**
 * A response a proxy generated itself on failing: RFC 9209's `Proxy-Status` header with
 * an `error` parameter on a 502/503/504. Only meaningful on the absolute-form path: in a
 * CONNECT tunnel every response is the origin's (its CDN may send Proxy-Status too).
 */
export function isProxyGeneratedFailure(
  status: number,
  headers: Record<string, string | string[] | undefined>,
): boolean {
  if (status !== 502 && status !== 503 && status !== 504) return false;
  const proxyStatus = headers['proxy-status'];
  if (proxyStatus === undefined) return false;
  const text = typeof proxyStatus === 'string' ? proxyStatus : proxyStatus.join(', ');
  return /;\s*error=/i.test(text);
}
