/**
 * Extracts what the crawler needs from a decoded HTML document: title, out-links,
 * canonical URL and robots directives. The document is scanned once (page-scanner.ts);
 * all URL work happens afterwards, once per distinct href, against a base parsed once.
 */
import type { ParsedPage } from '../core/types.js';
import { canonicalize } from '../core/url/canonicalize.js';
import type { LinkFilter } from '../core/url/link-filter.js';
import { scanPage } from './page-scanner.js';

export interface ExtractContext {
  /** Which canonical links to keep. */
  filter: LinkFilter;
  /** Drop `rel=nofollow` links, and every link of a `<meta name=robots content=nofollow>` page. */
  respectNofollow: boolean;
  /** Canonicalization: sort query parameters. @default true */
  sortQuery?: boolean;
  /**
   * Links returned for earlier pages, to be dropped; links returned now are added.
   * Cleared when it reaches MAX_REMEMBERED_LINKS. Absent: no cross-page deduplication.
   */
  returnedLinks?: Set<string>;
}

/**
 * Bound on ExtractContext.returnedLinks (~150 bytes each): past it the memory starts
 * afresh, and a link seen before may be returned once more, which callers must accept.
 */
export const MAX_REMEMBERED_LINKS = 200_000;

export type ExtractedPage = Omit<ParsedPage, 'charset' | 'contentHash'>;

/** Longest title kept, in UTF-16 code units; longer ones are cut. */
export const MAX_TITLE_LENGTH = 1000;

/**
 * Extracts title, links, canonical URL and robots directives from a decoded document.
 *
 * Links are `<a href>` and `<area href>` resolved against the document's base URL,
 * canonicalized, deduplicated (first occurrence kept, document order) and kept only if
 * `ctx.filter` accepts them (and, with `ctx.returnedLinks`, were not returned before). Links that are not http(s) (javascript:, mailto:...) or do
 * not parse are dropped.
 *
 * @param html the decoded document
 * @param pageUrl the URL the document came from (after redirects): relative links, and
 *   `<base href>` itself, resolve against it
 * @param extractLinks false: leave `links` empty and skip all URL work for them (the
 *   caller will not follow them); `rawLinkCount` is still counted
 * @param transcode when `html` is a latin1 view of the bytes (see scanPage): decodes the
 *   slices kept
 */
export function extractPage(
  html: string,
  pageUrl: string,
  ctx: ExtractContext,
  extractLinks = true,
  transcode?: (raw: string) => string,
): ExtractedPage {
  const scan = scanPage(html, transcode);
  const base = resolveBase(scan.baseHref, URL.parse(pageUrl)) ?? undefined;
  const options = ctx.sortQuery === false ? NO_SORT : undefined;
  const returned = ctx.returnedLinks;

  const links: string[] = [];
  if (extractLinks && !(ctx.respectNofollow && scan.nofollow)) {
    // Pages repeat links (nav, footer): skip repeats by raw href before any URL work,
    // and by canonical form after.
    const seenRaw = new Set<string>();
    const seen = new Set<string>();
    const { hrefs, nofollowHrefs } = scan;
    for (let i = 0; i < hrefs.length; i++) {
      if (ctx.respectNofollow && nofollowHrefs[i] === true) continue;
      const href = hrefs[i] as string;
      if (seenRaw.has(href)) continue;
      seenRaw.add(href);
      const url = canonicalize(href, base, options);
      if (url === null || seen.has(url.href)) continue;
      seen.add(url.href);
      if (!ctx.filter(url)) continue;
      if (returned !== undefined) {
        if (returned.has(url.href)) continue;
        if (returned.size >= MAX_REMEMBERED_LINKS) returned.clear();
        returned.add(url.href);
      }
      links.push(url.href);
    }
  }

  const canonical =
    scan.canonicalHref === null ? null : canonicalize(scan.canonicalHref, base, options);
  return {
    title: scan.title === null ? null : cleanTitle(scan.title),
    links,
    canonicalUrl: canonical === null ? null : canonical.href,
    noindex: scan.noindex,
    nofollow: scan.nofollow,
    rawLinkCount: scan.hrefs.length,
  };
}

const NO_SORT = { sortQuery: false } as const;

/**
 * The document's base URL: the first `<base href>` resolved against the page URL, or the
 * page URL when there is none or it is unusable (the spec also refuses data: and
 * javascript: bases). It applies to the whole document, links before it included.
 */
function resolveBase(baseHref: string | null, pageUrl: URL | null): URL | null {
  if (baseHref === null) return pageUrl;
  const base = pageUrl === null ? URL.parse(baseHref) : URL.parse(baseHref, pageUrl.href);
  if (base === null || base.protocol === 'data:' || base.protocol === 'javascript:') {
    return pageUrl;
  }
  return base;
}

/**
 * Whitespace collapsed and trimmed, cut at MAX_TITLE_LENGTH; null when nothing is left.
 * No-break spaces count as whitespace: in a title they are layout, not content.
 */
function cleanTitle(raw: string): string | null {
  let title = raw.replace(/\s+/g, ' ').trim();
  if (title.length > MAX_TITLE_LENGTH) {
    // Do not leave half of a surrogate pair at the end.
    const last = title.charCodeAt(MAX_TITLE_LENGTH - 1);
    const cut = last >= 0xd800 && last <= 0xdbff ? MAX_TITLE_LENGTH - 1 : MAX_TITLE_LENGTH;
    title = title.slice(0, cut).trimEnd();
  }
  return title === '' ? null : title;
}

/** Removes links from a context's memory of returned links (all of them with 'all'). */
export function forgetReturnedLinks(ctx: ExtractContext, links: readonly string[] | 'all'): void {
  const returned = ctx.returnedLinks;
  if (returned === undefined) return;
  if (links === 'all') returned.clear();
  else for (const link of links) returned.delete(link);
}
