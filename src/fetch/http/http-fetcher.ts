/**
 * The HTTP engine behind the Fetcher port: undici's Agent (per-origin keep-alive pools)
 * driven through `request()`, with redirects followed here so every hop can be
 * canonicalised, loop-checked and vetted by the caller.
 */
import { Agent } from 'undici';
import type { Dispatcher } from 'undici';
import { TrawlError, isTrawlError } from '../../core/errors.js';
import type { FetchResponse } from '../../core/types.js';
import type { FetchOptions, Fetcher } from '../fetcher.js';
import { createAddressGuard } from './address-guard.js';
import type { AddressGuard } from './address-guard.js';
import { resolveHttpFetcherOptions } from './http-fetcher-options.js';
import type { HttpFetcherOptions, ResolvedHttpFetcherOptions } from './http-fetcher-options.js';
import {
  ProxyDispatchers,
  isProxyGeneratedFailure,
  isProxySocketFailure,
  proxyError,
} from './proxy-dispatchers.js';
import type { ProxyRoute } from './proxy-dispatchers.js';
import { readBody } from './read-body.js';
import type { BodyLimits } from './read-body.js';
import { enforceDecision, isRedirectStatus, redirectTarget } from './redirect.js';
import { RequestGuard } from './request-guard.js';
import { canonicalTarget, requestTarget } from './request-target.js';
import { toTrawlError } from './to-trawl-error.js';

export type { HttpFetcherOptions, HttpFetcherTlsOptions } from './http-fetcher-options.js';

const ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
const ACCEPT_ENCODING = 'gzip, deflate, br';
/**
 * A redirect body up to this size is read to the end so its socket can serve the next
 * hop (cheaper than a new TCP/TLS handshake); a bigger one costs the socket instead.
 */
const REDIRECT_DRAIN_BYTES = 128 * 1024;
const EMPTY = Buffer.alloc(0);

/**
 * GETs pages over HTTP/1.1 with keep-alive pools per origin (or, with FetchOptions.method,
 * POSTs a form).
 *
 * - Resolves with any status (4xx/5xx included, with their body); throws TrawlError.
 * - Sends User-Agent, Accept and Accept-Encoding (gzip, deflate, br) plus
 *   FetchOptions.headers, and decodes gzip, x-gzip, deflate (zlib-wrapped or raw), br
 *   and stacks of them; other codings are returned as sent.
 * - Follows 301/302/303/307/308 with a Location, canonicalising each target, as a GET
 *   (a POST only through 307/308), or, with `redirect: 'manual'`, returns the redirect
 *   for the caller to follow.
 * - `startedAt` is when the first request of the chain was sent; `ttfbMs` (final
 *   headers) and `durationMs` are measured from then, across every hop.
 * - With `addressGuard`, refuses (blocked_address) a URL or redirect hop whose host is a
 *   refused address or name, and any connection whose host resolves to one.
 * - With FetchOptions.proxy, sends every hop of the fetch through that proxy
 *   (proxy-dispatchers.ts): http targets as absolute-form requests, https ones through a
 *   CONNECT tunnel; the proxy's own failures throw `proxy_failed`. Through a proxy the
 *   guard still checks every hop's URL, but its connect-time DNS check cannot apply to
 *   the target: the proxy resolves the name, not us (and the proxy's own address, being
 *   configuration, is not checked).
 */
export class HttpFetcher implements Fetcher {
  private readonly options: ResolvedHttpFetcherOptions;
  private readonly agent: Agent;
  /** Lower-case names, so per-request headers override them case-insensitively. */
  private readonly baseHeaders: Readonly<Record<string, string>>;
  private readonly limits: BodyLimits;
  private readonly addressGuard: AddressGuard | null;
  /** Created on the first proxied fetch, so direct-only fetchers never build it. */
  private proxies: ProxyDispatchers | null = null;
  private closed = false;

