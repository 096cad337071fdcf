/**
 * A Firecrawl crawl or batch-scrape request as a Trawl job: the crawl spec it maps to
 * (then checked by clientSpec like any client's spec, so the SSRF guard and URL checks
 * apply) and what the job keeps in `meta.firecrawl` (the formats and content options
 * its documents are built with, the request for /crawl/active). docs/firecrawl.md has
 * the table of options.
 */
import { canonicalize } from '../../../core/url/canonicalize.js';
import type { ApiSettings, TargetPolicy } from '../../app-deps.js';
import { ApiError } from '../../api-error.js';
import { checkTarget, checkUrlCount } from '../../client-spec.js';
import type { BatchBody, CrawlBodyV1, CrawlBodyV2 } from './firecrawl-schemas.js';
import { pathRegex, underPath } from './path-patterns.js';
import { resolveScrapeOptions, type ResolvedScrapeOptions } from './scrape-options.js';

export type FirecrawlVersion = 'v1' | 'v2';

/** `meta.firecrawl` of a job made through the Firecrawl API. */
export interface FirecrawlJobMeta {
  version: FirecrawlVersion;
  /** The crawl's start URL (batch: the first URL). */
  url: string;
  formats: ResolvedScrapeOptions['formats'];
  onlyMainContent: boolean;
  includeTags: string[];
  excludeTags: string[];
  /** The request's options, for /crawl/active. */
  options: Record<string, unknown>;
}

export interface FirecrawlJobRequest {
  spec: Record<string, unknown>;
  /** `meta.firecrawl` (the route adds `meta.webhook`). */
  firecrawl: FirecrawlJobMeta;
  /** Batch: the URLs left out (ignoreInvalidURLs). */
  invalidURLs?: string[];
}

/** Firecrawl's default page budget of a crawl. */
const DEFAULT_LIMIT = 10_000;

export function crawlRequest(
  body: CrawlBodyV2 | CrawlBodyV1,
  version: FirecrawlVersion,
  targets: TargetPolicy,
): FirecrawlJobRequest {
  const refuse = (key: string, why: string): never => {
    throw new ApiError('unsupported_option', `body.${key}: ${why}`, { field: `body.${key}` });
  };
  const v1 = version === 'v1' ? (body as CrawlBodyV1) : null;
  const v2 = version === 'v2' ? (body as CrawlBodyV2) : null;
  const seed = canonicalize(body.url);
  if (seed === null) {
    throw new ApiError('invalid_request', 'body.url: not a valid http(s) URL', {
      field: 'body.url',
    });
  }
  checkTarget(targets, body.url, 'body.url');
  if (body.prompt) refuse('prompt', 'natural-language crawl options need a language model');
  if (body.ignoreQueryParameters === true) {
    refuse(
      'ignoreQueryParameters',
      'Trawl keeps query strings in URLs (it sorts them; see docs/url-policy.md) and cannot drop them while crawling; exclude query URLs with excludePaths and regexOnFullURL instead',
    );
  }
  if (body.robotsUserAgent)
    refuse('robotsUserAgent', "robots.txt is read for Trawl's own user agent");
  if (body.zeroDataRetention === true) {
    refuse(
      'zeroDataRetention',
      'a job keeps its results until deleted: there is no zero-retention mode',
    );
  }

  const scrape = resolveScrapeOptions(body.scrapeOptions, 'body.scrapeOptions');
  const onFullUrl = body.regexOnFullURL === true;
  const patterns = (list: string[] | null | undefined, key: string): string[] =>
    (list ?? []).map((src, i) => {
      try {
        new RegExp(src);
      } catch (err) {
        const at = `body.${key}.${i}`;
        throw new ApiError(
          'invalid_request',
          `${at}: invalid regular expression: ${(err as Error).message}`,
          {
            field: at,
          },
        );
      }
      return onFullUrl ? src : pathRegex(src);
    });
  const include = patterns(body.includePaths, 'includePaths');
  const exclude = patterns(body.excludePaths, 'excludePaths');
  // Firecrawl's default: only pages under the start URL's path.
  const entireDomain = body.crawlEntireDomain ?? v1?.allowBackwardLinks ?? false;
  if (!entireDomain) {
    const rule = underPath(seed);
    if (rule !== null) exclude.push(rule);
  }
  const sitemap = v2?.sitemap ?? (v1?.ignoreSitemap === true ? 'skip' : 'include');
  const maxDepth = v1?.maxDepth ?? body.maxDiscoveryDepth ?? null;
  const spec: Record<string, unknown> = {
    ...jobSpec(scrape, body.maxConcurrency, 'body.scrapeOptions.headers'),
    seeds: [body.url],
    maxPages: body.limit ?? DEFAULT_LIMIT,
    // 'only': the start page and the sitemap's URLs, no link followed.
    maxDepth: sitemap === 'only' ? 0 : maxDepth,
    scope: body.allowExternalLinks ? 'any' : body.allowSubdomains ? 'domain' : 'host',
    include,
    exclude,
    sitemaps: sitemap !== 'skip',
    robots: body.ignoreRobotsTxt !== true,
  };
  if (body.delay !== null && body.delay !== undefined) spec.delayMs = Math.round(body.delay * 1000);
  const { webhook: _w, origin: _o, ...options } = body as Record<string, unknown>;
  return { spec, firecrawl: jobMeta(version, body.url, scrape, options) };
}

