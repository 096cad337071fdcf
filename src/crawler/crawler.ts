/**
 * The crawl loop: lease from the frontier, run each lease (a page, a robots.txt, a
 * sitemap walk), commit, repeat until the job is done. It talks to ports only
 * (Frontier, Fetcher, PageParser), so the same loop runs embedded (SQLite) and
 * distributed (Redis + PostgreSQL, any number of workers); every decision about when a
 * host may be contacted is the frontier's.
 */
import { setMaxListeners } from 'node:events';
import type { Lease } from '../frontier/frontier.js';
import { runPageTask } from './page-task.js';
import { runRobotsTask } from './robots-task.js';
import { runSitemapsTask } from './sitemaps-task.js';
import type { CrawlCounters, CrawlerDeps, CrawlerOptions, TaskContext } from './task-context.js';

export type { CrawlCounters, CrawlerDeps, CrawlerOptions } from './task-context.js';

export type StopMode = 'drain' | 'abort';

export class Crawler {
  readonly counters: CrawlCounters = {
    succeeded: 0,
    failed: 0,
    retries: 0,
    bytes: 0,
    refused: 0,
  };
  private readonly abort = new AbortController();
  private readonly ctx: TaskContext;
  private stopping = false;
  private finished = false;
  private wakeUp: (() => void) | null = null;
  /** A wake() that came while the loop was not waiting (e.g. during a lease). */
  private wokenEarly = false;
  /** Leases in flight, by token: what renew() extends. */
  private readonly inFlight = new Map<string, Lease>();
  private fatal: unknown = null;
  private concurrency: number;

  constructor(options: CrawlerOptions, deps: CrawlerDeps) {
    // Every in-flight request listens on the one stop signal.
    setMaxListeners(0, this.abort.signal);
    this.ctx = { ...deps, options, counters: this.counters, signal: this.abort.signal };
    this.concurrency = options.concurrency;
  }

  /** Changes how many leases this loop keeps in flight (a worker sharing itself among jobs). */
  setConcurrency(n: number): void {
    this.concurrency = Math.max(1, Math.floor(n));
    this.wake();
  }

  /**
   * Stop leasing. 'drain' lets in-flight requests finish; 'abort' cancels them and
   * hands their leases back to the frontier (they are leased again first).
   */
  stop(mode: StopMode): void {
    this.stopping = true;
    if (mode === 'abort') this.abort.abort();
    this.wake();
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  /** True once run() saw the frontier report the job done (not merely stopped). */
  get isDone(): boolean {
    return this.finished;
  }

  /**
   * Runs until the job is done or stop() is called. Whatever happens, every task in
   * flight is settled before run() returns or throws: the ports are never closed under
   * a running request.
   */
  async run(): Promise<void> {
    const { frontier } = this.ctx;
    const tasks = new Set<Promise<void>>();
    const renewEveryMs = Math.max(50, Math.floor(frontier.leaseMs / 3));
    const renewer = setInterval(() => void this.renew(), renewEveryMs);
    try {
      for (;;) {
        if (this.fatal !== null) break;
        const free = this.concurrency - tasks.size;
        let waitMs = Infinity;
        if (!this.stopping && free > 0) {
          let batch;
          try {
            batch = await frontier.lease(free);
          } catch (err) {
            this.fatal ??= err;
            break;
          }
          for (const lease of batch.leases) tasks.add(this.start(lease, tasks));
          if (batch.done && tasks.size === 0) {
            this.finished = true;
            break;
          }
          // Nothing more to lease for now: wait for time, a completion, or (other
          // workers' commits) the next poll.
          if (batch.leases.length < free) {
            waitMs = Math.min(batch.waitMs, this.ctx.options.idlePollMs);
          }
        }
        if (tasks.size === 0 && this.stopping) break;
        await this.waitForWake(waitMs);
      }
    } finally {
      while (tasks.size > 0) await Promise.allSettled([...tasks]);
      clearInterval(renewer);
    }
    if (this.fatal !== null) throw this.fatal;
  }

  private start(lease: Lease, tasks: Set<Promise<void>>): Promise<void> {
    this.inFlight.set(lease.token, lease);
    const task = this.runLease(lease).then(
      () => {
        this.inFlight.delete(lease.token);
        tasks.delete(task);
        this.wake();
      },
      (err: unknown) => {
        // Tasks commit every request failure themselves; reaching here means the
        // frontier failed, which ends the crawl (after the other tasks settle).
        this.fatal ??= err;
        this.inFlight.delete(lease.token);
        tasks.delete(task);
        this.wake();
      },
    );
    return task;
  }

  private runLease(lease: Lease): Promise<void> {
    switch (lease.kind) {
      case 'page':
        return runPageTask(this.ctx, lease);
      case 'robots':
        return runRobotsTask(this.ctx, lease);
      case 'sitemaps':
        return runSitemapsTask(this.ctx, lease);
    }
  }

  /** Extends every lease in flight; a lost one will be refused at commit. */
  private async renew(): Promise<void> {
    const tokens = [...this.inFlight.keys()];
    if (tokens.length === 0) return;
    try {
      const held = await this.ctx.frontier.renew(tokens);
      // A lease committed while the renewal was on its way is not lost.
      const lost = tokens.filter((t, i) => held[i] !== true && this.inFlight.has(t));
      if (lost.length > 0)
        this.ctx.log.warn({ lost: lost.length }, 'leases expired before renewal');
    } catch (err) {
      this.ctx.log.warn({ err }, 'lease renewal failed');
    }
  }

  private wake(): void {
    const w = this.wakeUp;
    this.wakeUp = null;
    if (w === null) this.wokenEarly = true;
    else w();
  }

  private waitForWake(ms: number): Promise<void> {
    if (this.wokenEarly) {
      this.wokenEarly = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      this.wakeUp = () => {
        if (timer !== undefined) clearTimeout(timer);
        resolve();
      };
      if (ms !== Infinity) timer = setTimeout(() => this.wake(), ms);
    });
  }
}
