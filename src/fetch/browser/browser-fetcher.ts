/**
 * The browser engine: the fetcher port over a real Chromium (browser-pool.ts). A page is
 * loaded as a visitor's browser loads it, its scripts run, and the response is the
 * rendered document (serialised DOM, UTF-8) with the navigation's status and headers, so
 * the parser, the pipeline and the stores take it like any HTTP response.
 *
 * The crawler asks for redirects hop by hop (`redirect: 'manual'`), so that each hop waits
 * for its host's politeness, is checked against the scope and claimed once, as with the
 * HTTP engine; a browser's navigation cannot stop at a 3xx, so the document is fetched
 * over HTTP — one hop, the page's context's cookies sent as the browser would — and the
 * browser's navigation to it is answered with that response: a redirect (or a 304, or a
 * response that is not HTML: a PDF, a feed) goes back to the crawler as fetched
 * (`engine: "http"`), a page is rendered. Its scripts, styles and XHR the browser loads
 * itself. A caller that lets redirects be followed gets the browser's own navigation:
 * the chain in `redirects`, the last URL as `finalUrl`.
 *
 * A request made as an anti-blocking session (FetchOptions.session, .proxy) is loaded in
 * a browser context of that session's own: its User-Agent and client hints, the cookies
 * the context keeps, every request of the page (scripts, XHR) through its proxy. Each
 * upstream proxy is reached through a local filtering proxy (filtering-proxy.ts), which
 * keeps the address guard's name check, takes the proxy's credentials (Chromium takes
 * none in a URL) and tells a failure of the proxy (`proxy_failed`: the anti-blocking
 * layer moves the session to another proxy) from the site's answer.
 */
import type { LookupFunction } from 'node:net';
import type { Page, Request, Response } from 'playwright-core';
import { isTrawlError, TrawlError } from '../../core/errors.js';
import type { FetchResponse, PageArtifacts } from '../../core/types.js';
import type {
  ArtifactSaver,
  Fetcher,
  FetchOptions,
  FetchSession,
  PageCapture,
} from '../fetcher.js';
import {
  createAddressGuard,
  type AddressGuard,
  type AddressGuardSpec,
} from '../http/address-guard.js';
import { CookieJar } from '../../antiblock/session/cookie-jar.js';
import { isRedirectStatus } from '../http/redirect.js';
import { BrowserPool, deadline, type ContextProfile } from './browser-pool.js';
import { FilteringProxy } from './filtering-proxy.js';

/** When a navigation counts as loaded (Playwright's `waitUntil`). */
export type BrowserWaitUntil = 'load' | 'domcontentloaded' | 'networkidle';

export interface BrowserFetcherOptions {
  /** Fetches what no browser renders (FetchOptions.resource 'file': robots.txt, sitemaps). */
  http: Fetcher;
  executablePath: string;
  userAgent: string;
  /** Pages open at once. */
  maxPages: number;
  /** Deadline of the whole page: navigation, waits and reading the document, ms. */
  totalTimeoutMs: number;
  /** @default 'load' */
  waitUntil?: BrowserWaitUntil;
  /** Also wait for this CSS selector to be attached (within the page's deadline). */
  waitForSelector?: string | null;
  /** Then wait this long more, ms (within the page's deadline). @default 0 */
  waitMs?: number;
  /** Rendered documents over this many bytes fail with too_large. */
  maxBodyBytes: number;
  pagesPerContext?: number;
  pagesPerBrowser?: number;
  /**
   * The SSRF guard (the HTTP engine's): when set, every request of the browser goes
   * through a local filtering proxy that checks and pins its address, and a page whose
   * navigation (or a redirect hop of it) is refused fails with blocked_address.
   * @default null
   */
  addressGuard?: AddressGuardSpec | null;
  /** Test hook: the guard's resolver (see HttpFetcherOptions.addressLookup). */
  addressLookup?: LookupFunction;
  /** The pages' viewport, CSS pixels. @default 1280×720 */
  viewport?: { width: number; height: number };
  /** Resource types not loaded. @default image, font, media */
  blockResources?: readonly string[];
  /** What to capture of every page (FetchOptions.capture overrides it). @default nothing */
  capture?: PageCapture;
  /** Where captures go; without it nothing is captured. */
  saveArtifact?: ArtifactSaver | null;
  /** Told of a capture that could not be made or stored (the page is kept without it). */
  onArtifactError?: (url: string, kind: string, err: unknown) => void;
}

