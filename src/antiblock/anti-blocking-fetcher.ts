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
 * - **CAPTCHAs** (captcha/captcha-clearance.ts), with a solver and sessions: a block page
 *   showing a widget with a site key is solved and its form submitted as the session
 *   (through the inner fetcher, so the guard applies); the page is then fetched once
 *   more, and is the result if it is no longer a block (the session is kept, with the
 *   cookies the site gave for the token). Still blocked, or not solvable: as any block.
 * - **Random delays**: before each page request, a pause drawn from [minMs, maxMs], on
 *   top of the frontier's politeness (the host's slot is held meanwhile, so the gap the
 *   server sees is the politeness delay plus the pause, never less).
 */
import { isTrawlError, TrawlError } from '../core/errors.js';
import { sleep } from '../core/clock.js';
import type { FetchResponse } from '../core/types.js';
import type { Fetcher, FetchOptions, FetchSession } from '../fetch/fetcher.js';
import { detectBlock, type CaptchaChallenge } from './block-markers.js';
import type { CaptchaClearance } from './captcha/captcha-clearance.js';
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
  /** Solves the CAPTCHAs of block pages (with sessions only); null: they fail as blocks. */
  captcha?: CaptchaClearance | null;
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
          ...(session === null
            ? {}
            : {
                headers: sessionHeaders(session, url, options.headers),
                session: fetchSession(session),
              }),
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
    const block = page && this.options.detectBlocks === true ? blockOf(res) : null;
    let why = block?.why ?? null;
    const captcha = this.options.captcha ?? null;
    if (
      block?.challenge != null &&
      block.challenge.siteKey !== null &&
      captcha !== null &&
      session !== null
    ) {
      res = await this.pastCaptcha(captcha, url, options, session, lease, res, block.challenge);
      const again = blockOf(res);
      why = again === null ? null : `still blocked after its CAPTCHA was solved: ${again.why}`;
    }
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

  /**
   * Solves the CAPTCHA of `res` as `session`, submits it, and fetches `url` again: the
   * answer to judge. A failure on the way is the session's (retired) and the request's.
   */
  private async pastCaptcha(
    captcha: CaptchaClearance,
    url: string,
    options: FetchOptions,
    session: Session,
    lease: ProxyLease | null,
    res: FetchResponse,
    challenge: CaptchaChallenge,
  ): Promise<FetchResponse> {
    const send = async (target: string, extra: FetchOptions): Promise<FetchResponse> => {
      const answer = await this.options.inner.fetch(target, {
        ...options,
        ...extra,
        headers: sessionHeaders(session, target, extra.headers ?? options.headers),
        ...(session.proxy === null ? {} : { proxy: session.proxy }),
      });
      if (answer.setCookie !== undefined) {
        session.cookies.setCookies(answer.finalUrl, answer.setCookie);
      }
      return answer;
    };
    try {
      await captcha.clear(
        session,
        res,
        challenge,
        (target, request) =>
          send(target, {
            method: request.method,
            ...(request.body === null ? {} : { body: request.body }),
            // Not the page's conditional headers; the caller's others (auth) stay.
            headers: { ...withoutConditional(options.headers), ...request.headers },
            // The answer's own Set-Cookie (a redirect's, typically) is the clearance.
            redirect: 'manual',
          }),
        options.signal,
      );
      return await send(url, {});
    } catch (err) {
      const code = isTrawlError(err) ? err.code : 'network';
      if (code === 'aborted') throw err;
      if (code === 'proxy_failed') {
        if (lease !== null) await this.reportProxy(lease, 'proxy_failed');
        this.options.sessions?.retire(session, 'errors');
      } else {
        this.options.sessions?.report(session, { blocked: true });
        if (lease !== null) await this.reportProxy(lease, 'blocked');
        this.options.onBlocked?.(url, err instanceof Error ? err.message : String(err));
      }
      throw err;
    }
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

/**
 * Why a page response is a block (a 401/403, or a block page's marker) and the CAPTCHA
 * it shows, if any; null for a page.
 */
function blockOf(res: FetchResponse): { why: string; challenge: CaptchaChallenge | null } | null {
  // The widget's page is the one the response came from, after any redirect.
  const signal = detectBlock({
    url: res.finalUrl,
    status: res.status,
    headers: res.headers,
    body: res.body,
  });
  const challenge = signal?.captcha ?? null;
  if (res.status === 401 || res.status === 403) {
    const why = signal === null ? `HTTP ${res.status}` : `HTTP ${res.status}, ${signal.marker}`;
    return { why, challenge };
  }
  return signal === null ? null : { why: `block page (${signal.marker})`, challenge };
}

const CONDITIONAL = new Set(['if-none-match', 'if-modified-since']);

/** The caller's headers without a recrawl's conditional ones. */
function withoutConditional(
  headers: Record<string, string> | undefined,
): Record<string, string> | undefined {
  if (headers === undefined) return undefined;
  const kept: Record<string, string> = {};
  for (const name in headers) {
    if (!CONDITIONAL.has(name.toLowerCase())) kept[name] = headers[name] as string;
  }
  return kept;
}

/** The session as the engines take it (FetchOptions.session). */
function fetchSession(session: Session): FetchSession {
  return {
    id: session.id,
    userAgent: session.headerSet.userAgent,
    headers: session.headerSet.headers,
  };
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
