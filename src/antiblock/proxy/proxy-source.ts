/**
 * Where a proxy pool's list comes from: a list given in the configuration, or a
 * provider URL fetched again every `updateIntervalSeconds` (default: the environment's
 * PROXY_UPDATE_INTERVAL_SECONDS, else 300). Each load replaces the pool's list through
 * ProxyPool.setProxies, which keeps the state of proxies that stay and drops the ones
 * that left.
 *
 * List format (parseProxyList), one proxy per line:
 *
 *     # comments and blank lines are ignored
 *     http://user:pass@proxy1.example:8080
 *     proxy2.example:3128                  -> http://proxy2.example:3128
 *     tier=1 http://resi.example:7000      -> tier 1 (default 0; lower tiers are used first)
 *
 * or a JSON array of the same strings, or of `{ "url": "...", "tier": 1 }` objects. URLs
 * are http: or https: with a host and nothing after the port (no path, query or
 * fragment); a missing port is the scheme's default. Malformed lines are skipped and
 * reported, never fatal.
 *
 * A load that fails (network, HTTP status, or a list with no valid proxy) leaves the
 * pool as it was: a provider's outage must not empty the pool. In distributed mode one
 * worker refreshing a shared Redis pool is enough (run it as a singleton duty); several
 * doing it are harmless, only wasteful.
 */
import { TrawlError } from '../../core/errors.js';
import { MAX_TIER } from './proxy-pool.js';
import type { ProxyEntry, ProxyPool, ProxySyncResult } from './proxy-pool.js';

/** When neither the option nor PROXY_UPDATE_INTERVAL_SECONDS says otherwise. */
export const DEFAULT_PROXY_UPDATE_INTERVAL_SECONDS = 300;

export interface ParsedProxyList {
  entries: ProxyEntry[];
  /** One message per skipped line or item (no credentials in them). */
  errors: string[];
}

/** Normalises one proxy (`host:port` or a URL) to `http(s)://[user:pass@]host:port`; throws RangeError. */
export function normalizeProxyUrl(text: string): string {
  const spec = text.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(spec) ? spec : `http://${spec}`;
  const url = URL.parse(withScheme);
  if (url === null || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new RangeError(`not an http(s) proxy: ${redact(spec)}`);
  }
  if (
    url.hostname === '' ||
    (url.pathname !== '/' && url.pathname !== '') ||
    url.search ||
    url.hash
  ) {
    throw new RangeError(`a proxy is scheme://[user:pass@]host:port, got ${redact(spec)}`);
  }
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  const auth = url.username !== '' || url.password !== '' ? `${url.username}:${url.password}@` : '';
  return `${url.protocol}//${auth}${url.hostname}:${port}`;
}

