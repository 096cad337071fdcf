/**
 * The parts of a crawl built from its spec, the same way in both modes: the frontier's
 * job-wide settings, the loop's options, the HTTP engine and the parser pool. Only the
 * storage around them differs (embedded-crawl.ts, the distributed worker).
 */
import { availableParallelism } from 'node:os';
import type { CrawlSpec } from '../config/crawl-spec.js';
import type { FetchResponse } from '../core/types.js';
import { UsageError } from '../core/errors.js';
import { canonicalize, type CanonicalUrl } from '../core/url/canonicalize.js';
import type { LinkFilterSpec } from '../core/url/link-filter.js';
import type { CrawlerOptions } from '../crawler/crawler.js';
import type { Logger } from 'pino';
import { MemoryProxyPool } from '../antiblock/proxy/memory-proxy-pool.js';
import type { ProxyPool } from '../antiblock/proxy/proxy-pool.js';
import { AutoFetcher, type DocumentSignals } from '../fetch/auto/auto-fetcher.js';
import { BrowserFetcher } from '../fetch/browser/browser-fetcher.js';
import { findChromium } from '../fetch/browser/browser-pool.js';
import type { ArtifactSaver, Fetcher, PageCapture } from '../fetch/fetcher.js';
import { HttpFetcher } from '../fetch/http/http-fetcher.js';
import type { FrontierSettings } from '../frontier/frontier.js';
import { robotsAgentToken } from '../frontier/robots/agent-token.js';
import { decodeHtml } from '../parse/charset.js';
import { InlinePageParser } from '../parse/inline-page-parser.js';
import { looksLikeShell, pageSignals } from '../parse/page-signals.js';
import type { PageParser, PageParserOptions } from '../parse/page-parser.js';
import { WorkerPageParser } from '../parse/worker-page-parser.js';
import {
  withAntiBlocking,
  type AntiBlockingParts,
  type ProxyPoolFactory,
} from './anti-blocking.js';
import { extractOptions } from './job-pipeline.js';

/** robots.txt answers are used this long before a refetch (RFC 9309 suggests 24 h at most). */
const ROBOTS_MAX_AGE_MS = 86_400_000;

/** Parses the seeds, failing with every bad one named. */
export function canonicalSeeds(seeds: string[], sortQuery: boolean): CanonicalUrl[] {
  const bad: string[] = [];
  const out: CanonicalUrl[] = [];
  for (const seed of seeds) {
    const url = canonicalize(seed, undefined, { sortQuery });
    if (url === null) bad.push(seed);
    else out.push(url);
  }
  if (bad.length > 0) {
    throw new UsageError(
      `not a valid http(s) URL: ${bad.map((b) => JSON.stringify(b)).join(', ')} (did you forget "https://"?)`,
    );
  }
  return out;
}

/** The origins ("scheme://host[:port]") of the seeds, once each. */
export function seedOrigins(seeds: CanonicalUrl[]): string[] {
  return [...new Set(seeds.map((s) => `${s.protocol}//${s.host}`))];
}

/** The link filter of a distributed job: scope from its seeds' hosts. */
export function jobLinkFilter(spec: CrawlSpec, seeds: CanonicalUrl[]): LinkFilterSpec {
  return {
    scope: spec.scope,
    seedHosts: [...new Set(seeds.map((s) => s.host))],
    include: spec.include,
    exclude: spec.exclude,
  };
}

export function frontierSettings(spec: CrawlSpec): FrontierSettings {
  return {
    delayMs: spec.delayMs,
    hostConcurrency: spec.hostConcurrency ?? (spec.delayMs > 0 ? 1 : spec.concurrency),
    concurrency: spec.concurrency,
    maxPages: spec.maxPages,
    robots: spec.robots,
    robotsAgent: robotsAgentToken(spec.userAgent),
    robotsMaxAgeMs: ROBOTS_MAX_AGE_MS,
    robotsRetryMs: spec.robotsRetryMs,
    robotsMaxRetries: spec.maxRetries,
    leaseMs: spec.leaseMs,
  };
}

