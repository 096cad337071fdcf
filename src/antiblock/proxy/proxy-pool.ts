/**
 * The proxy pool port: which proxy a request to a host goes through, learning from what
 * happened. Two adapters implement it with the same semantics (one contract test):
 * memory-proxy-pool.ts (one process) and backends/redis/proxy-pool (state shared by
 * every worker of a distributed crawl, one atomic Lua script per step).
 *
 * Semantics
 * - Proxies: an id (its normalised URL, credentials included: two users of one gateway
 *   are two proxies), a URL and a tier (an integer >= 0; lower tiers are tried first,
 *   e.g. 0 datacenter, 1 residential). setProxies() replaces the list: proxies that stay
 *   keep their state (score, bench, dead), new ones start fresh and active, and ones
 *   that left are forgotten (proxy-source.ts refreshes it from a list or provider URL).
 * - acquire(host) picks a proxy of the host's tier: the lowest tier >= the host's tier
 *   that has an eligible proxy (active, or benched with its bench time over), else the
 *   highest lower one. Among that tier's eligible proxies (ordered by id) a shared
 *   round-robin counter names two neighbours and the one with the lower error rate wins
 *   (rates within RATE_TOLERANCE count as equal, and then the round robin's first pick
 *   wins): load is spread evenly over healthy proxies and a failing one loses every
 *   pairing. No eligible proxy: null (connect directly) when `allowDirect`, otherwise a
 *   TrawlError proxy_failed "no proxy available".
 * - Error rate: decayed errors / (decayed outcomes + 1), both halving every
 *   `scoreHalfLifeMs`; a proxy failure weighs 1, a block `blockedWeight`, an ok 0. The
 *   "+ 1" makes an old error fade even without traffic.
 * - report(lease, outcome): every outcome feeds the rate. `proxy_failed` also counts a
 *   consecutive failure: at `benchAfterFailures` the proxy is benched for
 *   benchBaseMs x 2^(benches so far), at most benchMaxMs, and its error rate is cleared;
 *   after its bench it is eligible again on equal terms (retried), and one more failure
 *   benches it again, twice as long. `ok` resets both counts. While a proxy is benched
 *   only `ok` reports count (late reports of leases taken before the bench). Lease
 *   outcomes never kill a proxy; failed health checks do. (A single failure already
 *   makes the proxy lose its pairings until its rate fades; the bench is for one that
 *   keeps failing, e.g. under several leases at once.)
 * - Host tiers: `blocked` and `proxy_failed` through a tier >= the host's tier are
 *   strikes against the host; at `escalateAfter` strikes the host moves to the next
 *   tier above the lease's that exists in the pool (none: it stays), its strikes reset.
 *   An ok through its tier resets its strikes. The host's state expires
 *   `hostTierTtlMs` after its last strike or escalation, and the host is back at tier 0.
 * - Health (proxy-health.ts): claimChecks() hands out proxies due for a check, each
 *   claimed for a while so that several workers do not check it twice: never checked,
 *   bench over, or active and not checked for `recheckMs`. reportCheck(): a pass resets
 *   the failed-check count and the consecutive failures; a failure benches the proxy
 *   (as above) and at `deadAfterChecks` consecutive failed checks the proxy is dead: out
 *   of rotation for good (counted in size().dead) until the list drops it; listed again
 *   later, it starts fresh.
 * - Times are epoch ms of the adapter's clock: the memory adapter's Clock, Redis TIME for
 *   the Redis adapter (a Clock may be given for tests).
 */
import { TrawlError } from '../../core/errors.js';

/** One proxy of the list (proxy-source.ts parses these). */
export interface ProxyEntry {
  /** `http://[user:pass@]host:port` (or https://), normalised by proxy-source.ts. */
  url: string;
  /** @default 0 */
  tier?: number;
}

/** A proxy handed out for one request; give it back to report(). */
export interface ProxyLease {
  /** The proxy's id (its normalised URL). */
  readonly id: string;
  /** What to pass as FetchOptions.proxy. */
  readonly url: string;
  /** The tier the proxy was picked from. */
  readonly tier: number;
  /** The host it was acquired for. */
  readonly host: string;
}

export type ProxyOutcome = 'ok' | 'proxy_failed' | 'blocked';

/** For the metric crawler_proxy_pool_size{status}. `active` includes bench-over proxies. */
export interface ProxyPoolSize {
  active: number;
  benched: number;
  dead: number;
}

export type ProxyStatus = 'active' | 'benched' | 'dead';

/** One proxy's state, for introspection and tests. */
export interface ProxyState {
  id: string;
  url: string;
  tier: number;
  status: ProxyStatus;
  /** Decayed error rate now, 0..1. */
  errorRate: number;
  /** Consecutive proxy failures since the last ok. */
  failures: number;
  /** Consecutive benches since the last ok. */
  benches: number;
  /** End of the current (or last) bench, epoch ms; 0 never benched. */
  benchedUntil: number;
  /** Consecutive failed health checks. */
  failedChecks: number;
  /** Last health check, epoch ms; 0 never. */
  checkedAt: number;
}

/** A proxy claimed for a health check. */
export interface ProxyCheckTarget {
  id: string;
  url: string;
}

