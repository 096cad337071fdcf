/**
 * The proxy pool in Redis, for distributed mode: every worker (and every job) that opens
 * the same pool name shares one state, each step an atomic Lua script
 * (scripts/proxy-*.lua, helpers in scripts/lib/proxy.lua) over the keys of
 * keys.ts proxyPoolKeys, which share one hash tag (one Cluster slot). The semantics are
 * the port's (antiblock/proxy/proxy-pool.ts); the clock is Redis TIME, so workers'
 * clocks never disagree about a bench or an expiry (a Clock may be given for tests).
 *
 * Workers sharing a pool should use the same ProxyPoolOptions: each call carries its
 * caller's settings.
 */
import type { Clock } from '../../../core/clock.js';
import {
  RATE_TOLERANCE,
  checkTier,
  decay,
  errorRate,
  noProxyError,
  resolveProxyPoolSettings,
} from '../../../antiblock/proxy/proxy-pool.js';
import type {
  ProxyCheckTarget,
  ProxyEntry,
  ProxyLease,
  ProxyOutcome,
  ProxyPool,
  ProxyPoolOptions,
  ProxyPoolSettings,
  ProxyPoolSize,
  ProxyState,
  ProxySyncResult,
} from '../../../antiblock/proxy/proxy-pool.js';
import { DEFAULT_KEY_PREFIX, proxyPoolKeys } from '../keys.js';
import type { RedisClient } from '../redis-connection.js';
import { callScript, defineScripts } from '../redis-scripts.js';

export interface RedisProxyPoolOptions extends ProxyPoolOptions {
  redis: RedisClient;
  /** The pool's name: workers opening the same name share it. @default 'default' */
  pool?: string;
  /** @default 'trawl' */
  prefix?: string;
  /** Drives the scripts' clock (tests); absent: Redis TIME. */
  clock?: Clock;
}

/** A proxy record as lib/proxy.lua stores it. */
interface StoredProxy {
  u: string;
  t: number;
  e: number;
  n: number;
  a: number;
  f: number;
  b: number;
  w: number;
  c: number;
  k: number;
  l: number;
  d: number;
}

export class RedisProxyPool implements ProxyPool {
  readonly settings: ProxyPoolSettings;
  readonly keys: ReturnType<typeof proxyPoolKeys>;
  private readonly redis: RedisClient;
  private readonly clock: Clock | undefined;

  /** Registers the scripts on the connection; the caller owns (and closes) it. */
  constructor(options: RedisProxyPoolOptions) {
    this.settings = resolveProxyPoolSettings(options);
    this.redis = options.redis;
    this.clock = options.clock;
    this.keys = proxyPoolKeys(options.pool ?? 'default', options.prefix ?? DEFAULT_KEY_PREFIX);
    defineScripts(this.redis);
  }

  async acquire(host: string): Promise<ProxyLease | null> {
    const k = this.keys;
    const reply = (await callScript(
      this.redis,
      'proxy-acquire',
      [k.proxies, k.live, k.bench, k.meta, k.host(host)],
      [this.now(), this.settings.scoreHalfLifeMs, RATE_TOLERANCE],
    )) as [string, string, number] | [];
    if (reply.length === 0) {
      if (this.settings.allowDirect) return null;
      throw noProxyError(host);
    }
    const [id, url, tier] = reply;
    return { id, url, tier: Number(tier), host };
  }

  async report(lease: ProxyLease, outcome: ProxyOutcome): Promise<void> {
    const k = this.keys;
    const s = this.settings;
    await callScript(
      this.redis,
      'proxy-report',
      [k.proxies, k.live, k.bench, k.tiers, k.host(lease.host)],
      [
        this.now(),
        lease.id,
        lease.tier,
        outcome,
        s.scoreHalfLifeMs,
        s.blockedWeight,
        s.benchAfterFailures,
        s.benchBaseMs,
        s.benchMaxMs,
        s.escalateAfter,
        Math.ceil(s.hostTierTtlMs),
      ],
    );
  }

  async size(): Promise<ProxyPoolSize> {
    const k = this.keys;
    const [active, benched, dead] = (await callScript(
      this.redis,
      'proxy-size',
      [k.live, k.bench, k.dead],
      [this.now()],
    )) as number[];
    return { active: Number(active), benched: Number(benched), dead: Number(dead) };
  }

  async setProxies(entries: readonly ProxyEntry[]): Promise<ProxySyncResult> {
    const k = this.keys;
    const args: (string | number)[] = [this.now()];
    for (const entry of entries) args.push(entry.url, checkTier(entry.tier));
    const [added, removed, kept] = (await callScript(
      this.redis,
      'proxy-sync',
      [k.proxies, k.all, k.live, k.bench, k.dead, k.tiers],
      args,
    )) as number[];
    return { added: Number(added), removed: Number(removed), kept: Number(kept) };
  }

  async claimChecks(limit: number, claimMs: number): Promise<ProxyCheckTarget[]> {
    if (limit <= 0) return [];
    const k = this.keys;
    const flat = (await callScript(
      this.redis,
      'proxy-claim-checks',
      [k.proxies, k.all],
      [this.now(), Math.floor(limit), Math.ceil(claimMs), this.settings.recheckMs],
    )) as string[];
    const out: ProxyCheckTarget[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      out.push({ id: flat[i] as string, url: flat[i + 1] as string });
    }
    return out;
  }

  async reportCheck(id: string, healthy: boolean): Promise<void> {
    const k = this.keys;
    const s = this.settings;
    await callScript(
      this.redis,
      'proxy-check-result',
      [k.proxies, k.live, k.bench, k.dead],
      [this.now(), id, healthy ? 1 : 0, s.deadAfterChecks, s.benchBaseMs, s.benchMaxMs],
    );
  }

  /** Every proxy's state (two reads, not one atomic step: for introspection only). */
  async snapshot(): Promise<ProxyState[]> {
    const k = this.keys;
    const [records, now] = await Promise.all([
      this.redis.hgetall(k.proxies),
      this.clock === undefined ? this.redisNow() : Promise.resolve(this.clock.now()),
    ]);
    const ids = Object.keys(records).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return ids.map((id) => {
      const p = JSON.parse(records[id] as string) as StoredProxy;
      const f = decay(this.settings, p.a, now);
      return {
        id,
        url: p.u,
        tier: p.t,
        status: p.d === 1 ? 'dead' : p.w > now ? 'benched' : 'active',
        errorRate: errorRate(p.e * f, p.n * f),
        failures: p.f,
        benches: p.b,
        benchedUntil: p.w,
        failedChecks: p.c,
        checkedAt: p.k,
      };
    });
  }

  /** The scripts' `now` argument: the test clock's time, or "" for Redis TIME. */
  private now(): number | string {
    return this.clock === undefined ? '' : Math.floor(this.clock.now());
  }

  private async redisNow(): Promise<number> {
    const [seconds, micros] = await this.redis.time();
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  }
}
