/**
 * An incremental recrawl's start, the same in both modes: every page its baseline job
 * stored is queued again at the depth it was found at, so pages reached only through an
 * unchanged page (a 304 has no body, hence no links) are still visited, and a page the
 * site no longer links to is still checked (and reported gone).
 */
import type { CrawlSpec } from '../config/crawl-spec.js';
import { canonicalize } from '../core/url/canonicalize.js';
import type { LinkFilter } from '../core/url/link-filter.js';
import type { DiscoveredLink } from '../core/types.js';
import type { PageStore } from '../storage/page-store.js';

/** Links per frontier add (one Redis script call, one SQLite transaction). */
const BATCH = 1_000;

/**
 * Adds the baseline's pages through `add` (a frontier's add: known URLs are skipped, so
 * doing it again after a restart adds nothing twice); resolves to how many were new.
 * Pages the spec would not reach (deeper than maxDepth; out of scope, unless a seed of
 * the baseline) are left out.
 */
export async function queueBaselinePages(
  spec: CrawlSpec,
  baseline: PageStore,
  linkFilter: LinkFilter,
  add: (links: DiscoveredLink[]) => Promise<number>,
): Promise<number> {
  let batch: DiscoveredLink[] = [];
  let added = 0;
  for await (const page of baseline.scanUrls(BATCH)) {
    if (spec.maxDepth !== null && page.depth > spec.maxDepth) continue;
    const url = canonicalize(page.url, undefined, { sortQuery: spec.sortQuery });
    if (url === null || (page.depth > 0 && !linkFilter(url))) continue;
    batch.push({ url: url.href, host: url.host, depth: page.depth, priority: -page.depth });
    if (batch.length === BATCH) {
      added += await add(batch);
      batch = [];
    }
  }
  if (batch.length > 0) added += await add(batch);
  return added;
}