/** What setProxies() did. */
export interface ProxySyncResult {
  added: number;
  removed: number;
  kept: number;
}

/** The port; every method is atomic with respect to the others (and, for Redis, to other workers). */
export interface ProxyPool {
  /** A proxy for a request to `host` (lower-case host name), or null: connect directly. */
  acquire(host: string): Promise<ProxyLease | null>;
  /** What happened to the request the lease was for. A lease of a removed proxy is a no-op for the proxy. */
  report(lease: ProxyLease, outcome: ProxyOutcome): Promise<void>;
  /** Counts by status. */
  size(): Promise<ProxyPoolSize>;
  /** Replaces the list (see the module header). Duplicate ids: the first wins. */
  setProxies(entries: readonly ProxyEntry[]): Promise<ProxySyncResult>;
  /** Up to `limit` proxies due for a health check, each claimed for `claimMs`. */
  claimChecks(limit: number, claimMs: number): Promise<ProxyCheckTarget[]>;
  /** The result of a health check of proxy `id` (unknown ids are ignored). */
  reportCheck(id: string, healthy: boolean): Promise<void>;
  /** Every proxy's state, ordered by id. */
  snapshot(): Promise<ProxyState[]>;
}

/** Tuning of a pool; the same for every worker sharing one (Redis) pool. */
export interface ProxyPoolOptions {
  /** With no eligible proxy, acquire() returns null (direct) instead of throwing. @default false */
  allowDirect?: boolean;
  /** Consecutive proxy failures that bench a proxy. @default 2 */
  benchAfterFailures?: number;
  /** First bench, ms; doubled per consecutive bench. @default 30000 */
  benchBaseMs?: number;
  /** Longest bench, ms. @default 1800000 (30 min) */
  benchMaxMs?: number;
  /** Consecutive failed health checks that make a proxy dead. @default 3 */
  deadAfterChecks?: number;
  /** Strikes (blocks, proxy failures) against a host through its tier before it escalates. @default 3 */
  escalateAfter?: number;
  /** How long a host's tier and strikes are remembered after the last one, ms. @default 1800000 */
  hostTierTtlMs?: number;
  /** Half-life of the error rate's memory, ms. @default 60000 */
  scoreHalfLifeMs?: number;
  /** A block's weight in the error rate (a proxy failure weighs 1). @default 0.25 */
  blockedWeight?: number;
  /** An active proxy is re-checked after this long without a check, ms. @default 300000 */
  recheckMs?: number;
}

export type ProxyPoolSettings = Required<ProxyPoolOptions>;

/** Error rates closer than this are equal for picking (the round robin decides). */
export const RATE_TOLERANCE = 0.05;
/** Highest tier accepted. */
export const MAX_TIER = 999;

const DEFAULTS: ProxyPoolSettings = {
  allowDirect: false,
  benchAfterFailures: 2,
  benchBaseMs: 30_000,
  benchMaxMs: 30 * 60_000,
  deadAfterChecks: 3,
  escalateAfter: 3,
  hostTierTtlMs: 30 * 60_000,
  scoreHalfLifeMs: 60_000,
  blockedWeight: 0.25,
  recheckMs: 5 * 60_000,
};

/** Fills in defaults; throws RangeError for a value that would break the pool. */
export function resolveProxyPoolSettings(options: ProxyPoolOptions = {}): ProxyPoolSettings {
  const s: ProxyPoolSettings = { ...DEFAULTS };
  for (const key of Object.keys(DEFAULTS) as (keyof ProxyPoolSettings)[]) {
    const value = options[key];
    if (value === undefined) continue;
    if (key === 'allowDirect') {
      s.allowDirect = value === true;
      continue;
    }
    const min = key === 'blockedWeight' ? 0 : 1;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
      throw new RangeError(`proxy pool ${key} must be a number >= ${min}, got ${String(value)}`);
    }
    (s as unknown as Record<string, number>)[key] = value;
  }
  return s;
}

/** A tier as stored: an integer in 0..MAX_TIER. */
export function checkTier(tier: number | undefined): number {
  const t = tier ?? 0;
  if (!Number.isSafeInteger(t) || t < 0 || t > MAX_TIER) {
    throw new RangeError(`proxy tier must be an integer 0..${MAX_TIER}, got ${String(tier)}`);
  }
  return t;
}

/** How long the (benches+1)-th consecutive bench lasts. */
export function benchMs(settings: ProxyPoolSettings, benches: number): number {
  return Math.min(settings.benchMaxMs, settings.benchBaseMs * 2 ** Math.min(benches, 40));
}

/** The factor that decays a score kept since `at` to `now`. */
export function decay(settings: ProxyPoolSettings, at: number, now: number): number {
  return now <= at ? 1 : 2 ** (-(now - at) / settings.scoreHalfLifeMs);
}

/** Decayed errors over decayed outcomes plus one. */
export function errorRate(err: number, n: number): number {
  return err / (n + 1);
}

/** acquire()'s error when no proxy may be used and direct connections are not allowed. */
export function noProxyError(host: string): TrawlError {
  return new TrawlError(
    'proxy_failed',
    `no proxy available for ${host} (the pool is empty, benched or dead, and direct connections are not allowed)`,
  );
}
