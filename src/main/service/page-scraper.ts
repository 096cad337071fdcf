/**
 * The scrape service of `trawl serve`: one shared HTTP fetcher (undici pools per origin,
 * the service's SSRF guard checking the URL and every redirect hop at connect time),
 * the crawl's own record builder and page parser, and the extract module, so a scraped
 * page reads exactly like the same page in a crawl's results. Parsing runs on the
 * serving thread: one page at a time per request, bounded by the fetcher's body limit.
 */
import { crawlSpecSchema, type CrawlSpec } from '../../config/crawl-spec.js';
import { TrawlError, UsageError, isTrawlError } from '../../core/errors.js';
import type { FetchResponse, ParsedPage } from '../../core/types.js';
import { canonicalize } from '../../core/url/canonicalize.js';
import { isHtml, successRecord } from '../../crawler/page-record.js';
import { cleanHtml } from '../../extract/clean-html.js';
import {
  EXTRACT_FORMATS,
  validateExtractOptions,
  type ExtractFormat,
  type ExtractOptions,
} from '../../extract/extract-fields.js';
import type { ArtifactSaver, Fetcher, FetchOptions } from '../../fetch/fetcher.js';
import { decodeHtml } from '../../parse/charset.js';
import { createParseContext, parsePage } from '../../parse/parse-page.js';
import type {
  MapOptions,
  MappedUrl,
  ScrapeFields,
  ScrapeOptions,
  ScrapeResult,
  ScrapeService,
} from '../../jobs/scrape-service.js';
import { createFetcher } from '../job-parts.js';
import { mapSite } from './site-mapper.js';

/** The longest deadline a scrape may ask for (the runtime config's cap), ms. */
const MAX_DEADLINE_MS = 600_000;

export interface PageScraperOptions {
  /** The service's SSRF guard (TargetPolicy.guard); null only for trusted callers. */
  addressGuard: { allow: string[] } | null;
  /** Sockets kept per origin. @default 32 */
  connectionsPerOrigin?: number;
}

/** Fetch with a deadline: the fetch's own failure, or `timeout` once the deadline passed. */
export type DeadlineFetch = (
  url: string,
  options?: Pick<FetchOptions, 'headers' | 'maxBodyBytes' | 'truncateBody' | 'capture' | 'waitMs'>,
) => Promise<FetchResponse>;

/** A browser capture returned inline, as a data: URL (a scrape stores nothing). */
const inlineArtifact: ArtifactSaver = async (_kind, _url, body, contentType) =>
  `data:${contentType};base64,${body.toString('base64')}`;

export class PageScraper implements ScrapeService {
  private readonly fetcher: Fetcher;
  /** Made on the first scrape that asks for the browser. */
  private browser: Fetcher | null = null;
  readonly spec: CrawlSpec;

  /** Builds the fetcher (no socket opens until the first scrape). */
  constructor(options: PageScraperOptions) {
    // The crawl's defaults (user agent, connect/first-byte/body timeouts, body limit),
    // with the whole-fetch deadline left to each scrape's own.
    this.spec = crawlSpecSchema.parse({
      seeds: ['http://scrape.invalid/'],
      totalTimeoutMs: MAX_DEADLINE_MS,
      concurrency: options.connectionsPerOrigin ?? 32,
      addressGuard: options.addressGuard,
    });
    this.fetcher = createFetcher(this.spec);
  }

  async scrape(url: string, options: ScrapeOptions): Promise<ScrapeResult> {
    const target = canonicalize(url);
    if (target === null) throw new TrawlError('invalid_url', `not a valid http(s) URL: ${url}`);
    const extract = extractOptionsOf(options);
    const browser = options.browser;
    const fetcher = browser === undefined ? this.fetcher : this.browserFetcher();
    const shot = browser?.screenshot ?? null;
    return this.withDeadline(
      options,
      async (fetch) => {
        const res = await fetch(target.href, {
          ...(options.headers ? { headers: options.headers } : {}),
          ...(browser?.waitMs === undefined ? {} : { waitMs: browser.waitMs }),
          ...(shot === null ? {} : { capture: { screenshot: shot } }),
        });
        const result = buildResult(target.href, res, options, extract);
        if (res.artifacts?.screenshot !== undefined) {
          result.fields.screenshot = res.artifacts.screenshot;
        }
        return result;
      },
      fetcher,
    );
  }

  /** The browser engine of scrapes (the service's address guard on every request). */
  private browserFetcher(): Fetcher {
    this.browser ??= createFetcher({ ...this.spec, engine: 'browser' }, undefined, {
      saveArtifact: inlineArtifact,
    });
    return this.browser;
  }