/** Deadline of one screenshot or PDF, ms (a hung renderer must not hold the page longer). */
const CAPTURE_TIMEOUT_MS = 15_000;
/** Deadline of the screenshot of a page that failed, ms. */
const ERROR_CAPTURE_TIMEOUT_MS = 5_000;

const HTML_TYPE = /^\s*(?:text\/html|application\/xhtml\+xml)/i;

export class BrowserFetcher implements Fetcher {
  private readonly pool: BrowserPool;
  private readonly guard: AddressGuard | null;
  private readonly proxy: FilteringProxy | null;
  private proxyUrl: Promise<string> | null = null;
  /** The local proxy in front of each upstream proxy (the sessions'), made on first use. */
  private readonly chains = new Map<string, { proxy: FilteringProxy; url: Promise<string> }>();

  constructor(private readonly options: BrowserFetcherOptions) {
    const spec = options.addressGuard ?? null;
    this.guard =
      spec === null
        ? null
        : createAddressGuard(spec, {
            ...(options.addressLookup === undefined ? {} : { lookup: options.addressLookup }),
          });
    this.proxy = this.guard === null ? null : new FilteringProxy({ guard: this.guard });
    const proxy = this.proxy;
    this.pool = new BrowserPool({
      ...(proxy === null ? {} : { proxyServer: () => (this.proxyUrl ??= proxy.start()) }),
      executablePath: options.executablePath,
      userAgent: options.userAgent,
      maxPages: options.maxPages,
      ...(options.pagesPerContext === undefined
        ? {}
        : { pagesPerContext: options.pagesPerContext }),
      ...(options.pagesPerBrowser === undefined
        ? {}
        : { pagesPerBrowser: options.pagesPerBrowser }),
      ...(options.viewport === undefined ? {} : { viewport: options.viewport }),
      ...(options.blockResources === undefined ? {} : { blockResources: options.blockResources }),
    });
  }

  async fetch(url: string, options: FetchOptions = {}): Promise<FetchResponse> {
    // A browser shows an empty 404 robots.txt as an error page, and a sitemap as a viewer.
    if (options.resource === 'file') return this.options.http.fetch(url, options);
    // The crawler takes redirects hop by hop, each through its host's politeness: the
    // document is fetched over HTTP (one hop), and rendered when it is a page.
    return this.inPage(url, options, options.redirect === 'manual' ? 'fetch' : null);
  }

  /**
   * Renders a document already fetched (the auto engine's HTTP response, redirects done):
   * the browser's navigation to its final URL is answered with its status, headers and
   * bytes, so the document is requested once, through the HTTP engine's politeness and
   * guard; its scripts, styles and XHR the browser loads itself.
   */
  async render(document: FetchResponse, options: FetchOptions = {}): Promise<FetchResponse> {
    return this.inPage(document.finalUrl, options, document);
  }

