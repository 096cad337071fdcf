/**
 * Anti-blocking around any fetcher (a decorator of the fetcher port, so the crawler loop
 * cannot tell it is there): sessions, proxies, block detection and random delays.
 *
 * - **Sessions** (session/session-pool.ts): each request is made as one session — its
 *   browser header set, in the browser's order, its cookies (stored from every
 *   Set-Cookie), its proxy. A 401/403 answer or a block page retires the session whole
 *   and fails the request with `blocked` (retryable: the crawler's next attempt gets a
 *   fresh session); a 429 retires it too, and the response goes on to the crawler, whose
 *   retry policy pauses the host by its Retry-After.
 * - **Proxies** (proxy/proxy-pool.ts): a session's proxy is chosen from the pool when the
 *   session is made; without sessions each request takes one. Every outcome is reported
 *   (ok, proxy_failed, blocked), which scores and benches proxies and escalates a host
 *   that keeps blocking to a better tier.
 * - **Block detection** (block-markers.ts) on every page response when sessions or
 *   proxies are on; robots.txt and sitemaps are not judged.
 * - **Random delays**: before each page request, a pause drawn from [minMs, maxMs], on
 *   top of the frontier's politeness (the host's slot is held meanwhile, so the gap the
 *   server sees is the politeness delay plus the pause, never less).
 */
import { isTrawlError, TrawlError } from '../core/errors.js';
import { sleep } from '../core/clock.js';
import type { FetchResponse } from '../core/types.js';
import type { Fetcher, FetchOptions } from '../fetch/fetcher.js';
import { detectBlock } from './block-markers.js';
import { headerArray } from './headers/header-sets.js';
import type { ProxyLease, ProxyPool } from './proxy/proxy-pool.js';
import type { Session, SessionPool } from './session/session-pool.js';

export interface AntiBlockingOptions {
  inner: Fetcher;
  /** Sessions (header sets, cookies, a proxy each); null: none. */
  sessions?: SessionPool | null;
  /** Proxies for requests made without sessions (with sessions, the pool's chooser does it). */
  proxies?: ProxyPool | null;
  /** Judge page responses for block pages and 401/403. */
  detectBlocks?: boolean;
  /** A random pause before each page request, ms. */
  randomDelay?: { minMs: number; maxMs: number } | null;
  /** Resolves when the proxy list is loaded (requests wait for it). */
  ready?: Promise<unknown>;
  /** Stops what runs beside the fetcher (proxy refresh, health checks). */
  onClose?: () => Promise<void>;
  /** Told of each block (for logs). */
  onBlocked?: (url: string, why: string) => void;
  /** @default Math.random */
  random?: () => number;
  /** Where the sessions' proxy chooser (proxyChooser) records each session's lease. */
  leases?: Map<string, ProxyLease>;
}

/** Proxies one request tries before a proxy failure is the request's. */
const PROXY_ATTEMPTS = 3;

export class AntiBlockingFetcher implements Fetcher {
  private readonly random: () => number;
  /** The proxy lease behind each session's proxy URL, to report outcomes on. */
  private readonly leases: Map<string, ProxyLease>;

  constructor(private readonly options: AntiBlockingOptions) {
    this.random = options.random ?? Math.random;
    this.leases = options.leases ?? new Map();
  }

  /**
   * For SessionPool's acquireProxy: a proxy for a new session, its lease recorded in
   * `leases` (give the same map to the fetcher) so outcomes are reported on it.
   */
  static proxyChooser(
    pool: ProxyPool,
    leases: Map<string, ProxyLease>,
  ): (host: string) => Promise<string | null> {
    return async (host) => {
      const lease = await pool.acquire(host);
      if (lease === null) return null;
      leases.set(lease.url, lease);
      return lease.url;
    };
  }