/**
 * @param concurrency leases this loop keeps in flight: the job's own in the embedded
 *   mode; a worker's share in the distributed one.
 * @param idlePollMs how often an idle loop asks the frontier again (other workers'
 *   commits can add work only the frontier sees).
 */
export function crawlerOptions(
  spec: CrawlSpec,
  concurrency: number,
  idlePollMs: number,
): CrawlerOptions {
  return {
    concurrency,
    maxDepth: spec.maxDepth,
    storeBody: spec.storeBody,
    sortQuery: spec.sortQuery,
    maxRedirects: spec.maxRedirects,
    idlePollMs,
    engine: spec.engine,
    maxRetries: spec.maxRetries,
    retryBaseMs: spec.retryBaseMs,
    retryMaxMs: spec.retryMaxMs,
    maxRetryAfterMs: spec.maxRetryAfterMs,
  };
}

/**
 * The job's engine: the HTTP fetcher, the browser (Chromium) fetcher, or both behind the
 * auto engine (HTTP first, the browser where rendering is measured to matter).
 */
export function createFetcher(
  spec: CrawlSpec,
  onEngineDecision?: (message: string) => void,
  anti: FetcherServices = {},
): Fetcher {
  const capture = pageCapture(spec);
  if (capture !== undefined && spec.engine === 'http') {
    throw new UsageError(
      'screenshots, PDFs and error screenshots are made by the browser: use engine browser or auto',
    );
  }
  if (capture !== undefined && anti.saveArtifact === undefined) {
    throw new Error(
      'a job that captures pages needs a place for them (FetcherServices.saveArtifact)',
    );
  }
  const http = createHttpFetcher(spec);
  const parts = (engine: 'http' | 'browser' | 'auto'): AntiBlockingParts => ({
    captcha: engine !== 'browser',
    ...(engine === 'http' ? {} : { browsers: CHROMIUM_BROWSERS }),
    http,
    makeProxyPool: anti.makeProxyPool ?? ((options) => new MemoryProxyPool(options)),
    log: anti.log,
    onProxyPool: anti.onProxyPool,
  });
  if (spec.engine === 'http') return withAntiBlocking(spec, http, parts('http'));
  // The one setting of the engine that belongs to the machine, not the job.
  const executablePath = findChromium(process.env.TRAWL_CHROMIUM_PATH);
  if (executablePath === null) {
    throw new UsageError(
      `the ${spec.engine} engine needs Chromium: apt-get install chromium (or set TRAWL_CHROMIUM_PATH)`,
    );
  }
  const browser = new BrowserFetcher({
    http,
    executablePath,
    userAgent: spec.userAgent,
    // Each page is a renderer process: a few at once, whatever the job's concurrency.
    maxPages: Math.min(spec.concurrency, BROWSER_PAGES),
    totalTimeoutMs: spec.totalTimeoutMs,
    waitUntil: spec.browserWaitUntil,
    waitForSelector: spec.browserWaitForSelector,
    waitMs: spec.browserWaitMs,
    maxBodyBytes: spec.maxBodyBytes,
    addressGuard: spec.addressGuard,
    viewport: spec.browserViewport,
    // A screenshot or a PDF shows the page as a visitor sees it: images and fonts load.
    ...(spec.screenshot !== 'none' || spec.pdf ? { blockResources: ['media'] } : {}),
    ...(capture === undefined ? {} : { capture }),
    ...(anti.saveArtifact === undefined ? {} : { saveArtifact: anti.saveArtifact }),
    ...(anti.log === undefined
      ? {}
      : {
          onArtifactError: (url: string, kind: string, err: unknown) =>
            anti.log?.warn({ url, kind, err: (err as Error).message }, 'artifact not stored'),
        }),
  });
  // Anti-blocking around the whole engine: a session's header set, cookies and proxy
  // apply to the HTTP requests and to the browser's (its context: browser-fetcher.ts), and
  // a block page is judged on what the crawl keeps (the rendered page, when rendered).
  if (spec.engine === 'browser') return withAntiBlocking(spec, browser, parts('browser'));
  const auto = new AutoFetcher({
    http,
    browser,
    inspect: documentSignals,
    ...(onEngineDecision === undefined
      ? {}
      : {
          onDecision: (d) =>
            onEngineDecision(`engine auto: ${d.pattern} → ${d.mode} (${d.reason}; at ${d.url})`),
        }),
  });
  return withAntiBlocking(spec, auto, parts('auto'));
}