  /**
   * Loads `url` in a page: navigating to it (`document` null), answering its navigation
   * with a document already fetched, or ('fetch') with the document fetched now over
   * HTTP — with the page's context's cookies, as the browser would send them — which is
   * returned as it is when it is not a page to render (a redirect, a 304, a PDF).
   */
  private async inPage(
    url: string,
    options: FetchOptions,
    document: FetchResponse | 'fetch' | null,
  ): Promise<FetchResponse> {
    const { signal } = options;
    if (signal?.aborted) throw new TrawlError('aborted', 'the crawl is stopping');
    this.guard?.checkUrl(url);
    const { profile, via } = await this.profileOf(options);
    const startedAt = Date.now();
    const started = performance.now();
    return this.pool.withPage(async (page) => {
      const onAbort = (): void => void page.close().catch(() => undefined);
      signal?.addEventListener('abort', onAbort, { once: true });
      let fetched: FetchResponse | null = document === 'fetch' ? null : document;
      try {
        if (document === 'fetch') fetched = await this.fetchDocument(page, url, options);
        if (fetched !== null) {
          // What the document's response sets is the browser's, as if it had fetched it
          // (a redirect that sets a cookie and comes back for it does not loop).
          await keepCookies(page, fetched);
          if (document === 'fetch' && !isPage(fetched)) return { ...fetched, engine: 'http' };
        }
        const rendered = await deadline(
          this.load(page, url, options, { startedAt, started, document: fetched, via }),
          this.options.totalTimeoutMs,
          `loading ${url} in the browser`,
        );
        return fetched === null ? rendered : withDocument(fetched, rendered);
      } catch (err) {
        if (signal?.aborted) throw new TrawlError('aborted', 'the crawl is stopping');
        const failure = isTrawlError(err) ? err : browserError(url, err);
        if (NOT_THE_PAGES.has(failure.code)) throw failure;
        // The document never came: the page shows nothing of it (not the last page's).
        if (document === 'fetch' && fetched === null) await blank(page);
        throw await this.withErrorScreenshot(page, url, failure, options);
      } finally {
        signal?.removeEventListener('abort', onAbort);
      }
    }, profile);
  }

  /** One hop of `url` over HTTP, sending the page's context's cookies for it. */
  private async fetchDocument(
    page: Page,
    url: string,
    options: FetchOptions,
  ): Promise<FetchResponse> {
    const cookies = await deadline(page.context().cookies(url), 5_000, 'reading cookies');
    return this.options.http.fetch(url, {
      ...options,
      redirect: 'manual',
      headers: withCookies(options.headers, cookies),
    });
  }

  /**
   * The context a request is loaded in (none of its own without a session or a proxy)
   * and the local proxy its requests go through.
   */
  private async profileOf(
    options: FetchOptions,
  ): Promise<{ profile: ContextProfile | undefined; via: FilteringProxy | null }> {
    const session = options.session;
    const upstream = options.proxy ?? null;
    if (session === undefined && upstream === null) return { profile: undefined, via: this.proxy };
    let via = this.proxy;
    let proxyServer: string | undefined;
    if (upstream !== null) {
      let chain = this.chains.get(upstream);
      if (chain === undefined) {
        const proxy = new FilteringProxy({ guard: this.guard, upstream });
        chain = { proxy, url: proxy.start() };
        this.chains.set(upstream, chain);
      }
      proxyServer = await chain.url;
      via = chain.proxy;
    }
    const profile: ContextProfile = {
      key: `${session?.id ?? ''}\0${upstream ?? ''}`,
      ...(session === undefined
        ? {}
        : { userAgent: session.userAgent, extraHTTPHeaders: clientHints(session) }),
      ...(proxyServer === undefined ? {} : { proxyServer }),
    };
    return { profile, via };
  }

  /** A navigation that ended in an error status without a document to render. */
  private async answered(
    page: Page,
    url: string,
    response: Response,
    body: Buffer,
    startedAt: number,
    started: number,
    options: FetchOptions,
  ): Promise<FetchResponse> {
    const elapsed = performance.now() - started;
    const artifacts = await this.captures(page, url, options, true);
    return {
      ...(artifacts === undefined ? {} : { artifacts }),
      url,
      finalUrl: response.url(),
      status: response.status(),
      headers: await response.allHeaders(),
      body,
      redirects: redirectChain(response),
      startedAt,
      ttfbMs: elapsed,
      durationMs: elapsed,
      wireBytes: 0,
      engine: 'browser',
    };
  }

