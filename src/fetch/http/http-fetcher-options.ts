import type { LookupFunction } from 'node:net';
import { UsageError } from '../../core/errors.js';
import type { AddressGuardSpec } from './address-guard.js';

/** Tuning and limits of the HTTP engine. Every limit exists because a hostile or broken
 * server would otherwise hold a crawler slot or memory forever. */
export interface HttpFetcherOptions {
  /** Sent as User-Agent on every request (FetchOptions.headers may override it). */
  userAgent: string;
  /** TCP (and TLS) connect deadline, ms. @default 10000 */
  connectTimeoutMs?: number;
  /** Deadline from sending the request to having the complete response headers, ms. @default 30000 */
  headersTimeoutMs?: number;
  /** Longest idle gap allowed between two body chunks, ms. @default 30000 */
  bodyTimeoutMs?: number;
  /**
   * Deadline for the whole fetch: every redirect hop, headers, body and decoding, ms.
   * The idle timeouts alone cannot stop a server that trickles one byte per second.
   * @default 60000
   */
  totalTimeoutMs?: number;
  /**
   * Largest body kept, in bytes, counted AFTER content decoding. The wire size is
   * capped at the same value (a compressed body never legitimately needs more).
   * @default 10485760 (10 MiB)
   */
  maxBodyBytes?: number;
  /** Redirect hops followed before failing with too_many_redirects. @default 10 */
  maxRedirects?: number;
  /** Most concurrent sockets kept per origin (scheme+host+port). @default 64 */
  connectionsPerOrigin?: number;
  /**
   * How long an idle keep-alive socket is kept, ms. Also caps a server's longer
   * `Keep-Alive: timeout=` hint, so a crawl of many hosts does not hoard sockets.
   * @default 10000
   */
  keepAliveTimeoutMs?: number;
  /**
   * A body whose decoded size passes maxBodyBytes is reported as decompression_bomb
   * (rather than too_large) when decoded/compressed bytes exceed this ratio. Real HTML
   * compresses 5-20x; zero-filled bombs reach ~1000x (gzip) or far more (brotli).
   * @default 100
   */
  maxDecompressionRatio?: number;
  /**
   * The SSRF guard (address-guard.ts): when set, every hop's URL is checked before it is
   * requested and every connection's resolved addresses at connect time, so private,
   * loopback, link-local and metadata targets fail with blocked_address unless the allow
   * list exempts them. null: no guard (the CLI's default; the service always sets one).
   * @default null
   */
  addressGuard?: AddressGuardSpec | null;
  /**
   * The resolver behind the guard's connect-time check, called with `all: true`; for
   * tests (map `evil.test` to 127.0.0.1) and custom resolvers. Unused without
   * addressGuard. @default dns.lookup
   */
  addressLookup?: LookupFunction;
  /**
   * TLS trust for https origins (direct, or tunnelled through a proxy) and https
   * proxies: `ca` replaces Node's bundled roots (PEM; a corporate CA, or a test's
   * self-signed certificate), `rejectUnauthorized: false` accepts any certificate (never
   * in production). Absent: Node's defaults.
   */
  tls?: HttpFetcherTlsOptions | null;
}

/** See HttpFetcherOptions.tls. */
export interface HttpFetcherTlsOptions {
  /** Trusted CA certificate(s), PEM. @default Node's bundled root CAs */
  ca?: string | Buffer;
  /** Refuse certificates that do not chain to a trusted CA. @default true */
  rejectUnauthorized?: boolean;
}

/** The options with every default filled in (addressLookup stays optional: dns.lookup). */
export type ResolvedHttpFetcherOptions = Required<
  Omit<HttpFetcherOptions, 'addressLookup' | 'tls'>
> &
  Pick<HttpFetcherOptions, 'addressLookup'> & { tls: HttpFetcherTlsOptions | null };

const DEFAULTS = {
  connectTimeoutMs: 10_000,
  headersTimeoutMs: 30_000,
  bodyTimeoutMs: 30_000,
  totalTimeoutMs: 60_000,
  maxBodyBytes: 10 * 1024 * 1024,
  maxRedirects: 10,
  connectionsPerOrigin: 64,
  keepAliveTimeoutMs: 10_000,
  maxDecompressionRatio: 100,
} as const;

/** Fills in defaults and rejects values that would disable a safety limit by accident. */
export function resolveHttpFetcherOptions(options: HttpFetcherOptions): ResolvedHttpFetcherOptions {
  const { userAgent } = options;
  if (typeof userAgent !== 'string' || userAgent.trim() === '' || /[\r\n\0]/.test(userAgent)) {
    throw new UsageError('userAgent must be a non-empty single-line string');
  }
  const resolved: ResolvedHttpFetcherOptions = {
    userAgent,
    connectTimeoutMs: duration(options, 'connectTimeoutMs'),
    headersTimeoutMs: duration(options, 'headersTimeoutMs'),
    bodyTimeoutMs: duration(options, 'bodyTimeoutMs'),
    totalTimeoutMs: duration(options, 'totalTimeoutMs'),
    maxBodyBytes: integer(options, 'maxBodyBytes', 1),
    maxRedirects: integer(options, 'maxRedirects', 0),
    connectionsPerOrigin: integer(options, 'connectionsPerOrigin', 1),
    keepAliveTimeoutMs: duration(options, 'keepAliveTimeoutMs'),
    maxDecompressionRatio: positive(options, 'maxDecompressionRatio'),
    addressGuard: options.addressGuard ?? null,
    addressLookup: options.addressLookup,
    tls: options.tls ?? null,
  };
  return resolved;
}

type NumericOption = keyof typeof DEFAULTS;

function positive(options: HttpFetcherOptions, name: NumericOption): number {
  const value = options[name] ?? DEFAULTS[name];
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new UsageError(`${name} must be a finite number > 0, got ${String(value)}`);
  }
  return value;
}

/** Node timers overflow past 2^31-1 ms and then fire at once: refuse such values. */
const MAX_TIMER_MS = 2 ** 31 - 1;

function duration(options: HttpFetcherOptions, name: NumericOption): number {
  const value = positive(options, name);
  if (value > MAX_TIMER_MS) {
    throw new UsageError(`${name} must be at most ${MAX_TIMER_MS} ms, got ${value}`);
  }
  return value;
}

function integer(options: HttpFetcherOptions, name: NumericOption, min: number): number {
  const value = options[name] ?? DEFAULTS[name];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new UsageError(`${name} must be an integer >= ${min}, got ${String(value)}`);
  }
  return value;
}
