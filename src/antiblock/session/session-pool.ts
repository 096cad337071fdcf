/**
 * Sessions against blocking: a session binds one proxy, one cookie jar and one browser
 * header set, so a site sees one consistent visitor. It is retired whole, never patched:
 * at once on 401/403/429 or a block page (the caller's `blocked: true`), or when it has
 * been handed out `maxUsage` times, or when its error score (+1 per failed request, 5xx
 * included; -0.5 per good one, never below 0) reaches `maxErrorScore`. A retired
 * session is dropped with its cookies and headers, and the next `acquire` makes a fresh
 * one.
 *
 * The pool holds at most `maxSessions` live sessions: while it has fewer it makes a new
 * one per `acquire` (lazily; so the first requests spread over distinct sessions), then
 * hands them out round robin. Any session may serve any host (its jar keeps cookies per
 * domain). The proxy comes from `acquireProxy`, called once when a session is made, so the
 * pool knows nothing of how proxies are chosen; without it sessions go direct (null).
 */
import { createHeaderSet } from '../headers/header-sets.js';
import type { HeaderSet, HeaderSetOptions } from '../headers/header-sets.js';
import { CookieJar } from './cookie-jar.js';
import type { CookieJarOptions } from './cookie-jar.js';

/** Why a session was retired. */
export type RetireReason = 'status' | 'blocked' | 'usage' | 'errors' | 'manual';

export interface Session {
  /** Unique within the pool: `s1`, `s2`, … */
  readonly id: string;
  readonly headerSet: HeaderSet;
  /** The proxy URL every request of this session goes through, or null for direct. */
  readonly proxy: string | null;
  readonly cookies: CookieJar;
  /** How many times the pool has handed this session out. */
  readonly usageCount: number;
  readonly errorScore: number;
  readonly retired: boolean;
  readonly retiredReason: RetireReason | null;
}

/** What became of one request made with a session. */
export interface SessionOutcome {
  /** The final HTTP status, when a response came. */
  status?: number;
  /** The caller recognised a block page (challenge, CAPTCHA, "access denied"). */
  blocked?: boolean;
  /** The request failed: an error code such as 'network', 'timeout', 'proxy_failed'. */
  error?: string;
}

export interface SessionPoolOptions {
  /** Live sessions at most; default 20. */
  maxSessions?: number;
  /** Hand-outs before a session is retired; default 50. */
  maxUsage?: number;
  /** Error score at which a session is retired; default 3. */
  maxErrorScore?: number;
  /** Subtracted from the error score per good outcome; default 0.5. */
  errorScoreDecay?: number;
  /** Statuses that retire a session at once; default 401, 403, 429. */
  retireOnStatus?: readonly number[];
  /** Chooses the proxy of a new session, given the host it is first made for ('' when none). */
  acquireProxy?: (host: string) => Promise<string | null>;
  /** How header sets are drawn (`userAgent` for `--user-agent`, a seeded `random`, …). */
  headers?: HeaderSetOptions;
  cookies?: CookieJarOptions;
}

export interface SessionPoolStats {
  /** Live sessions. */
  readonly active: number;
  /** Sessions retired since the pool was made. */
  readonly retired: number;
  readonly created: number;
  readonly retiredBy: Readonly<Record<RetireReason, number>>;
}

type MutableSession = { -readonly [K in keyof Session]: Session[K] };

export class SessionPool {
  private readonly maxSessions: number;
  private readonly maxUsage: number;
  private readonly maxErrorScore: number;
  private readonly decay: number;
  private readonly retireOnStatus: ReadonlySet<number>;
  private readonly options: SessionPoolOptions;
  private readonly live: MutableSession[] = [];
  /** Sessions being made (waiting for their proxy): they count against maxSessions. */
  private pending = 0;
  /** Acquires waiting for a pending session (the pool being full of those). */
  private readonly waiters: Array<() => void> = [];
  /** Every session this pool made, to tell its own from a stranger's. */
  private readonly made = new WeakSet<Session>();
  private cursor = 0;
  private created = 0;
  private readonly retiredBy: Record<RetireReason, number> = {
    status: 0,
    blocked: 0,
    usage: 0,
    errors: 0,
    manual: 0,
  };

