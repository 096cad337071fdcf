/**
 * A sitemaps lease: walk an origin's sitemaps (the `Sitemap:` lines of its robots.txt,
 * else /sitemap.xml), each file requested the host's delay after the previous one, and
 * commit the in-scope page URLs found (depth 1, as if the seed linked to them).
 */
import { canonicalize } from '../core/url/canonicalize.js';
import type { DiscoveredLink } from '../core/types.js';
import type { Lease } from '../frontier/frontier.js';
import { discoverSitemapUrls, type SitemapFetchOptions } from '../frontier/sitemaps.js';
import { commitOne, ContactSpacer, type TaskContext } from './task-context.js';

export async function runSitemapsTask(ctx: TaskContext, lease: Lease): Promise<void> {
  const origin = lease.url;
  const spacer = new ContactSpacer(ctx, lease.hostDelayMs);
  const found = await discoverSitemapUrls({
    origin,
    robotsSitemaps: lease.sitemaps,
    fetch: async (url: string, options?: SitemapFetchOptions) => {
      await spacer.beforeNext();
      try {
        return await ctx.fetcher.fetch(url, {
          ...options,
          resource: 'file',
          signal: ctx.signal,
          onRedirect: async (): Promise<'follow'> => {
            spacer.ended();
            await spacer.beforeNext();
            return 'follow';
          },
        });
      } finally {
        spacer.ended();
      }
    },
  });
  if (ctx.signal.aborted) {
    await commitOne(ctx, { kind: 'release', token: lease.token });
    return;
  }
  const links: DiscoveredLink[] = [];
  for (const raw of found) {
    const url = canonicalize(raw, undefined, { sortQuery: ctx.options.sortQuery });
    if (url === null || !ctx.linkFilter(url)) continue;
    links.push({ url: url.href, host: url.host, depth: 1, priority: -1 });
  }
  const result = await commitOne(ctx, {
    kind: 'sitemaps',
    token: lease.token,
    links,
    contactAgoMs: spacer.contactAgoMs(),
  });
  if (result.accepted) ctx.log.info({ origin, found: found.length }, 'sitemap seeds');
}
