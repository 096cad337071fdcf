/**
 * The frontier's semantics, in memory, for one process: per-host queues and a ready-heap
 * of hosts ordered by the time they may next be contacted (Mercator back queues),
 * leases with tokens and deadlines, the robots.txt gate, redirect claims, the page
 * budget and the job's concurrency. The embedded adapter persists every change through
 * a FrontierWrites journal; the Redis frontier implements the same rules in Lua, and
 * test/frontier/frontier-contract.ts holds both to them.
 *
 * Written here, not taken from a library, because it is Trawl's core: no queue library
 * schedules per-host gaps with leases, retries and robots gating the way a polite
 * crawler needs.
 *
 * Each host has two lanes: `normal` (pages never started, highest priority first — the
 * default priority -depth makes the crawl breadth-first) and `urgent` (work already
 * started: redirect hops, retries whose time has come, expired or released leases, and
 * sitemap walks). Leasing from the normal lane spends the page budget (--max-pages);
 * the urgent lane is served first and is free, so a started page always gets finished.
 *
 * Politeness: a host is contacted at most `maxInFlight` at a time, and with a delay two
 * request starts are at least `delayMs` apart, counted also from the end of the previous
 * contact a commit reports, so the server sees the gap whatever the latency.
 */
import type { Clock } from '../../core/clock.js';
import type { DiscoveredLink, PageRecord } from '../../core/types.js';
import { hostOf, originOf } from '../../core/url/url-parts.js';
import type {
  CommitResult,
  Completion,
  FrontierSettings,
  FrontierStats,
  Lease,
  LeaseBatch,
  RobotsFetch,
  RobotsVerdict,
} from '../frontier.js';
import type { StoredRobots } from '../robots/robots-rules.js';
import { robotsVerdict } from '../robots/robots-rules.js';
import { Deque } from './deque.js';
import { HostQueue } from './host-queue.js';
import { MinHeap } from './min-heap.js';
import { RobotsGate } from './robots-gate.js';

/** A unit of queued work: a page (or its next redirect hop) or an origin's sitemap walk. */
export interface FrontierEntry extends Pick<
  Lease,
  'url' | 'fetchUrl' | 'redirects' | 'redirectStatus' | 'host' | 'depth' | 'attempts'
> {
  /** Persistent id (the SQLite row), assigned by the state. */
  id: number;
  kind: 'page' | 'sitemaps';
  priority: number;
}

/** Where the state's changes go to be persisted, all of one call in one transaction. */
export interface FrontierWrites {
  /** A new URL to remember: queued, or claimed as the redirect target of `claimedBy`. */
  inserted(entry: FrontierEntry, claimedBy: string | null): void;
  /** The entry is finished (a sitemap walk is always `ok`). */
  finished(entry: FrontierEntry, ok: boolean): void;
  /** The entry's attempts changed and it waits until `notBefore` (epoch ms; 0: due now). */
  rescheduled(entry: FrontierEntry, notBefore: number): void;
  robots(origin: string, stored: StoredRobots, failures: number): void;
  page(record: PageRecord): void;
}

interface HostState {
  readonly host: string;
  readonly urgent: Deque<FrontierEntry>;
  readonly normal: HostQueue<FrontierEntry>;
  inFlight: number;
  /** Epoch ms before which no new request may start. */
  nextAt: number;
  delayMs: number;
  maxInFlight: number;
  /** Whether the host has an entry in the ready-heap. */
  filed: boolean;
  /** The origin whose robots.txt the host waits for, or null. */
  blockedBy: string | null;
}

interface Held {
  token: string;
  deadline: number;
  host: HostState;
  /** null for a robots lease. */
  entry: FrontierEntry | null;
  /** The origin of a robots lease. */
  origin: string | null;
}

