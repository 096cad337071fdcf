/**
 * robots.txt per origin (RFC 9309): fetched once, shared by concurrent callers, cached
 * for at most maxAgeMs, bounded in the number of origins it remembers.
 */
import { systemClock } from '../../core/clock.js';
import type { Clock } from '../../core/clock.js';
import { TrawlError, isTrawlError } from '../../core/errors.js';
import type { ErrorCode } from '../../core/errors.js';
import type { FetchResponse } from '../../core/types.js';
import { robotsAgentToken } from './agent-token.js';
import { createRobotsPolicy } from './robots-policy.js';
import type { RobotsPolicy, RobotsPolicyInit } from './robots-policy.js';

/** The part of the fetcher's options robots.txt fetching uses (fetch/fetcher.ts FetchOptions). */
export interface RobotsFetchOptions {
  maxRedirects?: number;
  maxBodyBytes?: number;
  truncateBody?: boolean;
}

/** A fetcher's `fetch`: resolves with any status, throws TrawlError on failure. */
export type RobotsFetch = (url: string, options?: RobotsFetchOptions) => Promise<FetchResponse>;

export interface RobotsCacheOptions {
  fetch: RobotsFetch;
  /** Our User-Agent header; the robots.txt product token is derived from it. */
  userAgent: string;
  /** The product token to match groups against, when it should not be derived from userAgent. */
  agentToken?: string;
  /** @default systemClock */
  clock?: Clock;
  /** How long a fetched robots.txt (or a 4xx verdict) is used before refetching, ms. @default 86_400_000 (24 h) */
  maxAgeMs?: number;
  /** How long an unreachable robots.txt (5xx, 429, network) means "disallow all" before retrying, ms. @default 600_000 (10 min) */
  unreachableRetryMs?: number;
  /** Bytes of robots.txt read; the rest is ignored (RFC 9309 asks for at least 500 KiB). @default 524_288 (512 KiB) */
  maxBytes?: number;
  /** Origins remembered; the least recently used is forgotten beyond this. @default 10_000 */
  maxOrigins?: number;
}

/** RFC 9309 §2.3.1.2: follow at least five consecutive redirects. */
const MAX_REDIRECTS = 5;

/** Redirect failures mean "unavailable" (allow all) per RFC 9309, not "unreachable". */
const UNAVAILABLE_ERRORS: ReadonlySet<ErrorCode> = new Set(['too_many_redirects', 'redirect_loop']);

export class RobotsCache {
  private readonly fetch: RobotsFetch;
  private readonly agentToken: string;
  private readonly clock: Clock;
  private readonly maxAgeMs: number;
  private readonly unreachableRetryMs: number;
  private readonly maxBytes: number;
  private readonly maxOrigins: number;
  /** Insertion order is recency order: a hit moves the origin to the end. */
  private readonly policies = new Map<string, RobotsPolicy>();
  private readonly inFlight = new Map<string, Promise<RobotsPolicy>>();

  constructor(options: RobotsCacheOptions) {
    this.fetch = options.fetch;
    this.agentToken = (options.agentToken ?? robotsAgentToken(options.userAgent)).toLowerCase();
    this.clock = options.clock ?? systemClock;
    this.maxAgeMs = options.maxAgeMs ?? 86_400_000;
    this.unreachableRetryMs = options.unreachableRetryMs ?? 600_000;
    this.maxBytes = options.maxBytes ?? 524_288;
    this.maxOrigins = options.maxOrigins ?? 10_000;
    if (this.maxOrigins < 1) throw new RangeError('maxOrigins must be at least 1');
  }

  /**
   * The fresh policy of an origin, without I/O; undefined when it is not cached or has
   * expired (then call get()). Takes an origin ("https://host:8443") or a canonical URL;
   * other spellings just miss.
   */
  peek(originOrUrl: string): RobotsPolicy | undefined {
    const origin = originPrefix(originOrUrl);
    const policy = this.policies.get(origin);
    if (policy === undefined || this.clock.now() >= policy.expiresAt) return undefined;
    this.policies.delete(origin);
    this.policies.set(origin, policy);
    return policy;
  }