  /** Validates the options; opens no socket (pools connect on first use). */
  constructor(options: HttpFetcherOptions) {
    const resolved = resolveHttpFetcherOptions(options);
    this.options = resolved;
    this.baseHeaders = {
      'user-agent': resolved.userAgent,
      accept: ACCEPT,
      'accept-encoding': ACCEPT_ENCODING,
    };
    this.limits = {
      maxBodyBytes: resolved.maxBodyBytes,
      truncate: false,
      maxDecompressionRatio: resolved.maxDecompressionRatio,
    };
    this.addressGuard =
      resolved.addressGuard === null
        ? null
        : createAddressGuard(resolved.addressGuard, { lookup: resolved.addressLookup });
    const tls = resolved.tls;
    const connect =
      this.addressGuard === null && tls === null
        ? undefined
        : {
            ...(tls ?? {}),
            // IP-literal hosts skip the lookup (net.connect), so fetch() checks every URL too.
            ...(this.addressGuard === null ? {} : { lookup: this.addressGuard.lookup }),
          };
    this.agent = new Agent({
      connections: resolved.connectionsPerOrigin,
      connectTimeout: resolved.connectTimeoutMs,
      headersTimeout: resolved.headersTimeoutMs,
      bodyTimeout: resolved.bodyTimeoutMs,
      keepAliveTimeout: resolved.keepAliveTimeoutMs,
      keepAliveMaxTimeout: resolved.keepAliveTimeoutMs,
      pipelining: 1,
      ...(connect === undefined ? {} : { connect }),
    });
  }

  async fetch(url: string, options: FetchOptions = {}): Promise<FetchResponse> {
    let target = requestTarget(url);
    let method = options.method ?? 'GET';
    let body = method === 'POST' ? options.body : undefined;
    let headers =
      options.headers === undefined
        ? this.baseHeaders
        : withHeaders(this.baseHeaders, options.headers);
    const limits =
      options.maxBodyBytes === undefined && options.truncateBody !== true
        ? this.limits
        : {
            maxBodyBytes: Math.max(1, Math.floor(options.maxBodyBytes ?? this.limits.maxBodyBytes)),
            truncate: options.truncateBody === true,
            maxDecompressionRatio: this.limits.maxDecompressionRatio,
          };
    const maxRedirects = options.maxRedirects ?? this.options.maxRedirects;
    const guard = new RequestGuard(this.options.totalTimeoutMs, options.signal);
    const startedAt = Date.now();
    const t0 = performance.now();
    const redirects: string[] = [];
    let current = url;
    let status: number | undefined;
    let proxy: ProxyRoute | null = null;
    try {
      this.addressGuard?.checkUrl(url);
      if (options.proxy != null) proxy = this.proxyRoute(options.proxy);
      for (;;) {
        status = undefined;
        const res =
          proxy === null
            ? await this.agent.request({
                origin: target.origin,
                path: target.path,
                method,
                headers,
                ...(body === undefined ? {} : { body }),
                signal: guard,
              })
            : await proxy.agent.request({
                origin: target.origin,
                path: target.path,
                method,
                // ProxyAgent writes `host` into the object it is given: a copy per hop.
                headers: proxiedHeaders(headers),
                ...(body === undefined ? {} : { body }),
                signal: guard,
              });
        status = res.statusCode;
        if (
          proxy?.absoluteForm === true &&
          target.origin.startsWith('http:') &&
          isProxyGeneratedFailure(status, res.headers)
        ) {
          await res.body.dump({ limit: REDIRECT_DRAIN_BYTES });
          throw proxyError(
            proxy.label,
            `the proxy answered ${status} (${firstValue(res.headers['proxy-status']) ?? ''})`,
          );
        }
        const location = isRedirectStatus(status) ? firstValue(res.headers.location) : undefined;
        if (location !== undefined && options.redirect === 'manual') {
          await res.body.dump({ limit: REDIRECT_DRAIN_BYTES });
          return {
            url,
            finalUrl: current,
            status,
            ...setCookieOf(res.headers),
            headers: joinRepeated(res.headers),
            body: EMPTY,
            redirects,
            startedAt,
            ttfbMs: performance.now() - t0,
            durationMs: performance.now() - t0,
            wireBytes: 0,
          };
        }
        if (location === undefined) {
          const ttfbMs = performance.now() - t0;
          const { body, wireBytes } = await readBody(res.body, res.headers, status, limits, guard);
          return {
            url,
            finalUrl: current,
            status,
            ...setCookieOf(res.headers),
            headers: joinRepeated(res.headers),
            body,
            redirects,
            startedAt,
            ttfbMs,
            durationMs: performance.now() - t0,
            wireBytes,
          };
        }
        await res.body.dump({ limit: REDIRECT_DRAIN_BYTES });
        // Past the deadline (or aborted): no further hop, and no onRedirect side effects.
        if (guard.reason !== null) throw guard.reason;
        const next = redirectTarget(location, status, { url, current, redirects }, maxRedirects, {
          sortQuery: options.sortQuery,
        });
        // Before onRedirect: a refused hop has no side effects and is never requested.
        this.addressGuard?.checkUrl(next.href);
        if (options.onRedirect !== undefined) {
          let decision = options.onRedirect(next.href, current);
          if (typeof decision !== 'string') decision = await decision;
          enforceDecision(decision, next.href, status);
        }
        // The caller's decision may have outlived the deadline.
        if (guard.reason !== null) throw guard.reason;
        redirects.push(next.href);
        current = next.href;
        // A POST redirected by 301/302/303 goes on as a GET without its body (as browsers
        // do); a 307/308 repeats it.
        if (method === 'POST' && status !== 307 && status !== 308) {
          method = 'GET';
          body = undefined;
          headers = withoutContentType(headers);
        }
        target = canonicalTarget(next);
      }
    } catch (err) {
      throw toTrawlError(
        proxy === null ? err : proxiedError(err, proxy, target.origin),
        status,
        current,
      );
    } finally {
      guard.dispose();
    }
  }