export function batchRequest(
  body: BatchBody,
  version: FirecrawlVersion,
  targets: TargetPolicy,
  settings: ApiSettings,
): FirecrawlJobRequest {
  checkUrlCount(settings, body.urls.length, 'body.urls');
  if (body.appendToId) {
    throw new ApiError(
      'unsupported_option',
      'body.appendToId: a batch cannot be added to an existing job',
      {
        field: 'body.appendToId',
      },
    );
  }
  if (body.zeroDataRetention === true) {
    throw new ApiError(
      'unsupported_option',
      'body.zeroDataRetention: a job keeps its results until deleted',
      {
        field: 'body.zeroDataRetention',
      },
    );
  }
  const scrape = resolveScrapeOptions(body, 'body');
  const urls: string[] = [];
  const invalidURLs: string[] = [];
  body.urls.forEach((url, i) => {
    try {
      if (canonicalize(url) === null) {
        throw new ApiError('invalid_request', `body.urls.${i}: not a valid http(s) URL`, {
          field: `body.urls.${i}`,
        });
      }
      checkTarget(targets, url, `body.urls.${i}`);
      urls.push(url);
    } catch (err) {
      if (body.ignoreInvalidURLs !== true) throw err;
      invalidURLs.push(url);
    }
  });
  if (urls.length === 0) {
    throw new ApiError('invalid_request', 'body.urls: no valid URL to scrape', {
      field: 'body.urls',
    });
  }
  const spec: Record<string, unknown> = {
    ...jobSpec(scrape, body.maxConcurrency, 'body.headers'),
    seeds: urls,
    maxDepth: 0,
    scope: 'any',
    sitemaps: false,
    // A batch is N scrapes the client named, not a crawl discovering pages: robots.txt
    // (which is about automated discovery) is not consulted, as for /scrape.
    robots: false,
    delayMs: 0,
  };
  const { webhook: _w, origin: _o, urls: _u, ...options } = body as Record<string, unknown>;
  return {
    spec,
    firecrawl: jobMeta(version, urls[0]!, scrape, { ...options, urls: urls.length }),
    ...(body.ignoreInvalidURLs === true ? { invalidURLs } : {}),
  };
}

/** The spec fields the scrape options set, for crawls and batches alike. */
function jobSpec(
  scrape: ResolvedScrapeOptions,
  maxConcurrency: number | null | undefined,
  headersField: string,
): Record<string, unknown> {
  const spec: Record<string, unknown> = {
    // Metadata always: it fills every document's metadata (title, description, language…).
    extract: {
      formats: [
        ...(scrape.formats.includes('markdown') ? ['markdown'] : []),
        'metadata',
        ...(scrape.formats.includes('links') ? ['links'] : []),
      ],
      onlyMainContent: scrape.onlyMainContent,
      includeSelectors: scrape.includeTags,
      excludeSelectors: scrape.excludeTags,
    },
    // html is made from the stored body when a status page is read; rawHtml is the body.
    storeBody: scrape.formats.includes('html') || scrape.formats.includes('rawHtml'),
  };
  if (scrape.browser) {
    // Rendered in the browser, each page's screenshot stored where the service keeps them.
    spec.engine = 'browser';
    if (scrape.screenshot !== null) spec.screenshot = scrape.screenshot;
    if (scrape.waitMs > 0) spec.browserWaitMs = scrape.waitMs;
  }
  if (maxConcurrency !== null && maxConcurrency !== undefined) spec.concurrency = maxConcurrency;
  if (scrape.timeoutMs !== undefined) spec.totalTimeoutMs = scrape.timeoutMs;
  const headers = scrape.headers ?? {};
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() === 'user-agent') spec.userAgent = value;
    else {
      throw new ApiError(
        'unsupported_option',
        `${headersField}.${name}: a job's requests carry no custom headers; only User-Agent can be set`,
        { field: `${headersField}.${name}` },
      );
    }
  }
  return spec;
}

function jobMeta(
  version: FirecrawlVersion,
  url: string,
  scrape: ResolvedScrapeOptions,
  options: Record<string, unknown>,
): FirecrawlJobMeta {
  return {
    version,
    url,
    formats: scrape.formats,
    onlyMainContent: scrape.onlyMainContent,
    includeTags: scrape.includeTags,
    excludeTags: scrape.excludeTags,
    options,
  };
}