export class FrontierState {
  private readonly hosts = new Map<string, HostState>();
  private readonly ready = new MinHeap<HostState>();
  /** Retries waiting for their not-before time. */
  private readonly delayed = new MinHeap<FrontierEntry>();
  private readonly held = new Map<string, Held>();
  /** Lease deadlines; stale entries (renewed or committed leases) are skipped when popped. */
  private readonly deadlines = new MinHeap<string>();
  private readonly seen = new Set<string>();
  /** Redirect target -> the URL that claimed it. */
  private readonly claims = new Map<string, string>();
  private readonly gate: RobotsGate | null;
  private nextId = 1;
  private nextToken = 1;
  private queuedNormal = 0;
  /** Urgent-lane and delayed entries: started work still to finish. */
  private queuedUrgent = 0;
  private inFlight = 0;
  /** Pages leased from a normal lane: what --max-pages counts. */
  private started = 0;
  private counts = { succeeded: 0, failed: 0, retries: 0, bytes: 0 };

  constructor(
    private readonly settings: FrontierSettings,
    private readonly clock: Clock,
    private readonly writes: FrontierWrites,
  ) {
    this.gate = settings.robots ? new RobotsGate(settings) : null;
  }

  // ---- restoring a persisted frontier (embedded resume) ----

  restoreKnown(url: string, id: number, claimedBy: string | null): void {
    this.seen.add(url);
    if (claimedBy !== null) this.claims.set(url, claimedBy);
    this.nextId = Math.max(this.nextId, id + 1);
  }

  /**
   * An unfinished entry read back. A page already attempted was started (and counted)
   * before: it goes to the urgent lane and counts again now; an unattempted one (in
   * flight at the crash, or never leased) is a fresh page.
   */
  restoreQueued(entry: FrontierEntry, notBefore: number): void {
    this.restoreKnown(entry.url, entry.id, null);
    if (entry.kind === 'sitemaps' || entry.attempts > 0) {
      if (entry.kind === 'page') this.started++;
      this.queueUrgent(entry, notBefore);
    } else {
      this.queueNormal(entry);
    }
  }

  restoreRobots(origin: string, stored: StoredRobots, failures: number): void {
    if (this.gate === null) return;
    this.gate.restore(origin, stored, failures);
    this.applyCrawlDelay(origin, stored);
  }

  /** Call before restoreQueued (which counts started retries on top). */
  restoreCounts(counts: {
    succeeded: number;
    failed: number;
    retries: number;
    bytes: number;
  }): void {
    this.counts = { ...counts };
    this.started = counts.succeeded + counts.failed;
  }

  // ---- the port's operations ----

  add(links: DiscoveredLink[]): number {
    let added = 0;
    for (const link of links) {
      if (this.seen.has(link.url)) continue;
      this.seen.add(link.url);
      const entry: FrontierEntry = {
        id: this.nextId++,
        kind: 'page',
        url: link.url,
        fetchUrl: link.url,
        redirects: [],
        redirectStatus: null,
        host: link.host,
        depth: link.depth,
        priority: link.priority,
        attempts: 0,
      };
      this.writes.inserted(entry, null);
      this.queueNormal(entry);
      added++;
    }
    return added;
  }

  addSitemapSources(origins: string[]): number {
    let added = 0;
    for (const origin of origins) {
      if (this.seen.has(origin)) continue;
      this.seen.add(origin);
      const entry: FrontierEntry = {
        id: this.nextId++,
        kind: 'sitemaps',
        url: origin,
        fetchUrl: origin,
        redirects: [],
        redirectStatus: null,
        host: hostOf(origin),
        depth: 0,
        priority: 0,
        attempts: 0,
      };
      this.writes.inserted(entry, null);
      this.queueUrgent(entry, 0);
      added++;
    }
    return added;
  }

  lease(max: number): LeaseBatch {
    const now = this.clock.now();
    this.reclaimExpired(now);
    this.promoteDelayed(now);
    const limit = Math.min(max, this.settings.concurrency - this.inFlight);
    // At the job's concurrency only a commit frees a slot.
    if (limit <= 0) return { leases: [], done: false, waitMs: Infinity };
    const leases: Lease[] = [];
    while (leases.length < limit && this.ready.size > 0) {
      if (this.ready.peekKey()! > now) break;
      const host = this.ready.pop()!;
      host.filed = false;
      if (host.nextAt > now) {
        this.file(host);
        continue;
      }
      const lease = this.leaseFrom(host, now);
      if (lease !== null) leases.push(lease);
      this.file(host);
    }
    let waitMs = 0;
    if (leases.length < max) {
      // At the job's concurrency only a commit frees a slot: no time to wait for.
      waitMs = leases.length === limit && limit < max ? Infinity : this.waitMs(now);
    }
    return { leases, done: this.isDone(), waitMs };
  }