  /**
   * Closes every pool. Requests in flight are let finish (each is bounded by
   * totalTimeoutMs; abort them through FetchOptions.signal to hurry); later fetches fail
   * with `aborted`.
   */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([this.agent.close(), this.proxies?.close()]);
  }

  private proxyRoute(proxyUrl: string): ProxyRoute {
    if (this.proxies === null) {
      if (this.closed) throw new TrawlError('aborted', 'the fetcher is closed');
      const o = this.options;
      this.proxies = new ProxyDispatchers({
        connectionsPerOrigin: o.connectionsPerOrigin,
        connectTimeoutMs: o.connectTimeoutMs,
        headersTimeoutMs: o.headersTimeoutMs,
        bodyTimeoutMs: o.bodyTimeoutMs,
        keepAliveTimeoutMs: o.keepAliveTimeoutMs,
        tls: o.tls,
      });
    }
    return this.proxies.get(proxyUrl);
  }
}

/**
 * The headers of one proxied hop: a copy (ProxyAgent adds `host` to it), without a
 * caller's Proxy-Authorization (ProxyAgent refuses one; the proxy URL carries them).
 */
function proxiedHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const copy = { ...headers };
  delete copy['proxy-authorization'];
  return copy;
}

/** A proxied request's error, with the proxy's own failures turned into proxy_failed. */
function proxiedError(err: unknown, proxy: ProxyRoute, origin: string): unknown {
  if (isTrawlError(err)) return err;
  const failure = isProxySocketFailure(err, proxy.absoluteForm && origin.startsWith('http:'));
  if (failure === 'auth') {
    return new TrawlError(
      'proxy_failed',
      `proxy ${proxy.label}: answered 407 (proxy authentication required)`,
      { cause: err, status: 407 },
    );
  }
  if (failure === 'socket')
    return proxyError(proxy.label, 'the connection to the proxy failed', err);
  return err;
}

/**
 * The base headers with the caller's on top (names lower-cased so they replace ours). A
 * caller that sends its own User-Agent with a whole browser header set (a session's) gets
 * its order and spelling kept on the wire, ours only filling what it lacks.
 */
function withHeaders(
  base: Readonly<Record<string, string>>,
  extra: Record<string, string>,
): Record<string, string> {
  if (!('User-Agent' in extra) && !('user-agent' in extra)) {
    const headers = { ...base };
    for (const name in extra) headers[name.toLowerCase()] = extra[name] as string;
    return headers;
  }
  const headers: Record<string, string> = {};
  const named = new Set<string>();
  for (const name in extra) {
    headers[name] = extra[name] as string;
    named.add(name.toLowerCase());
  }
  for (const name in base) if (!named.has(name)) headers[name] = base[name] as string;
  return headers;
}

function withoutContentType(headers: Readonly<Record<string, string>>): Record<string, string> {
  const copy: Record<string, string> = {};
  for (const name in headers) {
    if (name.toLowerCase() !== 'content-type') copy[name] = headers[name] as string;
  }
  return copy;
}

function firstValue(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' || value === undefined ? value : value[0];
}

/** The Set-Cookie values, each whole (joined, their Expires commas would be ambiguous). */
function setCookieOf(headers: Dispatcher.ResponseData['headers']): { setCookie?: string[] } {
  const value = headers['set-cookie'];
  if (value === undefined) return {};
  return { setCookie: typeof value === 'string' ? [value] : value };
}

/**
 * undici already lower-cases names and gives repeated headers as arrays; the contract
 * wants one string each, so arrays are joined in place (no new object).
 */
function joinRepeated(headers: Dispatcher.ResponseData['headers']): Record<string, string> {
  for (const name in headers) {
    const value = headers[name];
    if (typeof value !== 'string') headers[name] = value === undefined ? '' : value.join(', ');
  }
  return headers as Record<string, string>;
}
