/**
 * The proxy pool in one process (the embedded crawler, tests): plain maps behind the
 * ProxyPool port, with the semantics written in proxy-pool.ts. The Redis adapter
 * (backends/redis/proxy-pool) implements the same steps in Lua; both pass
 * test/antiblock/proxy-pool.contract.test.ts.
 */
import { systemClock } from '../../core/clock.js';
import type { Clock } from '../../core/clock.js';
import {
  RATE_TOLERANCE,
  benchMs,
  checkTier,
  decay,
  errorRate,
  noProxyError,
  resolveProxyPoolSettings,
} from './proxy-pool.js';
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
} from './proxy-pool.js';

export interface MemoryProxyPoolOptions extends ProxyPoolOptions {
  /** @default the system clock */
  clock?: Clock;
}

/** One proxy's record (the Redis adapter stores the same fields, lib/proxy.lua). */
interface Rec {
  id: string;
  url: string;
  tier: number;
  /** Decayed errors and outcomes, as of `at`. */
  err: number;
  n: number;
  at: number;
  fails: number;
  benches: number;
  until: number;
  checkFails: number;
  checkedAt: number;
  claimed: number;
  dead: boolean;
}

interface HostRec {
  tier: number;
  strikes: number;
  /** Forgotten from this time on. */
  exp: number;
}

export class MemoryProxyPool implements ProxyPool {
  readonly settings: ProxyPoolSettings;
  private readonly clock: Clock;
  /** Ordered by id (as Redis orders a ZSET's equal scores), rebuilt by setProxies. */
  private proxies: Rec[] = [];
  private readonly byId = new Map<string, Rec>();
  private readonly hosts = new Map<string, HostRec>();
  private rr = 0;

  constructor(options: MemoryProxyPoolOptions = {}) {
    this.settings = resolveProxyPoolSettings(options);
    this.clock = options.clock ?? systemClock;
  }

  acquire(host: string): Promise<ProxyLease | null> {
    const now = this.clock.now();
    const hostTier = this.host(host, now)?.tier ?? 0;
    let at: number | undefined;
    let below: number | undefined;
    for (const p of this.proxies) {
      if (!eligible(p, now)) continue;
      if (p.tier >= hostTier) {
        if (at === undefined || p.tier < at) at = p.tier;
      } else if (below === undefined || p.tier > below) below = p.tier;
    }
    const tier = at ?? below;
    if (tier === undefined) {
      if (this.settings.allowDirect) return Promise.resolve(null);
      return Promise.reject(noProxyError(host));
    }
    const candidates = this.proxies.filter((p) => p.tier === tier && eligible(p, now));
    const count = candidates.length;
    const turn = this.rr++;
    let pick = candidates[turn % count] as Rec;
    if (count > 1) {
      const other = candidates[(turn + 1) % count] as Rec;
      if (this.rate(other, now) < this.rate(pick, now) - RATE_TOLERANCE) pick = other;
    }
    return Promise.resolve({ id: pick.id, url: pick.url, tier, host });
  }

  report(lease: ProxyLease, outcome: ProxyOutcome): Promise<void> {
    const now = this.clock.now();
    const s = this.settings;
    this.strike(lease, outcome, now);
    const p = this.byId.get(lease.id);
    // While benched only an ok counts: the bench already took the failures into account.
    if (p === undefined || (p.until > now && outcome !== 'ok')) return Promise.resolve();
    const f = decay(s, p.at, now);
    p.err *= f;
    p.n = p.n * f + 1;
    p.at = now;
    if (outcome === 'ok') {
      p.fails = 0;
      p.benches = 0;
    } else if (outcome === 'blocked') {
      p.err += s.blockedWeight;
    } else {
      p.err += 1;
      p.fails += 1;
      if (!p.dead && p.fails >= s.benchAfterFailures) bench(p, s, now);
    }
    return Promise.resolve();
  }

  size(): Promise<ProxyPoolSize> {
    const now = this.clock.now();
    const size = { active: 0, benched: 0, dead: 0 };
    for (const p of this.proxies) size[status(p, now)]++;
    return Promise.resolve(size);
  }