  async fetch(url: string, options: FetchOptions = {}): Promise<FetchResponse> {
    if (this.options.ready !== undefined) await this.options.ready;
    const page = options.resource !== 'file';
    const delay = this.options.randomDelay;
    if (page && delay !== null && delay !== undefined && delay.maxMs > 0) {
      await sleep(delay.minMs + this.random() * (delay.maxMs - delay.minMs), options.signal);
      if (options.signal?.aborted) throw new TrawlError('aborted', 'the crawl is stopping');
    }
    const host = URL.parse(url)?.hostname ?? '';
    let session: Session | null = null;
    let lease: ProxyLease | null = null;
    let res: FetchResponse | null = null;
    // A failed proxy is not the site's answer: the request goes again through another
    // (a session whose proxy failed is replaced), up to PROXY_ATTEMPTS times.
    for (let attempt = 1; res === null; attempt++) {
      session = (await this.options.sessions?.acquire(host)) ?? null;
      lease = null;
      if (session !== null) {
        lease = session.proxy === null ? null : (this.leases.get(session.proxy) ?? null);
      } else if (this.options.proxies) {
        lease = await this.options.proxies.acquire(host);
      }
      const proxy = session?.proxy ?? lease?.url ?? null;
      try {
        res = await this.options.inner.fetch(url, {
          ...options,
          ...(session === null ? {} : { headers: sessionHeaders(session, url, options.headers) }),
          ...(proxy === null ? {} : { proxy }),
        });
      } catch (err) {
        const code = isTrawlError(err) ? err.code : 'network';
        if (code === 'aborted') throw err;
        if (code === 'proxy_failed') {
          if (lease !== null) await this.reportProxy(lease, 'proxy_failed');
          if (session !== null) this.options.sessions?.retire(session, 'errors');
          if (attempt < PROXY_ATTEMPTS && !options.signal?.aborted) continue;
        } else if (session !== null) {
          this.options.sessions?.report(session, { error: code });
        }
        throw err;
      }
    }
    if (session !== null && res.setCookie !== undefined) {
      session.cookies.setCookies(res.finalUrl, res.setCookie);
    }
    const why = page && this.options.detectBlocks === true ? blockOf(res) : null;
    if (why !== null) {
      if (session !== null)
        this.options.sessions?.report(session, { status: res.status, blocked: true });
      if (lease !== null) await this.reportProxy(lease, 'blocked');
      this.options.onBlocked?.(url, why);
      throw new TrawlError('blocked', `${url}: ${why}`, {
        status: res.status,
        finalUrl: res.finalUrl,
        retryable: true,
      });
    }
    if (session !== null) this.options.sessions?.report(session, { status: res.status });
    if (lease !== null) await this.reportProxy(lease, res.status === 429 ? 'blocked' : 'ok');
    return res;
  }

  async close(): Promise<void> {
    await this.options.onClose?.();
    await this.options.inner.close();
  }

  private async reportProxy(
    lease: ProxyLease,
    outcome: 'ok' | 'proxy_failed' | 'blocked',
  ): Promise<void> {
    // Scoring is advice: a pool that cannot be reached must not fail the page.
    await this.options.proxies?.report(lease, outcome).catch(() => undefined);
  }
}

/** Why a page response is a block, or null: a 401/403, or a block page's marker. */
function blockOf(res: FetchResponse): string | null {
  if (res.status === 401 || res.status === 403) {
    const signal = detectBlock(res);
    return signal === null ? `HTTP ${res.status}` : `HTTP ${res.status}, ${signal.marker}`;
  }
  const signal = detectBlock(res);
  return signal === null ? null : `block page (${signal.marker})`;
}

/** The session's browser headers in order, its cookies, then the caller's headers. */
function sessionHeaders(
  session: Session,
  url: string,
  extra: Record<string, string> | undefined,
): Record<string, string> {
  const flat = headerArray(session.headerSet, { cookie: session.cookies.cookieHeader(url) });
  const headers: Record<string, string> = {};
  for (let i = 0; i < flat.length; i += 2) headers[flat[i] as string] = flat[i + 1] as string;
  if (extra !== undefined) {
    for (const name in extra) {
      // The caller's value wins, under the set's spelling when the set has the header.
      const existing = Object.keys(headers).find((n) => n.toLowerCase() === name.toLowerCase());
      headers[existing ?? name] = extra[name] as string;
    }
  }
  return headers;
}
