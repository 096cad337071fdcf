/**
 * The in-memory frontier's robots.txt gate: per origin, whether robots.txt is known,
 * being fetched (and by which lease), or unreachable and waited for. No URL of an origin
 * is leased before its robots.txt has been settled, so a Crawl-delay holds from the
 * host's first page, and only one robots.txt fetch per origin is ever in flight.
 */
import type { FrontierSettings, RobotsFetch } from '../frontier.js';
import type { RobotsPolicy } from '../robots/robots-policy.js';
import { RobotsRulesCache, robotsTtlMs, type StoredRobots } from '../robots/robots-rules.js';

interface OriginRobots {
  /** Token of the robots lease fetching it now, or null. */
  fetching: string | null;
  stored: StoredRobots | null;
  /** Consecutive "unreachable" answers. */
  failures: number;
}

/** What the gate says about leasing a URL of an origin now. */
export type GateDecision =
  /** robots.txt must be fetched first (no fetch in flight): lease a robots fetch. */
  | { kind: 'fetch' }
  /** A robots.txt fetch of the origin is in flight: the host waits for its commit. */
  | { kind: 'fetching' }
  /** robots.txt is unreachable and its retry window runs until `until`: the host waits. */
  | { kind: 'wait'; until: number }
  /** Settled: lease with this policy's verdict. */
  | { kind: 'ready'; policy: RobotsPolicy; sitemaps: readonly string[] };

export type RobotsGateSettings = Pick<
  FrontierSettings,
  'robotsAgent' | 'robotsMaxAgeMs' | 'robotsRetryMs' | 'robotsMaxRetries'
>;

export class RobotsGate {
  private readonly origins = new Map<string, OriginRobots>();
  private readonly rules: RobotsRulesCache;

  constructor(private readonly settings: RobotsGateSettings) {
    this.rules = new RobotsRulesCache(settings.robotsAgent);
  }

  decide(origin: string, now: number): GateDecision {
    const state = this.origins.get(origin);
    if (state === undefined) return { kind: 'fetch' };
    if (state.fetching !== null) return { kind: 'fetching' };
    const stored = state.stored;
    if (stored === null || now >= stored.expiresAt) return { kind: 'fetch' };
    if (stored.kind === 'disallow-all' && state.failures <= this.settings.robotsMaxRetries) {
      return { kind: 'wait', until: stored.expiresAt };
    }
    const policy = this.rules.policy(origin, stored);
    return { kind: 'ready', policy, sitemaps: policy.sitemaps };
  }

  startFetch(origin: string, token: string): void {
    const state = this.state(origin);
    state.fetching = token;
  }

  /** The robots lease went back (expired or released): the next lease fetches again. */
  abandon(origin: string): void {
    const state = this.origins.get(origin);
    if (state !== undefined) state.fetching = null;
  }

  /** Stores a fetched answer; returns it as stored, with its failure count. */
  settle(
    origin: string,
    fetched: RobotsFetch,
    now: number,
  ): { stored: StoredRobots; failures: number } {
    const state = this.state(origin);
    state.fetching = null;
    state.failures = fetched.kind === 'disallow-all' ? state.failures + 1 : 0;
    state.stored = {
      ...fetched,
      fetchedAt: now,
      expiresAt: now + robotsTtlMs(fetched, this.settings),
    };
    return { stored: state.stored, failures: state.failures };
  }

  /** Crawl-delay of a stored answer, ms, or null. */
  crawlDelayMs(origin: string, stored: StoredRobots): number | null {
    return this.rules.policy(origin, stored).crawlDelayMs;
  }

  /** Restores an answer read back from storage (a resumed crawl). */
  restore(origin: string, stored: StoredRobots, failures: number): void {
    const state = this.state(origin);
    state.stored = stored;
    state.failures = failures;
  }

  private state(origin: string): OriginRobots {
    let state = this.origins.get(origin);
    if (state === undefined) {
      state = { fetching: null, stored: null, failures: 0 };
      this.origins.set(origin, state);
    }
    return state;
  }
}