  async close(): Promise<void> {
    await Promise.all([this.pool.close(), this.options.http.close()]);
    if (this.proxyUrl !== null) await this.proxy?.close();
    const chains = [...this.chains.values()];
    this.chains.clear();
    await Promise.all(
      chains.map(async (chain) => {
        await chain.url.catch(() => undefined);
        await chain.proxy.close();
      }),
    );
  }

  /**
   * Why the page's navigation (or a hop of it) did not reach the site: refused by the
   * filtering proxy (blocked_address), or failed by the session's proxy (proxy_failed).
   */
  private notReached(
    via: FilteringProxy | null,
    url: string,
    since: number,
    proxyFailedHeader = false,
  ): TrawlError | null {
    if (via === null) return null;
    const reason = via.refusalFor(url);
    if (reason !== null) {
      return new TrawlError('blocked_address', `the browser may not load ${url}: ${reason}`, {
        finalUrl: url,
      });
    }
    const failed = via.upstreamFailureFor(url, since);
    if (failed !== null || proxyFailedHeader) {
      return new TrawlError(
        'proxy_failed',
        `the proxy failed loading ${url}: ${failed ?? 'it answered 502'}`,
        { retryable: true },
      );
    }
    return null;
  }

  private async load(
    page: Page,
    url: string,
    options: FetchOptions,
    at: {
      startedAt: number;
      started: number;
      document: FetchResponse | null;
      /** The local proxy the page's requests go through. */
      via: FilteringProxy | null;
    },
  ): Promise<FetchResponse> {
    const { startedAt, started, document, via } = at;
    const extra = navigationHeaders(options);
    if (document !== null) {
      // The document's own navigation is answered with the bytes already fetched; any
      // other request (and a later navigation the page's scripts make) goes out.
      const headers = documentHeaders(document.headers);
      const href = new URL(url).href;
      await page.route(
        (target) => target.href === href,
        (route) =>
          route.request().isNavigationRequest() && route.request().frame() === page.mainFrame()
            ? route.fulfill({ status: document.status, headers, body: document.body })
            : route.fallback(),
      );
    } else if (Object.keys(extra).length > 0) {
      // Only the document's own request carries them (validators of a recrawl).
      await page.route('**/*', (route) =>
        route.request().isNavigationRequest() && route.request().frame() === page.mainFrame()
          ? route.continue({ headers: { ...route.request().headers(), ...extra } })
          : route.fallback(),
      );
    }
    const timeout = this.options.totalTimeoutMs;
    // Chromium fails the navigation of an error status with an empty body (it shows its
    // own error page): the response still arrived, and is the answer.
    let navigated: Response | null = null;
    let lastHop = url;
    const onRequest = (r: Request): void => {
      if (r.isNavigationRequest() && r.frame() === page.mainFrame()) lastHop = r.url();
    };
    const onResponse = (r: Response): void => {
      if (r.request().isNavigationRequest() && r.frame() === page.mainFrame()) navigated = r;
    };
    // Removed after: the page serves more loads, and listeners would pile up on it.
    page.on('response', onResponse);
    if (via !== null) page.on('request', onRequest);
    let response: Response | null;
    try {
      response = await page.goto(url, { waitUntil: this.options.waitUntil ?? 'load', timeout });
    } catch (err) {
      const notReached = this.notReached(via, lastHop, startedAt);
      if (notReached !== null) throw notReached;
      const arrived = navigated as Response | null;
      if (arrived === null || arrived.status() < 400) throw err;
      return this.answered(page, url, arrived, Buffer.alloc(0), startedAt, started, options);
    } finally {
      page.off('response', onResponse);
      page.off('request', onRequest);
    }
    if (response === null) {
      throw new TrawlError('network', `the browser got no response for ${url}`, {
        retryable: true,
      });
    }
    const ttfbMs = performance.now() - started;
    const headers = await response.allHeaders();
    if (via !== null && headers['x-trawl-refused'] !== undefined) {
      throw (
        this.notReached(via, response.url(), startedAt) ??
        new TrawlError('blocked_address', `refused: ${url}`)
      );
    }
    if (via !== null && headers['x-trawl-proxy-failed'] !== undefined) {
      throw this.notReached(via, response.url(), startedAt, true) as TrawlError;
    }
    const type = headers['content-type'] ?? '';
    let body: Buffer;
    let artifacts: PageArtifacts | undefined;
    if (HTML_TYPE.test(type) || type === '') {
      if (this.options.waitForSelector) {
        await page.waitForSelector(this.options.waitForSelector, { state: 'attached', timeout });
      }
      const waitMs = options.waitMs ?? this.options.waitMs ?? 0;
      if (waitMs > 0) await page.waitForTimeout(waitMs);
      body = Buffer.from(await page.content(), 'utf8');
      // The serialised DOM is UTF-8 whatever the server sent.
      headers['content-type'] = 'text/html; charset=utf-8';
      if (body.length <= this.options.maxBodyBytes) {
        artifacts = await this.captures(page, url, options, response.status() >= 400);
      }
    } else {
      body = await response.body();
    }
    if (body.length > this.options.maxBodyBytes) {
      throw new TrawlError(
        'too_large',
        `the rendered page is ${body.length} bytes, over maxBodyBytes ${this.options.maxBodyBytes}`,
      );
    }
    return {
      url,
      finalUrl: response.url(),
      status: response.status(),
      headers,
      body,
      redirects: redirectChain(response),
      startedAt,
      ttfbMs,
      durationMs: performance.now() - started,
      wireBytes: Number(headers['content-length'] ?? body.length) || body.length,
      engine: 'browser',
      ...(artifacts === undefined ? {} : { artifacts }),
    };
  }