  /**
   * The policy of the origin of `originOrUrl` (any absolute http(s) URL), fetching
   * robots.txt when it is not cached or has expired. Concurrent calls for one origin
   * share one fetch. Never rejects for robots.txt trouble (that becomes a policy);
   * rejects with TrawlError `invalid_url` / `unsupported_scheme` for a bad argument.
   */
  get(originOrUrl: string): Promise<RobotsPolicy> {
    const cached = this.peek(originOrUrl);
    if (cached !== undefined) return Promise.resolve(cached);
    const url = URL.parse(originOrUrl);
    if (url === null) {
      return Promise.reject(new TrawlError('invalid_url', `not a URL: ${originOrUrl}`));
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      return Promise.reject(new TrawlError('unsupported_scheme', `not http(s): ${originOrUrl}`));
    }
    const origin = url.origin;
    if (origin !== originOrUrl) {
      const hit = this.peek(origin);
      if (hit !== undefined) return Promise.resolve(hit);
    }
    let pending = this.inFlight.get(origin);
    if (pending === undefined) {
      pending = this.load(origin).finally(() => this.inFlight.delete(origin));
      this.inFlight.set(origin, pending);
    }
    return pending;
  }

  private async load(origin: string): Promise<RobotsPolicy> {
    const policy = createRobotsPolicy(await this.settle(origin));
    this.policies.delete(origin);
    this.policies.set(origin, policy);
    if (this.policies.size > this.maxOrigins) {
      const oldest = this.policies.keys().next().value;
      if (oldest !== undefined) this.policies.delete(oldest);
    }
    return policy;
  }

  /** Fetches robots.txt and decides what it means; never throws. */
  private async settle(origin: string): Promise<RobotsPolicyInit> {
    const common = { origin, agentToken: this.agentToken };
    let response: FetchResponse;
    try {
      response = await this.fetch(`${origin}/robots.txt`, {
        maxRedirects: MAX_REDIRECTS,
        maxBodyBytes: this.maxBytes,
        truncateBody: true,
      });
    } catch (err) {
      const error: ErrorCode = isTrawlError(err) ? err.code : 'network';
      const now = this.clock.now();
      const unavailable = UNAVAILABLE_ERRORS.has(error);
      return {
        ...common,
        kind: unavailable ? 'allow-all' : 'disallow-all',
        status: null,
        error,
        fetchedAt: now,
        expiresAt: now + (unavailable ? this.maxAgeMs : this.unreachableRetryMs),
      };
    }

    const now = this.clock.now();
    const status = response.status;
    const settled = { ...common, status, error: null, fetchedAt: now };
    if (status >= 200 && status < 300) {
      return {
        ...settled,
        kind: 'parsed',
        expiresAt: now + this.maxAgeMs,
        text: this.decode(response.body),
      };
    }
    // 429 is "slow down", not "no rules": treated as unreachable, as major crawlers do.
    if (status >= 500 || status === 429) {
      return { ...settled, kind: 'disallow-all', expiresAt: now + this.unreachableRetryMs };
    }
    // 4xx (401 and 403 included, RFC 9309 §2.3.1.3) and unresolved 3xx: unavailable.
    return { ...settled, kind: 'allow-all', expiresAt: now + this.maxAgeMs };
  }

  private decode(body: Buffer): string {
    let bytes = body;
    // A body cut at maxBytes ends mid-line; "Disallow: /private" cut to "Disallow: /p"
    // would block more than the site asked, so the partial line is dropped.
    if (bytes.length >= this.maxBytes) {
      const lastBreak = Math.max(bytes.lastIndexOf(0x0a), bytes.lastIndexOf(0x0d));
      bytes = bytes.subarray(0, lastBreak + 1);
    }
    const text = bytes.toString('utf8');
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  }
}

/** "https://h:1" from "https://h:1/a?b"; an origin is returned as it is. */
function originPrefix(s: string): string {
  const authority = s.indexOf('//');
  if (authority === -1) return s;
  const path = s.indexOf('/', authority + 2);
  return path === -1 ? s : s.slice(0, path);
}
