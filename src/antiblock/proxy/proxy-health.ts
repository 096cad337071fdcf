/**
 * Health checks of a proxy pool's proxies: a GET of a check URL through the proxy with
 * a short deadline. Every `intervalMs` the checker claims the proxies due for a check
 * (ProxyPool.claimChecks: bench over and not checked since, never checked, or not
 * checked for the pool's recheckMs), checks up to `concurrency` at once and reports each
 * result (ProxyPool.reportCheck): a failure benches the proxy, and the pool's
 * deadAfterChecks consecutive failures make it dead (out of rotation).
 *
 * A check passes when the fetch resolves with a 2xx or 3xx status (not followed), or
 * whatever `isHealthy` says. Choose a check URL that answers fast and never blocks
 * (your own endpoint, or a generate-204 page). In distributed mode every worker may run
 * a checker: the claims keep them from checking one proxy twice at once.
 */
import type { FetchResponse } from '../../core/types.js';
import type { Fetcher } from '../../fetch/fetcher.js';
import type { ProxyCheckTarget, ProxyPool } from './proxy-pool.js';

export interface ProxyHealthOptions {
  pool: ProxyPool;
  /** Sends the checks (FetchOptions.proxy); the HTTP engine. */
  fetcher: Pick<Fetcher, 'fetch'>;
  /** GET through each proxy. */
  checkUrl: string;
  /** Deadline of one check, ms. @default 5000 */
  timeoutMs?: number;
  /** Pause between rounds, ms. @default 10000 */
  intervalMs?: number;
  /** Checks at once (and claimed per round). @default 8 */
  concurrency?: number;
  /** @default a 2xx or 3xx status */
  isHealthy?: (res: FetchResponse) => boolean;
  /** Called after each check with its result (and the error of a failed fetch). */
  onCheck?: (target: ProxyCheckTarget, healthy: boolean, error?: unknown) => void;
  /** Called when a round fails (the pool could not be read); the checker goes on. */
  onError?: (err: unknown) => void;
}

/** Checks one proxy: true when the check URL answers through it within the deadline. */
export async function checkProxy(
  fetcher: Pick<Fetcher, 'fetch'>,
  proxyUrl: string,
  checkUrl: string,
  options: { timeoutMs?: number; isHealthy?: (res: FetchResponse) => boolean } = {},
): Promise<{ healthy: boolean; error?: unknown }> {
  const signal = AbortSignal.timeout(options.timeoutMs ?? 5000);
  try {
    const res = await fetcher.fetch(checkUrl, {
      proxy: proxyUrl,
      signal,
      redirect: 'manual',
      maxBodyBytes: 64 * 1024,
      truncateBody: true,
    });
    const healthy = options.isHealthy?.(res) ?? (res.status >= 200 && res.status < 400);
    return { healthy };
  } catch (error) {
    return { healthy: false, error };
  }
}

/** Runs health-check rounds over a pool (see the module header). */
export class ProxyHealthChecker {
  private readonly timeoutMs: number;
  private readonly intervalMs: number;
  private readonly concurrency: number;
  private timer: NodeJS.Timeout | null = null;
  private round: Promise<number> | null = null;
  private stopped = false;

  constructor(private readonly options: ProxyHealthOptions) {
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.intervalMs = options.intervalMs ?? 10_000;
    this.concurrency = Math.max(1, Math.floor(options.concurrency ?? 8));
    if (!(this.timeoutMs > 0) || !(this.intervalMs > 0)) {
      throw new RangeError('health check timeoutMs and intervalMs must be > 0');
    }
  }

  /**
   * One round: claims the due proxies (at most `concurrency`), checks them and reports.
   * Resolves with how many were checked.
   */
  async checkOnce(): Promise<number> {
    const { pool, fetcher, checkUrl, isHealthy, onCheck } = this.options;
    // A claim outlives the check's deadline, so a slow check is not taken by another.
    const targets = await pool.claimChecks(this.concurrency, this.timeoutMs * 2 + 1000);
    await Promise.all(
      targets.map(async (target) => {
        const { healthy, error } = await checkProxy(fetcher, target.url, checkUrl, {
          timeoutMs: this.timeoutMs,
          isHealthy,
        });
        await pool.reportCheck(target.id, healthy);
        onCheck?.(target, healthy, error);
      }),
    );
    return targets.length;
  }

  /** Runs a round now and then every intervalMs until stop(). */
  start(): void {
    if (this.stopped || this.timer !== null || this.round !== null) return;
    void this.run();
  }

  /** Stops; resolves once a round in progress has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await this.round?.catch(() => 0);
  }

  private async run(): Promise<void> {
    this.round = this.checkOnce();
    try {
      await this.round;
    } catch (err) {
      this.options.onError?.(err);
    } finally {
      this.round = null;
    }
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.run();
    }, this.intervalMs);
    this.timer.unref();
  }
}
