/**
 * Sitemap discovery (sitemaps.org protocol): the page URLs a site lists, to seed a
 * crawl. Follows sitemap indexes breadth-first, bounded in files, URLs and bytes.
 */
import type { FetchResponse } from '../core/types.js';
import { canonicalize } from '../core/url/canonicalize.js';
import { parseSitemap } from './sitemap/parse-sitemap.js';

/** The part of the fetcher's options sitemap fetching uses (fetch/fetcher.ts FetchOptions). */
export interface SitemapFetchOptions {
  maxBodyBytes?: number;
  truncateBody?: boolean;
}

/** A fetcher's `fetch`: resolves with any status, throws TrawlError on failure. */
export type SitemapFetch = (url: string, options?: SitemapFetchOptions) => Promise<FetchResponse>;

export interface DiscoverSitemapOptions {
  /** "scheme://host[:port]" of the site; `/sitemap.xml` there is used when robots.txt lists none. */
  origin: string;
  /** Sitemap URLs from robots.txt (RobotsPolicy.sitemaps). @default [] */
  robotsSitemaps?: readonly string[];
  fetch: SitemapFetch;
  /** Page URLs returned at most. @default 50_000 */
  maxUrls?: number;
  /** Sitemap files (indexes included) fetched at most. @default 50 */
  maxSitemaps?: number;
  /**
   * Bytes read per sitemap file, after gunzip (the protocol's own limit is 50 MiB); a
   * longer file contributes the URLs before the cut. @default 52_428_800 (50 MiB)
   */
  maxBytes?: number;
}

/**
 * The page URLs listed by the sitemaps of `origin`, in document order, without exact
 * duplicates, as the raw strings found (entity-decoded and trimmed; the caller
 * canonicalizes and scope-filters them). Sitemaps that fail to fetch, answer non-2xx or
 * do not parse are skipped; an index that lists itself or an ancestor is not read twice.
 */
export async function discoverSitemapUrls(options: DiscoverSitemapOptions): Promise<string[]> {
  const maxUrls = options.maxUrls ?? 50_000;
  const maxSitemaps = options.maxSitemaps ?? 50;
  const maxBytes = options.maxBytes ?? 52_428_800;
  const sources = options.robotsSitemaps?.length
    ? options.robotsSitemaps
    : [`${options.origin}/sitemap.xml`];

  const pages = new Set<string>();
  const seen = new Set<string>();
  const queue: string[] = [];
  const enqueue = (raw: string, base: string): void => {
    // No point knowing more files than will ever be fetched (an index may list 50,000).
    if (seen.size >= maxSitemaps) return;
    const href = canonicalize(raw, base, { sortQuery: false })?.href;
    if (href !== undefined && !seen.has(href)) {
      seen.add(href);
      queue.push(href);
    }
  };
  for (const s of sources) enqueue(s, options.origin);

  // Indexes are read breadth-first, so the files named first (robots.txt order, index
  // order) are the ones read when maxSitemaps cuts the walk short.
  for (let fetched = 0; fetched < maxSitemaps && pages.size < maxUrls; fetched++) {
    const url = queue.shift();
    if (url === undefined) break;
    let response: FetchResponse;
    try {
      response = await options.fetch(url, { maxBodyBytes: maxBytes, truncateBody: true });
    } catch {
      continue;
    }
    if (response.status < 200 || response.status >= 300) continue;
    await parseSitemap(response.body, {
      maxBytes,
      onLoc: (kind, loc) => {
        if (kind === 'sitemap') {
          enqueue(loc, response.finalUrl);
          return true;
        }
        pages.add(loc);
        return pages.size < maxUrls;
      },
    });
  }
  return [...pages];
}