  commit(c: Completion): CommitResult {
    const held = this.held.get(c.token);
    if (held === undefined) return { accepted: false };
    // A completion that does not fit its lease is a bug: refused before anything changes.
    const robotsLease = held.entry === null;
    if (robotsLease ? c.kind !== 'robots' && c.kind !== 'release' : c.kind === 'robots') {
      throw new Error(`a ${c.kind} commit for a ${robotsLease ? 'robots' : 'page'} lease`);
    }
    this.held.delete(c.token);
    this.inFlight--;
    const host = held.host;
    host.inFlight--;
    const now = this.clock.now();
    let result: CommitResult = { accepted: true };
    if (held.entry === null) {
      // A robots lease: its answer (a Crawl-delay) already governs the gap after it.
      const origin = held.origin!;
      if (c.kind === 'robots') {
        this.settleRobots(origin, c.fetched, now);
        this.contacted(host, c.contactAgoMs, now);
      } else this.gate?.abandon(origin);
      host.blockedBy = null;
      this.file(host);
      return result;
    }
    if (c.kind !== 'release') this.contacted(host, c.contactAgoMs, now);
    const entry = held.entry;
    switch (c.kind) {
      case 'page':
        this.writes.page(c.record);
        this.add(c.links);
        this.finish(entry, c.ok);
        this.counts.bytes += c.wireBytes;
        break;
      case 'sitemaps':
        this.add(c.links);
        this.finish(entry, true);
        break;
      case 'retry': {
        if (c.hostPauseMs !== undefined) host.nextAt = Math.max(host.nextAt, now + c.hostPauseMs);
        entry.attempts++;
        this.counts.retries++;
        const notBefore = now + Math.max(0, c.retryInMs);
        this.writes.rescheduled(entry, notBefore);
        this.queueUrgent(entry, notBefore);
        break;
      }
      case 'redirect':
        result = { accepted: true, redirect: this.redirect(entry, c.target, c.status) };
        if (result.redirect === 'known') {
          this.writes.page(c.knownRecord);
          this.finish(entry, true);
        }
        break;
      case 'release':
        host.urgent.unshift(entry);
        this.queuedUrgent++;
        break;
    }
    this.file(host);
    return result;
  }

  renew(tokens: string[]): boolean[] {
    const deadline = this.clock.now() + this.settings.leaseMs;
    return tokens.map((token) => {
      const held = this.held.get(token);
      if (held === undefined) return false;
      held.deadline = deadline;
      this.deadlines.push(deadline, token);
      return true;
    });
  }

  stats(): FrontierStats {
    return {
      queued: this.queuedNormal + this.queuedUrgent,
      inFlight: this.inFlight,
      succeeded: this.counts.succeeded,
      failed: this.counts.failed,
      retries: this.counts.retries,
      known: this.seen.size,
      bytes: this.counts.bytes,
    };
  }

  // ---- leasing ----

  /** One lease from a host that may be contacted now, or null (the host waits or is parked). */
  private leaseFrom(host: HostState, now: number): Lease | null {
    // file() never files a host with only unstarted pages once the budget is spent.
    const urgent = host.urgent.size > 0;
    const entry = urgent ? host.urgent.peek()! : host.normal.peek()!;
    let verdict: RobotsVerdict = 'allowed';
    let sitemaps: readonly string[] = [];
    if (this.gate !== null) {
      const origin = originOf(entry.fetchUrl);
      const decision = this.gate.decide(origin, now);
      switch (decision.kind) {
        case 'fetch':
          return this.robotsLease(host, origin, now);
        case 'fetching':
          host.blockedBy = origin;
          return null;
        case 'wait':
          host.nextAt = Math.max(host.nextAt, decision.until);
          return null;
        case 'ready':
          verdict =
            entry.kind === 'page' ? robotsVerdict(decision.policy, entry.fetchUrl) : 'allowed';
          sitemaps = decision.sitemaps;
      }
    }
    if (urgent) {
      host.urgent.shift();
      this.queuedUrgent--;
    } else {
      host.normal.shift();
      this.queuedNormal--;
      this.started++;
    }
    // A URL robots.txt forbids is not fetched: it takes no turn of the host's gap.
    if (verdict === 'allowed' && host.delayMs > 0) host.nextAt = now + host.delayMs;
    const token = this.hold(host, entry, null, now);
    return {
      token,
      kind: entry.kind,
      url: entry.url,
      fetchUrl: entry.fetchUrl,
      redirects: entry.redirects,
      redirectStatus: entry.redirectStatus,
      host: entry.host,
      depth: entry.depth,
      attempts: entry.attempts,
      hostDelayMs: host.delayMs,
      robots: verdict,
      sitemaps: [...sitemaps],
    };
  }

