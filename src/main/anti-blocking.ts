/**
 * The job's anti-blocking, composed from its spec (docs/anti-blocking.md): sessions,
 * the proxy pool with its list source and health checks, block detection, CAPTCHA
 * solving and random delays, around the engine's fetcher. The proxy pool's backend is
 * the caller's choice (memory for the embedded mode, Redis for a distributed job,
 * shared by its workers).
 */
import type { Logger } from 'pino';
import { AntiBlockingFetcher } from '../antiblock/anti-blocking-fetcher.js';
import { CaptchaClearance } from '../antiblock/captcha/captcha-clearance.js';
import { TwoCaptchaSolver } from '../antiblock/captcha/two-captcha-solver.js';
import { ProxyHealthChecker } from '../antiblock/proxy/proxy-health.js';
import type { ProxyLease, ProxyPool, ProxyPoolOptions } from '../antiblock/proxy/proxy-pool.js';
import { ProxyRefresher } from '../antiblock/proxy/proxy-source.js';
import { SessionPool } from '../antiblock/session/session-pool.js';
import { DEFAULT_USER_AGENT, type CrawlSpec } from '../config/crawl-spec.js';
import { UsageError } from '../core/errors.js';
import type { Fetcher } from '../fetch/fetcher.js';
import type { BrowserName } from '../antiblock/headers/header-sets.js';

/** Makes the job's proxy pool on the mode's backend. */
export type ProxyPoolFactory = (options: ProxyPoolOptions) => ProxyPool;

export interface AntiBlockingParts {
  /**
   * CAPTCHAs are solved: the engine sends the form's POST as the session (the HTTP engine,
   * and the auto engine, which fetches over HTTP first); the browser engine fails them.
   */
  captcha: boolean;
  /**
   * The browsers the sessions' header sets pose as: Chromium's own (chrome, edge) when a
   * browser renders as the session, so the User-Agent matches what its scripts show.
   * @default all four
   */
  browsers?: readonly BrowserName[];
  /** Sends the proxies' health checks (the HTTP engine, unwrapped). */
  http: Fetcher;
  makeProxyPool: ProxyPoolFactory;
  log?: Pick<Logger, 'info' | 'warn'> | undefined;
  /** Told of the pool once made (metrics: crawler_proxy_pool_size). */
  onProxyPool?: ((pool: ProxyPool) => void) | undefined;
}

/** True when the spec asks for any anti-blocking. */
export function wantsAntiBlocking(spec: CrawlSpec): boolean {
  return (
    spec.sessions || hasProxies(spec) || spec.randomDelayMs !== null || spec.captchaKey !== null
  );
}

/** The operator's CAPTCHA-service key from the environment (TRAWL_CAPTCHA_KEY), for the CLI. */
export function captchaKeyFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
): string | undefined {
  const key = env.TRAWL_CAPTCHA_KEY?.trim();
  return key === undefined || key === '' ? undefined : key;
}

function hasProxies(spec: CrawlSpec): boolean {
  return spec.proxies.length > 0 || spec.proxyListUrl !== null;
}

/** `inner` with the spec's anti-blocking around it (or `inner` itself when it asks for none). */
export function withAntiBlocking(
  spec: CrawlSpec,
  inner: Fetcher,
  parts: AntiBlockingParts,
): Fetcher {
  if (!wantsAntiBlocking(spec)) return inner;
  if (spec.proxies.length > 0 && spec.proxyListUrl !== null) {
    throw new UsageError('give the proxies as a list or as a provider URL, not both');
  }
  const log = parts.log;
  const captcha = parts.captcha ? captchaClearance(spec, log) : null;
  if (spec.captchaKey !== null && !parts.captcha) {
    log?.warn(
      'captchaKey: CAPTCHAs are solved for the http and auto engines; the browser engine fails them',
    );
  }
  let pool: ProxyPool | null = null;
  const closers: (() => Promise<void>)[] = [];
  let ready: Promise<unknown> | undefined;
  if (hasProxies(spec)) {
    const made = parts.makeProxyPool({ allowDirect: spec.proxyDirect });
    pool = made;
    parts.onProxyPool?.(made);
    const refresher = new ProxyRefresher({
      pool: made,
      ...(spec.proxyListUrl === null ? { list: spec.proxies } : { url: spec.proxyListUrl }),
      onUpdate: (r, skipped) =>
        log?.info(
          { added: r.added, removed: r.removed, kept: r.kept, skipped: skipped.length },
          'proxy list loaded',
        ),
      onError: (err) => log?.warn({ err: err.message }, 'proxy list not loaded'),
    });
    ready = refresher.start();
    closers.push(() => refresher.stop());
    if (spec.proxyCheckUrl !== null) {
      const checker = new ProxyHealthChecker({
        pool: made,
        fetcher: parts.http,
        checkUrl: spec.proxyCheckUrl,
        onError: (err) => log?.warn({ err: String(err) }, 'proxy health round failed'),
      });
      // Checks start once the list is in.
      void ready.then(() => checker.start());
      closers.push(() => checker.stop());
    }
  }
  const leases = new Map<string, ProxyLease>();
  const sessions = spec.sessions
    ? new SessionPool({
        maxSessions: spec.maxSessions,
        maxUsage: spec.sessionMaxUsage,
        ...(pool === null ? {} : { acquireProxy: AntiBlockingFetcher.proxyChooser(pool, leases) }),
        // --user-agent wins over the drawn browsers.
        headers:
          spec.userAgent === DEFAULT_USER_AGENT
            ? { ...(parts.browsers === undefined ? {} : { browsers: parts.browsers }) }
            : { userAgent: spec.userAgent },
      })
    : null;
  return new AntiBlockingFetcher({
    inner,
    sessions,
    proxies: pool,
    leases,
    captcha,
    detectBlocks: sessions !== null || pool !== null,
    randomDelay:
      spec.randomDelayMs === null
        ? null
        : { minMs: spec.randomDelayMs[0], maxMs: spec.randomDelayMs[1] },
    ...(ready === undefined ? {} : { ready }),
    onClose: async () => {
      for (const close of closers) await close();
    },
    ...(log === undefined ? {} : { onBlocked: (url, why) => log.info({ url, why }, 'blocked') }),
  });
}

/** The job's CAPTCHA solving (its key, the provider's API), or null without a key. */
function captchaClearance(spec: CrawlSpec, log: AntiBlockingParts['log']): CaptchaClearance | null {
  if (spec.captchaKey === null) return null;
  if (!spec.sessions) {
    throw new UsageError(
      "a CAPTCHA key needs sessions (--sessions): a solved CAPTCHA's cookies live in a session",
    );
  }
  return new CaptchaClearance({
    // One provider for now; the spec's captchaProvider names it.
    solver: new TwoCaptchaSolver({ apiKey: spec.captchaKey, baseUrl: spec.captchaApiUrl }),
    ...(log === undefined
      ? {}
      : {
          onSolved: (url, challenge, solution) =>
            log.info(
              {
                url,
                kind: challenge.kind,
                elapsedMs: solution.elapsedMs,
                taskId: solution.taskId,
                polls: solution.polls,
              },
              'captcha solved',
            ),
          onDisabled: (err) =>
            log.warn(
              { code: err.code, err: err.message },
              'captcha solving stopped for this job: the solver account needs fixing',
            ),
        }),
  });
}