  /** The page's screenshot and PDF as asked, stored; undefined when nothing was. */
  private async captures(
    page: Page,
    url: string,
    options: FetchOptions,
    failed: boolean,
  ): Promise<PageArtifacts | undefined> {
    const save = this.options.saveArtifact;
    const capture = options.capture ?? this.options.capture;
    if (save === null || save === undefined || capture === undefined) return undefined;
    const out: PageArtifacts = {};
    const shot = capture.screenshot ?? 'none';
    // With error screenshots asked for, a failed page gets one instead of its screenshot and PDF.
    const errorShot = failed && capture.errorScreenshot === true;
    if (shot !== 'none' && !errorShot) {
      await this.keep(out, 'screenshot', url, 'image/png', () =>
        page.screenshot({
          type: 'png',
          fullPage: shot === 'fullPage',
          timeout: CAPTURE_TIMEOUT_MS,
        }),
      );
    }
    if (capture.pdf === true && !errorShot) {
      await this.keep(out, 'pdf', url, 'application/pdf', () =>
        deadline(page.pdf({ printBackground: true }), CAPTURE_TIMEOUT_MS, `the PDF of ${url}`),
      );
    }
    if (errorShot) {
      await this.keep(out, 'errorScreenshot', url, 'image/png', () =>
        page.screenshot({ type: 'png', timeout: ERROR_CAPTURE_TIMEOUT_MS }),
      );
    }
    return Object.keys(out).length === 0 ? undefined : out;
  }

  /** Makes one capture and stores it into `out`; a failure of either is reported, not thrown. */
  private async keep(
    out: PageArtifacts,
    kind: 'screenshot' | 'pdf' | 'errorScreenshot',
    url: string,
    contentType: string,
    make: () => Promise<Buffer>,
  ): Promise<void> {
    try {
      const body = await make();
      out[kind] = await (this.options.saveArtifact as ArtifactSaver)(kind, url, body, contentType);
    } catch (err) {
      this.options.onArtifactError?.(url, kind, err);
    }
  }