  setProxies(entries: readonly ProxyEntry[]): Promise<ProxySyncResult> {
    const now = this.clock.now();
    const next = new Map<string, Rec>();
    let added = 0;
    for (const entry of entries) {
      const tier = checkTier(entry.tier);
      if (next.has(entry.url)) continue;
      const kept = this.byId.get(entry.url);
      if (kept !== undefined) {
        kept.tier = tier;
        next.set(entry.url, kept);
      } else {
        added++;
        next.set(entry.url, fresh(entry.url, tier, now));
      }
    }
    const kept = next.size - added;
    const removed = this.byId.size - kept;
    this.byId.clear();
    for (const [id, rec] of next) this.byId.set(id, rec);
    this.proxies = [...next.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return Promise.resolve({ added, removed, kept });
  }

  claimChecks(limit: number, claimMs: number): Promise<ProxyCheckTarget[]> {
    const now = this.clock.now();
    const due: { p: Rec; rank: number }[] = [];
    for (const p of this.proxies) {
      const rank = checkRank(p, now, this.settings.recheckMs);
      if (rank >= 0) due.push({ p, rank });
    }
    // Stable: equal ranks stay in id order.
    due.sort((a, b) => a.rank - b.rank);
    const out: ProxyCheckTarget[] = [];
    for (const { p } of due.slice(0, Math.max(0, limit))) {
      p.claimed = now + claimMs;
      out.push({ id: p.id, url: p.url });
    }
    return Promise.resolve(out);
  }

  reportCheck(id: string, healthy: boolean): Promise<void> {
    const now = this.clock.now();
    const p = this.byId.get(id);
    if (p === undefined) return Promise.resolve();
    p.claimed = 0;
    p.checkedAt = now;
    if (healthy) {
      p.checkFails = 0;
      p.fails = 0;
    } else if (!p.dead) {
      p.checkFails += 1;
      if (p.checkFails >= this.settings.deadAfterChecks) p.dead = true;
      else bench(p, this.settings, now);
    }
    return Promise.resolve();
  }

  snapshot(): Promise<ProxyState[]> {
    const now = this.clock.now();
    return Promise.resolve(
      this.proxies.map((p) => ({
        id: p.id,
        url: p.url,
        tier: p.tier,
        status: status(p, now),
        errorRate: this.rate(p, now),
        failures: p.fails,
        benches: p.benches,
        benchedUntil: p.until,
        failedChecks: p.checkFails,
        checkedAt: p.checkedAt,
      })),
    );
  }

  private rate(p: Rec, now: number): number {
    const f = decay(this.settings, p.at, now);
    return errorRate(p.err * f, p.n * f);
  }

  /** The host's record, forgetting it when expired. */
  private host(host: string, now: number): HostRec | undefined {
    const h = this.hosts.get(host);
    if (h !== undefined && h.exp <= now) {
      this.hosts.delete(host);
      return undefined;
    }
    return h;
  }

  /** The host side of report(): strikes and tier escalation. */
  private strike(lease: ProxyLease, outcome: ProxyOutcome, now: number): void {
    const s = this.settings;
    const h = this.host(lease.host, now);
    if (lease.tier < (h?.tier ?? 0)) return;
    if (outcome === 'ok') {
      if (h !== undefined) h.strikes = 0;
      return;
    }
    const rec = h ?? { tier: 0, strikes: 0, exp: 0 };
    rec.strikes += 1;
    rec.exp = now + s.hostTierTtlMs;
    if (rec.strikes >= s.escalateAfter) {
      rec.strikes = 0;
      let next: number | undefined;
      for (const p of this.proxies) {
        if (p.tier > lease.tier && (next === undefined || p.tier < next)) next = p.tier;
      }
      if (next !== undefined) rec.tier = next;
    }
    this.hosts.set(lease.host, rec);
  }
}

function fresh(id: string, tier: number, now: number): Rec {
  return {
    id,
    url: id,
    tier,
    err: 0,
    n: 0,
    at: now,
    fails: 0,
    benches: 0,
    until: 0,
    checkFails: 0,
    checkedAt: 0,
    claimed: 0,
    dead: false,
  };
}

/**
 * Benches `p` from `now`. Its error rate is cleared: back from the bench it competes on
 * equal terms (so it is retried), and its kept failure count benches it again at once
 * if it still fails.
 */
function bench(p: Rec, s: ProxyPoolSettings, now: number): void {
  p.until = now + benchMs(s, p.benches);
  p.benches += 1;
  p.err = 0;
  p.n = 0;
  p.at = now;
}

function eligible(p: Rec, now: number): boolean {
  return !p.dead && p.until <= now;
}

function status(p: Rec, now: number): 'active' | 'benched' | 'dead' {
  return p.dead ? 'dead' : p.until > now ? 'benched' : 'active';
}

/**
 * Whether a proxy is due for a health check, and how urgently: 0 its bench is over and
 * it was not checked since, 1 never checked, 2 not checked for recheckMs; -1 not due
 * (dead, benched, claimed by a checker, or checked recently).
 */
function checkRank(p: Rec, now: number, recheckMs: number): number {
  if (p.dead || p.claimed > now || p.until > now) return -1;
  if (p.until > 0 && p.checkedAt < p.until) return 0;
  if (p.checkedAt === 0) return 1;
  return now - p.checkedAt >= recheckMs ? 2 : -1;
}