  constructor(options: SessionPoolOptions = {}) {
    this.options = options;
    this.maxSessions = wholeAtLeast1(options.maxSessions ?? 20, 'maxSessions');
    this.maxUsage = wholeAtLeast1(options.maxUsage ?? 50, 'maxUsage');
    this.maxErrorScore = atLeast(options.maxErrorScore ?? 3, Number.MIN_VALUE, 'maxErrorScore');
    this.decay = atLeast(options.errorScoreDecay ?? 0.5, 0, 'errorScoreDecay');
    this.retireOnStatus = new Set(options.retireOnStatus ?? [401, 403, 429]);
    // Bad header options (an unknown browser, a two-line User-Agent) fail here, not at
    // the first acquire; the caller's random is not drawn from.
    createHeaderSet({ ...options.headers, random: () => 0 });
  }

  /**
   * A usable session for a request (to `host`, which only the proxy chooser sees): a new
   * one while the pool has room, else the next live one round robin. Never a retired one.
   * Rejects when `acquireProxy` does.
   */
  async acquire(host?: string): Promise<Session> {
    for (;;) {
      if (this.live.length + this.pending < this.maxSessions)
        return this.hand(await this.create(host ?? ''));
      const session = this.nextLive();
      if (session !== null) return this.hand(session);
      // Every live session was spent (and retired just now): room again.
      if (this.live.length + this.pending < this.maxSessions) continue;
      // Full of sessions still being made: share one as soon as it is ready.
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Records what a request made with `session` came to; retires it when it is spent. */
  report(session: Session, outcome: SessionOutcome): void {
    const s = this.own(session);
    if (s === null || s.retired) return;
    const { status, blocked, error } = outcome;
    if (status !== undefined && this.retireOnStatus.has(status)) return this.retire(s, 'status');
    if (blocked === true) return this.retire(s, 'blocked');
    if (error !== undefined || (status !== undefined && status >= 500)) {
      s.errorScore += 1;
    } else {
      s.errorScore = Math.max(0, s.errorScore - this.decay);
    }
    if (s.errorScore >= this.maxErrorScore) return this.retire(s, 'errors');
    if (s.usageCount >= this.maxUsage) return this.retire(s, 'usage');
  }

  /** Retires a session at once (the caller knows better); a no-op when it already is. */
  retire(session: Session, reason: RetireReason = 'manual'): void {
    const s = this.own(session);
    if (s === null || s.retired) return;
    s.retired = true;
    s.retiredReason = reason;
    this.retiredBy[reason]++;
    const at = this.live.indexOf(s);
    if (at >= 0) this.live.splice(at, 1);
  }

  /** Live sessions. */
  size(): number {
    return this.live.length;
  }

  stats(): SessionPoolStats {
    const retired = Object.values(this.retiredBy).reduce((sum, n) => sum + n, 0);
    return {
      active: this.live.length,
      retired,
      created: this.created,
      retiredBy: { ...this.retiredBy },
    };
  }

  private async create(host: string): Promise<MutableSession> {
    this.pending++;
    let proxy: string | null;
    try {
      proxy = this.options.acquireProxy ? await this.options.acquireProxy(host) : null;
    } finally {
      this.pending--;
      this.wake();
    }
    this.created++;
    const session: MutableSession = {
      id: `s${this.created}`,
      headerSet: createHeaderSet(this.options.headers),
      proxy,
      cookies: new CookieJar(this.options.cookies),
      usageCount: 0,
      errorScore: 0,
      retired: false,
      retiredReason: null,
    };
    this.made.add(session);
    this.live.push(session);
    return session;
  }

  /** The next live session round robin that has hand-outs left (spent ones retire here). */
  private nextLive(): MutableSession | null {
    while (this.live.length > 0) {
      const session = this.live[this.cursor % this.live.length];
      this.cursor = (this.cursor + 1) % Number.MAX_SAFE_INTEGER;
      if (session === undefined) break;
      if (session.usageCount < this.maxUsage) return session;
      this.retire(session, 'usage');
    }
    return null;
  }

  private hand(session: MutableSession): Session {
    session.usageCount++;
    return session;
  }

  private wake(): void {
    for (const resolve of this.waiters.splice(0)) resolve();
  }

  private own(session: Session): MutableSession | null {
    // A Session handed out by this pool is the MutableSession it keeps.
    return this.made.has(session) ? (session as MutableSession) : null;
  }
}

function atLeast(value: number, min: number, name: string): number {
  if (!Number.isFinite(value) || value < min)
    throw new RangeError(`${name} must be at least ${min}`);
  return value;
}

function wholeAtLeast1(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`${name} must be a positive integer`);
  return value;
}