  /** `failure`, with the screenshot of the page that failed when one is asked and can be made. */
  private async withErrorScreenshot(
    page: Page,
    url: string,
    failure: TrawlError,
    options: FetchOptions,
  ): Promise<TrawlError> {
    const capture = options.capture ?? this.options.capture;
    const save = this.options.saveArtifact;
    if (capture?.errorScreenshot !== true || save === null || save === undefined) return failure;
    if (page.isClosed()) return failure;
    const out: PageArtifacts = {};
    if (failure.code === 'timeout') {
      // A navigation still pending holds screenshots until it commits (window.stop() in
      // the old document does not end it): stop it as the browser's stop button does, and
      // show what the page had (blank, for a server that never answered).
      await deadline(stopLoading(page), 2_000, 'stopping the page').catch(() => undefined);
    }
    await this.keep(out, 'errorScreenshot', url, 'image/png', () =>
      deadline(
        page.screenshot({ type: 'png', timeout: ERROR_CAPTURE_TIMEOUT_MS }),
        ERROR_CAPTURE_TIMEOUT_MS + 1_000,
        `the screenshot of ${url}`,
      ),
    );
    if (out.errorScreenshot === undefined) return failure;
    return new TrawlError(failure.code, failure.message, {
      cause: failure.cause,
      retryable: failure.retryable,
      ...(failure.retryAfterMs === undefined ? {} : { retryAfterMs: failure.retryAfterMs }),
      ...(failure.status === undefined ? {} : { status: failure.status }),
      ...(failure.finalUrl === undefined ? {} : { finalUrl: failure.finalUrl }),
      artifacts: { ...failure.artifacts, ...out },
    });
  }
}

/** A response the browser renders: a document of HTML (or of no stated type). */
function isPage(res: FetchResponse): boolean {
  if (isRedirectStatus(res.status) && res.headers['location'] !== undefined) return false;
  if (res.status === 304) return false;
  const type = res.headers['content-type'] ?? '';
  return type === '' || HTML_TYPE.test(type);
}

/** The rendering of a document fetched over HTTP, with the fetch's own facts. */
function withDocument(document: FetchResponse, rendered: FetchResponse): FetchResponse {
  return {
    ...rendered,
    url: document.url,
    redirects: document.redirects,
    startedAt: document.startedAt,
    ttfbMs: document.ttfbMs,
    durationMs: document.durationMs + rendered.durationMs,
    wireBytes: document.wireBytes,
    // The document's cookies are the session's (its next HTTP request sends them).
    ...(document.setCookie === undefined ? {} : { setCookie: document.setCookie }),
  };
}

/**
 * The caller's headers with the context's cookies for the URL merged into its Cookie
 * header (the context's value of a name wins: scripts may have changed it).
 */
