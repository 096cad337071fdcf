/**
 * The scrape service port: one URL fetched and extracted now, within a deadline, for the
 * synchronous endpoints (Trawl's `/trawl/v1/scrape`, Firecrawl's `/v2/scrape` and
 * `/v2/map`). Unlike a job, nothing is queued or stored: the answer is the page's record
 * (the same record a crawl stores) and the formats asked for. The implementation (in
 * src/main) fetches through the service's guarded fetcher, so the SSRF guard applies to
 * every hop; failures are thrown as TrawlError with a stable code (timeout, network,
 * blocked_address, too_large…).
 */
import type { PageRecord } from '../core/types.js';

/**
 * What a scrape can return besides the record. markdown, text, metadata, structured and
 * links are the crawl's extraction formats; html is the cleaned HTML of the content the
 * Markdown is made from; rawHtml the decoded body as received.
 */
export type ScrapeFormat =
  'markdown' | 'html' | 'rawHtml' | 'links' | 'metadata' | 'text' | 'structured';

export const SCRAPE_FORMATS: readonly ScrapeFormat[] = [
  'markdown',
  'html',
  'rawHtml',
  'links',
  'metadata',
  'text',
  'structured',
];

export interface ScrapeOptions {
  formats: readonly ScrapeFormat[];
  /** Markdown, text and html of the main content only. @default true */
  onlyMainContent?: boolean;
  /** CSS selectors: render only matching elements. */
  includeSelectors?: readonly string[];
  /** CSS selectors: leave matching elements out. */
  excludeSelectors?: readonly string[];
  /** Keep images in Markdown. @default true */
  images?: boolean;
  /** Extra request headers (already checked: no Host, no hop-by-hop headers). */
  headers?: Record<string, string>;
  /** Deadline of the whole scrape (redirects and body included), ms. */
  timeoutMs: number;
  /** The client went away: stop. */
  signal?: AbortSignal;
  /**
   * Load the page in the browser (its scripts run): after a pause (waitMs, within the
   * deadline), with a screenshot (PNG, returned as a data: URL in fields.screenshot).
   * Absent: the HTTP engine.
   */
  browser?: { waitMs?: number; screenshot?: 'viewport' | 'fullPage' | null };
}

/** The fields of a scrape, as a crawl record's `fields` (plus html and rawHtml). */
export interface ScrapeFields {
  markdown?: string;
  text?: string;
  html?: string;
  rawHtml?: string;
  /** See src/extract/metadata.ts PageMetadata. */
  metadata?: Record<string, unknown>;
  structured?: unknown;
  /** Every `<a href>`, absolute, with its text (src/extract/links.ts). */
  links?: { url: string; text: string; rel: string | null }[];
  /** Extraction statistics (src/extract/extract-fields.ts ExtractionStats). */
  extraction?: Record<string, unknown>;
  /** Why the extraction failed (the record's title and status stand). */
  extractionError?: string;
  /** The page's screenshot as a `data:image/png;base64,…` URL (options.browser.screenshot). */
  screenshot?: string;
}

export interface ScrapeResult {
  /** The page's record, as a crawl stores it (body not kept); `fields` left unset. */
  record: PageRecord;
  /** Out-links, canonical and deduplicated (what a crawl would follow). */
  links: string[];
  fields: ScrapeFields;
}

export interface MapOptions {
  /** include: the page's links and the sitemaps; skip: the page only; only: the sitemaps only. */
  sitemap: 'include' | 'skip' | 'only';
  /** Keep URLs of subdomains of the URL's host (else the host only). */
  includeSubdomains: boolean;
  /** Drop query strings (URLs differing only by query become one). */
  ignoreQueryParameters: boolean;
  /** Keep only URLs whose URL or title contains a word of this, best matches first. */
  search?: string;
  /** Most URLs returned. */
  limit: number;
  /** Deadline of the whole map (page, robots.txt, sitemaps), ms. */
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface MappedUrl {
  url: string;
  /** The link's text on the page, when the URL was found there. */
  title?: string;
}

export interface ScrapeService {
  /**
   * Fetches `url` (following redirects, each hop guarded) and extracts `options.formats`.
   * A 4xx/5xx answer is a result (record.status says which), not an error.
   * @throws TrawlError on fetch failure (code timeout when the deadline passed), UsageError
   *   for an invalid selector
   */
  scrape(url: string, options: ScrapeOptions): Promise<ScrapeResult>;
  /** The URLs of a site from its page and its sitemaps, found within the deadline. */
  map(url: string, options: MapOptions): Promise<MappedUrl[]>;
  /** Closes the connection pools. */
  close(): Promise<void>;
}