/** Parses a list in the format of the module header. Duplicates are kept once (the first). */
export function parseProxyList(text: string): ParsedProxyList {
  const trimmed = text.trim();
  const entries: ProxyEntry[] = [];
  const errors: string[] = [];
  const seen = new Set<string>();
  const add = (spec: unknown, tier: unknown, where: string): void => {
    try {
      if (typeof spec !== 'string') throw new RangeError('expected a proxy URL string');
      const t = tier === undefined ? 0 : Number(tier);
      if (!Number.isSafeInteger(t) || t < 0 || t > MAX_TIER) {
        throw new RangeError(`tier must be an integer 0..${MAX_TIER}`);
      }
      const url = normalizeProxyUrl(spec);
      if (seen.has(url)) return;
      seen.add(url);
      entries.push({ url, tier: t });
    } catch (err) {
      errors.push(`${where}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  if (trimmed.startsWith('[')) {
    let items: unknown;
    try {
      items = JSON.parse(trimmed);
    } catch (err) {
      return { entries, errors: [`not valid JSON: ${(err as Error).message}`] };
    }
    (items as unknown[]).forEach((item, i) => {
      if (typeof item === 'object' && item !== null) {
        const { url, tier } = item as { url?: unknown; tier?: unknown };
        add(url, tier, `item ${i}`);
      } else add(item, undefined, `item ${i}`);
    });
    return { entries, errors };
  }
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = /^tier=(\S+)\s+(\S+)$/.exec(line);
    if (m !== null) add(m[2], m[1], `line ${i + 1}`);
    else if (/\s/.test(line)) errors.push(`line ${i + 1}: expected [tier=N] URL`);
    else add(line, undefined, `line ${i + 1}`);
  });
  return { entries, errors };
}

/**
 * The refresh interval in ms: the option (seconds), else PROXY_UPDATE_INTERVAL_SECONDS,
 * else 300 s. Throws RangeError for a value that is not a positive number.
 */
export function proxyUpdateIntervalMs(
  updateIntervalSeconds?: number,
  env: Readonly<Record<string, string | undefined>> = process.env,
): number {
  const fromEnv = env.PROXY_UPDATE_INTERVAL_SECONDS;
  const seconds =
    updateIntervalSeconds ??
    (fromEnv === undefined || fromEnv.trim() === ''
      ? DEFAULT_PROXY_UPDATE_INTERVAL_SECONDS
      : Number(fromEnv));
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new RangeError(`the proxy update interval must be > 0 seconds, got ${String(seconds)}`);
  }
  return seconds * 1000;
}

/** Fetches a provider's list (GET, following redirects, `timeoutMs` for the whole). */
export async function fetchProxyList(url: string, timeoutMs = 30_000): Promise<string> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'follow' });
  } catch (err) {
    throw new TrawlError('network', `proxy list ${redact(url)}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new TrawlError('http_status', `proxy list ${redact(url)}: HTTP ${res.status}`, {
      status: res.status,
    });
  }
  return res.text();
}

export interface ProxyRefresherOptions {
  pool: ProxyPool;
  /** A fixed list (text in the list format, or one proxy per item): loaded once by start(). */
  list?: string | readonly string[];
  /** A provider URL returning a list: loaded by start() and then every interval. */
  url?: string;
  /** @default PROXY_UPDATE_INTERVAL_SECONDS, else 300 */
  updateIntervalSeconds?: number;
  /** Overrides updateIntervalSeconds, in ms (tests). */
  updateIntervalMs?: number;
  /** Deadline of one provider fetch, ms. @default 30000 */
  fetchTimeoutMs?: number;
  /** Called with each load's outcome (after setProxies) and its skipped lines. */
  onUpdate?: (result: ProxySyncResult, skipped: readonly string[]) => void;
  /** Called with each failed load (the pool is left as it was). */
  onError?: (err: Error) => void;
}

/** Loads a pool's list from its source, once or periodically (see the module header). */
export class ProxyRefresher {
  readonly intervalMs: number;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  private stopped = false;

  constructor(private readonly options: ProxyRefresherOptions) {
    if ((options.list === undefined) === (options.url === undefined)) {
      throw new RangeError('a proxy source needs exactly one of list and url');
    }
    this.intervalMs =
      options.updateIntervalMs ?? proxyUpdateIntervalMs(options.updateIntervalSeconds);
    if (!(this.intervalMs > 0)) throw new RangeError('updateIntervalMs must be > 0');
  }

  /** Loads the source once and replaces the pool's list; throws when the load fails. */
  async refresh(): Promise<ProxySyncResult> {
    const { list, url } = this.options;
    const text =
      list !== undefined
        ? typeof list === 'string'
          ? list
          : list.join('\n')
        : await fetchProxyList(url as string, this.options.fetchTimeoutMs);
    const { entries, errors } = parseProxyList(text);
    if (entries.length === 0) {
      const why = errors.length === 0 ? 'it is empty' : errors.slice(0, 3).join('; ');
      throw new TrawlError('parse_failed', `the proxy list has no valid proxy: ${why}`);
    }
    const result = await this.options.pool.setProxies(entries);
    this.options.onUpdate?.(result, errors);
    return result;
  }

  /**
   * Loads the source now (resolving once loaded, or failed: reported to onError) and,
   * for a provider URL, again every interval until stop().
   */
  async start(): Promise<void> {
    await this.tick();
    if (this.options.url !== undefined && !this.stopped) this.schedule();
  }

  /** Stops refreshing; resolves when a load in progress has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.tick().then(() => {
        if (!this.stopped) this.schedule();
      });
    }, this.intervalMs);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    const run = this.refresh().catch((err: unknown) => {
      this.options.onError?.(err instanceof Error ? err : new Error(String(err)));
    });
    this.running = run;
    await run;
    this.running = null;
  }
}

/** A URL or proxy spec with its password replaced, for messages. */
function redact(spec: string): string {
  return spec.replace(/\/\/([^/@:]*):[^/@]*@/, '//$1:***@');
}