function withCookies(
  headers: Record<string, string> | undefined,
  cookies: ReadonlyArray<{ name: string; value: string }>,
): Record<string, string> | undefined {
  if (cookies.length === 0) return headers;
  const out: Record<string, string> = {};
  const pairs = new Map<string, string>();
  for (const name in headers) {
    if (name.toLowerCase() !== 'cookie') {
      out[name] = headers[name] as string;
      continue;
    }
    for (const pair of (headers[name] as string).split(';')) {
      const eq = pair.indexOf('=');
      if (eq > 0) pairs.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
  }
  for (const c of cookies) pairs.set(c.name, c.value);
  out['Cookie'] = [...pairs].map(([name, value]) => `${name}=${value}`).join('; ');
  return out;
}

/** Stores the Set-Cookie values of a response in the page's context (RFC 6265 rules). */
async function keepCookies(page: Page, res: FetchResponse): Promise<void> {
  if (res.setCookie === undefined || res.setCookie.length === 0) return;
  const jar = new CookieJar();
  jar.setCookies(res.finalUrl, res.setCookie);
  const cookies = jar.cookies().map((c) => ({
    name: c.name,
    value: c.value,
    // Playwright: a leading dot for a Domain cookie, the bare host for a host-only one.
    domain: c.hostOnly ? c.domain : `.${c.domain}`,
    path: c.path,
    expires: c.expiresMs === null ? -1 : Math.floor(c.expiresMs / 1000),
    secure: c.secure,
    httpOnly: c.httpOnly,
    ...(c.sameSite === null ? {} : { sameSite: SAME_SITE[c.sameSite] }),
  }));
  if (cookies.length === 0) return;
  await deadline(page.context().addCookies(cookies), 5_000, 'storing cookies');
}

const SAME_SITE = { strict: 'Strict', lax: 'Lax', none: 'None' } as const;

/** Shows an empty document (a failure before any arrived is pictured blank). */
async function blank(page: Page): Promise<void> {
  if (page.isClosed()) return;
  await deadline(page.setContent(''), 2_000, 'clearing the page').catch(() => undefined);
}

/** Failures that say nothing of the page (no error screenshot is made for them). */
const NOT_THE_PAGES = new Set(['blocked_address', 'too_large', 'proxy_failed']);

/** The session's headers a browser context sends with every request (its client hints). */
const CONTEXT_HEADERS = new Set([
  'accept-language',
  'sec-ch-ua',
  'sec-ch-ua-mobile',
  'sec-ch-ua-platform',
]);

function clientHints(session: FetchSession): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of session.headers) {
    if (CONTEXT_HEADERS.has(name.toLowerCase())) out[name.toLowerCase()] = value;
  }
  return out;
}

/**
 * The headers the document's own request carries besides the browser's: the caller's
 * (a recrawl's validators, authorisation), not the session's header set and cookies,
 * which the browser sends itself (its context's).
 */
function navigationHeaders(options: FetchOptions): Record<string, string> {
  const headers = options.headers ?? {};
  const session = options.session;
  if (session === undefined) return headers;
  const own = new Set(session.headers.map(([name]) => name.toLowerCase()));
  own.add('cookie');
  const kept: Record<string, string> = {};
  for (const name in headers) {
    if (!own.has(name.toLowerCase())) kept[name] = headers[name] as string;
  }
  return kept;
}

/** Stops the page's loading, pending navigation included (Chromium's Page.stopLoading). */
async function stopLoading(page: Page): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  try {
    await cdp.send('Page.stopLoading');
  } finally {
    await cdp.detach().catch(() => undefined);
  }
}

/** Response headers that still hold for a body already decoded. */
function documentHeaders(headers: Record<string, string>): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    // Set-Cookie is stored in the context beforehand (keepCookies), each value whole.
    if (
      name === 'content-encoding' ||
      name === 'content-length' ||
      name === 'transfer-encoding' ||
      name === 'set-cookie'
    ) {
      continue;
    }
    kept[name] = value;
  }
  return kept;
}

/** The URLs the navigation was redirected to, in order (the last is the response's). */
function redirectChain(response: Response): string[] {
  const requested: string[] = [];
  for (let r: Request | null = response.request(); r !== null; r = r.redirectedFrom()) {
    requested.unshift(r.url());
  }
  return requested.slice(1);
}

/** A Playwright failure as the error code the crawler's retry policy understands. */
function browserError(url: string, err: unknown): TrawlError {
  const message = (err as Error).message?.split('\n')[0] ?? String(err);
  if (/Timeout|timed out/i.test(message)) {
    return new TrawlError('timeout', `loading ${url} in the browser: ${message}`, {
      cause: err,
      retryable: true,
    });
  }
  return new TrawlError('network', `loading ${url} in the browser: ${message}`, {
    cause: err,
    retryable: true,
  });
}