/** A session rendered by Chromium poses as a Chromium browser. */
const CHROMIUM_BROWSERS = ['chrome', 'edge'] as const;

/** What the job asks the browser to capture of its pages; undefined: nothing. */
function pageCapture(spec: CrawlSpec): PageCapture | undefined {
  if (spec.screenshot === 'none' && !spec.pdf && !spec.errorScreenshots) return undefined;
  return { screenshot: spec.screenshot, pdf: spec.pdf, errorScreenshot: spec.errorScreenshots };
}

/**
 * Where a job's anti-blocking keeps its proxy pool, whom it tells, and where its
 * artifacts go.
 */
export interface FetcherServices {
  /** Stores the job's screenshots and PDFs (jobArtifacts); required when it makes any. */
  saveArtifact?: ArtifactSaver;
  /** @default an in-process pool */
  makeProxyPool?: ProxyPoolFactory;
  log?: Pick<Logger, 'info' | 'warn'>;
  onProxyPool?: (pool: ProxyPool) => void;
}

/** What the auto engine compares of a document (parse/page-signals.ts). */
function documentSignals(res: FetchResponse): DocumentSignals {
  const signals = pageSignals(
    decodeHtml(res.body, res.headers['content-type'] ?? null).text,
    res.finalUrl,
  );
  return { textChars: signals.textChars, links: signals.links, shell: looksLikeShell(signals) };
}

function createHttpFetcher(spec: CrawlSpec): HttpFetcher {
  return new HttpFetcher({
    userAgent: spec.userAgent,
    connectTimeoutMs: spec.connectTimeoutMs,
    headersTimeoutMs: spec.firstByteTimeoutMs,
    bodyTimeoutMs: spec.bodyTimeoutMs,
    totalTimeoutMs: spec.totalTimeoutMs,
    maxBodyBytes: spec.maxBodyBytes,
    maxRedirects: spec.maxRedirects,
    connectionsPerOrigin: Math.min(spec.concurrency, 256),
    addressGuard: spec.addressGuard,
  });
}

/** Browser pages open at once per crawl process (each is a renderer process). */
const BROWSER_PAGES = 4;

/** Jobs of at most this many pages parse on the main thread (see createParser). */
const SMALL_JOB_PAGES = 100;

export function createParser(spec: CrawlSpec, linkFilter: LinkFilterSpec): PageParser {
  const options: PageParserOptions = {
    linkFilter,
    respectNofollow: spec.respectNofollow,
    sortQuery: spec.sortQuery,
    // The crawler adds every link it asks for, so links already returned can be
    // dropped before they cross the thread boundary.
    dedupLinks: true,
  };
  const extract = extractOptions(spec);
  if (extract !== undefined) options.extract = extract;
  // A plain crawl's parse is ~a third of a page's CPU: one core is left to the main thread.
  // With extraction the parse threads do most of the work (a page tree per page): one each.
  // A small job (a few pages: API scrapes, batch scrapes, S1 tasks) parses inline: starting
  // the thread pool costs ~400 ms, more than parsing its pages on the main thread.
  const small =
    (spec.maxPages !== null && spec.maxPages <= SMALL_JOB_PAGES) ||
    (spec.maxDepth === 0 && spec.seeds.length <= SMALL_JOB_PAGES && !spec.sitemaps);
  const workers =
    spec.parseWorkers ??
    (small
      ? 0
      : extract === undefined
        ? Math.max(1, availableParallelism() - 1)
        : availableParallelism());
  return workers === 0
    ? new InlinePageParser(options)
    : new WorkerPageParser({ ...options, workers });
}
