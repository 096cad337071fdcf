/** `--sitemaps`: seeds the frontier from the sitemaps of the seeds' origins. */
import type { Logger } from 'pino';
import { canonicalize, type CanonicalUrl } from '../core/url/canonicalize.js';
import type { LinkFilter } from '../core/url/link-filter.js';
import type { DiscoveredLink } from '../core/types.js';
import type { RobotsSource } from '../crawler/robots-source.js';
import type { Fetcher } from '../fetch/fetcher.js';
import type { Frontier } from '../frontier/frontier.js';
import { discoverSitemapUrls } from '../frontier/sitemaps.js';

export interface SitemapSeedOptions {
  seeds: CanonicalUrl[];
  frontier: Frontier;
  fetcher: Fetcher;
  robots: RobotsSource | null;
  linkFilter: LinkFilter;
  sortQuery: boolean;
  log: Logger;
}

/** Returns how many new URLs the sitemaps added (at depth 1). */
export async function seedFromSitemaps(options: SitemapSeedOptions): Promise<number> {
  const origins = new Map<string, CanonicalUrl>();
  for (const seed of options.seeds) origins.set(`${seed.protocol}//${seed.host}`, seed);
  let added = 0;
  for (const origin of origins.keys()) {
    let robotsSitemaps: readonly string[] = [];
    if (options.robots !== null) {
      robotsSitemaps = (await options.robots.get(origin)).sitemaps;
    }
    const found = await discoverSitemapUrls({
      origin,
      robotsSitemaps: [...robotsSitemaps],
      fetch: (url, o) => options.fetcher.fetch(url, o),
    });
    const links: DiscoveredLink[] = [];
    for (const raw of found) {
      const url = canonicalize(raw, undefined, { sortQuery: options.sortQuery });
      if (url === null || !options.linkFilter(url)) continue;
      links.push({ url: url.href, host: url.host, depth: 1, priority: -1 });
    }
    added += await options.frontier.add(links);
    options.log.info({ origin, found: found.length, added }, 'sitemap seeds');
  }
  return added;
}
