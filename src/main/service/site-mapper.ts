/**
 * A site's URLs found now, for Firecrawl's `/map`: the links of its page and the URLs its
 * sitemaps list (robots.txt `Sitemap:` lines, else /sitemap.xml; indexes followed), all
 * fetched through the scrape service's guarded fetcher within one deadline. Best effort
 * like the crawl's sitemap seeding: a sitemap that fails or times out is skipped, and
 * what was found before the deadline is returned; only a map that found nothing fails.
 */
import { DEFAULT_USER_AGENT } from '../../config/crawl-spec.js';
import { isTrawlError } from '../../core/errors.js';
import { canonicalize, type CanonicalUrl } from '../../core/url/canonicalize.js';
import { isHtml } from '../../crawler/page-record.js';
import { robotsAgentToken } from '../../frontier/robots/agent-token.js';
import { createRobotsPolicy } from '../../frontier/robots/robots-policy.js';
import { discoverSitemapUrls } from '../../frontier/sitemaps.js';
import type { MapOptions, MappedUrl } from '../../jobs/scrape-service.js';
import { createParseContext, parsePage } from '../../parse/parse-page.js';
import type { DeadlineFetch } from './page-scraper.js';

/** Sitemap URLs read at most, whatever the limit (a search filters after reading). */
const MAX_SITEMAP_URLS = 100_000;
const MAX_SITEMAP_FILES = 50;
/** robots.txt read at most (RFC 9309 asks parsers for at least 500 KiB). */
const ROBOTS_MAX_BYTES = 512 * 1024;

export async function mapSite(
  target: CanonicalUrl,
  options: MapOptions,
  fetch: DeadlineFetch,
  userAgent = DEFAULT_USER_AGENT,
): Promise<MappedUrl[]> {
  const found = new Map<string, MappedUrl>();
  const inScope = scopeOf(target, options.includeSubdomains);
  const add = (raw: string, title?: string): void => {
    let url = canonicalize(raw);
    if (url === null || !inScope(url)) return;
    if (options.ignoreQueryParameters) url = canonicalize(url.href.split('?')[0]!) ?? url;
    const known = found.get(url.href);
    if (known === undefined) found.set(url.href, { url: url.href, ...titleOf(title) });
    else if (known.title === undefined && title) Object.assign(known, titleOf(title));
  };

  let pageError: unknown = null;
  if (options.sitemap !== 'only') {
    try {
      await mapPage(target, fetch, add);
    } catch (err) {
      // A refused target is the client's error; anything else may still leave sitemaps.
      if (!isTrawlError(err) || err.code === 'blocked_address' || options.sitemap === 'skip') {
        throw err;
      }
      pageError = err;
    }
  }
  if (options.sitemap !== 'skip') {
    const origin = `${target.protocol}//${target.host}`;
    const robotsSitemaps = await sitemapsOfRobots(origin, fetch, userAgent);
    const urls = await discoverSitemapUrls({
      origin,
      robotsSitemaps,
      fetch: (u, o) => fetch(u, o),
      maxUrls: MAX_SITEMAP_URLS,
      maxSitemaps: MAX_SITEMAP_FILES,
    });
    for (const u of urls) add(u);
  }
  if (found.size === 0 && pageError !== null) throw pageError;
  return rank([...found.values()], options.search).slice(0, options.limit);
}

/** The page itself and its links (with their texts as titles). */
async function mapPage(
  target: CanonicalUrl,
  fetch: DeadlineFetch,
  add: (url: string, title?: string) => void,
): Promise<void> {
  const res = await fetch(target.href);
  add(res.finalUrl);
  if (res.status < 200 || res.status >= 300 || !isHtml(res)) return;
  const ctx = createParseContext({
    linkFilter: { scope: 'any', seedHosts: [], include: [], exclude: [] },
    respectNofollow: false,
    extract: { formats: ['links'], onlyMainContent: false },
  });
  const parsed = parsePage(
    { url: res.finalUrl, body: res.body, contentType: res.headers['content-type'] ?? null },
    ctx,
  );
  const links = parsed.fields?.links;
  if (Array.isArray(links)) {
    for (const l of links as { url: string; text: string }[]) add(l.url, l.text);
  }
  for (const l of parsed.links) add(l);
}

/** The Sitemap lines of the origin's robots.txt; none when it has none or fails. */
async function sitemapsOfRobots(
  origin: string,
  fetch: DeadlineFetch,
  userAgent: string,
): Promise<readonly string[]> {
  try {
    const res = await fetch(`${origin}/robots.txt`, {
      maxBodyBytes: ROBOTS_MAX_BYTES,
      truncateBody: true,
    });
    if (res.status < 200 || res.status >= 300) return [];
    const now = Date.now();
    return createRobotsPolicy({
      origin,
      kind: 'parsed',
      status: res.status,
      error: null,
      fetchedAt: now,
      expiresAt: now,
      agentToken: robotsAgentToken(userAgent),
      text: res.body.toString('utf8').replace(/^\uFEFF/, ''),
    }).sitemaps;
  } catch {
    return [];
  }
}

/** Same host; with subdomains, the host without `www.` and every host below it. */
function scopeOf(target: CanonicalUrl, subdomains: boolean): (u: CanonicalUrl) => boolean {
  if (!subdomains) return (u) => u.host === target.host;
  const base = target.hostname.replace(/^www\./, '');
  return (u) => u.hostname === base || u.hostname.endsWith(`.${base}`);
}

function titleOf(text: string | undefined): { title?: string } {
  const t = text?.replace(/\s+/g, ' ').trim();
  return t ? { title: t.slice(0, 300) } : {};
}

/**
 * With a search: only URLs whose URL or title holds a word of it, most words first (a
 * word in the URL counts double), ties in discovery order.
 */
function rank(urls: MappedUrl[], search: string | undefined): MappedUrl[] {
  const words = (search ?? '')
    .toLowerCase()
    .split(/[\s,]+/)
    .filter((w) => w !== '');
  if (words.length === 0) return urls;
  const scored = urls.map((u, i) => {
    const href = decodeSafe(u.url).toLowerCase();
    const title = (u.title ?? '').toLowerCase();
    let score = 0;
    for (const w of words) score += (href.includes(w) ? 2 : 0) + (title.includes(w) ? 1 : 0);
    return { u, i, score };
  });
  return scored
    .filter((s) => s.score > 0)
    .sort((a, b) => b.score - a.score || a.i - b.i)
    .map((s) => s.u);
}

function decodeSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