  private robotsLease(host: HostState, origin: string, now: number): Lease {
    if (host.delayMs > 0) host.nextAt = now + host.delayMs;
    const token = this.hold(host, null, origin, now);
    this.gate!.startFetch(origin, token);
    host.blockedBy = origin;
    const url = `${origin}/robots.txt`;
    return {
      token,
      kind: 'robots',
      url,
      fetchUrl: url,
      redirects: [],
      redirectStatus: null,
      host: host.host,
      depth: 0,
      attempts: 0,
      hostDelayMs: host.delayMs,
      robots: 'allowed',
      sitemaps: [],
    };
  }

  private hold(
    host: HostState,
    entry: FrontierEntry | null,
    origin: string | null,
    now: number,
  ): string {
    const token = String(this.nextToken++);
    const deadline = now + this.settings.leaseMs;
    this.held.set(token, { token, deadline, host, entry, origin });
    this.deadlines.push(deadline, token);
    host.inFlight++;
    this.inFlight++;
    return token;
  }

  private budgetLeft(): number {
    return this.settings.maxPages === null ? Infinity : this.settings.maxPages - this.started;
  }

  private isDone(): boolean {
    if (this.inFlight > 0) return false;
    if (this.queuedUrgent > 0) return false;
    return this.queuedNormal === 0 || this.budgetLeft() <= 0;
  }

  /** ms until time alone may make something leasable; Infinity when only a commit can. */
  private waitMs(now: number): number {
    let at = Infinity;
    const readyAt = this.ready.peekKey();
    if (readyAt !== undefined) at = readyAt;
    const delayedAt = this.delayed.peekKey();
    if (delayedAt !== undefined) at = Math.min(at, delayedAt);
    const expiresAt = this.nextDeadline();
    if (expiresAt !== undefined) at = Math.min(at, expiresAt);
    return at === Infinity ? Infinity : Math.max(0, at - now);
  }

  /** The earliest deadline of a lease still held (stale heap entries are dropped). */
  private nextDeadline(): number | undefined {
    for (;;) {
      const deadline = this.deadlines.peekKey();
      if (deadline === undefined) return undefined;
      const held = this.held.get(this.deadlines.peek()!);
      if (held !== undefined && held.deadline === deadline) return deadline;
      this.deadlines.pop();
    }
  }

  // ---- commits ----

  private contacted(host: HostState, contactAgoMs: number | null, now: number): void {
    if (contactAgoMs === null || host.delayMs <= 0) return;
    // +1: the clock counts whole milliseconds, so a contact that ended at t+0.9 reads t.
    host.nextAt = Math.max(host.nextAt, now - Math.max(0, contactAgoMs) + host.delayMs + 1);
  }

  private finish(entry: FrontierEntry, ok: boolean): void {
    if (entry.kind === 'page') {
      if (ok) this.counts.succeeded++;
      else this.counts.failed++;
    }
    this.writes.finished(entry, ok);
  }