  async map(url: string, options: MapOptions): Promise<MappedUrl[]> {
    const target = canonicalize(url);
    if (target === null) throw new TrawlError('invalid_url', `not a valid http(s) URL: ${url}`);
    return this.withDeadline(options, (fetch) =>
      mapSite(target, options, fetch, this.spec.userAgent),
    );
  }

  async close(): Promise<void> {
    await Promise.all([this.fetcher.close(), this.browser?.close()]);
  }

  /** Runs `work` with a fetch bound to one deadline (and the caller's signal). */
  private async withDeadline<T>(
    options: { timeoutMs: number; signal?: AbortSignal },
    work: (fetch: DeadlineFetch) => Promise<T>,
    fetcher: Fetcher = this.fetcher,
  ): Promise<T> {
    const timeoutMs = Math.min(Math.max(1, Math.floor(options.timeoutMs)), MAX_DEADLINE_MS);
    const deadline = AbortSignal.timeout(timeoutMs);
    const signal =
      options.signal === undefined ? deadline : AbortSignal.any([deadline, options.signal]);
    const fetch: DeadlineFetch = async (u, o = {}) => {
      try {
        return await fetcher.fetch(u, { ...o, signal });
      } catch (err) {
        if (deadline.aborted && isTrawlError(err) && err.code === 'aborted') {
          throw new TrawlError('timeout', `no complete answer within ${timeoutMs} ms`, {
            cause: err,
          });
        }
        throw err;
      }
    };
    return work(fetch);
  }
}

/** The extraction the formats need, checked; undefined when they need none. */
function extractOptionsOf(options: ScrapeOptions): ExtractOptions | undefined {
  const formats = options.formats.filter((f): f is ExtractFormat =>
    (EXTRACT_FORMATS as readonly string[]).includes(f),
  );
  const extract: ExtractOptions = {
    formats,
    onlyMainContent: options.onlyMainContent !== false,
    includeSelectors: options.includeSelectors ?? [],
    excludeSelectors: options.excludeSelectors ?? [],
    images: options.images !== false,
  };
  try {
    validateExtractOptions(extract);
  } catch (err) {
    throw new UsageError((err as Error).message, { cause: err });
  }
  return formats.length === 0 ? undefined : extract;
}

function buildResult(
  url: string,
  res: FetchResponse,
  options: ScrapeOptions,
  extract: ExtractOptions | undefined,
): ScrapeResult {
  const subject = { url, depth: 0, attempts: 0 };
  const failed =
    res.status < 200 || res.status >= 300
      ? { code: 'http_status' as const, message: `HTTP ${res.status}` }
      : null;
  const contentType = res.headers['content-type'] ?? null;
  const fields: ScrapeFields = {};
  if (!isHtml(res)) {
    const record = successRecord(subject, res, null, failed, false);
    if (options.formats.includes('rawHtml') && isTextual(contentType)) {
      fields.rawHtml = decodeHtml(res.body, contentType).text;
    }
    return { record, links: [], fields };
  }
  const ctx = createParseContext({
    linkFilter: { scope: 'any', seedHosts: [], include: [], exclude: [] },
    respectNofollow: false,
    ...(extract === undefined ? {} : { extract }),
  });
  // Unlike a crawl, an error page is extracted too: its content is what the client asked for.
  const parsed: ParsedPage = parsePage({ url: res.finalUrl, body: res.body, contentType }, ctx);
  const record = successRecord(subject, res, parsed, failed, false);
  delete record.fields; // returned beside the record, with html and rawHtml
  Object.assign(fields, parsed.fields ?? {});
  const wantsHtml = options.formats.includes('html');
  if (wantsHtml || options.formats.includes('rawHtml')) {
    const text = decodeHtml(res.body, contentType).text;
    if (options.formats.includes('rawHtml')) fields.rawHtml = text;
    if (wantsHtml) {
      fields.html = cleanHtml(text, res.finalUrl, {
        onlyMainContent: options.onlyMainContent !== false,
        includeSelectors: options.includeSelectors ?? [],
        excludeSelectors: options.excludeSelectors ?? [],
      });
    }
  }
  return { record, links: parsed.links, fields };
}

function isTextual(contentType: string | null): boolean {
  if (contentType === null) return false;
  const t = contentType.toLowerCase();
  return t.startsWith('text/') || /[/+](json|xml|javascript)\b/.test(t);
}