  /**
   * Claims `target` for `entry`'s URL. Free, or already claimed by the same URL (a retry
   * of the hop, or the chain replayed after a crash): the next hop is queued on the
   * target's host. Known under its own name: 'known'.
   */
  private redirect(
    entry: FrontierEntry,
    target: { url: string; host: string },
    status: number,
  ): 'hop' | 'known' {
    const owner = this.claims.get(target.url);
    if (this.seen.has(target.url) && owner !== entry.url) return 'known';
    if (owner === undefined) {
      this.seen.add(target.url);
      this.claims.set(target.url, entry.url);
      const claim: FrontierEntry = {
        ...entry,
        id: this.nextId++,
        url: target.url,
        fetchUrl: target.url,
        host: target.host,
        redirects: [],
        attempts: 0,
      };
      this.writes.inserted(claim, entry.url);
    }
    const hop: FrontierEntry = {
      ...entry,
      fetchUrl: target.url,
      host: target.host,
      redirects: [...entry.redirects, target.url],
      redirectStatus: status,
    };
    this.queueUrgent(hop, 0);
    return 'hop';
  }

  private settleRobots(origin: string, fetched: RobotsFetch, now: number): void {
    if (this.gate === null) return;
    const { stored, failures } = this.gate.settle(origin, fetched, now);
    this.writes.robots(origin, stored, failures);
    this.applyCrawlDelay(origin, stored);
  }

  /** robots.txt Crawl-delay raises the host's gap (never below the job's) and serialises it. */
  private applyCrawlDelay(origin: string, stored: StoredRobots): void {
    const crawlDelayMs = this.gate!.crawlDelayMs(origin, stored);
    const host = this.host(hostOf(origin));
    if (crawlDelayMs !== null && crawlDelayMs > this.settings.delayMs) {
      host.delayMs = crawlDelayMs;
      host.maxInFlight = 1;
    } else {
      host.delayMs = this.settings.delayMs;
      host.maxInFlight = this.settings.hostConcurrency;
    }
  }

  // ---- queues ----

  private queueNormal(entry: FrontierEntry): void {
    const host = this.host(entry.host);
    host.normal.push(entry.priority, entry);
    this.queuedNormal++;
    this.file(host);
  }

  /** Into the host's urgent lane, now or (via the delayed heap) at `notBefore`. */
  private queueUrgent(entry: FrontierEntry, notBefore: number): void {
    this.queuedUrgent++;
    if (notBefore > this.clock.now()) {
      this.delayed.push(notBefore, entry);
      return;
    }
    const host = this.host(entry.host);
    host.urgent.push(entry);
    this.file(host);
  }

  private promoteDelayed(now: number): void {
    while (this.delayed.size > 0 && this.delayed.peekKey()! <= now) {
      const entry = this.delayed.pop()!;
      const host = this.host(entry.host);
      host.urgent.push(entry);
      this.file(host);
    }
  }

  /** Leases past their deadline go back: their holder is presumed dead (or stalled). */
  private reclaimExpired(now: number): void {
    while (this.deadlines.size > 0 && this.deadlines.peekKey()! <= now) {
      const deadline = this.deadlines.peekKey()!;
      const token = this.deadlines.pop()!;
      const held = this.held.get(token);
      if (held === undefined || held.deadline !== deadline) continue;
      this.held.delete(token);
      this.inFlight--;
      const host = held.host;
      host.inFlight--;
      // The holder may have reached the host just before it stalled: keep the gap.
      this.contacted(host, 0, now);
      if (held.entry === null) {
        this.gate?.abandon(held.origin!);
        host.blockedBy = null;
      } else {
        held.entry.attempts++;
        this.writes.rescheduled(held.entry, 0);
        host.urgent.push(held.entry);
        this.queuedUrgent++;
      }
      this.file(host);
    }
  }

  private file(host: HostState): void {
    if (host.filed || host.blockedBy !== null) return;
    if (host.urgent.size === 0) {
      // With the budget spent, unstarted pages wait for a resume with a larger one.
      if (host.normal.size === 0 || this.budgetLeft() <= 0) return;
    }
    if (host.inFlight >= host.maxInFlight) return;
    host.filed = true;
    this.ready.push(host.nextAt, host);
  }

  private host(name: string): HostState {
    let host = this.hosts.get(name);
    if (host === undefined) {
      host = {
        host: name,
        urgent: new Deque(),
        normal: new HostQueue(),
        inFlight: 0,
        nextAt: 0,
        delayMs: this.settings.delayMs,
        maxInFlight: this.settings.hostConcurrency,
        filed: false,
        blockedBy: null,
      };
      this.hosts.set(name, host);
    }
    return host;
  }
}
